import type { AwsServiceId } from "../config/config.js";

/**
 * Client-side pacing per AWS service: a token bucket at the service's quota plus a cap on requests
 * in flight. When AWS still throttles (other clients share the account's quota), the rate is cut
 * multiplicatively and recovers additively on success, so a sync settles just under what AWS allows
 * instead of burning its retry budget.
 *
 * Waiting calls are served first come, first served, with one exception: calls that continue a
 * listing (`listingStartedAt`, see middleware.ts) go oldest listing first among themselves. A
 * sync commits listings in the order it started them, so a listing that finishes early only
 * waits; serving the oldest one first lets each finish in turn. A call without a listing keeps
 * its place in line: only listing calls that queued before it can be served before it.
 */
export interface ServiceLimit {
  requestsPerSecond: number;
  maxConcurrency: number;
}

const MIN_RATE_FRACTION = 0.1;
const DECREASE_FACTOR = 0.7;
/** Fraction of the configured rate regained per successful call after a throttle. */
const RECOVERY_STEP = 0.02;

interface Waiter {
  grant: () => void;
  /** When the listing this call continues started (ms), if it continues one. */
  listingStartedAt?: number;
}

class ServiceBucket {
  #rate: number;
  #tokens: number;
  #lastRefill: number;
  #inFlight = 0;
  /** No new request before this time (performance.now() clock): AWS asked us to wait. */
  #heldUntil = 0;
  readonly #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly limit: ServiceLimit) {
    this.#rate = limit.requestsPerSecond;
    // Start with one token: a fresh process may share the quota with a previous one that just ended.
    this.#tokens = 1;
    this.#lastRefill = performance.now();
  }

  get currentRate(): number {
    return this.#rate;
  }

  async acquire(signal?: AbortSignal, listingStartedAt?: number): Promise<void> {
    if (this.#tryTake()) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal?.reason ?? new Error("aborted"));
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        listingStartedAt,
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#schedule();
    });
  }

  /** Stops handing out slots for `ms` (AWS sent Retry-After): the other calls wait too, not only the throttled one. */
  holdOff(ms: number): void {
    this.#heldUntil = Math.max(this.#heldUntil, performance.now() + ms);
  }

  release(outcome: "ok" | "throttled" | "error"): void {
    this.#inFlight -= 1;
    const configured = this.limit.requestsPerSecond;
    if (outcome === "throttled") {
      this.#rate = Math.max(configured * MIN_RATE_FRACTION, this.#rate * DECREASE_FACTOR);
    } else if (outcome === "ok" && this.#rate < configured) {
      this.#rate = Math.min(configured, this.#rate + configured * RECOVERY_STEP);
    }
    this.#drain();
  }

  #refill(): void {
    const now = performance.now();
    const burst = Math.max(1, this.#rate);
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#lastRefill) / 1000) * this.#rate);
    this.#lastRefill = now;
  }

  #held(): boolean {
    return performance.now() < this.#heldUntil;
  }

  #tryTake(): boolean {
    if (this.#waiters.length > 0 || this.#inFlight >= this.limit.maxConcurrency || this.#held()) return false;
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    this.#inFlight += 1;
    return true;
  }

  #drain(): void {
    while (this.#waiters.length > 0 && this.#inFlight < this.limit.maxConcurrency && !this.#held()) {
      this.#refill();
      if (this.#tokens < 1) break;
      this.#tokens -= 1;
      this.#inFlight += 1;
      this.#takeNext().grant();
    }
    this.#schedule();
  }

  /** The first waiter, or, when it continues a listing, the oldest listing's among the listing calls queued before any other call. */
  #takeNext(): Waiter {
    const waiters = this.#waiters;
    if (waiters[0]!.listingStartedAt === undefined) return waiters.shift()!;
    let chosen = 0;
    for (let i = 1; i < waiters.length; i++) {
      const startedAt = waiters[i]!.listingStartedAt;
      if (startedAt === undefined) break;
      if (startedAt < waiters[chosen]!.listingStartedAt!) chosen = i;
    }
    return waiters.splice(chosen, 1)[0]!;
  }

  #schedule(): void {
    if (this.#timer || this.#waiters.length === 0 || this.#inFlight >= this.limit.maxConcurrency) return;
    const tokenWaitMs = ((1 - this.#tokens) / this.#rate) * 1000;
    const waitMs = Math.max(1, tokenWaitMs, this.#heldUntil - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#drain();
    }, waitMs);
  }
}

export class AwsRateLimiter {
  readonly #buckets = new Map<AwsServiceId, ServiceBucket>();

  constructor(limits: Partial<Record<AwsServiceId, ServiceLimit>>) {
    for (const [service, limit] of Object.entries(limits) as Array<[AwsServiceId, ServiceLimit]>) {
      if (!(limit.requestsPerSecond > 0) || !(limit.maxConcurrency >= 1)) {
        throw new Error(`invalid rate limit for ${service}: ${JSON.stringify(limit)}`);
      }
      this.#buckets.set(service, new ServiceBucket(limit));
    }
  }

  /**
   * Waits for a slot; every acquire must be followed by exactly one release. `listingStartedAt`
   * marks a call that continues a listing begun then (see the top of this file).
   */
  acquire(service: AwsServiceId, signal?: AbortSignal, listingStartedAt?: number): Promise<void> {
    return this.#bucket(service).acquire(signal, listingStartedAt);
  }

  release(service: AwsServiceId, outcome: "ok" | "throttled" | "error"): void {
    this.#bucket(service).release(outcome);
  }

  /** AWS said to wait (Retry-After): hold every new request to the service for `ms`. */
  holdOff(service: AwsServiceId, ms: number): void {
    if (ms > 0) this.#bucket(service).holdOff(ms);
  }

  /** The rate currently applied (lower than configured right after throttling). */
  currentRate(service: AwsServiceId): number {
    return this.#bucket(service).currentRate;
  }

  #bucket(service: AwsServiceId): ServiceBucket {
    const bucket = this.#buckets.get(service);
    if (!bucket) throw new Error(`no rate limit configured for ${service}`);
    return bucket;
  }
}
