import { setFlagsFromString } from "node:v8";

/**
 * How far V8 lets the old generation outgrow what survived its last full collection. For a
 * program that allocates as fast as a sync does (every page becomes messages, then rows) V8
 * allows up to 4×, and since what a sync keeps alive is small, that slack would be most of the
 * process's memory. 1.3× keeps memory close to the live set for a little more collection work
 * (bench/RESULTS.md, engine scenario). The setting is process-wide, so `connector sync` (and
 * `connector inspect`, which streams rows the same way) makes it, not the library; V8 reads it at
 * every collection, so it takes effect at once.
 */
export const HEAP_GROWING_PERCENT = 30;

export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
