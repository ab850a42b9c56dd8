import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  RateLimitDescription_Status,
  RateLimitDescriptionSchema,
} from "../gen/c1/connector/v2/annotation_ratelimit_pb.js";
import { awsAction, awsErrorKind, awsRequestId, retryAfterSeconds, unreachableReason, type AwsErrorFields } from "../aws/errors.js";
import { scrubSecrets } from "../secret-values.js";
import { InvalidPageTokenError } from "./page-token.js";

/**
 * The one place where failures become gRPC statuses. Handlers and syncers throw AWS SDK errors or
 * ConnectErrors; the router passes everything through toConnectError.
 *
 * baton hosts retry only Unavailable and DeadlineExceeded, so every transient AWS condition maps to
 * Unavailable; a RateLimitDescription detail tells the host how long to wait when AWS said.
 */
/** The message of an aborted wait or AWS request (nothing more specific to say). */
export const CANCELLED = "request cancelled";

export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof InvalidPageTokenError) return new ConnectError(error.message, Code.InvalidArgument);
  if (isAbort(error)) return new ConnectError(CANCELLED, Code.Canceled, undefined, undefined, error);

  const kind = awsErrorKind(error);
  if (kind === "unknown" && !looksLikeAwsError(error)) {
    // Not an AWS error: a bug. Keep the cause for logs, never leak internals to the caller.
    return new ConnectError("internal error", Code.Internal, undefined, undefined, error);
  }
  const message = describeAwsError(error);
  switch (kind) {
    case "throttling":
    case "transient": {
      const wait = retryAfterSeconds(error);
      const details =
        wait === undefined
          ? undefined
          : [
              {
                desc: RateLimitDescriptionSchema,
                value: {
                  status: RateLimitDescription_Status.OVERLIMIT,
                  remaining: 0n,
                  resetAt: timestampFromMs(Date.now() + wait * 1000),
                },
              },
            ];
      return new ConnectError(message, Code.Unavailable, undefined, details, error);
    }
    case "access-denied":
      return new ConnectError(message, Code.PermissionDenied, undefined, undefined, error);
    case "not-found":
      return new ConnectError(message, Code.NotFound, undefined, undefined, error);
    case "invalid-input":
      return new ConnectError(message, Code.InvalidArgument, undefined, undefined, error);
    case "conflict":
      return new ConnectError(message, Code.Aborted, undefined, undefined, error);
    case "quota-exceeded":
      return new ConnectError(message, Code.ResourceExhausted, undefined, undefined, error);
    // Retrying for minutes (a baton host retries Unavailable) does not fix a wrong endpoint or a
    // missing network; the AWS client has already retried once (src/aws/retry-strategy.ts).
    case "unreachable":
    case "credentials":
    case "not-in-organization":
      return new ConnectError(message, Code.FailedPrecondition, undefined, undefined, error);
    default:
      return new ConnectError(message, Code.Internal, undefined, undefined, error);
  }
}

/**
 * "AWS denied sso:ListAccountAssignments (AccessDeniedException): <AWS message> [request id …]".
 * Naming the IAM action tells an operator exactly which permission to add.
 */
export function describeAwsError(error: unknown): string {
  const e = error as AwsErrorFields;
  const action = awsAction(error);
  const unreachable = unreachableReason(error);
  if (unreachable) {
    // "cannot reach AWS for iam:ListUsers: connection refused (connect ECONNREFUSED 127.0.0.1:9)"
    return scrubSecrets(`cannot reach AWS${action ? ` for ${action}` : ""}: ${unreachable} (${e.message ?? e.code ?? "no connection"}); check the endpoint and the network`);
  }
  const name = e.name ?? e.code ?? "Error";
  const requestId = awsRequestId(error);
  const verb = awsErrorKind(error) === "access-denied" ? "AWS denied" : "AWS call failed:";
  const subject = action ? `${verb} ${action} (${name})` : `${verb} (${name})`;
  const detail = e.message ? `: ${e.message}` : "";
  return scrubSecrets(`${subject}${detail}${requestId ? ` [request id ${requestId}]` : ""}`);
}

function looksLikeAwsError(error: unknown): boolean {
  const e = error as AwsErrorFields | null;
  return typeof e === "object" && e !== null && (e.$metadata !== undefined || e.$fault !== undefined);
}

/**
 * An aborted wait or request — ours (a signal's AbortError) or the AWS SDK's ("Request aborted",
 * which also carries $metadata): the call was given up, it did not fail.
 */
function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}
