/** Number formatting shared by the console output, RESULTS.md and the chart. */

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export const int = (n: number): string => (Number.isFinite(n) ? integer.format(n) : "–");

/** Fixed decimals, "–" for missing values. */
export const fixed = (n: number | undefined, digits = 1): string => (n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits));

export const seconds = (s: number | undefined): string => (s === undefined || !Number.isFinite(s) ? "–" : s >= 100 ? `${s.toFixed(0)} s` : `${s.toFixed(1)} s`);

export const ms = (value: number | undefined, digits = 1): string => (value === undefined || !Number.isFinite(value) ? "–" : `${value.toFixed(digits)} ms`);

export const mib = (bytes: number | undefined): string => (bytes === undefined || !Number.isFinite(bytes) ? "–" : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);

/** A share (0.42) as a whole percentage ("42 %"). */
export const pct = (share: number | undefined): string => (share === undefined || !Number.isFinite(share) ? "–" : `${(share * 100).toFixed(0)} %`);

export const ratio = (r: number | undefined): string => (r === undefined || !Number.isFinite(r) ? "–" : `${r.toFixed(2)}×`);

/** "1h 02m 03s" style, for run durations. */
export function duration(msValue: number): string {
  const total = Math.round(msValue / 1000);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return m > 0 ? `${m} min ${String(s).padStart(2, "0")} s` : `${s} s`;
}

/** A figure with as many decimals as its size warrants: 12,345 · 123 · 12.3 · 1.23. */
export function formatFigure(n: number): string {
  if (!Number.isFinite(n)) return "–";
  if (Number.isInteger(n) || Math.abs(n) >= 100) return int(n);
  return n.toFixed(Math.abs(n) >= 10 ? 1 : 2);
}
