/**
 * Serving one operation: caller lookup from the access key, quota, injected faults, the
 * operation's handler, the write hook. The HTTP server (server.ts) encodes the outcome; change
 * scripts (change-script.ts) apply writes through the same path without a request.
 */
import type { Logger } from "../log.js";
import { resolveError, SimError, toSimError, type ResolvedError, type ServiceName } from "./errors.js";
import type { SimRuntime } from "./runtime.js";
import { SERVICES } from "./services/index.js";
import type { RequestContext } from "./services/service.js";
import { redactSecrets, type WriteEvent } from "./write-events.js";

/** A request as routed: which operation, its decoded input, the signing key and Region. */
export interface RoutedRequest {
  service: ServiceName;
  operation: string;
  input: Record<string, unknown>;
  accessKeyId?: string;
  /** The credential scope's Region. */
  region?: string;
}

export type ServeOutcome = { ok: true; result: unknown } | { ok: false; error: ResolvedError };

export interface ServeOptions {
  injected?: "throttle" | "internal";
  /** Apply the service's quota (requests from clients). */
  quota: boolean;
  /** Count the outcome (requests from clients). */
  count: boolean;
}

/** Runs one operation's handler as a request from `request.accessKeyId`: the one path every write takes (and is reported from). */
export function serve(runtime: SimRuntime, request: RoutedRequest, requestId: string, logger: Logger, options: ServeOptions): ServeOutcome {
  const { service, operation } = request;
  const definition = SERVICES[service];
  const now = runtime.clock();
  const { injected } = options;
  // Set once the handler runs: only then is a write "served" (and reported).
  let served: RequestContext | undefined;
  try {
    const handler = definition.operations[operation];
    if (!handler) throw SimError.of("unknownOperation", `Operation ${operation} is not supported by the simulator.`);
    const caller = runtime.credentials.resolve(request.accessKeyId, now);
    const region = request.region || runtime.model.region;
    const waitMs = options.quota ? runtime.quotas.take(service, now, definition.quotaScope?.(caller, region)) : 0;
    if (waitMs > 0 || injected === "throttle") throw throttling(service, Math.max(waitMs, 1000));
    if (injected === "internal") throw SimError.of("internal", "We encountered an internal error. Please try again.");
    // Assignment operations complete in time, whichever service is asked next: a role Identity
    // Center provisions is in IAM as soon as the operation is done, not when SSO Admin is next called.
    runtime.assignments.settle(now);
    const ctx: RequestContext = { requestId, service, operation, caller, now, region, sim: runtime };
    served = ctx;
    const result = handler(ctx, request.input);
    if (options.count) runtime.counters.outcome(service, operation, "ok");
    if (definition.writes.has(operation)) reportWrite(runtime, ctx, request.input, { result: redactSecrets(result) });
    return { ok: true, result };
  } catch (error) {
    if (!(error instanceof SimError)) logger.error({ err: error, service, operation }, "simulator handler bug");
    const simError = toSimError(error);
    const resolved = resolveError(service, simError);
    if (served && definition.writes.has(operation)) reportWrite(runtime, served, request.input, { error: { code: resolved.code, message: resolved.message } });
    if (options.count) runtime.counters.outcome(service, operation, simError.kind === "throttling" ? "throttled" : injected === "internal" ? "fault" : "error");
    return { ok: false, error: resolved };
  }
}

/**
 * Applies one operation outside any HTTP request (a change script, change-script.ts): the same
 * handler and write hook as a client's request, without quota, faults, latency or counting.
 */
export function applyOperation(
  runtime: SimRuntime,
  request: { service: ServiceName; operation: string; input: Record<string, unknown>; accessKeyId?: string },
  logger: Logger,
): ServeOutcome {
  return serve(runtime, request, runtime.prng("request-ids").uuid(), logger, { quota: false, count: false });
}

function reportWrite(runtime: SimRuntime, ctx: RequestContext, input: Record<string, unknown>, outcome: Pick<WriteEvent, "result" | "error">): void {
  runtime.writes.emit({
    service: ctx.service,
    operation: ctx.operation,
    params: redactSecrets(input) as Record<string, unknown>,
    principal: ctx.caller,
    time: ctx.now,
    requestId: ctx.requestId,
    ...outcome,
  });
}

function throttling(service: ServiceName, waitMs: number): SimError {
  const error = SimError.of("throttling", "Rate exceeded");
  // Identity Store models RetryAfterSeconds (bound to Retry-After); the others send no hint.
  if (service === "identitystore") {
    error.retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    error.fields.RetryAfterSeconds = error.retryAfterSeconds;
  }
  return error;
}

