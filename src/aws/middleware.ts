import type { Pluggable } from "@aws-sdk/types";
import type { AwsServiceId } from "../config/config.js";
import type { AwsCallStats } from "./call-stats.js";
import { awsErrorKind } from "./errors.js";
import type { AwsRateLimiter } from "./rate-limiter.js";

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
type Context = { commandName?: string; [SMITHY_CONTEXT_KEY]?: { abortSignal?: AbortSignal }; [LISTING_KEY]?: number };

const operationOf = (context: Context) => (context.commandName ?? "Unknown").replace(/Command$/, "");

/**
 * What every SDK client of the connector gets, in one place:
 *  - pacing of every attempt (retries included) through the shared rate limiter,
 *  - counting of every attempt by service and operation,
 *  - the IAM action name on errors, so a denial names the permission to add.
 * As a plugin so it can also be handed to clients the SDK builds itself (role assumers).
 */
export function connectorMiddleware(service: AwsServiceId, limiter: AwsRateLimiter, stats: AwsCallStats): Pluggable<any, any> {
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
          await limiter.acquire(service, context[SMITHY_CONTEXT_KEY]?.abortSignal, context[LISTING_KEY]);
          const started = performance.now();
          let outcome: "ok" | "throttled" | "error" = "ok";
          try {
            return await next(args);
          } catch (error) {
            outcome = awsErrorKind(error) === "throttling" ? "throttled" : "error";
            throw error;
          } finally {
            limiter.release(service, outcome);
            stats.record(service, operationOf(context), outcome, performance.now() - started);
          }
        },
        { name: "connectorPacingMiddleware", relation: "after", toMiddleware: "retryMiddleware" },
      );
    },
  };
}

/** Instruments an SDK client with connectorMiddleware (see above). */
export function instrumentClient<C extends { middlewareStack: { use(pluggable: Pluggable<any, any>): void } }>(
  client: C,
  service: AwsServiceId,
  limiter: AwsRateLimiter,
  stats: AwsCallStats,
): C {
  client.middlewareStack.use(connectorMiddleware(service, limiter, stats));
  return client;
}

/**
 * Marks `command` as one call of a listing that started at `startedAt` (ms since the epoch, kept
 * in the listing's page state): the rate limiter serves older listings' calls first.
 */
export function continuesListing<C extends { middlewareStack: object }>(command: C, startedAt: number): C {
  const stack = command.middlewareStack as unknown as MiddlewareStackLike;
  stack.add(
    (next: Next, context: Context) => (args: unknown) => {
      context[LISTING_KEY] = startedAt;
      return next(args);
    },
    { step: "initialize", name: "connectorListingMiddleware" },
  );
  return command;
}
