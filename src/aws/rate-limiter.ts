import { AWS_SERVICES, type AwsServiceId, type RateLimitConfig } from "../config/config.js";
import { isUrgent } from "./call-urgency.js";
import { PacingMemory } from "./pacing-memory.js";
import { AWS_SERVICE_QUOTAS } from "./quotas.js";
import { RateController, type LearnedRate } from "./rate-controller.js";

/**
 * Client-side pacing of AWS calls: one bucket per AWS quota — per service, and per account for
 * services whose quota is per account (IAM, STS) — shared by every client and worker of the
 * process. A bucket is a token bucket refilled at a rate learned from AWS's answers
 * (rate-controller.ts: start from the table's or the remembered rate, probe upward while AWS
 * accepts, back off on a throttle, never past the ceiling), plus a cap on requests in flight.
 *
 * Waiting calls are served first come, first served, with two exceptions: urgent calls
 * (call-urgency.ts: the resources phase's) go first; and calls that continue a listing
 * (`listingStartedAt`, see middleware.ts) go oldest listing first among themselves. A sync commits
 * listings in the order it started them, so a listing that finishes early only waits; serving the
 * oldest one first lets each finish in turn. A call without a listing keeps its place in line:
 * only listing calls that queued before it can be served before it.
 */
export interface ServiceLimit {
  /** Never exceeded (Infinity: no ceiling). */
  requestsPerSecond: number;
  /** Where pacing starts when nothing was learned before (default, and at most: requestsPerSecond). */
  startRate?: number;
  maxConcurrency: number;
  /** False: no rate limit at all, only the cap on requests in flight (pacing switched off). */
  paced?: boolean;
  /** Each account gets its own bucket (the quota is per account). */
  perAccount?: boolean;
  /** The ceiling is an operator's cap, a share of AWS's quota kept for other tools: it holds in every second (CAP_WINDOW_MS). */
  operatorCap?: boolean;
}

/** What acquire hands out and release takes back: which bucket, when the request left, whether it waited for the rate. */
export interface Permit {
  readonly bucket: string;
  readonly sentAt: number;
  readonly waited: boolean;
}

export type CallOutcome = "ok" | "throttled" | "error";

/** A bucket's state, for summaries and benchmarks. */
export interface BucketState {
  /** "service" or "service:account". */
  bucket: string;
  /** Current rate (requests per second); Infinity when not paced. */
  rate: number;
  /** Measured rate at which AWS last throttled it. */
  limit?: number;
  ceiling: number;
  sent: number;
  throttled: number;
}

/** Lowest rate a bucket falls to: the SDK's adaptive mode's minimum fill rate, or 1 % of the start, whichever is higher. */
const MIN_RATE = 0.5;
const MIN_RATE_FRACTION_OF_START = 0.01;
/** Requests in flight allowed per (requests per second × seconds per response). */
const IN_FLIGHT_HEADROOM = 2;
/** …but not more than this (an SDK client keeps at most 50 sockets per host). */
const MAX_LEARNED_IN_FLIGHT = 32;
const LATENCY_SMOOTHING = 0.1;

/**
 * A ceiling is never exceeded: the rate never goes above it. A published quota is AWS's own token
 * bucket, so after a pause the bucket may spend the second's worth of tokens it saved, as AWS's
 * bucket allows (that is no throttle, and no more than AWS's quota). An operator's cap is a share
 * of that quota left for other tools, so it holds in every second: at most ⌊cap⌋ requests leave
 * in any window of CAP_WINDOW_MS — a second, plus room for the delays between our sending and
 * AWS's counting, so that it also holds as AWS counts (20 ms was not always enough on a loaded
 * machine).
 */
const CAP_WINDOW_MS = 1_050;
/** Caps above this many requests per second are kept by the token bucket alone (no per-second window). */
const MAX_WINDOWED_CEILING = 10_000;

/** Send times of the last `size` requests: when another may leave without exceeding `size` per window. */
class SendWindow {
  readonly #times: Float64Array;
  #next = 0;
  #count = 0;

  constructor(
    readonly size: number,
    readonly windowMs: number,
  ) {
    this.#times = new Float64Array(size);
  }

  /** ms until another request may leave (0: now). */
  waitMs(now: number): number {
    if (this.#count < this.size) return 0;
    return Math.max(0, this.#times[this.#next]! + this.windowMs - now);
  }

  add(now: number): void {
    this.#times[this.#next] = now;
    this.#next = (this.#next + 1) % this.size;
    this.#count = Math.min(this.#count + 1, this.size);
  }
}

interface Waiter {
  grant: (waited: boolean) => void;
  /** When the listing this call continues started (ms), if it continues one. */
  listingStartedAt?: number;
  /** Had to wait for the rate (not only for a slot in flight). */
  waitedForRate: boolean;
  /** Goes ahead of every non-urgent waiter (call-urgency.ts). */
  urgent: boolean;
}

class Bucket {
  readonly #controller: RateController | undefined;
  readonly #window: SendWindow | undefined;
  #tokens = 1;
  #lastRefill: number;
  #inFlight = 0;
  /** Moving average of response times (ms), for the cap on requests in flight. */
  #latencyMs = 0;
  #sent = 0;
  #throttled = 0;
  /** No new request before this time (performance.now() clock): AWS asked us to wait. */
  #heldUntil = 0;
  readonly #waiters: Waiter[] = [];
  /** Urgent calls among the waiters. */
  #urgentWaiting = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    readonly limit: ServiceLimit,
    learned: LearnedRate | undefined,
  ) {
    const now = performance.now();
    this.#lastRefill = now;
    if (limit.paced !== false) {
      const ceiling = limit.requestsPerSecond;
      const start = Math.min(ceiling, limit.startRate ?? ceiling);
      const floor = Math.min(ceiling, Math.max(MIN_RATE, start * MIN_RATE_FRACTION_OF_START));
      this.#controller = new RateController({ start, ceiling, floor }, now, learned);
      if (limit.operatorCap && ceiling >= 1 && ceiling <= MAX_WINDOWED_CEILING) this.#window = new SendWindow(Math.floor(ceiling), CAP_WINDOW_MS);
    }
  }

  get rate(): number {
    return this.#controller?.rate ?? Number.POSITIVE_INFINITY;
  }

  state(): BucketState {
    const limit = this.#controller?.limit;
    return {
      bucket: this.name,
      rate: this.rate,
      ...(limit !== undefined ? { limit } : {}),
      ceiling: this.limit.paced === false ? Number.POSITIVE_INFINITY : this.limit.requestsPerSecond,
      sent: this.#sent,
      throttled: this.#throttled,
    };
  }

  /** Takes a lesson another account's bucket learned, if this one has none of its own. */
  adopt(lesson: LearnedRate): void {
    const now = performance.now();
    // Tokens earned so far at the old rate.
    this.#refill(now);
    if (this.#controller?.adopt(lesson, now)) this.#tokens = Math.min(this.#tokens, Math.max(1, this.#controller.rate));
  }

  /** What this bucket learned, if anything: a bucket that was used but never moved off its start (most member accounts' IAM) says nothing. */
  learned(): LearnedRate | undefined {
    const learned = this.#sent > 0 ? this.#controller?.learned() : undefined;
    if (!learned || (learned.limit === undefined && learned.rate === this.#controller!.settings.start)) return undefined;
    return learned;
  }

  async acquire(signal?: AbortSignal, listingStartedAt?: number): Promise<Permit> {
    const waitedForRate = this.#held() || this.#availableTokens() < 1 + this.#waiters.length;
    if (this.#waiters.length === 0 && this.#tryTake()) return this.#permit(false);
    const waited = await new Promise<boolean>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#remove(index);
        reject(signal?.reason ?? new Error("aborted"));
      };
      const waiter: Waiter = {
        grant: (w) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(w);
        },
        listingStartedAt,
        waitedForRate,
        urgent: isUrgent(),
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      if (waiter.urgent) this.#urgentWaiting++;
      this.#schedule();
    });
    return this.#permit(waited);
  }

  /** Stops handing out slots for `ms` (AWS sent Retry-After): the other calls wait too, not only the throttled one. */
  holdOff(ms: number): void {
    this.#heldUntil = Math.max(this.#heldUntil, performance.now() + ms);
  }

  release(permit: Permit, outcome: CallOutcome): void {
    this.#inFlight -= 1;
    const now = performance.now();
    this.#latencyMs = this.#latencyMs === 0 ? now - permit.sentAt : this.#latencyMs + LATENCY_SMOOTHING * (now - permit.sentAt - this.#latencyMs);
    if (this.#controller) {
      // Tokens earned so far at the old rate.
      this.#refill(now);
      if (outcome === "throttled") {
        this.#throttled += 1;
        // AWS's bucket is empty: tokens saved up here would only buy more throttles.
        if (this.#controller.throttled(now, permit.sentAt)) this.#tokens = Math.min(this.#tokens, 0);
      } else if (outcome === "ok") {
        this.#controller.accepted(now, permit.waited);
      }
    }
    this.#drain();
  }

  #permit(waited: boolean): Permit {
    const now = performance.now();
    this.#sent += 1;
    this.#controller?.sent(now);
    return { bucket: this.name, sentAt: now, waited };
  }

  #availableTokens(): number {
    if (!this.#controller) return Number.POSITIVE_INFINITY;
    this.#refill(performance.now());
    return this.#tokens;
  }

  #refill(now: number): void {
    if (!this.#controller) return;
    const rate = this.#controller.rate;
    const burst = Math.max(1, rate);
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#lastRefill) / 1000) * rate);
    this.#lastRefill = now;
  }

  #held(): boolean {
    return performance.now() < this.#heldUntil;
  }

  /**
   * Requests allowed in flight: the configured number, or more when the rate needs more to be
   * reached at the latency AWS answers with (Little's law, with room for latency spread).
   */
  #maxInFlight(): number {
    if (!this.#controller) return this.limit.maxConcurrency;
    const needed = Math.ceil((IN_FLIGHT_HEADROOM * this.#controller.rate * this.#latencyMs) / 1000);
    return Math.max(this.limit.maxConcurrency, Math.min(MAX_LEARNED_IN_FLIGHT, needed));
  }

  #tryTake(): boolean {
    if (this.#inFlight >= this.#maxInFlight() || this.#held()) return false;
    if (this.#controller) {
      const now = performance.now();
      if (this.#window && this.#window.waitMs(now) > 0) return false;
      this.#refill(now);
      if (this.#tokens < 1) return false;
      this.#tokens -= 1;
      this.#window?.add(now);
    }
    this.#inFlight += 1;
    return true;
  }

  #drain(): void {
    while (this.#waiters.length > 0 && this.#tryTake()) {
      const waiter = this.#takeNext();
      waiter.grant(waiter.waitedForRate);
    }
    this.#schedule();
  }

  /** The first urgent waiter; else the first waiter, or, when it continues a listing, the oldest listing's among the listing calls queued before any other call. */
  #takeNext(): Waiter {
    const waiters = this.#waiters;
    if (this.#urgentWaiting > 0) return this.#remove(waiters.findIndex((w) => w.urgent));
    if (waiters[0]!.listingStartedAt === undefined) return waiters.shift()!;
    let chosen = 0;
    for (let i = 1; i < waiters.length; i++) {
      const startedAt = waiters[i]!.listingStartedAt;
      if (startedAt === undefined) break;
      if (startedAt < waiters[chosen]!.listingStartedAt!) chosen = i;
    }
    return waiters.splice(chosen, 1)[0]!;
  }

  #remove(index: number): Waiter {
    const waiter = this.#waiters.splice(index, 1)[0]!;
    if (waiter.urgent) this.#urgentWaiting--;
    return waiter;
  }

  #schedule(): void {
    if (this.#timer || this.#waiters.length === 0 || this.#inFlight >= this.#maxInFlight()) return;
    const rate = this.#controller?.rate ?? Number.POSITIVE_INFINITY;
    const now = performance.now();
    const tokenWaitMs = this.#controller ? ((1 - this.#tokens) / rate) * 1000 : 0;
    const waitMs = Math.max(1, tokenWaitMs, this.#heldUntil - now, this.#window?.waitMs(now) ?? 0);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#drain();
    }, waitMs);
  }
}

/**
 * Each service's limit from the configuration (`--aws-rate`): a cap is the ceiling and the start;
 * "auto" starts at the quota table's rate with the published quota, if any, as its ceiling;
 * "unlimited" starts there without a ceiling; "off" is not paced.
 */
export function serviceLimits(config: RateLimitConfig): Record<AwsServiceId, ServiceLimit> {
  const out = {} as Record<AwsServiceId, ServiceLimit>;
  for (const service of AWS_SERVICES) {
    const quota = AWS_SERVICE_QUOTAS[service];
    const setting = config.requestsPerSecond[service];
    const common = { maxConcurrency: config.maxConcurrency, perAccount: quota.perAccount };
    if (typeof setting === "number") out[service] = { ...common, requestsPerSecond: setting, operatorCap: true };
    else if (setting === "off") out[service] = { ...common, requestsPerSecond: Number.POSITIVE_INFINITY, startRate: quota.startRate, paced: false };
    else {
      const ceiling = setting === "auto" && quota.published ? quota.startRate : Number.POSITIVE_INFINITY;
      out[service] = { ...common, requestsPerSecond: ceiling, startRate: quota.startRate };
    }
  }
  return out;
}

export interface RateLimiterOptions {
  /** What buckets learned in earlier runs, and where this run's lessons go (default: this process only). */
  memory?: PacingMemory;
  /** Also save what was learned this often (a long-running server), not only on close. */
  saveEveryMs?: number;
}

export class AwsRateLimiter {
  readonly #limits = new Map<AwsServiceId, ServiceLimit>();
  readonly #buckets = new Map<string, Bucket>();
  readonly #learned: Record<string, LearnedRate>;
  readonly memory: PacingMemory;
  readonly #autosave: NodeJS.Timeout | undefined;

  constructor(limits: Partial<Record<AwsServiceId, ServiceLimit>>, options: RateLimiterOptions = {}) {
    for (const [service, limit] of Object.entries(limits) as Array<[AwsServiceId, ServiceLimit]>) {
      const start = limit.startRate ?? limit.requestsPerSecond;
      const startValid = limit.paced === false || (start > 0 && Number.isFinite(start));
      if (!(limit.requestsPerSecond > 0) || !(limit.maxConcurrency >= 1) || !startValid) {
        throw new Error(`invalid rate limit for ${service}: ${JSON.stringify(limit)}`);
      }
      this.#limits.set(service, limit);
    }
    this.memory = options.memory ?? PacingMemory.inProcess();
    this.#learned = this.memory.rates();
    if (options.saveEveryMs) this.#autosave = setInterval(() => this.save(), options.saveEveryMs).unref();
  }

  /**
   * Waits for a slot; every acquire must be followed by exactly one release of its permit.
   * `listingStartedAt` marks a call that continues a listing begun then (see the top of this
   * file); `account` names the account whose quota a per-account service's call counts against
   * (none: the connector's own).
   */
  acquire(service: AwsServiceId, signal?: AbortSignal, listingStartedAt?: number, account?: string): Promise<Permit> {
    return this.#bucket(service, account).acquire(signal, listingStartedAt);
  }

  release(permit: Permit, outcome: CallOutcome): void {
    const bucket = this.#buckets.get(permit.bucket);
    if (!bucket) throw new Error(`no rate-limit bucket ${permit.bucket}`);
    bucket.release(permit, outcome);
    if (outcome === "throttled") this.#share(bucket);
  }

  /** A per-account bucket just met the quota: its siblings (the service's other accounts) that never did take the lesson now (see #siblingLesson). */
  #share(bucket: Bucket): void {
    if (!bucket.limit.perAccount) return;
    const lesson = bucket.learned();
    if (lesson?.limit === undefined) return;
    const service = serviceOf(bucket.name);
    for (const [name, sibling] of this.#buckets) if (sibling !== bucket && serviceOf(name) === service) sibling.adopt(lesson);
  }

  /** AWS said to wait (Retry-After): hold every new request to the service (in that account) for `ms`. */
  holdOff(service: AwsServiceId, ms: number, account?: string): void {
    if (ms > 0) this.#bucket(service, account).holdOff(ms);
  }

  /** The rate currently applied to the service (in that account). */
  currentRate(service: AwsServiceId, account?: string): number {
    return this.#bucket(service, account).rate;
  }

  /** Every bucket used so far. */
  states(): BucketState[] {
    return [...this.#buckets.values()].map((b) => b.state()).sort((a, b) => a.bucket.localeCompare(b.bucket));
  }

  /** What the buckets used in this run learned, with what was remembered for the others, to remember for the next run. */
  learned(): Record<string, LearnedRate> {
    const out: Record<string, LearnedRate> = { ...this.#learned };
    for (const [name, bucket] of this.#buckets) {
      const learned = bucket.learned();
      if (learned) out[name] = learned;
    }
    return out;
  }

  /** Remembers what was learned for the next run (pacing-memory.ts; never throws). */
  save(): void {
    this.memory.save(this.learned());
  }

  /** Saves what was learned and stops saving periodically. */
  close(): void {
    clearInterval(this.#autosave);
    this.save();
  }

  #bucket(service: AwsServiceId, account?: string): Bucket {
    const limit = this.#limits.get(service);
    if (!limit) throw new Error(`no rate limit configured for ${service}`);
    const name = limit.perAccount && account !== undefined ? `${service}:${account}` : service;
    let bucket = this.#buckets.get(name);
    if (!bucket) {
      bucket = new Bucket(name, limit, this.#learned[name]);
      // Nothing remembered of its own: what the service's other accounts learned (see #siblingLesson).
      const sibling = this.#learned[name] || !limit.perAccount ? undefined : this.#siblingLesson(service);
      if (sibling) bucket.adopt(sibling);
      this.#buckets.set(name, bucket);
    }
    return bucket;
  }

  /**
   * For an account with nothing learned of its own, what the service's other accounts learned:
   * AWS gives every account the same quota (IAM's, STS's), so the first account to meet it spares
   * the next ones the throttles of finding it again (a sync reaches dozens of accounts, each with
   * a dozen calls: starting each at the table's rate cost a throttle per few calls against a low
   * quota). The most cautious lesson, the lowest rate AWS refused; none until AWS refused one.
   */
  #siblingLesson(service: AwsServiceId): LearnedRate | undefined {
    let lowest: LearnedRate | undefined;
    const consider = (lesson: LearnedRate | undefined) => {
      if (lesson?.limit !== undefined && (lowest?.limit === undefined || lesson.limit < lowest.limit)) lowest = lesson;
    };
    for (const [name, bucket] of this.#buckets) if (serviceOf(name) === service) consider(bucket.learned());
    for (const [name, lesson] of Object.entries(this.#learned)) if (serviceOf(name) === service) consider(lesson);
    return lowest;
  }
}

/**
 * The service of a bucket: "iam" for the connector's own account's IAM bucket ("iam") and for a
 * member account's ("iam:123456789012") — the same quota, AWS's per account, so each one's
 * lesson serves the others (the own account is usually the first to meet it).
 */
function serviceOf(bucket: string): string {
  const colon = bucket.indexOf(":");
  return colon < 0 ? bucket : bucket.slice(0, colon);
}
