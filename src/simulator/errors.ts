/**
 * The one place that knows how each service names and encodes each error. Handlers throw a
 * SimError carrying either a service-specific code (NoSuchEntity, ConflictException…) or a
 * service-neutral kind (throttling, validation…); the protocol layer asks `resolveError` for the
 * wire code, HTTP status and extra headers. Statuses follow the models' httpError traits so the
 * SDK raises the same exception classes it raises against AWS (aws-behaviour.md §5, §6).
 */
export type ServiceName = "iam" | "sts" | "identitystore" | "sso-admin" | "organizations" | "cloudtrail";
export const SERVICE_NAMES: readonly ServiceName[] = ["iam", "sts", "identitystore", "sso-admin", "organizations", "cloudtrail"];

/** Errors every service has, under its own name. */
export type ErrorKind =
  | "throttling"
  | "internal"
  | "accessDenied"
  | "validation"
  | "unknownOperation"
  | "invalidClientToken"
  | "missingAuthentication"
  | "expiredToken";

export class SimError extends Error {
  /** Concrete wire code, or undefined when `kind` decides it per service. */
  readonly code: string | undefined;
  readonly kind: ErrorKind | undefined;
  /** Extra members of the error body (JSON: e.g. Reason, ResourceType; Organizations: Type). */
  readonly fields: Record<string, unknown>;
  /** Seconds for `Retry-After` (throttling). */
  retryAfterSeconds: number | undefined;

  private constructor(code: string | undefined, kind: ErrorKind | undefined, message: string, fields: Record<string, unknown>) {
    super(message);
    this.name = "SimError";
    this.code = code;
    this.kind = kind;
    this.fields = fields;
  }

  /** An error with a service-specific code, e.g. `SimError.coded("NoSuchEntity", "...")`. */
  static coded(code: string, message: string, fields: Record<string, unknown> = {}): SimError {
    return new SimError(code, undefined, message, fields);
  }

  /** An error every service has, named per service when encoded. */
  static of(kind: ErrorKind, message: string, fields: Record<string, unknown> = {}): SimError {
    return new SimError(undefined, kind, message, fields);
  }
}

const JSON_SERVICE_KINDS: Record<ErrorKind, string> = {
  throttling: "ThrottlingException",
  internal: "InternalServerException",
  accessDenied: "AccessDeniedException",
  validation: "ValidationException",
  unknownOperation: "UnknownOperationException",
  invalidClientToken: "UnrecognizedClientException",
  missingAuthentication: "MissingAuthenticationTokenException",
  expiredToken: "ExpiredTokenException",
};

const QUERY_SERVICE_KINDS: Record<ErrorKind, string> = {
  throttling: "Throttling",
  internal: "ServiceFailure",
  accessDenied: "AccessDenied",
  validation: "ValidationError",
  unknownOperation: "InvalidAction",
  invalidClientToken: "InvalidClientTokenId",
  missingAuthentication: "MissingAuthenticationToken",
  expiredToken: "ExpiredToken",
};

const KIND_CODES: Record<ServiceName, Record<ErrorKind, string>> = {
  iam: QUERY_SERVICE_KINDS,
  // STS has no ServiceFailure; AWS answers internal errors with the common InternalFailure.
  sts: { ...QUERY_SERVICE_KINDS, internal: "InternalFailure", expiredToken: "ExpiredTokenException" },
  identitystore: JSON_SERVICE_KINDS,
  "sso-admin": JSON_SERVICE_KINDS,
  cloudtrail: JSON_SERVICE_KINDS,
  organizations: {
    ...JSON_SERVICE_KINDS,
    throttling: "TooManyRequestsException",
    internal: "ServiceException",
    validation: "InvalidInputException",
  },
};

/** HTTP status per wire code (model httpError / awsQueryError traits; common AWS errors). */
const STATUS_BY_CODE: Record<string, number> = {
  // IAM / STS (awsQuery)
  NoSuchEntity: 404,
  EntityAlreadyExists: 409,
  LimitExceeded: 409,
  DeleteConflict: 409,
  ConcurrentModification: 409,
  InvalidInput: 400,
  ServiceFailure: 500,
  InternalFailure: 500,
  Throttling: 400,
  AccessDenied: 403,
  ValidationError: 400,
  InvalidAction: 400,
  InvalidClientTokenId: 403,
  MissingAuthenticationToken: 403,
  ExpiredToken: 403,
  ExpiredTokenException: 400,
  MalformedPolicyDocument: 400,
  PasswordPolicyViolation: 400,
  UnmodifiableEntity: 400,
  EntityTemporarilyUnmodifiable: 409,
  PolicyNotAttachable: 400,
  // JSON services
  AccessDeniedException: 403,
  ConflictException: 409,
  InternalServerException: 500,
  ResourceNotFoundException: 404,
  ServiceQuotaExceededException: 402,
  ThrottlingException: 429,
  ValidationException: 400,
  UnknownOperationException: 400,
  UnrecognizedClientException: 400,
  MissingAuthenticationTokenException: 403,
  SerializationException: 400,
  // Organizations
  AWSOrganizationsNotInUseException: 404,
  AccountNotFoundException: 404,
  ParentNotFoundException: 404,
  ChildNotFoundException: 404,
  OrganizationalUnitNotFoundException: 404,
  InvalidInputException: 400,
  ServiceException: 500,
  TooManyRequestsException: 429,
};

export interface ResolvedError {
  code: string;
  status: number;
  message: string;
  /** awsQuery `<Type>`: Receiver for server faults, Sender otherwise. */
  faultType: "Sender" | "Receiver";
  fields: Record<string, unknown>;
  headers: Record<string, string>;
}

export function resolveError(service: ServiceName, error: SimError): ResolvedError {
  const code = error.code ?? KIND_CODES[service][error.kind ?? "internal"];
  const status = STATUS_BY_CODE[code] ?? 400;
  const headers: Record<string, string> = {};
  const fields = { ...error.fields };
  if (error.retryAfterSeconds !== undefined) {
    // Identity Store binds RetryAfterSeconds to this header; others just get the hint.
    headers["retry-after"] = String(error.retryAfterSeconds);
  }
  if (code === "TooManyRequestsException" && fields.Type === undefined) fields.Type = "ThrottlingException";
  // Validation helpers attach Organizations' InvalidInputException Reason; only it has one.
  if (error.kind === "validation" && service !== "organizations") delete fields.Reason;
  return { code, status, message: error.message, faultType: status >= 500 ? "Receiver" : "Sender", fields, headers };
}

/** Anything not a SimError is a simulator bug; answer it as the service's internal error. */
export function toSimError(error: unknown): SimError {
  if (error instanceof SimError) return error;
  return SimError.of("internal", "We encountered an internal error. Please try again.");
}

/** Coral-style validation message, as AWS's JSON and query services word them. */
export function constraintMessage(value: unknown, member: string, constraint: string): string {
  const shown = value === undefined || value === null ? "null" : `'${String(value)}'`;
  return `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`;
}
