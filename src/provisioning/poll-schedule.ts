/**
 * When to ask AWS again whether an account-assignment operation has finished.
 *
 * AWS gives no hint, and completion times vary from well under a second (permission set already
 * provisioned to the account) to tens of seconds (its role must be created first). A fixed interval
 * either wastes calls of the shared 20 TPS Identity Center quota or answers late. This schedule
 * learns: it remembers how long recent operations of the same kind took and polls
 *
 *   1. once soon (FIRST_MS), for operations that finish almost at once;
 *   2. then with gaps growing geometrically (×GROWTH of the elapsed time, at most CAP_MS) — cheap
 *      insurance in case this operation is faster than usual — but never past the expected completion;
 *   3. every FINE_MS in a short window around the expected completion, where the answer most likely
 *      turns up;
 *   4. after that window, with gaps doubling with the time since the expected completion, up to CAP_MS.
 *
 * The window's polls sit on a grid FINE_MS apart, and a completion is only known to lie between two
 * of them. Were the grid always placed the same way around the expectation, the expectation learned
 * from it would lock onto the grid: every operation answered up to FINE_MS late, however many were
 * seen. So each operation shifts the grid by a different fraction of FINE_MS (`phase`): the
 * completions seen scatter evenly around the true one, and so does the delay in seeing them.
 *
 * Cold (nothing learned yet) the expected completion is AWS's observed ~3 s per operation.
 */
const GOLDEN_RATIO_FRACTION = (Math.sqrt(5) - 1) / 2;

export const POLL_TUNING = {
  firstMs: 250,
  fineMs: 250,
  capMs: 5_000,
  growth: 3,
  defaultExpectedMs: 3_000,
  /** Recent completions remembered per operation kind. */
  memory: 16,
} as const;

/**
 * Elapsed time (ms since AWS accepted the operation) at which to poll next. `phase` in [0, 1)
 * places the window's grid: its first poll is at expected − (1 − phase) × FINE_MS, within the step
 * before the expected completion, so that when the expectation is right the second poll sees it.
 */
export function nextPollAt(elapsedMs: number, expectedMs: number, phase: number, tuning = POLL_TUNING): number {
  const { firstMs, fineMs, capMs, growth } = tuning;
  if (elapsedMs < firstMs) return firstMs;
  const windowStart = expectedMs - (1 - phase) * fineMs;
  const windowEnd = windowStart + 3 * fineMs;
  if (elapsedMs < windowStart) return Math.min(windowStart, elapsedMs + capMs, Math.max(elapsedMs + fineMs, elapsedMs * growth));
  if (elapsedMs < windowEnd) return elapsedMs + fineMs;
  return elapsedMs + Math.min(capMs, Math.max(2 * fineMs, elapsedMs - expectedMs));
}

/**
 * Remembers how long recent operations took. A completion is only seen at a poll, so its time lies
 * between the last IN_PROGRESS answer and the first final one; the midpoint is recorded, and the
 * median of recent midpoints is the expectation (robust to the odd slow operation).
 */
export class CompletionEstimator {
  readonly #recent: number[] = [];
  #operations = 0;

  constructor(private readonly tuning = POLL_TUNING) {}

  /** The window phase for the next operation: golden-ratio steps cover [0, 1) evenly, with no pattern to lock onto. */
  nextPhase(): number {
    return (this.#operations++ * GOLDEN_RATIO_FRACTION) % 1;
  }

  record(lastInProgressMs: number, finalSeenMs: number): void {
    const midpoint = (lastInProgressMs + finalSeenMs) / 2;
    this.#recent.push(midpoint);
    if (this.#recent.length > this.tuning.memory) this.#recent.shift();
  }

  expectedMs(): number {
    if (this.#recent.length === 0) return this.tuning.defaultExpectedMs;
    const sorted = [...this.#recent].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return Math.max(this.tuning.firstMs, median);
  }
}
