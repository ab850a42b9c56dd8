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
};

interface MiddlewareStackLike {
  add(middleware: unknown, options: Record<string, unknown>): void;
  addRelativeTo(middleware: unknown, options: Record<string, unknown>): void;
}

type Next = (args: unknown) => Promise<unknown>;
type Context = { commandName?: string; abortSignal?: AbortSignal };

/**
 * Adds to an SDK client, in one place for every client:
 *  - pacing of every attempt (retries included) through the shared rate limiter,
 *  - counting of every attempt by service and operation,
 *  - the IAM action name on errors, so a denial names the permission to add.
 */
export function instrumentClient<C extends { middlewareStack: MiddlewareStackLike }>(
  client: C,
  service: AwsServiceId,
  limiter: AwsRateLimiter,
  stats: AwsCallStats,
): C {
  const operationOf = (context: Context) => (context.commandName ?? "Unknown").replace(/Command$/, "");

  client.middlewareStack.add(
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
  client.middlewareStack.addRelativeTo(
    (next: Next, context: Context) => async (args: unknown) => {
      await limiter.acquire(service, context.abortSignal);
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
  return client;
}
