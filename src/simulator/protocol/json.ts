/**
 * The awsJson1_1 protocol (Identity Store, SSO Admin, Organizations): `X-Amz-Target:
 * <Prefix>.<Operation>`, JSON bodies, timestamps as epoch-second numbers, errors as
 * `{"__type": Code, "Message": …}` plus the error's modeled members.
 */
import { SimError, type ResolvedError, type ServiceName } from "../errors.js";
import { createFragmentCache, Fragment } from "./fragments.js";

export const JSON_TARGET_PREFIXES: Record<string, ServiceName> = {
  AWSIdentityStore: "identitystore",
  SWBExternalService: "sso-admin",
  AWSOrganizationsV20161128: "organizations",
  // The JS SDK sends the short prefix, botocore (the AWS CLI) the model's full one.
  CloudTrail_20131101: "cloudtrail",
  "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101": "cloudtrail",
};

export const JSON_CONTENT_TYPE = "application/x-amz-json-1.1";

/** Splits `AWSIdentityStore.ListUsers` into service and operation (the prefix may contain dots). */
export function parseTarget(target: string): { service: ServiceName; operation: string } | undefined {
  const dot = target.lastIndexOf(".");
  const service = JSON_TARGET_PREFIXES[target.slice(0, dot)];
  return dot > 0 && service ? { service, operation: target.slice(dot + 1) } : undefined;
}

export function decodeJsonBody(body: string): Record<string, unknown> {
  if (body.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw SimError.coded("SerializationException", "Unable to parse the request body as JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw SimError.coded("SerializationException", "The request body must be a JSON object.");
  }
  return parsed as Record<string, unknown>;
}

/** A list item's JSON, encoded once (see fragments.ts). */
export const cachedJson = createFragmentCache((value) => JSON.stringify(value));

/**
 * Timestamps serialise themselves as epoch seconds (see timestamp.ts). Top-level lists of
 * cached fragments are spliced in as they are.
 */
export function encodeJsonResult(result: unknown): string {
  if (typeof result !== "object" || result === null) return "{}";
  const record = result as Record<string, unknown>;
  let out = "";
  for (const key in record) {
    const value = record[key];
    if (value === undefined || value === null) continue;
    const encoded =
      Array.isArray(value) && value[0] instanceof Fragment ? `[${value.map((item: Fragment) => item.text).join(",")}]` : JSON.stringify(value);
    out += `${out ? "," : ""}${JSON.stringify(key)}:${encoded}`;
  }
  return `{${out}}`;
}

export function encodeJsonError(error: ResolvedError): string {
  return JSON.stringify({ __type: error.code, Message: error.message, ...error.fields });
}
