import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { RowEncoder } from "../c1z/rows.js";
import { StoreCore, type StoreEvent } from "./store-core.js";
import { AFTER_FAILURE, COALESCED, Progress, reviveError, serializeError, wireOp, type OpMessage, type StoreOp, type StoreOps, type WorkerMessage } from "./store-protocol.js";

/**
 * The sync engine's handle on its working database. Operations (StoreCore's methods) are applied
 * in the order they are issued, so a read sees every write issued before it:
 *
 * - `send(op, …)` issues a write and returns at once; nobody waits for it.
 * - `call(op, …)` issues an operation and resolves with its result.
 *
 * By default the database lives on its own thread (store-worker.ts): SQLite inserts, index
 * builds, grant expansion and zstd run on the second core while the main thread talks to the
 * connector. `inline` runs the same operations on the calling thread.
 *
 * A failed operation poisons the store: every later call rejects with that error (and `failure`
 * says so, for code that only sends), except `rollback` and `close`, the way out.
 */
export interface StoreOptions {
  thread: boolean;
  /** Checkpoints, as the store commits them. */
  onEvent?: (event: StoreEvent) => void;
}

type Result<K extends StoreOp> = Awaited<ReturnType<StoreOps[K]>>;

export abstract class WorkingStore {
  #failure: Error | undefined;

  static async start(options: StoreOptions): Promise<WorkingStore> {
    return options.thread ? ThreadStore.spawn(options) : new InlineStore(options);
  }

  /** The error that poisoned the store, if any. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  protected fail(error: Error): void {
    this.#failure ??= error;
  }

  /** Throws the store's failure, if any (code that only sends checks this now and then). */
  throwIfFailed(): void {
    if (this.#failure) throw this.#failure;
  }

  abstract send<K extends StoreOp>(op: K, ...args: Parameters<StoreOps[K]>): void;
  abstract call<K extends StoreOp>(op: K, ...args: Parameters<StoreOps[K]>): Promise<Result<K>>;
  /** Waits until at most `maxPending` issued operations are still to be applied (flow control). */
  abstract drain(maxPending: number): Promise<void>;
  /** Operations issued and not yet applied. */
  abstract get pending(): number;
  /** Ends the store's thread (the database must have been closed or published first, or is abandoned). */
  abstract shutdown(): Promise<void>;
}

/**
 * A call's failure is also latched in the store's `failure`, which the engine reports: a call
 * whose caller chains it behind other work (a page placed while the database is still being
 * opened) must not count as an unhandled rejection meanwhile.
 */
function latched<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** The same operations, applied synchronously on the calling thread (after any still in flight). */
class InlineStore extends WorkingStore {
  readonly #core: StoreCore;
  /**
   * Settles once an asynchronous operation (opening, publishing) and everything queued behind it
   * is applied: until then later operations wait their turn, as they do on the store's thread.
   */
  #busy: Promise<void> | undefined;

  constructor(options: StoreOptions) {
    super();
    this.#core = new StoreCore((event) => options.onEvent?.(event));
  }

  #applyNow(op: StoreOp, args: unknown[]): unknown {
    if (this.failure && !AFTER_FAILURE.has(op)) throw this.failure;
    let value: unknown;
    try {
      value = (this.#core[op] as (...a: unknown[]) => unknown).apply(this.#core, args);
    } catch (error) {
      this.fail(asError(error));
      throw error;
    }
    if (value instanceof Promise) {
      return value.catch((error: unknown) => {
        this.fail(asError(error));
        throw error;
      });
    }
    return value;
  }

  #queueBehind(operation: Promise<unknown>): void {
    const settled = operation.then(
      () => undefined,
      () => undefined,
    );
    this.#busy = settled;
    void settled.then(() => {
      if (this.#busy === settled) this.#busy = undefined;
    });
  }

  /** Applies at once, or after the operations still in flight; an asynchronous one holds back those after it. */
  #apply(op: StoreOp, args: unknown[]): unknown {
    const busy = this.#busy;
    // Chained behind the queue, it settles only once its own operation has (a promise it returns is awaited).
    const value = busy ? busy.then(() => this.#applyNow(op, args)) : this.#applyNow(op, args);
    if (value instanceof Promise) this.#queueBehind(value);
    return value;
  }

  send<K extends StoreOp>(op: K, ...args: Parameters<StoreOps[K]>): void {
    try {
      const value = this.#apply(op, args);
      // Latched in `failure` either way; the engine finds it at its next call or check.
      if (value instanceof Promise) value.catch(() => undefined);
    } catch {
      // Latched in `failure`; the engine finds it at its next call or check.
    }
  }

  call<K extends StoreOp>(op: K, ...args: Parameters<StoreOps[K]>): Promise<Result<K>> {
    try {
      return latched(Promise.resolve(this.#apply(op, args) as Result<K>));
    } catch (error) {
      return latched(Promise.reject(error));
    }
  }

  async drain(): Promise<void> {
    await this.#busy;
  }

  get pending(): number {
    return 0;
  }

  async shutdown(): Promise<void> {}
}

/** The operations shipped, in order, to the thread that owns the database. */
class ThreadStore extends WorkingStore {
  readonly #worker: Worker;
  readonly #progress: Int32Array;
  readonly #rows = new RowEncoder();
  readonly #replies = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #seq = 0;
  /** Consecutive sends of a COALESCED operation, not posted yet: any other operation posts them first. */
  #held: { op: StoreOp; args: unknown[] } | undefined;
  #drained: Drainer[] = [];
  #stopped = false;

  static async spawn(options: StoreOptions): Promise<ThreadStore> {
    const progress = new SharedArrayBuffer(Progress.SLOTS * Int32Array.BYTES_PER_ELEMENT);
    return new ThreadStore(startWorker(progress), new Int32Array(progress), options);
  }

  private constructor(worker: Worker, progress: Int32Array, options: StoreOptions) {
    super();
    this.#worker = worker;
    this.#progress = progress;
    worker.on("message", (message: WorkerMessage) => {
      switch (message.kind) {
        case "reply": {
          const waiter = this.#replies.get(message.seq);
          this.#replies.delete(message.seq);
          if (message.ok) waiter?.resolve(message.value);
          else {
            const error = reviveError(message.error);
            this.fail(error);
            waiter?.reject(error);
          }
          break;
        }
        case "processed":
          this.#wakeDrainers();
          break;
        case "failed":
          this.fail(reviveError(message.error));
          this.#wakeDrainers();
          break;
        case "event":
          options.onEvent?.(message.event);
          break;
      }
    });
    const died = (error: Error) => {
      if (this.#stopped) return;
      this.#stopped = true;
      this.fail(error);
      for (const waiter of this.#replies.values()) waiter.reject(error);
      this.#replies.clear();
      this.#wakeDrainers();
    };
    worker.on("error", (error) => died(new Error(`the sync's database thread failed: ${error.message}`, { cause: error })));
    worker.on("exit", (code) => died(new Error(`the sync's database thread exited unexpectedly (code ${code})`)));
  }

  /** Encoding errors poison the store, as they would have on its thread. */
  #post(op: StoreOp, args: unknown[], reply: boolean): number {
    this.#postHeld();
    let wire: ReturnType<typeof wireOp>;
    try {
      wire = wireOp(this.#rows, op, args);
    } catch (error) {
      this.fail(asError(error));
      throw error;
    }
    const seq = ++this.#seq;
    const message: OpMessage = { seq, op: wire.op, args: wire.args, reply };
    this.#worker.postMessage(message, wire.transfer);
    return seq;
  }

  #postHeld(): void {
    const held = this.#held;
    if (!held) return;
    this.#held = undefined;
    const seq = ++this.#seq;
    this.#worker.postMessage({ seq, op: held.op, args: [held.args], reply: false } satisfies OpMessage);
  }

  send<K extends StoreOp>(op: K, ...args: Parameters<StoreOps[K]>): void {
    if (this.failure && !AFTER_FAILURE.has(op)) return;
    const coalesced = COALESCED[op];
    if (coalesced) {
      if (this.#held?.op !== coalesced) {
        this.#postHeld();
        this.#held = { op: coalesced, args: [] };
      }
      this.#held.args.push(args[0]);
      return;
    }
    try {
      this.#post(op, args, false);
    } catch {
      // Latched in `failure`; the engine finds it at its next call or check.
    }
  }

  call<K extends StoreOp>(op: K, ...args: Parameters<StoreOps[K]>): Promise<Result<K>> {
    if (this.failure && !AFTER_FAILURE.has(op)) return latched(Promise.reject(this.failure));
    if (this.#stopped) return latched(Promise.reject(this.failure ?? new Error("the sync's database thread has stopped")));
    return latched(
      new Promise<Result<K>>((resolve, reject) => {
        const seq = this.#post(op, args, true);
        this.#replies.set(seq, { resolve: resolve as (value: unknown) => void, reject });
      }),
    );
  }

  get #applied(): number {
    return Atomics.load(this.#progress, Progress.APPLIED);
  }

  get pending(): number {
    return this.#seq - this.#applied;
  }

  drain(maxPending: number): Promise<void> {
    this.#postHeld();
    if (this.pending <= maxPending || this.failure || this.#stopped) return Promise.resolve();
    const drained = new Promise<void>((resolve) => this.#drained.push({ upTo: this.#seq - maxPending, resolve }));
    this.#wakeDrainers();
    return drained;
  }

  /** Resolves the drainers the thread has caught up with; asks it to say when it reaches the next one. */
  #wakeDrainers(): void {
    for (;;) {
      const applied = this.#applied;
      const stillWaiting: Drainer[] = [];
      for (const d of this.#drained) {
        if (applied >= d.upTo || this.failure || this.#stopped) d.resolve();
        else stillWaiting.push(d);
      }
      this.#drained = stillWaiting;
      if (stillWaiting.length === 0) {
        Atomics.store(this.#progress, Progress.WAITING_FOR, 0);
        return;
      }
      const next = Math.min(...stillWaiting.map((d) => d.upTo));
      Atomics.store(this.#progress, Progress.WAITING_FOR, next);
      // The thread may have got there before it could see the request: then nobody would post.
      if (this.#applied < next) return;
    }
  }

  async shutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#worker.terminate();
  }
}

interface Drainer {
  upTo: number;
  resolve: () => void;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : reviveError(serializeError(error));
}

/**
 * The database thread's young generation. Besides the rows it receives it runs grant expansion,
 * which makes and drops a derived grant's bytes and its decoded sources per row: with 8 MiB the
 * thread spent 2.0–2.9 s of CPU in a medium sync in about 1,055 scavenges, with 32 MiB about 1.0 s
 * in 283, for about 50 MiB more peak RSS; the sync's wall time did not change (docs/sync.md).
 */
const STORE_YOUNG_GENERATION_MB = 32;

/**
 * Starts store-worker in a thread. Compiled, it is a sibling .js file; run from TypeScript sources
 * (tests, benchmarks, `tsx`), the thread registers tsx's loader first — Node 20 does not pass a
 * parent's loader hooks on to worker threads.
 */
function startWorker(progress: SharedArrayBuffer): Worker {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith(".ts");
  const entry = join(dirname(here), fromSource ? "store-worker.ts" : "store-worker.js");
  const tsx = fromSource ? join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist", "esm", "api", "index.mjs") : undefined;
  const boot = `
    const { workerData } = require("node:worker_threads");
    const { pathToFileURL } = require("node:url");
    (async () => {
      if (workerData.tsx) (await import(pathToFileURL(workerData.tsx).href)).register();
      await import(pathToFileURL(workerData.entry).href);
    })().catch((error) => setImmediate(() => { throw error; }));
  `;
  return new Worker(boot, { eval: true, workerData: { entry, tsx, progress }, resourceLimits: { maxYoungGenerationSizeMb: STORE_YOUNG_GENERATION_MB } });
}
