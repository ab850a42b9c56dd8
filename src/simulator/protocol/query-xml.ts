/**
 * The awsQuery protocol (IAM, STS): form-encoded requests, XML responses
 * `<OpResponse xmlns><OpResult>…</OpResult><ResponseMetadata>…` and `<ErrorResponse>` errors.
 * Results are plain objects: arrays become `<member>` lists, Timestamps ISO-8601.
 */
import type { ResolvedError, ServiceName } from "../errors.js";
import { createFragmentCache, Fragment } from "./fragments.js";
import { Timestamp } from "./timestamp.js";

export const QUERY_NAMESPACES: Partial<Record<ServiceName, string>> = {
  iam: "https://iam.amazonaws.com/doc/2010-05-08/",
  sts: "https://sts.amazonaws.com/doc/2011-06-15/",
};

export type FormParams = Record<string, string>;

export function decodeForm(body: string): FormParams {
  const params: FormParams = {};
  for (const [key, value] of new URLSearchParams(body)) params[key] = value;
  return params;
}

/**
 * Values of a query list `Name.member.N` (or `Name.member.N.Field` structures), in N order.
 * A scalar list gives strings; a structure list gives one record per N with its fields.
 */
export function memberList(params: FormParams, name: string): string[];
export function memberList(params: FormParams, name: string, structured: true): Array<Record<string, string>>;
export function memberList(params: FormParams, name: string, structured = false): Array<string | Record<string, string>> {
  const prefix = `${name}.member.`;
  const byIndex = new Map<number, string | Record<string, string>>();
  for (const [key, value] of Object.entries(params)) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const dot = rest.indexOf(".");
    const index = Number(dot === -1 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(index)) continue;
    if (!structured) {
      if (dot === -1) byIndex.set(index, value);
      continue;
    }
    if (dot === -1) continue;
    const record = (byIndex.get(index) as Record<string, string> | undefined) ?? {};
    record[rest.slice(dot + 1)] = value;
    byIndex.set(index, record);
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

export function encodeQueryResult(service: ServiceName, operation: string, result: unknown, requestId: string): string {
  const body = result === undefined || result === null ? "" : `<${operation}Result>${toXml(result)}</${operation}Result>`;
  return (
    `<${operation}Response xmlns="${QUERY_NAMESPACES[service]}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

export function encodeQueryError(service: ServiceName, error: ResolvedError, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${QUERY_NAMESPACES[service]}"><Error><Type>${error.faultType}</Type>` +
    `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/** A list item's XML, encoded once (see fragments.ts). */
export const cachedXml = createFragmentCache((value) => toXml(value));

function toXml(value: unknown): string {
  if (value instanceof Fragment) return value.text;
  if (value instanceof Timestamp) return value.toIso();
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join("");
  if (typeof value === "object" && value !== null) {
    let out = "";
    const record = value as Record<string, unknown>;
    for (const key in record) {
      const child = record[key];
      if (child === undefined || child === null) continue;
      out += `<${key}>${toXml(child)}</${key}>`;
    }
    return out;
  }
  return escapeXml(String(value));
}

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

export function escapeXml(text: string): string {
  return /[&<>"']/.test(text) ? text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!) : text;
}
