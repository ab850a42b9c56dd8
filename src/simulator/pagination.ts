/**
 * The one pagination helper every List operation uses: page-size validation with each service's
 * limits, opaque tokens in each service's alphabet, occasional short pages that still carry a
 * token (a knob), and never a token on the last page (aws-behaviour.md §7, §8, §14).
 */
import { SimError, type ServiceName } from "./errors.js";
import type { Prng } from "./generate/prng.js";
import type { Sequence } from "./model/keyed-list.js";
import { optionalInt } from "./validate.js";

export interface PageRule {
  sizeField: "MaxItems" | "MaxResults";
  tokenField: "Marker" | "NextToken";
  min: number;
  max: number;
  defaultSize: number;
}

/** Smithy/botocore page-size limits; Organizations' default is its maximum (unverified). */
export const PAGE_RULES: Record<ServiceName, PageRule> = {
  iam: { sizeField: "MaxItems", tokenField: "Marker", min: 1, max: 1000, defaultSize: 100 },
  sts: { sizeField: "MaxItems", tokenField: "Marker", min: 1, max: 1000, defaultSize: 100 },
  identitystore: { sizeField: "MaxResults", tokenField: "NextToken", min: 1, max: 100, defaultSize: 100 },
  "sso-admin": { sizeField: "MaxResults", tokenField: "NextToken", min: 1, max: 100, defaultSize: 100 },
  organizations: { sizeField: "MaxResults", tokenField: "NextToken", min: 1, max: 20, defaultSize: 20 },
  cloudtrail: { sizeField: "MaxResults", tokenField: "NextToken", min: 1, max: 50, defaultSize: 50 },
};

export interface Page<T> {
  items: T[];
  /** Present only when more items follow. */
  nextToken?: string;
}

export interface PageContext {
  service: ServiceName;
  /** Identifies the listing (operation + caller + filters) so a token is only valid for it. */
  scope: string;
  /** Probability that a page which could be full is cut short (still carrying a token). */
  shortPageRate: number;
  prng: Prng;
}

export function paginate<T>(items: Sequence<T>, input: Record<string, unknown>, context: PageContext, rule = PAGE_RULES[context.service]): Page<T> {
  const size = optionalInt(input, rule.sizeField, { min: rule.min, max: rule.max }) ?? rule.defaultSize;
  const token = input[rule.tokenField];
  const offset = token === undefined || token === null || token === "" ? 0 : decodeToken(token, context.scope, rule);
  let end = Math.min(offset + size, items.length);
  if (end < items.length && context.shortPageRate > 0 && context.prng.chance(context.shortPageRate)) {
    end = offset + context.prng.int(size);
  }
  const page: Page<T> = { items: items.slice(offset, end) };
  if (end < items.length) page.nextToken = encodeToken(context.scope, end);
  return page;
}

/*
 * Token = base64("p1." + scope hash + "." + offset). Standard base64 uses only characters every
 * service accepts (SSO Admin forbids ':'; IAM Marker must stay within \u0020-\u00FF and 320 chars).
 */
function encodeToken(scope: string, offset: number): string {
  return Buffer.from(`p1.${scopeHash(scope)}.${offset}`).toString("base64");
}

function decodeToken(token: unknown, scope: string, rule: PageRule): number {
  const text = typeof token === "string" ? Buffer.from(token, "base64").toString("latin1") : "";
  const match = /^p1\.([0-9a-f]{8})\.(\d{1,9})$/.exec(text);
  if (!match || match[1] !== scopeHash(scope)) {
    const what = rule.tokenField === "Marker" ? "marker" : "NextToken";
    throw SimError.of("validation", `The ${what} is not valid for this request.`, { Reason: "INVALID_NEXT_TOKEN" });
  }
  return Number(match[2]);
}

/** 32-bit FNV-1a, enough to tell listings apart. */
function scopeHash(scope: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < scope.length; i++) {
    hash ^= scope.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}
