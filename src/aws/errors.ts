/**
 * Classification of AWS SDK v3 errors, in one place. Callers ask "is this throttling / not found /
 * access denied / a conflict?" instead of matching error names themselves; the names differ per
 * service and protocol (IAM `NoSuchEntity`, Identity Store `ResourceNotFoundException`,
 * Organizations `TooManyRequestsException`, …).
 */
export type AwsErrorKind =
  | "throttling"
  | "access-denied"
  | "not-found"
  | "conflict"
  | "invalid-input"
  | "quota-exceeded"
  | "credentials"
  | "not-in-organization"
  | "transient"
  | "unreachable"
  | "unknown";

const KIND_BY_NAME: Record<string, AwsErrorKind> = {
  Throttling: "throttling",
  ThrottlingException: "throttling",
  TooManyRequestsException: "throttling",
  RequestLimitExceeded: "throttling",
  RequestThrottled: "throttling",
  RequestThrottledException: "throttling",
  SlowDown: "throttling",
  ProvisionedThroughputExceededException: "throttling",
  TransactionInProgressException: "throttling",
  BandwidthLimitExceeded: "throttling",
  EC2ThrottledException: "throttling",
  PriorRequestNotComplete: "throttling",

  AccessDenied: "access-denied",
  AccessDeniedException: "access-denied",
  AccessDeniedForDependencyException: "access-denied",
  UnauthorizedOperation: "access-denied",

  NoSuchEntity: "not-found",
  NoSuchEntityException: "not-found",
  ResourceNotFoundException: "not-found",
  AccountNotFoundException: "not-found",
  ParentNotFoundException: "not-found",
  ChildNotFoundException: "not-found",
  OrganizationalUnitNotFoundException: "not-found",
  RootNotFoundException: "not-found",
  NotFound: "not-found",

  ConflictException: "conflict",
  ConcurrentModification: "conflict",
  ConcurrentModificationException: "conflict",
  EntityAlreadyExists: "conflict",
  EntityAlreadyExistsException: "conflict",
  // IAM: the entity still has what must be removed first (e.g. DeleteUser with access keys left).
  DeleteConflict: "conflict",
  DeleteConflictException: "conflict",

  ValidationError: "invalid-input",
  ValidationException: "invalid-input",
  InvalidInput: "invalid-input",
  InvalidInputException: "invalid-input",
  MalformedPolicyDocument: "invalid-input",
  MalformedPolicyDocumentException: "invalid-input",
  PasswordPolicyViolation: "invalid-input",
  PasswordPolicyViolationException: "invalid-input",

  LimitExceeded: "quota-exceeded",
  LimitExceededException: "quota-exceeded",
  ServiceQuotaExceededException: "quota-exceeded",

  ExpiredToken: "credentials",
  ExpiredTokenException: "credentials",
  InvalidClientTokenId: "credentials",
  UnrecognizedClientException: "credentials",
  InvalidSignatureException: "credentials",
  SignatureDoesNotMatch: "credentials",
  CredentialsProviderError: "credentials",

  AWSOrganizationsNotInUseException: "not-in-organization",

  ServiceFailure: "transient",
  ServiceFailureException: "transient",
  InternalServerException: "transient",
  InternalFailure: "transient",
  ServiceException: "transient",
  ServiceUnavailable: "transient",
  ServiceUnavailableException: "transient",
  TimeoutError: "transient",
  RequestTimeout: "transient",
  RequestTimeoutException: "transient",
};

/** A connection that was made and then broke: worth retrying like a 5xx. */
const TRANSIENT_SOCKET_CODES = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED"]);

/**
 * No connection could be made at all — nothing listens there, the name does not resolve, the
 * route is missing, or TLS failed (wrong certificate, plain HTTP on an HTTPS URL). Retrying with
 * backoff for minutes does not fix a wrong endpoint or a missing network: these get a small retry
 * budget (retry-strategy.ts) and a clear one-line error.
 */
const UNREACHABLE_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host name not found (DNS)",
  EAI_AGAIN: "host name lookup failed (DNS)",
  EAI_NONAME: "host name not found (DNS)",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EPROTO: "TLS handshake failed",
  DEPTH_ZERO_SELF_SIGNED_CERT: "TLS: self-signed certificate",
  SELF_SIGNED_CERT_IN_CHAIN: "TLS: self-signed certificate in the chain",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "TLS: certificate not trusted",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "TLS: certificate issuer not trusted",
  CERT_HAS_EXPIRED: "TLS: certificate expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "TLS: certificate does not match the host name",
};

/** Why no connection could be made, in words; undefined when the error is not that. */
export function unreachableReason(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as AwsErrorFields;
  const code = e.code ?? "";
  if (UNREACHABLE_CODES[code]) return UNREACHABLE_CODES[code];
  if (code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_") || code.startsWith("CERT_")) return "TLS handshake failed";
  // The SDK's connect timeout (requestHandler connectionTimeout).
  if (e.name === "TimeoutError" && /did not establish a connection/.test(e.message ?? "")) return "no connection within the connect timeout";
  return undefined;
}

/** Shape of the fields the AWS SDK v3 puts on its errors (all optional: not every error is an AWS one). */
export interface AwsErrorFields {
  name?: string;
  message?: string;
  code?: string;
  $fault?: "client" | "server";
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
  $response?: { headers?: Record<string, string | undefined> };
  RetryAfterSeconds?: number;
  /** Set by our client middleware: the IAM action of the failed call, e.g. "sso:ListAccountAssignments". */
  awsAction?: string;
}

export function awsErrorKind(error: unknown): AwsErrorKind {
  if (typeof error !== "object" || error === null) return "unknown";
  const e = error as AwsErrorFields;
  if (unreachableReason(error)) return "unreachable";
  const byName = e.name ? KIND_BY_NAME[e.name] : undefined;
  if (byName) return byName;
  if (e.code && TRANSIENT_SOCKET_CODES.has(e.code)) return "transient";
  const status = e.$metadata?.httpStatusCode;
  if (status === 429) return "throttling";
  if (status !== undefined && status >= 500) return "transient";
  return "unknown";
}

export const isNotFound = (error: unknown): boolean => awsErrorKind(error) === "not-found";
export const isAccessDenied = (error: unknown): boolean => awsErrorKind(error) === "access-denied";
export const isConflict = (error: unknown): boolean => awsErrorKind(error) === "conflict";

/** A targeted read: undefined when AWS says there is no such entity, or that the id cannot name one. */
export async function orNotFound<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    const kind = awsErrorKind(error);
    if (kind === "not-found" || kind === "invalid-input") return undefined;
    throw error;
  }
}

export function awsRequestId(error: unknown): string | undefined {
  return (error as AwsErrorFields | null)?.$metadata?.requestId;
}

export function awsAction(error: unknown): string | undefined {
  return (error as AwsErrorFields | null)?.awsAction;
}

/** Seconds AWS asked us to wait (Retry-After header or a modeled RetryAfterSeconds), if it said. */
export function retryAfterSeconds(error: unknown): number | undefined {
  const e = error as AwsErrorFields | null;
  if (typeof e?.RetryAfterSeconds === "number") return e.RetryAfterSeconds;
  const header = e?.$response?.headers?.["retry-after"];
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}
