import type { AccountAssignmentOperationStatus } from "@aws-sdk/client-sso-admin";
import { awsErrorKind, retryAfterSeconds } from "../aws/errors.js";
import { nextPollAt, type CompletionEstimator } from "./poll-schedule.js";

/** Monotonic time and sleeping, injectable so tests can drive time. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

export interface StatusAnswer {
  status?: AccountAssignmentOperationStatus;
  /** HTTP request id of the status call. */
  requestId?: string;
}

export interface WaitOptions {
  /** The status the Create/Delete call answered with (usually IN_PROGRESS). */
  initial: AccountAssignmentOperationStatus;
  /** DescribeAccountAssignmentCreationStatus or …DeletionStatus for the operation's request id. */
  describe(operationRequestId: string, signal: AbortSignal): Promise<StatusAnswer>;
  estimator: CompletionEstimator;
  /** Stop asking after this long (ms since the write was answered) and throw OperationUnconfirmedError. */
  giveUpAfterMs: number;
  signal: AbortSignal;
  clock?: Clock;
}

export interface WaitResult {
  /** SUCCEEDED or FAILED, as AWS reported it. */
  final: AccountAssignmentOperationStatus;
  /** Status calls sent (throttled ones included). */
  polls: number;
  /** ms from the write's answer to the poll that saw the final status. */
  elapsedMs: number;
  /** HTTP request id of the status call that saw the final status. */
  confirmingRequestId?: string;
}

/** AWS has not reported SUCCEEDED or FAILED within the allowed time. */
export class OperationUnconfirmedError extends Error {
  constructor(
    readonly operationRequestId: string,
    readonly waitedMs: number,
    readonly polls: number,
  ) {
    super(`AWS still reports account-assignment operation ${operationRequestId} IN_PROGRESS after ${Math.round(waitedMs / 1000)} s`);
    this.name = "OperationUnconfirmedError";
  }
}

const FINAL = new Set(["SUCCEEDED", "FAILED"]);
const MIN_GAP_MS = 100;
const THROTTLE_BACKOFF_START_MS = 1_000;
const THROTTLE_BACKOFF_CAP_MS = 20_000;

/**
 * The one wait-until-done helper for account-assignment creations and deletions: polls the status
 * on the adaptive schedule (poll-schedule.ts) until AWS reports SUCCEEDED or FAILED. Throttled and
 * transient status calls are not failures: the next poll waits longer (AWS's Retry-After when it
 * gives one, else a doubling backoff). Any other error ends the wait.
 */
export async function waitForAssignment(options: WaitOptions): Promise<WaitResult> {
  const clock = options.clock ?? systemClock;
  const initial = options.initial;
  if (initial.Status && FINAL.has(initial.Status)) return { final: initial, polls: 0, elapsedMs: 0 };
  if (initial.Status !== "IN_PROGRESS") throw new Error(`unexpected account-assignment status "${initial.Status ?? "(none)"}"`);
  const operationRequestId = initial.RequestId;
  if (!operationRequestId) throw new Error("AWS accepted the account-assignment operation without a RequestId; it cannot be confirmed");

  const started = clock.now();
  const elapsed = () => clock.now() - started;
  let polls = 0;
  let lastInProgressAt = 0;
  const phase = options.estimator.nextPhase();
  let pollAt = nextPollAt(0, options.estimator.expectedMs(), phase);
  let backoffMs = THROTTLE_BACKOFF_START_MS;

  for (;;) {
    if (pollAt >= options.giveUpAfterMs) {
      await clock.sleep(Math.max(0, options.giveUpAfterMs - elapsed()), options.signal);
      throw new OperationUnconfirmedError(operationRequestId, elapsed(), polls);
    }
    await clock.sleep(Math.max(0, pollAt - elapsed()), options.signal);
    const sentAt = elapsed();
    polls += 1;
    let answer: StatusAnswer;
    try {
      answer = await options.describe(operationRequestId, options.signal);
    } catch (error) {
      const kind = awsErrorKind(error);
      if (kind !== "throttling" && kind !== "transient") throw error;
      const hintMs = (retryAfterSeconds(error) ?? 0) * 1000;
      pollAt = elapsed() + Math.max(hintMs, backoffMs);
      backoffMs = Math.min(THROTTLE_BACKOFF_CAP_MS, backoffMs * 2);
      continue;
    }
    backoffMs = THROTTLE_BACKOFF_START_MS;
    const status = answer.status?.Status;
    if (status && FINAL.has(status)) {
      options.estimator.record(lastInProgressAt, sentAt);
      return { final: answer.status!, polls, elapsedMs: sentAt, confirmingRequestId: answer.requestId };
    }
    if (status !== "IN_PROGRESS") throw new Error(`unexpected account-assignment status "${status ?? "(none)"}" for ${operationRequestId}`);
    lastInProgressAt = sentAt;
    // Keep to the schedule's grid (from when the poll was sent), but never poll back-to-back.
    pollAt = Math.max(nextPollAt(sentAt, options.estimator.expectedMs(), phase), elapsed() + MIN_GAP_MS);
  }
}
