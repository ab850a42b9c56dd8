import type { Prng } from "./prng.js";

const EARLIEST = Date.UTC(2019, 0, 1);
const SPAN_MS = 5 * 365 * 24 * 3600 * 1000;
/** "Now" for generated histories: every generated last-use time is before it. */
export const GENERATED_NOW = Date.UTC(2025, 0, 1);

/** A reproducible creation time between 2019 and 2024, whole seconds, ISO-8601. */
export function createdTime(prng: Prng): string {
  return new Date(EARLIEST + Math.floor((prng.next() * SPAN_MS) / 1000) * 1000).toISOString();
}

/** A reproducible time in [from, to), whole seconds, ISO-8601 (`from` when the range is empty). */
export function timeBetween(prng: Prng, from: string | number, to: string | number = GENERATED_NOW): string {
  const start = typeof from === "string" ? Date.parse(from) : from;
  const end = typeof to === "string" ? Date.parse(to) : to;
  const ms = end > start ? start + Math.floor((prng.next() * (end - start)) / 1000) * 1000 : start;
  return new Date(ms).toISOString();
}
