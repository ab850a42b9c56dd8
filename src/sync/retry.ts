import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import pRetry, { AbortError } from "p-retry";
import { setTimeout as sleep } from "node:timers/promises";
import { RateLimitDescriptionSchema } from "../gen/c1/connector/v2/annotation_ratelimit_pb.js";

export interface RetryPolicy {
  /** Linear backoff step: attempt n waits n × this (baton: 1 s). */
  baseDelayMs: number;
  /** No single wait exceeds this (baton: 60 s). */
  maxDelayMs: number;
  /** Give up after this many retries of one call (baton retries forever; we stop eventually). */
  maxRetries: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 1000, maxDelayMs: 60_000, maxRetries: 30 };

export interface RetryEvent {
  code: Code;
  attempt: number;
  waitMs: number;
  rateLimited: boolean;
  message: string;
}

/** baton's syncer retries only these two codes; everything else fails the action at once. */
export function isRetryable(error: unknown): boolean {
  const code = ConnectError.from(error).code;
  return code === Code.Unavailable || code === Code.DeadlineExceeded;
}

/**
 * How long to wait before retry `attempt`, as baton's retryer decides: linear backoff, unless the
 * status carries a c1.connector.v2.RateLimitDescription whose reset_at is in the future — then wait
 * until reset_at (nothing remaining) or reset_at spread over the remaining requests, in whole
 * seconds. Capped at maxDelayMs.
 */
export function retryDelay(error: ConnectError, attempt: number, policy: RetryPolicy, now = Date.now()): { waitMs: number; rateLimited: boolean } {
  let waitMs = attempt * policy.baseDelayMs;
  let rateLimited = false;
  for (const detail of error.findDetails(RateLimitDescriptionSchema)) {
    if (!detail.resetAt) continue;
    const untilReset = timestampMs(detail.resetAt) - now;
    if (untilReset <= 0) continue;
    if (detail.remaining <= 0n) {
      waitMs = untilReset;
      rateLimited = true;
      break;
    }
    const spread = Math.ceil(untilReset / Number(detail.remaining) / 1000) * 1000;
    if (spread > 0) {
      waitMs = spread;
      rateLimited = true;
      break;
    }
  }
  return { waitMs: Math.min(waitMs, policy.maxDelayMs), rateLimited };
}

export interface RetryOptions {
  policy: RetryPolicy;
  signal?: AbortSignal;
  onRetry?: (event: RetryEvent) => void;
}

/** Runs one connector call, retrying Unavailable/DeadlineExceeded with baton's waits (via p-retry). */
export async function withRetry<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  // The first attempt runs bare: at hundreds of thousands of calls a sync, retry machinery that is
  // almost never needed must cost nothing.
  try {
    return await call();
  } catch (error) {
    return retryAfterFailure(error, call, options);
  }
}

/** After a first attempt failed with `error`: rethrows it unless it is retryable, else waits and retries. */
export async function retryAfterFailure<T>(error: unknown, call: () => Promise<T>, options: RetryOptions): Promise<T> {
  if (!isRetryable(error) || options.policy.maxRetries < 1) throw error;
  const first = ConnectError.from(error);
  const { waitMs, rateLimited } = retryDelay(first, 1, options.policy);
  options.onRetry?.({ code: first.code, attempt: 1, waitMs, rateLimited, message: first.rawMessage });
  await sleep(waitMs, undefined, { signal: options.signal });
  return retryAfterFirst(call, { ...options, policy: { ...options.policy, maxRetries: options.policy.maxRetries - 1 } });
}

/** Attempts 2… (p-retry numbers them from 1: shift by one for baton's linear backoff). */
function retryAfterFirst<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  return pRetry(
    async () => {
      try {
        return await call();
      } catch (error) {
        if (!isRetryable(error)) throw new AbortError(error instanceof Error ? error : new Error(String(error)));
        throw error;
      }
    },
    {
      retries: options.policy.maxRetries,
      minTimeout: 0,
      maxTimeout: 0,
      signal: options.signal,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft <= 0) return;
        const connectError = ConnectError.from(error);
        const attempt = attemptNumber + 1;
        const { waitMs, rateLimited } = retryDelay(connectError, attempt, options.policy);
        options.onRetry?.({ code: connectError.code, attempt, waitMs, rateLimited, message: connectError.rawMessage });
        await sleep(waitMs, undefined, { signal: options.signal });
      },
    },
  ).catch((error: unknown) => {
    // p-retry wraps non-retryable failures in AbortError; hand back the original.
    if (error instanceof AbortError) throw error.originalError;
    throw error;
  });
}
