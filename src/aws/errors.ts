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

  ValidationError: "invalid-input",
  ValidationException: "invalid-input",
  InvalidInput: "invalid-input",
  InvalidInputException: "invalid-input",
  MalformedPolicyDocument: "invalid-input",
  MalformedPolicyDocumentException: "invalid-input",

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

const TRANSIENT_SOCKET_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "EAI_AGAIN"]);

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
  const byName = e.name ? KIND_BY_NAME[e.name] : undefined;
  if (byName) return byName;
  if (e.code && TRANSIENT_SOCKET_CODES.has(e.code)) return "transient";
  const status = e.$metadata?.httpStatusCode;
  if (status === 429) return "throttling";
  if (status !== undefined && status >= 500) return "transient";
  return "unknown";
}

export const isThrottling = (error: unknown): boolean => awsErrorKind(error) === "throttling";
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
