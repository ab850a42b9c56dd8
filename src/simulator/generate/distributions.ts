/** Skewed samplers for realistic group sizes and assignment popularity. */
import type { Prng } from "./prng.js";

/**
 * Zipf-like sampler over indexes [0, n): index i has weight 1 / (i + 1)^exponent, so the first
 * items are popular and the tail is long. O(log n) per sample.
 */
export function zipfSampler(n: number, exponent: number, prng: Prng): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += 1 / Math.pow(i + 1, exponent);
    cumulative[i] = total;
  }
  return () => {
    const target = prng.next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** A count with the given mean: 1 + geometric, so most values are small and a few are large. */
export function countAround(mean: number, prng: Prng, max = Number.MAX_SAFE_INTEGER): number {
  if (mean <= 1) return prng.chance(mean) ? 1 : 0;
  const p = 1 / mean;
  let count = 1;
  while (count < max && !prng.chance(p)) count++;
  return count;
}

/** Up to `count` distinct indexes from a sampler (gives up after a bounded number of draws). */
export function distinctSamples(count: number, sample: () => number): number[] {
  const chosen = new Set<number>();
  for (let attempts = 0; chosen.size < count && attempts < count * 8; attempts++) chosen.add(sample());
  return [...chosen];
}
