/**
 * Runs paged listings concurrently but commits their pages strictly in job order, so the database
 * receives exactly the same writes in the same order whatever the concurrency: the file's rows
 * (row ids included) do not depend on timing.
 *
 * - At most `concurrency` listings fetch at once; up to `lookahead` jobs may be dispatched ahead
 *   of the one being committed (the head).
 * - The head streams: each of its pages is committed as soon as it arrives. Other jobs buffer at
 *   most `bufferPages` pages, then wait until they become the head (bounded memory).
 * - A job that fails with a warning-class error ends at the pages already fetched; any other
 *   error stops the run once the jobs before it are committed.
 */
export interface Page<T> {
  items: T[];
  /** Token for the next page; "" when the listing is complete. */
  next: string;
  annotations?: unknown[];
}

export interface PipelineOptions<J, T> {
  concurrency: number;
  lookahead?: number;
  bufferPages?: number;
  /** The next job in commit order, or undefined when none is available right now. */
  nextJob(): J | undefined;
  /** Page token the job starts from ("" for the first page; a checkpointed token on resume). */
  startToken(job: J): string;
  fetchPage(job: J, pageToken: string, signal: AbortSignal): Promise<Page<T>>;
  /** Called in job order for every page; runs synchronously (database writes). */
  commitPage(job: J, page: Page<T>): void;
  /** Called in job order once a job's last page is committed (or it ended with a warning). */
  finishJob(job: J, warning?: unknown): void;
  /** Decides whether a failed fetch only ends its job (true) or fails the whole run. */
  isWarning(error: unknown): boolean;
  signal?: AbortSignal;
}

interface Slot<J, T> {
  job: J;
  pages: Array<Page<T>>;
  done: boolean;
  warning?: unknown;
  error?: unknown;
  head: boolean;
  space?: () => void;
}

export async function runPipeline<J, T>(options: PipelineOptions<J, T>): Promise<void> {
  const concurrency = Math.max(1, options.concurrency);
  const lookahead = Math.max(concurrency, options.lookahead ?? concurrency * 4);
  const bufferPages = Math.max(1, options.bufferPages ?? 4);
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });

  const window: Array<Slot<J, T>> = [];
  let fetching = 0;
  let failing = false;
  // The committer sleeps until any fetch makes progress (a page, an end, a failure).
  let wakeCommitter: (() => void) | undefined;
  const changed = () => {
    wakeCommitter?.();
    wakeCommitter = undefined;
  };

  async function fetchAll(slot: Slot<J, T>): Promise<void> {
    let token = options.startToken(slot.job);
    try {
      for (;;) {
        while (!slot.head && slot.pages.length >= bufferPages) {
          await new Promise<void>((resolve) => (slot.space = resolve));
          if (abort.signal.aborted) return;
        }
        const page = await options.fetchPage(slot.job, token, abort.signal);
        if (page.next !== "" && page.next === token) {
          throw new Error("the connector returned the same page token again (it would loop forever)");
        }
        slot.pages.push(page);
        changed();
        if (page.next === "") break;
        token = page.next;
      }
    } catch (error) {
      if (!abort.signal.aborted && options.isWarning(error)) slot.warning = error;
      else {
        slot.error = error;
        failing = true;
      }
    } finally {
      slot.done = true;
      fetching--;
      changed();
    }
  }

  function dispatch(): void {
    while (fetching < concurrency && window.length < lookahead && !failing && !abort.signal.aborted) {
      const job = options.nextJob();
      if (job === undefined) return;
      const slot: Slot<J, T> = { job, pages: [], done: false, head: window.length === 0 };
      window.push(slot);
      fetching++;
      void fetchAll(slot);
    }
  }

  try {
    for (;;) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error("sync cancelled");
      dispatch();
      const head = window[0];
      if (!head) return;
      if (!head.head) {
        head.head = true;
        head.space?.();
        head.space = undefined;
      }
      const page = head.pages.shift();
      if (page) {
        options.commitPage(head.job, page);
        continue;
      }
      if (!head.done) {
        await new Promise<void>((resolve) => (wakeCommitter = resolve));
        continue;
      }
      // A fatal error stops the run, but only once every earlier job is committed.
      if (head.error !== undefined) throw head.error;
      window.shift();
      options.finishJob(head.job, head.warning);
    }
  } finally {
    abort.abort(new Error("pipeline finished"));
    options.signal?.removeEventListener("abort", onOuterAbort);
    for (const slot of window) slot.space?.();
  }
}
