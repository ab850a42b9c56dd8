import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

/**
 * IAM policy documents: IAM returns them URL-encoded (RFC 3986), Identity Center as plain JSON.
 * Decoded with decodeURIComponent, which (unlike a query-string decoder) keeps a literal "+".
 */
export function policyDocumentText(document: string): string {
  return document.trimStart().startsWith("{") ? document : decodeURIComponent(document);
}

/**
 * A policy document as profiles show it: decoded, with the values of secret condition keys
 * replaced (see below). A document that is not JSON is shown as it is.
 */
export function shownPolicyDocument(document: string): string {
  const text = policyDocumentText(document);
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    return text;
  }
  if (!isObject(policy) || policy.Statement === undefined) return text;
  let redacted = false;
  const redact = (statement: JsonValue): JsonValue => {
    if (!isObject(statement) || !isObject(statement.Condition) || !hasSecretKey(statement.Condition)) return statement;
    redacted = true;
    return { ...statement, Condition: withoutSecretValues(statement.Condition) };
  };
  const statements = Array.isArray(policy.Statement) ? policy.Statement.map(redact) : redact(policy.Statement);
  return redacted ? JSON.stringify({ ...policy, Statement: statements }) : text;
}

/**
 * Condition keys whose values are shared secrets between an account and a third party. Conditions
 * travel into grant metadata and policy documents into profiles (and so into the .c1z), so these
 * values are replaced by a marker; the key stays, so a reviewer still sees that an external ID is
 * required.
 */
const SECRET_CONDITION_KEYS = new Set(["sts:externalid"]);
export const REDACTED_CONDITION_VALUE = "[redacted]";

export function withoutSecretValues(condition: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [operator, block] of Object.entries(condition)) {
    if (!isObject(block)) {
      out[operator] = block;
      continue;
    }
    out[operator] = Object.fromEntries(
      Object.entries(block).map(([key, value]) => [key, SECRET_CONDITION_KEYS.has(key.toLowerCase()) ? REDACTED_CONDITION_VALUE : value]),
    ) as JsonObject;
  }
  return out;
}

function hasSecretKey(condition: JsonObject): boolean {
  return Object.values(condition).some((block) => isObject(block) && Object.keys(block).some((key) => SECRET_CONDITION_KEYS.has(key.toLowerCase())));
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
