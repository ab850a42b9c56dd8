import type { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from "@aws-sdk/types";
import { DefaultRateLimiter } from "@smithy/core/retry";
import type { AwsServiceId } from "../config/config.js";
import { awsErrorKind } from "./errors.js";
import type { AwsRateLimiter } from "./rate-limiter.js";

/**
 * The retry strategy of every AWS client the connector builds (the STS clients that assume roles
 * included).
 *
 * Why not the SDK's standard strategy: its retry quota (500 tokens, 5 per throttling retry, refunded
 * only on success) is shared by every call of a client, so a long sync under sustained throttling
 * drains it and from then on every throttled call fails on its first attempt — exactly when a retry
 * with backoff would have succeeded. Throttling is handled by pacing instead (rate-limiter.ts cuts
 * the request rate on every throttle), so throttling retries here are bounded only by maxAttempts.
 * Other transient failures (5xx, resets) still draw on a quota, so an outage is not multiplied by
 * every in-flight call retrying at once.
 */
export interface RetryStrategyOptions {
  service: AwsServiceId;
  /** Attempts per call, the first included (AWS_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** "adaptive" adds the SDK's per-client cubic send-rate limiter, as AWS_RETRY_MODE=adaptive does. */
  mode: "standard" | "adaptive";
  /** Told when AWS names a wait (Retry-After), so every call to the service holds off, not just this one. */
  limiter?: AwsRateLimiter;
  /** Test seams. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Backoff bases: throttling waits longer than a dropped connection (the SDK's 2026 values). */
export const THROTTLING_BASE_DELAY_MS = 1_000;
export const TRANSIENT_BASE_DELAY_MS = 50;
/** Ceiling of one exponential backoff step. */
export const MAX_BACKOFF_MS = 20_000;
/** A Retry-After longer than this is treated as this (a sync must not stall on one call). */
export const MAX_RETRY_AFTER_MS = 30_000;
/** Attempts for a call that could not connect at all (errors.ts "unreachable"): one quick retry. */
export const UNREACHABLE_MAX_ATTEMPTS = 2;
/** Quota for non-throttling retries: capacity and cost per retry (as the SDK's). */
const TRANSIENT_RETRY_CAPACITY = 500;
const TRANSIENT_RETRY_COST = 14;
const NO_RETRY_REFUND = 1;

class RetryToken implements StandardRetryToken {
  constructor(
    private readonly count: number,
    private readonly cost: number | undefined,
  ) {}
  getRetryCount(): number {
    return this.count;
  }
  /** The strategy sleeps itself (so the wait can honour Retry-After and the limiter); the middleware adds none. */
  getRetryDelay(): number {
    return 0;
  }
  getRetryCost(): number | undefined {
    return this.cost;
  }
}

type RetryKind = "throttling" | "transient" | "unreachable" | "none";

export class ConnectorRetryStrategy implements RetryStrategyV2 {
  readonly mode: string;
  #transientCapacity = TRANSIENT_RETRY_CAPACITY;
  readonly #sendRate: DefaultRateLimiter | undefined;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: RetryStrategyOptions) {
    if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) {
      throw new Error(`maxAttempts must be a positive integer, got ${options.maxAttempts}`);
    }
    this.mode = options.mode;
    this.#sendRate = options.mode === "adaptive" ? new DefaultRateLimiter() : undefined;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? sleep;
  }

  async acquireInitialRetryToken(_scope: string): Promise<StandardRetryToken> {
    await this.#sendRate?.getSendToken();
    return new RetryToken(0, undefined);
  }

  async refreshRetryTokenForRetry(token: StandardRetryToken, errorInfo: RetryErrorInfo): Promise<StandardRetryToken> {
    this.#sendRate?.updateClientSendingRate(errorInfo);
    const kind = retryKind(errorInfo);
    const retries = token.getRetryCount();
    if (kind === "none" || retries + 1 >= this.options.maxAttempts) throw new Error("no retry: not retryable or attempts exhausted");
    if (kind === "unreachable" && retries + 1 >= UNREACHABLE_MAX_ATTEMPTS) throw new Error("no retry: AWS unreachable");

    let cost = 0;
    if (kind !== "throttling") {
      if (this.#transientCapacity < TRANSIENT_RETRY_COST) throw new Error("no retry: transient retry quota exhausted");
      cost = TRANSIENT_RETRY_COST;
      this.#transientCapacity -= cost;
    }
    const hintedMs = errorInfo.retryAfterHint ? retryAfterMs(errorInfo.retryAfterHint) : undefined;
    const delay = this.retryDelay(kind, retries, hintedMs);
    // The whole service waits as long as AWS said; the backoff beyond that is this call's alone.
    if (kind === "throttling" && hintedMs !== undefined) this.options.limiter?.holdOff(this.options.service, hintedMs);
    await this.#sleep(delay);
    await this.#sendRate?.getSendToken();
    return new RetryToken(retries + 1, cost);
  }

  recordSuccess(token: StandardRetryToken): void {
    this.#sendRate?.updateClientSendingRate({});
    const refund = token.getRetryCost() || NO_RETRY_REFUND;
    this.#transientCapacity = Math.min(TRANSIENT_RETRY_CAPACITY, this.#transientCapacity + refund);
  }

  /** Full-jitter exponential backoff, never shorter than a Retry-After AWS sent (capped). */
  retryDelay(kind: "throttling" | "transient" | "unreachable", retries: number, retryAfterMs?: number): number {
    const base = kind === "throttling" ? THROTTLING_BASE_DELAY_MS : TRANSIENT_BASE_DELAY_MS;
    const backoff = Math.floor(this.#random() * Math.min(base * 2 ** retries, MAX_BACKOFF_MS));
    return Math.max(backoff, retryAfterMs ?? 0);
  }

  /** Remaining quota for non-throttling retries (for tests and diagnostics). */
  transientCapacity(): number {
    return this.#transientCapacity;
  }
}

export function createRetryStrategy(options: RetryStrategyOptions): ConnectorRetryStrategy {
  return new ConnectorRetryStrategy(options);
}

/** How long AWS's Retry-After asks to wait from now (capped; `retryDelay` takes it in ms). */
function retryAfterMs(retryAfter: Date): number {
  return Math.min(Math.max(0, retryAfter.getTime() - Date.now()), MAX_RETRY_AFTER_MS);
}

/** Our classification (src/aws/errors.ts) first; the SDK's for what only it knows (e.g. clock skew). */
function retryKind(info: RetryErrorInfo): RetryKind {
  const kind = awsErrorKind(info.error);
  if (kind === "throttling") return "throttling";
  if (kind === "unreachable") return "unreachable";
  // The SDK also knows retryable traits, corrected clock skew and timeouts.
  if (kind === "transient" || info.errorType === "TRANSIENT") return "transient";
  // A real quota (LimitExceeded…) is not retried, although the SDK files it under throttling.
  if (kind === "unknown" && info.errorType === "THROTTLING") return "throttling";
  return "none";
}

/**
 * A plain (ref'd) timer: a call waiting to be retried is work in progress. An unref'd one let the
 * process end with the call's promise pending, so a grant looked like success (exit 0) while
 * nothing had been done. A finished command ends the process itself (src/cli/runner.ts).
 */
function sleep(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, ms));
}
