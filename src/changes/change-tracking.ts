import { createHash } from "node:crypto";
import { DescribeOrganizationCommand } from "@aws-sdk/client-organizations";
import type { AwsClients } from "../aws/clients.js";
import { awsErrorKind } from "../aws/errors.js";
import type { ConnectorConfig } from "../config/config.js";
import type { Baseline, ChangeBatch, ChangeTracking, ReadPattern, ResourceRef } from "../sync/changes.js";
import { globalEventsRegion, lookupEvents, type TrailRecord, type TrailSource } from "./cloudtrail-events.js";
import { effectsOf } from "./effects.js";

/**
 * The connector's change source for incremental syncs (src/sync/incremental.ts): CloudTrail's
 * event history since the last sync, mapped to the reads it invalidates (effects.ts).
 *
 * The cursor a sync keeps is where the next one starts reading, and the events it already applied
 * there. A full sync's cursor is its start: every change before it is in its reads. An incremental
 * sync's is "now minus the overlap": CloudTrail delivers an event minutes after the call, so the
 * next sync reads the overlap again and skips, by EventId, what was applied — except events too
 * recent to have taken effect everywhere (account assignments complete asynchronously), which are
 * applied again.
 */
export interface ChangeCursor {
  v: 1;
  /** Epoch ms: events from here on are still to be read. */
  windowStart: number;
  /** Events applied at or after windowStart: [EventId, epoch ms]. */
  seen: Array<[string, number]>;
}

export interface ChangeTrackingOptions {
  /** How far back each read starts again, to catch events CloudTrail delivered late (default: three times cloudtrail-delay). */
  overlapMs?: number;
  /** Events younger than this are applied again next time (default 2 min). */
  settleMs?: number;
  now?: () => number;
}

/** CloudTrail's event history keeps 90 days. */
export const EVENT_HISTORY_MS = 90 * 24 * 3600 * 1000;
export const DEFAULT_SETTLE_MS = 2 * 60_000;

export function createChangeTracking(config: ConnectorConfig, aws: AwsClients, options: ChangeTrackingOptions = {}): ChangeTracking {
  const overlapMs = options.overlapMs ?? 3 * config.changes.deliveryDelayMs;
  const settleMs = Math.min(options.settleMs ?? DEFAULT_SETTLE_MS, overlapMs);
  const now = options.now ?? Date.now;
  return {
    tracker: aws.reads,
    responses: aws.reads,
    fingerprint: configFingerprint(config),
    cursorAt: (startedAtMs): ChangeCursor => ({ v: 1, windowStart: wholeSecond(startedAtMs), seen: [] }),
    async read(value, baseline, signal): Promise<ChangeBatch> {
      const cursor = value as ChangeCursor;
      const empty = { events: 0, applied: 0, invalidate: [], stale: [], resources: [], cursor, calls: 0, warnings: [] };
      if (cursor?.v !== 1 || typeof cursor.windowStart !== "number") return { ...empty, fallback: "the last sync's change cursor is not one this connector understands" };
      const end = now();
      if (end - cursor.windowStart > EVENT_HISTORY_MS) {
        return { ...empty, fallback: `the last sync read changes up to ${new Date(cursor.windowStart).toISOString()}, beyond CloudTrail's 90-day event history` };
      }
      const self = await aws.callerIdentity();
      const notCovered = await whyNotCovered(config, aws, self.accountId, signal);
      if (notCovered) return { ...empty, fallback: notCovered };
      const sources = trailSources(config, self.accountId, baseline);
      const outcomes = await lookupEvents(aws, sources, { start: cursor.windowStart, end, attribute: { AttributeKey: "ReadOnly", AttributeValue: "false" } }, signal);
      const calls = outcomes.reduce((n, o) => n + o.pages, 0);
      const invalidate: ReadPattern[] = [];
      const warnings: string[] = [];
      for (const outcome of outcomes) {
        if (outcome.ok) continue;
        // The connector's own account holds most of what is synced: without its history, a full sync.
        if (!outcome.source.accountId) return { ...empty, calls, fallback: outcome.reason };
        // A member account whose history cannot be read (closed, role gone, no permission): its IAM is read again.
        invalidate.push({ service: "iam", scope: outcome.source.accountId });
        warnings.push(`${outcome.reason}; its IAM is read again in full`);
      }

      const seen = new Map(cursor.seen);
      const events = outcomes.flatMap((o) => (o.ok ? o.events : []));
      const fresh = dedupe(events.filter((e) => !seen.has(e.id))).sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
      const stale: ReadPattern[] = [];
      const resources = new Map<string, ResourceRef>();
      const membershipGroups = new Map<string, string>();
      for (const event of fresh) {
        if (event.name === "CreateGroupMembership" && !event.errorCode) {
          const membership = event.response.membershipId;
          if (typeof membership === "string" && typeof event.request.groupId === "string") membershipGroups.set(membership, event.request.groupId);
        }
      }
      for (const event of fresh) {
        const effects = await effectsOf(event, { selfAccountId: self.accountId, ssoRegion: config.aws.ssoRegion, baseline, membershipGroups });
        if (effects.unknown) {
          return { ...empty, events: events.length, calls, fallback: `CloudTrail event ${effects.unknown} (${event.id}, ${new Date(event.time).toISOString()}) is not one an incremental sync can follow` };
        }
        invalidate.push(...effects.invalidate);
        stale.push(...effects.stale);
        for (const ref of effects.resources) resources.set(`${ref.type}:${ref.id}`, ref);
      }
      // The next read starts an overlap back and skips what was applied there, but not what may not have settled yet.
      const windowStart = wholeSecond(Math.max(cursor.windowStart, end - overlapMs));
      const applied = new Map<string, number>([...seen, ...fresh.map((e) => [e.id, e.time] as [string, number])]);
      const next: ChangeCursor = { v: 1, windowStart, seen: [...applied].filter(([, time]) => time >= windowStart && time < end - settleMs) };
      return { events: events.length, applied: fresh.length, invalidate: dedupePatterns(invalidate), stale: dedupePatterns(stale), resources: [...resources.values()], cursor: next, calls, warnings };
    },
  };
}

/**
 * Where relevant events are recorded: the connector's account (global Region: IAM, Organizations;
 * Identity Center Region: SSO Admin, Identity Store) and each member account whose IAM the last
 * sync read (its global Region). A member account it could not read has nothing to update: its
 * IAM is read when a full sync reaches it.
 */
function trailSources(config: ConnectorConfig, selfAccountId: string, baseline: Baseline): TrailSource[] {
  const global = globalEventsRegion(config.aws.region);
  const sources: TrailSource[] = [{ region: global }];
  if (config.features.identityCenter && config.aws.ssoRegion !== global) sources.push({ region: config.aws.ssoRegion });
  for (const scope of baseline.readScopes()) {
    if (scope !== "self" && scope !== selfAccountId && /^\d{12}$/.test(scope)) sources.push({ accountId: scope, region: global });
  }
  return sources;
}

/**
 * Organizations' and Identity Center's changes are recorded in the management account. From a
 * delegated administrator account, changes made there are not in this account's history.
 */
async function whyNotCovered(config: ConnectorConfig, aws: AwsClients, selfAccountId: string, signal?: AbortSignal): Promise<string | undefined> {
  if (!config.features.organizations && !config.features.identityCenter) return undefined;
  try {
    const out = await aws.organizations().send(new DescribeOrganizationCommand({}), { abortSignal: signal });
    const management = out.Organization?.MasterAccountId;
    if (management && management !== selfAccountId) {
      return `the connector runs in ${selfAccountId}, not in the management account ${management}: CloudTrail there does not record the organisation's Organizations and Identity Center changes`;
    }
    return undefined;
  } catch (error) {
    if (awsErrorKind(error) === "not-in-organization") return undefined;
    throw error;
  }
}

function dedupe(events: TrailRecord[]): TrailRecord[] {
  const byId = new Map<string, TrailRecord>();
  for (const event of events) byId.set(event.id, event);
  return [...byId.values()];
}

function dedupePatterns(patterns: ReadPattern[]): ReadPattern[] {
  const byKey = new Map<string, ReadPattern>();
  for (const pattern of patterns) byKey.set(JSON.stringify(pattern), pattern);
  return [...byKey.values()];
}

const wholeSecond = (ms: number) => Math.floor(ms / 1000) * 1000 - 1000;

/** What in the configuration shapes what is synced: another configuration needs a full sync. */
export function configFingerprint(config: ConnectorConfig): string {
  const shape = {
    region: config.aws.region,
    ssoRegion: config.aws.ssoRegion,
    roles: config.aws.assumeRoleChain.map((hop) => hop.roleArn),
    features: config.features,
  };
  return createHash("sha256").update(JSON.stringify(shape)).digest("hex").slice(0, 32);
}
