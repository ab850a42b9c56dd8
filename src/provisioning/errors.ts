import { Code, ConnectError } from "@connectrpc/connect";
import { awsRequestId } from "../aws/errors.js";
import { toConnectError } from "../connector/errors.js";

const AWS_REQUEST_IDS = Symbol("awsRequestIds");

/**
 * A provisioning failure carrying the AWS request ids that explain it (the operation's RequestId,
 * the failed call's id), so the audit log keeps them; the message names them for the caller.
 * A plain ConnectError (ConnectError's instanceof check does not admit subclasses).
 */
export function provisioningError(message: string, code: Code, awsRequestIds: string[] = [], cause?: unknown): ConnectError {
  const error = new ConnectError(message, code, undefined, undefined, cause);
  Object.defineProperty(error, AWS_REQUEST_IDS, { value: awsRequestIds, enumerable: false });
  return error;
}

/** The AWS request ids carried by any error a provisioner throws. */
export function errorRequestIds(error: unknown): string[] {
  const carried = (error as { [AWS_REQUEST_IDS]?: string[] } | null)?.[AWS_REQUEST_IDS];
  if (carried) return carried;
  const id = awsRequestId(error);
  return id ? [id] : [];
}

/** gRPC code name and message of any error, as the audit log records it. */
export function describeFailure(error: unknown): { code: string; message: string } {
  const mapped = toConnectError(error);
  return { code: Code[mapped.code], message: mapped.rawMessage };
}
