import { setMaxListeners } from "node:events";

/**
 * Runs paged listings concurrently, in whatever order keeps every AWS service busy, and commits
 * their pages strictly in each stream's job order — so the database receives the same writes in
 * the same order whatever the concurrency or timing (the file's rows, row ids included, do not
 * depend on it).
 *
 * - A stream is an ordered list of jobs (listings) plus the rules to fetch them. Streams share
 *   the scheduler's `concurrency` (page requests in flight).
 * - A lane holds at most `perLane` of those requests. A page that fans out into many AWS calls
 *   waits seconds behind its service's rate limit; without the cap such pages would end up
 *   holding every slot, and a quick service (one call per page) would starve beside a slow one.
 * - Fetch order: the next job to commit of each committing stream first (it is never starved);
 *   then lanes take turns — a lane is a stream's jobs of one resource type, which in practice is
 *   one AWS service — each offering its earliest unfinished job. So ListGroupMemberships and
 *   ListAccountAssignments run side by side instead of one service waiting for the other.
 * - A stream can fetch before it may commit (`commit()` opens it): baton's phase order is kept
 *   for the writes while the next phase's listings already run.
 * - Memory is bounded: a job not being committed buffers at most `maxPagesPerJob` pages, and a
 *   stream stops fetching ahead once `maxBufferedItems` items wait in its buffers.
 * - A job that fails with a warning-class error ends at the pages already fetched; any other
 *   error fails the stream once the jobs before it are committed.
 */
export interface Page<T> {
  /** The page as fetchPage prepared it: records, or rows already encoded from them. */
  content: T;
  /** Records the page holds: what `maxBufferedItems` counts. */
  count: number;
  /** Token for the next page; "" when the listing is complete. */
  next: string;
  annotations?: unknown[];
}

export interface StreamSpec<J, T> {
  /** Jobs of one lane (e.g. one resource type) are fetched in order; lanes take turns. */
  lane(job: J): string;
  /** Page token the job starts from ("" for the first page; a checkpointed token on resume). */
  startToken(job: J): string;
  fetchPage(job: J, pageToken: string, signal: AbortSignal): Promise<Page<T>>;
  /** Decides whether a failed fetch only ends its job (true) or fails the stream. */
  isWarning(error: unknown): boolean;
  /** A job with nothing to fetch: committed as finished, without any call. */
  skip?(job: J): boolean;
  /** The job's last page (or its failure) is in: nothing more will be fetched for it (unless restarted). */
  onDone?(job: J): void;
  maxBufferedItems?: number;
  maxPagesPerJob?: number;
}

export interface CommitHandlers<J, T> {
  /** Called in job order for every page. */
  commitPage(job: J, page: Page<T>): void | Promise<void>;
  /** Called in job order once a job's last page is committed (or it ended with a warning, or was skipped). */
  finishJob(job: J, warning?: unknown): void | Promise<void>;
}

export interface SchedulerOptions {
  concurrency: number;
  /** Requests one lane may have in flight; a quarter of `concurrency` unless set. */
  perLane?: number;
  signal?: AbortSignal;
}

/**
 * Commit handlers that had nothing to wait for return nothing, and the commit loop goes straight
 * on; after this many such commits in a row it lets the event loop run (aborts, timers, fetches).
 */
const INLINE_COMMITS = 1024;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

class Slot<J, T> {
  pages: Array<Page<T>> = [];
  items = 0;
  started = false;
  inflight = false;
  done = false;
  /** Token of the next page to fetch. */
  token = "";
  warning?: unknown;
  error?: unknown;
  /** Bumped by restart(): pages of an older generation are dropped. */
  generation = 0;
  constructor(
    readonly job: J,
    readonly stream: Stream<J, T>,
    readonly lane: Lane,
  ) {}
}

interface Lane {
  key: string;
  /** Started, unfinished slots, in job order. */
  started: Array<Slot<unknown, unknown>>;
  /** Slots not started yet, in job order (from `next`). */
  idle: Array<Slot<unknown, unknown>>;
  next: number;
  inflight: number;
}

export class ListingScheduler {
  readonly #concurrency: number;
  readonly #perLane: number;
  readonly #abort = new AbortController();
  readonly #streams: Array<Stream<never, never>> = [];
  readonly #lanes = new Map<string, Lane>();
  #laneOrder: Lane[] = [];
  #turn = 0;
  #inflight = 0;
  readonly #onOuterAbort = () => this.#abort.abort(this.outer?.reason);

  constructor(
    options: SchedulerOptions,
    private readonly outer = options.signal,
  ) {
    this.#concurrency = Math.max(1, options.concurrency);
    this.#perLane = Math.max(1, options.perLane ?? Math.ceil(this.#concurrency / 4));
    // Every request in flight listens to it: `concurrency` may well exceed Node's warning threshold.
    setMaxListeners(0, this.#abort.signal);
    outer?.addEventListener("abort", this.#onOuterAbort, { once: true });
  }

  /** A new stream; earlier streams' committing jobs are served first. */
  stream<J, T>(name: string, spec: StreamSpec<J, T>): Stream<J, T> {
    const stream = new Stream<J, T>(this, name, spec);
    this.#streams.push(stream as unknown as Stream<never, never>);
    return stream;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Stops every fetch (the streams' pending commits fail). */
  close(): void {
    this.#abort.abort(new Error("listings stopped"));
    this.outer?.removeEventListener("abort", this.#onOuterAbort);
    for (const stream of this.#streams) stream.wake();
  }

  /** @internal */
  laneFor(key: string): Lane {
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = { key, started: [], idle: [], next: 0, inflight: 0 };
      this.#lanes.set(key, lane);
      this.#laneOrder.push(lane);
    }
    return lane;
  }

  /** Starts page requests while there is room. */
  dispatch(): void {
    while (this.#inflight < this.#concurrency && !this.#abort.signal.aborted) {
      const slot = this.#pick();
      if (!slot) return;
      void this.#fetch(slot as Slot<unknown, unknown>);
    }
  }

  #pick(): Slot<unknown, unknown> | undefined {
    // The job each committing stream waits for comes first: never starved, whatever the budgets.
    for (const stream of this.#streams) {
      const head = stream.committingHead();
      if (head && !head.inflight && !head.done) return head as Slot<unknown, unknown>;
    }
    const lanes = this.#laneOrder;
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[(this.#turn + i) % lanes.length]!;
      const slot = this.#candidate(lane);
      if (slot) {
        this.#turn = (this.#turn + i + 1) % lanes.length;
        return slot;
      }
    }
    return undefined;
  }

  /** The lane's earliest job that may fetch a page now. */
  #candidate(lane: Lane): Slot<unknown, unknown> | undefined {
    if (lane.inflight >= this.#perLane) return undefined;
    for (let i = 0; i < lane.started.length; i++) {
      const slot = lane.started[i]!;
      if (slot.done && !slot.inflight) {
        lane.started.splice(i--, 1);
        continue;
      }
      if (!slot.inflight && !slot.done && slot.stream.mayFetch(slot)) return slot;
    }
    // Slots behind `next` are taken: let them (and their jobs) go once they are most of the queue.
    if (lane.next > 1024 && lane.next * 2 > lane.idle.length) {
      lane.idle = lane.idle.slice(lane.next);
      lane.next = 0;
    }
    while (lane.next < lane.idle.length) {
      const slot = lane.idle[lane.next]!;
      if (slot.started || slot.done) {
        lane.next++;
        continue;
      }
      if (!slot.stream.mayFetch(slot)) return undefined;
      lane.next++;
      return slot;
    }
    return undefined;
  }

  async #fetch(slot: Slot<unknown, unknown>): Promise<void> {
    const stream = slot.stream;
    if (!slot.started) {
      slot.started = true;
      slot.token = stream.spec.startToken(slot.job);
      slot.lane.started.push(slot);
    }
    const generation = slot.generation;
    const token = slot.token;
    slot.inflight = true;
    slot.lane.inflight++;
    this.#inflight++;
    try {
      let page: Page<unknown>;
      try {
        page = await stream.spec.fetchPage(slot.job, token, this.#abort.signal);
      } catch (error) {
        if (slot.generation === generation && !this.#abort.signal.aborted) failed(slot, error);
        return;
      }
      if (slot.generation !== generation) return;
      if (page.next !== "" && page.next === token) {
        failed(slot, new Error("the connector returned the same page token again (it would loop forever)"));
        return;
      }
      // Most jobs hold one page: an array of exactly one, not the spare capacity push would reserve.
      if (slot.pages.length === 0) slot.pages = [page];
      else slot.pages.push(page);
      slot.items += page.count;
      stream.buffered += page.count;
      slot.token = page.next;
      if (page.next === "") {
        slot.done = true;
        stream.spec.onDone?.(slot.job);
      }
    } finally {
      slot.inflight = false;
      slot.lane.inflight--;
      this.#inflight--;
      stream.wake();
      this.dispatch();
    }
  }
}

/** A fetch failed: a warning ends the job at the pages it has, anything else fails the stream. */
function failed(slot: Slot<unknown, unknown>, error: unknown): void {
  const stream = slot.stream;
  if (stream.spec.isWarning(error)) slot.warning = error;
  else {
    slot.error = error;
    stream.failing = true;
  }
  slot.done = true;
  stream.spec.onDone?.(slot.job);
}

export class Stream<J, T> {
  /** Items waiting in this stream's buffers. */
  buffered = 0;
  /** A job failed fatally: only jobs before it are still fetched. */
  failing = false;
  readonly #order: Array<Slot<J, T>> = [];
  #head = 0;
  #slots = new Map<J, Slot<J, T>>();
  #ended = false;
  #committing = false;
  #wake: (() => void) | undefined;
  /** Commits done without waiting, counted to yield now and then (see INLINE_COMMITS). */
  #inline = 0;
  readonly #maxItems: number;
  readonly #maxPages: number;

  constructor(
    private readonly scheduler: ListingScheduler,
    readonly name: string,
    readonly spec: StreamSpec<J, T>,
  ) {
    this.#maxItems = spec.maxBufferedItems ?? 10_000;
    this.#maxPages = spec.maxPagesPerJob ?? 4;
  }

  /** Appends a job (commit order is the order of `add`); commit handlers may add jobs too. */
  add(job: J): void {
    const slot = new Slot<J, T>(job, this, this.scheduler.laneFor(`${this.name}\u0000${this.spec.lane(job)}`));
    this.#order.push(slot);
    this.#slots.set(job, slot);
    if (this.spec.skip?.(job)) slot.done = true;
    else (slot.lane.idle as Array<Slot<J, T>>).push(slot);
    this.wake();
    this.scheduler.dispatch();
  }

  /** Puts the jobs not committed yet in this order (commit order; fetches already made are kept). Before commits begin only. */
  reorder(jobs: readonly J[]): void {
    if (this.#committing) throw new Error(`stream ${this.name}: jobs cannot be reordered once commits have begun`);
    const waiting = this.#order.length - this.#head;
    const slots = jobs.map((job) => this.#slots.get(job));
    if (slots.length !== waiting || slots.some((slot) => !slot) || new Set(slots).size !== waiting) {
      throw new Error(`stream ${this.name}: a reorder must list each of its ${waiting} waiting jobs once`);
    }
    // Assigned one by one: a spread of a hundred thousand arguments overflows the stack.
    for (let i = 0; i < waiting; i++) this.#order[this.#head + i] = slots[i]!;
  }

  /** No jobs will be added other than by the commit handlers. */
  end(): void {
    this.#ended = true;
    this.wake();
  }

  /** Jobs added and not yet committed. */
  get waiting(): number {
    return this.#order.length - this.#head;
  }

  /**
   * The job changed (e.g. its resource was upserted by a later page) before it was committed:
   * whatever was fetched for it is dropped and it is fetched again (or skipped, if it now is).
   */
  restart(job: J): void {
    const slot = this.#slots.get(job);
    if (!slot) return;
    if (this.#committing) throw new Error(`stream ${this.name}: jobs cannot change once commits have begun`);
    slot.generation++;
    this.buffered -= slot.items;
    slot.pages = [];
    slot.items = 0;
    slot.warning = undefined;
    slot.error = undefined;
    slot.token = this.spec.startToken(job);
    if (this.spec.skip?.(job)) {
      slot.done = true;
    } else {
      slot.done = false;
      if (!slot.started) {
        // Not in the lane's idle queue if it was skipped when added: put it back (order within a lane does not matter for correctness).
        if (!slot.lane.idle.includes(slot as Slot<unknown, unknown>)) slot.lane.idle.splice(slot.lane.next, 0, slot as Slot<unknown, unknown>);
      } else if (!slot.lane.started.includes(slot as Slot<unknown, unknown>)) {
        slot.lane.started.push(slot as Slot<unknown, unknown>);
      }
    }
    this.wake();
    this.scheduler.dispatch();
  }

  /** @internal The next job to commit, while this stream commits. */
  committingHead(): Slot<J, T> | undefined {
    return this.#committing ? this.#order[this.#head] : undefined;
  }

  /** @internal Whether a job that is not next to commit may fetch a page now. */
  mayFetch(slot: Slot<J, T>): boolean {
    if (this.failing) return false;
    if (this.#committing && this.#order[this.#head] === slot) return true;
    return this.buffered < this.#maxItems && slot.pages.length < this.#maxPages;
  }

  /** @internal */
  wake(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /**
   * Opens the stream for commits and commits every job in order, until the stream has ended and
   * every job is committed. A fatal fetch error is thrown once the jobs before it are committed.
   */
  async commit(handlers: CommitHandlers<J, T>): Promise<void> {
    this.#committing = true;
    this.scheduler.dispatch();
    for (;;) {
      const signal = this.scheduler.signal;
      if (signal.aborted) throw signal.reason ?? new Error("listings stopped");
      const head = this.#order[this.#head];
      if (!head) {
        if (this.#ended) return;
        await this.#changed();
        continue;
      }
      const page = head.pages.shift();
      if (page) {
        head.items -= page.count;
        this.buffered -= page.count;
        this.scheduler.dispatch();
        const committing = handlers.commitPage(head.job, page);
        if (committing) await committing;
        else if (++this.#inline % INLINE_COMMITS === 0) await yieldToEventLoop();
        continue;
      }
      if (!head.done || head.inflight) {
        this.scheduler.dispatch();
        await this.#changed();
        continue;
      }
      if (head.error !== undefined) throw head.error;
      this.#order[this.#head] = undefined as unknown as Slot<J, T>;
      this.#head++;
      this.#slots.delete(head.job);
      const finishing = handlers.finishJob(head.job, head.warning);
      if (finishing) await finishing;
      else if (++this.#inline % INLINE_COMMITS === 0) await yieldToEventLoop();
      this.scheduler.dispatch();
    }
  }

  #changed(): Promise<void> {
    return new Promise((resolve) => (this.#wake = resolve));
  }
}
