import type { Prng } from "./prng.js";

const EARLIEST = Date.UTC(2019, 0, 1);
const SPAN_MS = 5 * 365 * 24 * 3600 * 1000;

/** A reproducible creation time between 2019 and 2024, whole seconds, ISO-8601. */
export function createdTime(prng: Prng): string {
  return new Date(EARLIEST + Math.floor((prng.next() * SPAN_MS) / 1000) * 1000).toISOString();
}
