import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { RowEncoder } from "../c1z/rows.js";
import { StoreCore, type StoreEvent } from "./store-core.js";
import { AFTER_FAILURE, reviveError, serializeError, wireOp, type OpMessage, type StoreOp, type StoreOps, type WorkerMessage } from "./store-protocol.js";

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

/** The same operations, applied synchronously on the calling thread. */
class InlineStore extends WorkingStore {
  readonly #core: StoreCore;

  constructor(options: StoreOptions) {
    super();
    this.#core = new StoreCore((event) => options.onEvent?.(event));
  }

  #apply(op: StoreOp, args: unknown[]): unknown {
    if (this.failure && !AFTER_FAILURE.has(op)) throw this.failure;
    try {
      return (this.#core[op] as (...a: unknown[]) => unknown).apply(this.#core, args);
    } catch (error) {
      this.fail(asError(error));
      throw error;
    }
  }

  send<K extends StoreOp>(op: K, ...args: Parameters<StoreOps[K]>): void {
    try {
      this.#apply(op, args);
    } catch {
      // Latched in `failure`; the engine finds it at its next call or check.
    }
  }

  async call<K extends StoreOp>(op: K, ...args: Parameters<StoreOps[K]>): Promise<Result<K>> {
    const value = this.#apply(op, args);
    try {
      return (await value) as Result<K>;
    } catch (error) {
      this.fail(asError(error));
      throw error;
    }
  }

  async drain(): Promise<void> {}

  get pending(): number {
    return 0;
  }

  async shutdown(): Promise<void> {}
}

/** The operations shipped, in order, to the thread that owns the database. */
class ThreadStore extends WorkingStore {
  readonly #worker: Worker;
  readonly #rows = new RowEncoder();
  readonly #replies = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #seq = 0;
  #processed = 0;
  #drained: Drainer[] = [];
  #stopped = false;

  static async spawn(options: StoreOptions): Promise<ThreadStore> {
    return new ThreadStore(startWorker(), options);
  }

  private constructor(worker: Worker, options: StoreOptions) {
    super();
    this.#worker = worker;
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
          this.#processed = message.seq;
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

  send<K extends StoreOp>(op: K, ...args: Parameters<StoreOps[K]>): void {
    if (this.failure && !AFTER_FAILURE.has(op)) return;
    try {
      this.#post(op, args, false);
    } catch {
      // Latched in `failure`; the engine finds it at its next call or check.
    }
  }

  call<K extends StoreOp>(op: K, ...args: Parameters<StoreOps[K]>): Promise<Result<K>> {
    if (this.failure && !AFTER_FAILURE.has(op)) return Promise.reject(this.failure);
    if (this.#stopped) return Promise.reject(this.failure ?? new Error("the sync's database thread has stopped"));
    return new Promise<Result<K>>((resolve, reject) => {
      const seq = this.#post(op, args, true);
      this.#replies.set(seq, { resolve: resolve as (value: unknown) => void, reject });
    });
  }

  get pending(): number {
    return this.#seq - this.#processed;
  }

  drain(maxPending: number): Promise<void> {
    if (this.pending <= maxPending || this.failure || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push({ upTo: this.#seq - maxPending, resolve }));
  }

  #wakeDrainers(): void {
    const stillWaiting: Drainer[] = [];
    for (const d of this.#drained) {
      if (this.#processed >= d.upTo || this.failure || this.#stopped) d.resolve();
      else stillWaiting.push(d);
    }
    this.#drained = stillWaiting;
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
 * Starts store-worker in a thread. Compiled, it is a sibling .js file; run from TypeScript sources
 * (tests, benchmarks, `tsx`), the thread registers tsx's loader first — Node 20 does not pass a
 * parent's loader hooks on to worker threads.
 */
function startWorker(): Worker {
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
  // What the thread receives is garbage once written: a small young generation is enough (V8's
  // default reserves several times this much, for nothing).
  return new Worker(boot, { eval: true, workerData: { entry, tsx }, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
}
