/** Small statistics helpers for benchmark figures (no dependency needed for these). */

/** The p-th percentile (0–100) by linear interpolation between closest ranks; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export const mean = (values: readonly number[]): number =>
  values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length;

export const max = (values: readonly number[]): number => (values.length === 0 ? Number.NaN : Math.max(...values));

/** Rounds to `digits` decimals (figures are printed and stored rounded). */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** The run whose `key` is the median of all runs (so its other figures belong to one real run). */
export function medianRun<T>(runs: readonly T[], key: (run: T) => number): T {
  if (runs.length === 0) throw new Error("no runs");
  const sorted = [...runs].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export const mb = (bytes: number): number => round(bytes / 1024 / 1024, 1);

/** Seconds of a sync's wall time outside the engine's timed phases (Validate, finalize, publishing the c1z). */
export const restSeconds = (wallMs: number, stepDurationsMs: Record<string, number>): number =>
  (wallMs - Object.values(stepDurationsMs).reduce((sum, ms) => sum + ms, 0)) / 1000;
