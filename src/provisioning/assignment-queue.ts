import type { LearnedWindow } from "../aws/pacing-memory.js";

/**
 * Ordering of account-assignment operations for one Identity Center instance:
 *
 *  - at most `window` operations hold a slot (a slot is held from the write until AWS reports the
 *    operation finished), the rest wait in arrival order. AWS publishes 10 outstanding
 *    asynchronous assignment operations per instance, but other tools may be using some: the
 *    window is learned (AIMD). It starts at `maxOutstanding` (or what an earlier run learned) and
 *    is never above it; when AWS refuses a write (throttles it), it drops to the number of our
 *    operations AWS had accepted and not yet finished (at least one), and it grows back by one
 *    slot per PROBE_WRITES writes AWS accepts while every usable slot is outstanding at AWS;
 *  - concurrent identical requests (same kind, same principal/account/permission set) share one
 *    operation, so every caller gets the same confirmed answer from a single AWS write;
 *  - different requests for the same target (a grant and a revoke) run one after the other;
 *  - each caller waits until its own deadline or cancellation. An operation nobody waits for any
 *    more is dropped if it has not written yet, and otherwise runs on until AWS answers, so its
 *    slot stays accounted for and a caller repeating the request joins it.
 */

/** What an operation tells the queue (and, through a caller's timeout, the caller). */
export interface OperationProgress {
  /** Set just before the write is sent: from then on the operation can no longer be dropped. */
  writeStarted: boolean;
  /** AWS's request id of the assignment operation, once known. */
  operationRequestId?: string;
}

export interface OperationHandle {
  /** Aborted when every caller has left before the write started. */
  readonly abandoned: AbortSignal;
  readonly progress: OperationProgress;
}

/** A caller stopped waiting (its deadline passed or it cancelled); the operation may still run. */
export class CallerStoppedWaiting extends Error {
  constructor(
    readonly reason: "deadline" | "cancelled",
    readonly progress: Readonly<OperationProgress>,
    readonly waitedMs: number,
  ) {
    super(reason === "deadline" ? "deadline passed while waiting for the operation" : "caller cancelled");
    this.name = "CallerStoppedWaiting";
  }
}

/** The operation was dropped before writing anything because nobody waited for it any more. */
export class OperationDropped extends Error {
  constructor() {
    super("operation dropped before it started: nobody is waiting for it");
    this.name = "OperationDropped";
  }
}

interface Entry {
  kind: string;
  promise: Promise<unknown>;
  waiters: number;
  abandon: AbortController;
  progress: OperationProgress;
}

export interface CallerWait {
  signal: AbortSignal;
  /** Epoch ms after which this caller stops waiting. */
  deadlineAt: number;
}

/** Writes AWS must accept, with every slot in use, before the window grows by one slot. */
export const PROBE_WRITES = 20;

/** One operation's hold on a slot: it tells the queue how AWS answered its write. */
export interface Slot {
  /** AWS accepted the write: the operation is outstanding at AWS until it finishes. */
  accepted(): void;
  /** AWS throttled the write (an attempt; the write may still be retried). */
  refused(): void;
}

export interface AssignmentQueueOptions {
  /** What an earlier run learned. */
  learned?: LearnedWindow;
  /** Told whenever the window changes (to remember it). */
  onLearn?: (learned: LearnedWindow) => void;
}

export class AssignmentQueue {
  readonly #maxOutstanding: number;
  /** Slots allowed now (fractional while growing; ⌊window⌋ are usable). */
  #window: number;
  /** Operations AWS accepted and had not finished when it last refused a write (+1: the refused one). */
  #refusedAt: number | undefined;
  #outstanding = 0;
  /** Slots whose write AWS accepted (outstanding at AWS as far as we know). */
  #accepted = 0;
  #maxObserved = 0;
  readonly #waiting: Array<{ grant: () => void }> = [];
  readonly #lastByTarget = new Map<string, Entry>();
  readonly #onLearn: ((learned: LearnedWindow) => void) | undefined;

  constructor(maxOutstanding: number, options: AssignmentQueueOptions = {}) {
    if (!Number.isInteger(maxOutstanding) || maxOutstanding < 1) throw new Error(`maxOutstandingAssignments must be ≥ 1, got ${maxOutstanding}`);
    this.#maxOutstanding = maxOutstanding;
    this.#window = Math.min(maxOutstanding, Math.max(1, Math.floor(options.learned?.window ?? maxOutstanding)));
    this.#refusedAt = options.learned?.limit;
    this.#onLearn = options.onLearn;
  }

  /** Slots in use now, and the most ever in use at once. */
  get outstanding(): number {
    return this.#outstanding;
  }
  get maxOutstandingObserved(): number {
    return this.#maxObserved;
  }
  /** Slots usable now (learned; at most maxOutstanding). */
  get window(): number {
    return Math.floor(this.#window);
  }

  /**
   * AWS refused a write while `accepted` of our operations were outstanding at AWS: the instance
   * takes no more than those for now (at least one: other tools may hold every slot for a while).
   */
  #refused(): void {
    const room = Math.max(1, this.#accepted);
    if (room >= this.#window) return;
    this.#window = room;
    this.#refusedAt = this.#accepted + 1;
    this.#learnt();
  }

  /** AWS accepted a write with every usable slot outstanding at AWS: room to probe for one more. */
  #probe(): void {
    if (this.#window >= this.#maxOutstanding || this.#accepted < this.window) return;
    const before = this.window;
    this.#window = Math.min(this.#maxOutstanding, this.#window + 1 / PROBE_WRITES);
    if (this.window !== before) this.#learnt();
  }

  /**
   * Runs `operation` for (target, kind), or joins the identical one already queued or running;
   * waits for it on behalf of one caller.
   */
  run<T>(target: string, kind: string, operation: (handle: OperationHandle) => Promise<T>, caller: CallerWait): Promise<T> {
    let entry = this.#lastByTarget.get(target);
    if (!entry || entry.kind !== kind || entry.abandon.signal.aborted) {
      const previous = entry?.promise;
      const fresh: Entry = { kind, waiters: 0, abandon: new AbortController(), progress: { writeStarted: false }, promise: Promise.resolve() };
      const handle: OperationHandle = { abandoned: fresh.abandon.signal, progress: fresh.progress };
      // Serialise after whatever was last queued for this target, whatever its outcome.
      fresh.promise = (previous ? previous.then(noop, noop) : Promise.resolve()).then(() => {
        if (fresh.abandon.signal.aborted) throw new OperationDropped();
        return operation(handle);
      });
      fresh.promise.then(noop, noop).finally(() => {
        if (this.#lastByTarget.get(target) === fresh) this.#lastByTarget.delete(target);
      });
      this.#lastByTarget.set(target, fresh);
      entry = fresh;
    }
    return this.#wait(entry, caller) as Promise<T>;
  }

  /** Holds one outstanding-operation slot while `fn` runs; gives up waiting for one when `abandoned` fires. */
  async withSlot<T>(abandoned: AbortSignal, fn: (slot: Slot) => Promise<T>): Promise<T> {
    await this.#acquire(abandoned);
    let accepted = false;
    const slot: Slot = {
      accepted: () => {
        if (accepted) return;
        accepted = true;
        this.#accepted += 1;
        this.#probe();
      },
      refused: () => this.#refused(),
    };
    try {
      return await fn(slot);
    } finally {
      if (accepted) this.#accepted -= 1;
      this.#release();
    }
  }

  #wait(entry: Entry, caller: CallerWait): Promise<unknown> {
    entry.waiters += 1;
    const joinedAt = Date.now();
    return new Promise((resolve, reject) => {
      let left = false;
      const leave = (reason: "deadline" | "cancelled") => {
        if (left) return;
        left = true;
        cleanup();
        entry.waiters -= 1;
        // Stays last for its target until it settles, so later requests still queue behind it.
        if (entry.waiters === 0 && !entry.progress.writeStarted) entry.abandon.abort();
        reject(new CallerStoppedWaiting(reason, { ...entry.progress }, Date.now() - joinedAt));
      };
      const onAbort = () => leave("cancelled");
      const timer = setTimeout(() => leave("deadline"), Math.max(0, caller.deadlineAt - Date.now()));
      const cleanup = () => {
        clearTimeout(timer);
        caller.signal.removeEventListener("abort", onAbort);
      };
      if (caller.signal.aborted) return leave("cancelled");
      caller.signal.addEventListener("abort", onAbort, { once: true });
      entry.promise.then(
        (value) => {
          if (left) return;
          left = true;
          cleanup();
          entry.waiters -= 1;
          resolve(value);
        },
        (error: unknown) => {
          if (left) return;
          left = true;
          cleanup();
          entry.waiters -= 1;
          reject(error);
        },
      );
    });
  }

  #learnt(): void {
    this.#onLearn?.(this.#refusedAt === undefined ? { window: this.window } : { window: this.window, limit: this.#refusedAt });
    // A larger window may admit waiting operations now.
    this.#grantWaiting();
  }

  #grantWaiting(): void {
    while (this.#outstanding < this.window && this.#waiting.length > 0) this.#waiting.shift()!.grant();
  }

  #acquire(abandoned: AbortSignal): Promise<void> {
    if (abandoned.aborted) return Promise.reject(new OperationDropped());
    if (this.#outstanding < this.window && this.#waiting.length === 0) {
      this.#take();
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          abandoned.removeEventListener("abort", onAbort);
          this.#take();
          resolve();
        },
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(new OperationDropped());
      };
      abandoned.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #take(): void {
    this.#outstanding += 1;
    this.#maxObserved = Math.max(this.#maxObserved, this.#outstanding);
  }

  #release(): void {
    this.#outstanding -= 1;
    this.#grantWaiting();
  }
}

function noop(): void {}
