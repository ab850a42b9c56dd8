import type { Pluggable } from "@aws-sdk/types";
import type { AwsServiceId } from "../config/config.js";
import type { AwsCallStats } from "./call-stats.js";
import { awsErrorKind } from "./errors.js";
import type { AwsRateLimiter, CallOutcome } from "./rate-limiter.js";

/** IAM action prefix of each service, for "which permission is missing" messages. */
const ACTION_PREFIX: Record<AwsServiceId, string> = {
  iam: "iam",
  sts: "sts",
  identitystore: "identitystore",
  sso: "sso",
  organizations: "organizations",
  cloudtrail: "cloudtrail",
};

interface MiddlewareStackLike {
  add(middleware: unknown, options: Record<string, unknown>): void;
  addRelativeTo(middleware: unknown, options: Record<string, unknown>): void;
}

type Next = (args: unknown) => Promise<unknown>;
/** The SDK keeps the per-call abort signal under this key of the handler context. */
const SMITHY_CONTEXT_KEY = "__smithy_context";
/** Where continuesListing() leaves the listing's start for the pacing middleware. */
const LISTING_KEY = "connectorListingStartedAt";
/** Where handlesThrottling() leaves the command's own throttling handler. */
const THROTTLE_HANDLER_KEY = "connectorThrottleHandler";
type Context = {
  commandName?: string;
  [SMITHY_CONTEXT_KEY]?: { abortSignal?: AbortSignal };
  [LISTING_KEY]?: number;
  [THROTTLE_HANDLER_KEY]?: () => void;
};

const operationOf = (context: Context) => (context.commandName ?? "Unknown").replace(/Command$/, "");

/**
 * What every SDK client of the connector gets, in one place:
 *  - pacing of every attempt (retries included) through the shared rate limiter,
 *  - counting of every attempt by service and operation,
 *  - the IAM action name on errors, so a denial names the permission to add.
 * As a plugin so it can also be handed to clients the SDK builds itself (role assumers).
 */
export function connectorMiddleware(service: AwsServiceId, limiter: AwsRateLimiter, stats: AwsCallStats, account?: string): Pluggable<any, any> {
  return {
    applyToStack(stack) {
      const middlewareStack = stack as unknown as MiddlewareStackLike;
      middlewareStack.add(
        (next: Next, context: Context) => async (args: unknown) => {
          try {
            return await next(args);
          } catch (error) {
            if (typeof error === "object" && error !== null && !("awsAction" in error)) {
              Object.defineProperty(error, "awsAction", {
                value: `${ACTION_PREFIX[service]}:${operationOf(context)}`,
                enumerable: false,
              });
            }
            throw error;
          }
        },
        { step: "initialize", name: "connectorActionNameMiddleware", priority: "high" },
      );

      // After the retry middleware: runs once per attempt.
      middlewareStack.addRelativeTo(
        (next: Next, context: Context) => async (args: unknown) => {
          const permit = await limiter.acquire(service, context[SMITHY_CONTEXT_KEY]?.abortSignal, context[LISTING_KEY], account);
          const started = performance.now();
          let outcome: CallOutcome = "ok";
          try {
            return await next(args);
          } catch (error) {
            outcome = awsErrorKind(error) === "throttling" ? "throttled" : "error";
            throw error;
          } finally {
            const handler = context[THROTTLE_HANDLER_KEY];
            // A throttle the command handles itself says nothing about the service's rate.
            if (outcome === "throttled" && handler) handler();
            limiter.release(permit, outcome === "throttled" && handler ? "error" : outcome);
            stats.record(service, operationOf(context), outcome, performance.now() - started);
          }
        },
        { name: "connectorPacingMiddleware", relation: "after", toMiddleware: "retryMiddleware" },
      );
    },
  };
}

/** Instruments an SDK client with connectorMiddleware (see above); `account`: whose per-account quota its calls count against (none: the connector's own). */
export function instrumentClient<C extends { middlewareStack: { use(pluggable: Pluggable<any, any>): void } }>(
  client: C,
  service: AwsServiceId,
  limiter: AwsRateLimiter,
  stats: AwsCallStats,
  account?: string,
): C {
  client.middlewareStack.use(connectorMiddleware(service, limiter, stats, account));
  return client;
}

/**
 * Marks `command` as one call of a listing that started at `startedAt` (ms since the epoch, kept
 * in the listing's page state): the rate limiter serves older listings' calls first.
 */
export function continuesListing<C extends { middlewareStack: object }>(command: C, startedAt: number): C {
  return withContext(command, "connectorListingMiddleware", LISTING_KEY, startedAt);
}

/**
 * Marks `command` as one whose throttling is not about the service's request rate but about a cap
 * its caller manages (AWS throttles an account-assignment write when the instance has too many
 * operations outstanding): every throttled attempt is reported to `onThrottled`, and the rate
 * limiter does not slow the service down for it.
 */
export function handlesThrottling<C extends { middlewareStack: object }>(command: C, onThrottled: () => void): C {
  return withContext(command, "connectorThrottleHandlerMiddleware", THROTTLE_HANDLER_KEY, onThrottled);
}

/** Leaves `value` under `key` in the handler context of every call of `command`, for the pacing middleware. */
function withContext<C extends { middlewareStack: object }, K extends typeof LISTING_KEY | typeof THROTTLE_HANDLER_KEY>(command: C, name: string, key: K, value: Context[K]): C {
  const stack = command.middlewareStack as unknown as MiddlewareStackLike;
  stack.add(
    (next: Next, context: Context) => (args: unknown) => {
      context[key] = value;
      return next(args);
    },
    { step: "initialize", name },
  );
  return command;
}
