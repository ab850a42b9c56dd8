import type { ReadTracker } from "./read-log.js";

/**
 * What an incremental sync needs from the connector, stated without AWS: where the changes since
 * the last sync come from (CloudTrail, for this connector: src/changes/), which of the previous
 * sync's reads they invalidate, and the read ledger that tells which reads each listing made and
 * can replay the others. The composition root (the CLI) wires the connector's implementation in.
 */

/** A pattern over read keys (src/aws/read-replay.ts): service, scope, operation and parameter values. */
export interface ReadPattern {
  service: string;
  /** "self" or a member account id; any when absent. */
  scope?: string;
  /** Any of these operations; any when absent. */
  operations?: readonly string[];
  /** Every operation but these. */
  exceptOperations?: readonly string[];
  /** Parameters that must have these values (compared as strings). */
  input?: Record<string, string>;
}

/** A resource the changes name, to be read again by id (GetResource): created, updated or deleted. */
export interface ResourceRef {
  type: string;
  id: string;
  parentType?: string;
  parentId?: string;
}

/** Read-only questions about the previous sync that mapping some events needs. */
export interface Baseline {
  /** Grants the resource holds as principal: their entitlement, its resource, the grant id, and whether expansion derived it. */
  grantsOfPrincipal(type: string, id: string): Promise<Array<{ id: string; entitlementId: string; resourceType: string; resourceId: string; derived: boolean }>>;
  /** The scopes (read-key field: "self", member account ids) of the reads the previous sync made. */
  readScopes(): ReadonlySet<string>;
  /** A grant by id. */
  grant(id: string): Promise<{ entitlementId: string; resourceType: string; resourceId: string; principalType: string; principalId: string } | undefined>;
}

export interface ChangeBatch {
  /** Set when the changes cannot be followed: the caller runs a full sync instead, saying why. */
  fallback?: string;
  /** Events read, and how many of them were new (not seen by an earlier sync in the overlap). */
  events: number;
  applied: number;
  /** Reads whose earlier answers are no longer valid: listings depending on them run again. */
  invalidate: ReadPattern[];
  /** Reads whose earlier answers are dropped, but whose listings are not re-run (their resources are re-read by id). */
  stale: ReadPattern[];
  /** Resources to read again by id. */
  resources: ResourceRef[];
  /** The cursor the new sync keeps. */
  cursor: unknown;
  /** Calls made to read the changes (e.g. CloudTrail LookupEvents pages), by source. */
  calls: number;
  /** What the sync should say it did instead of reading some changes (e.g. a source it could not read). */
  warnings: string[];
}

export interface ReplaySource {
  get(key: string): string | undefined;
}

export interface ChangeTracking {
  /** Which reads each listing call made (the connector's read ledger). */
  tracker: ReadTracker;
  /** Responses read since the last take; and replay of earlier ones. */
  responses: {
    takeRecorded(): Map<string, string>;
    clearRecorded(): void;
    replayFrom(source: ReplaySource | undefined): void;
    readonly replayed: number;
  };
  /** What in the connector's configuration shapes what it syncs: a different one needs a full sync. */
  fingerprint: string;
  /** The cursor a full sync started at `startedAtMs` leaves: every change before then is reflected in it. */
  cursorAt(startedAtMs: number): unknown;
  /** Reads the changes since `cursor` (up to now) and maps them. */
  read(cursor: unknown, baseline: Baseline, signal?: AbortSignal): Promise<ChangeBatch>;
}

/** Does a read key match a pattern? Keys are "service scope operation {json}" (src/aws/read-replay.ts). */
export function matchesRead(key: ParsedReadKey, pattern: ReadPattern): boolean {
  if (key.service !== pattern.service) return false;
  if (pattern.scope !== undefined && key.scope !== pattern.scope) return false;
  if (pattern.operations && !pattern.operations.includes(key.operation)) return false;
  if (pattern.exceptOperations?.includes(key.operation)) return false;
  if (pattern.input) {
    for (const [field, value] of Object.entries(pattern.input)) if (String(key.input[field] ?? "") !== value) return false;
  }
  return true;
}

export interface ParsedReadKey {
  service: string;
  scope: string;
  operation: string;
  input: Record<string, unknown>;
}

export function parseKey(text: string): ParsedReadKey {
  const first = text.indexOf(" ");
  const second = text.indexOf(" ", first + 1);
  const third = text.indexOf(" ", second + 1);
  return {
    service: text.slice(0, first),
    scope: text.slice(first + 1, second),
    operation: text.slice(second + 1, third),
    input: JSON.parse(text.slice(third + 1)) as Record<string, unknown>,
  };
}
