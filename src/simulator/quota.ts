/**
 * Per-service token buckets. A request takes one token; an empty bucket answers with the
 * service's throttling error. Buckets start full so a burst of `burst` requests passes at once.
 * IAM and STS quotas are per account, as AWS's (a token bucket per calling account): each account
 * has its own bucket at the service's rate.
 */
import type { ServiceName } from "./errors.js";
import type { KnobStore, QuotaKnob } from "./knobs.js";

export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes a token; returns 0 when granted, else how many ms until one is available. */
  take(now: number): number {
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.rate) / 1000);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / this.rate);
  }
}

export interface Quotas {
  /** 0 when the request may proceed, else ms until the service would accept it; `scope`: a bucket of its own (per account and Region, …). */
  take(service: ServiceName, now: number, scope?: string): number;
}

export function createQuotas(knobs: KnobStore, clock: () => number): Quotas {
  let buckets = new Map<string, TokenBucket>();
  let knobsOf: Record<ServiceName, QuotaKnob>;
  const rebuild = (services: Record<ServiceName, QuotaKnob>) => {
    buckets = new Map();
    knobsOf = services;
  };
  rebuild(knobs.current.quotas.services);
  knobs.onChange((next, previous) => {
    if (JSON.stringify(next.quotas) !== JSON.stringify(previous.quotas)) rebuild(next.quotas.services);
  });
  return {
    take(service, now, scope) {
      if (!knobs.current.quotas.enabled) return 0;
      const quota = knobsOf[service];
      if (!quota) return 0;
      const key = scope !== undefined ? `${service} ${scope}` : service;
      let bucket = buckets.get(key);
      if (!bucket) {
        bucket = new TokenBucket(quota.rate, quota.burst, now);
        buckets.set(key, bucket);
      }
      return bucket.take(now);
    },
  };
}
