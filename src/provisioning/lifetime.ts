import type { Any } from "@bufbuild/protobuf/wkt";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { annotation, findAnnotation } from "../connector/annotations.js";
import { GrantExpirySchema, GrantLifetimeSchema } from "../gen/awsaccess/v1/grant_lifetime_pb.js";
import { invalidArgument } from "./targets.js";

/**
 * Time-bound grants. A Grant request may carry `awsaccess.v1.GrantLifetime`: a duration, counted
 * from when AWS confirms the grant, or an absolute expiry. The answer then carries
 * `awsaccess.v1.GrantExpiry` with the moment the connector will revoke it.
 */
export type Lifetime = { durationMs: number } | { expiresAt: number };

/** Longest lifetime accepted: beyond this a typo (ms for s, years for hours) is more likely than intent. */
export const MAX_LIFETIME_MS = 366 * 24 * 3_600_000;

/** The lifetime requested by a Grant's annotations; undefined for a standing grant. */
export function requestedLifetime(annotations: readonly Any[], now: number): Lifetime | undefined {
  const lifetime = findAnnotation(annotations, GrantLifetimeSchema);
  if (!lifetime) return undefined;
  if (lifetime.duration && lifetime.expiresAt) {
    throw invalidArgument("GrantLifetime: give either duration or expires_at, not both");
  }
  if (lifetime.duration) {
    const ms = Number(lifetime.duration.seconds) * 1000 + Math.trunc(lifetime.duration.nanos / 1_000_000);
    return { durationMs: checkedSpan(ms, "duration") };
  }
  if (lifetime.expiresAt) {
    const at = timestampDate(lifetime.expiresAt).getTime();
    checkedSpan(at - now, "expires_at (from now)");
    return { expiresAt: at };
  }
  throw invalidArgument("GrantLifetime: duration or expires_at is required");
}

/** When the grant expires, given when AWS confirmed it. */
export function expiryOf(lifetime: Lifetime, confirmedAt: number): number {
  return "durationMs" in lifetime ? confirmedAt + lifetime.durationMs : lifetime.expiresAt;
}

export function grantExpiryAnnotation(expiresAt: number): Any {
  return annotation(GrantExpirySchema, { expiresAt: timestampFromMs(expiresAt) });
}

export function grantLifetimeAnnotation(durationMs: number): Any {
  return annotation(GrantLifetimeSchema, {
    duration: { seconds: BigInt(Math.floor(durationMs / 1000)), nanos: (durationMs % 1000) * 1_000_000 },
  });
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "15m", "2h", "1h30m", "7d" → milliseconds (the CLI's --duration). */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(pattern)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed += match[0].length;
  }
  if (trimmed === "" || consumed !== trimmed.length) {
    throw invalidArgument(`invalid duration "${text}": use e.g. 90s, 15m, 2h, 1h30m, 7d`);
  }
  return checkedSpan(Math.round(total), "duration");
}

function checkedSpan(ms: number, what: string): number {
  if (!Number.isFinite(ms) || ms <= 0) throw invalidArgument(`GrantLifetime: ${what} must be positive`);
  if (ms > MAX_LIFETIME_MS) throw invalidArgument(`GrantLifetime: ${what} must be at most 366 days`);
  return ms;
}
