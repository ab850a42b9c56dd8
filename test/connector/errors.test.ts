import { Code, ConnectError } from "@connectrpc/connect";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { RateLimitDescription_Status, RateLimitDescriptionSchema } from "../../src/gen/c1/connector/v2/annotation_ratelimit_pb.js";
import { toConnectError } from "../../src/connector/errors.js";
import { InvalidPageTokenError } from "../../src/connector/page-token.js";
import { registerSecret } from "../../src/secret-values.js";

/** An AWS SDK v3 error as the SDK builds it (name, $fault, $metadata) plus our middleware's action name. */
function awsError(name: string, message: string, extra: Record<string, unknown> = {}) {
  const error = Object.assign(new Error(message), {
    name,
    $fault: "client",
    $metadata: { httpStatusCode: 400, requestId: "req-1234" },
    ...extra,
  });
  Object.defineProperty(error, "awsAction", { value: "sso:ListAccountAssignments", enumerable: false });
  return error;
}

describe("toConnectError", () => {
  it("throttling → Unavailable with a RateLimitDescription detail when AWS said how long to wait", () => {
    const before = Date.now();
    const mapped = toConnectError(awsError("ThrottlingException", "Rate exceeded", { RetryAfterSeconds: 7 }));
    expect(mapped.code).toBe(Code.Unavailable);
    const [detail] = mapped.findDetails(RateLimitDescriptionSchema);
    expect(detail?.status).toBe(RateLimitDescription_Status.OVERLIMIT);
    const resetAt = timestampMs(detail!.resetAt!);
    expect(resetAt).toBeGreaterThanOrEqual(before + 7000);
    expect(resetAt).toBeLessThanOrEqual(Date.now() + 7000);
  });

  it("throttling without a known wait → Unavailable, no detail; Retry-After header is read", () => {
    const plain = toConnectError(awsError("Throttling", "Rate exceeded"));
    expect(plain.code).toBe(Code.Unavailable);
    expect(plain.findDetails(RateLimitDescriptionSchema)).toEqual([]);
    const header = toConnectError(awsError("TooManyRequestsException", "slow down", { $response: { headers: { "retry-after": "3" } } }));
    expect(header.findDetails(RateLimitDescriptionSchema)).toHaveLength(1);
  });

  it("AccessDenied → PermissionDenied naming the IAM action and the request id", () => {
    const mapped = toConnectError(awsError("AccessDeniedException", "User is not authorized"));
    expect(mapped.code).toBe(Code.PermissionDenied);
    expect(mapped.rawMessage).toBe("AWS denied sso:ListAccountAssignments (AccessDeniedException): User is not authorized [request id req-1234]");
  });

  it.each([
    ["NoSuchEntity", Code.NotFound],
    ["ResourceNotFoundException", Code.NotFound],
    ["ValidationError", Code.InvalidArgument],
    ["ValidationException", Code.InvalidArgument],
    ["ConflictException", Code.Aborted],
    ["ServiceQuotaExceededException", Code.ResourceExhausted],
    ["ExpiredToken", Code.FailedPrecondition],
    ["InternalServerException", Code.Unavailable],
  ])("%s → %s", (name, code) => {
    expect(toConnectError(awsError(name, "m")).code).toBe(code);
  });

  it("an unclassified AWS error → Internal, with the AWS request id in the message", () => {
    const mapped = toConnectError(awsError("SomethingNew", "odd"));
    expect(mapped.code).toBe(Code.Internal);
    expect(mapped.rawMessage).toContain("[request id req-1234]");
  });

  it("a non-AWS error is a bug: Internal \"internal error\", details kept only as the cause", () => {
    const bug = new TypeError("cannot read properties of undefined (secret-ish internals)");
    const mapped = toConnectError(bug);
    expect(mapped.code).toBe(Code.Internal);
    expect(mapped.rawMessage).toBe("internal error");
    expect(mapped.cause).toBe(bug);
  });

  it("an aborted AWS request (the SDK's AbortError, $metadata and all) → Canceled, not Internal", () => {
    const aborted = awsError("AbortError", "Request aborted");
    expect(toConnectError(aborted).code).toBe(Code.Canceled);
    expect(toConnectError(new DOMException("This operation was aborted", "AbortError")).code).toBe(Code.Canceled);
  });

  it("invalid page tokens → InvalidArgument; ConnectErrors pass through", () => {
    expect(toConnectError(new InvalidPageTokenError("tampered")).code).toBe(Code.InvalidArgument);
    const own = new ConnectError("x", Code.NotFound);
    expect(toConnectError(own)).toBe(own);
  });

  it("never carries a registered secret in its message", () => {
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    registerSecret(secret);
    const mapped = toConnectError(awsError("SignatureDoesNotMatch", `signature for ${secret} is wrong`));
    expect(mapped.rawMessage).not.toContain(secret);
    expect(mapped.rawMessage).toContain("[redacted]");
  });
});
