import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ListAccountsCommand } from "@aws-sdk/client-organizations";
import type { AwsClients } from "../aws/clients.js";
import type { ConnectorConfig } from "../config/config.js";
import { EventSchema, EventType, type Event, type EventFeedMetadata } from "../gen/c1/connector/v2/event_feed_pb.js";
import { ResourceTypeIds, ssoUserArn } from "../resources/ids.js";
import type { ResourceRef } from "../sync/changes.js";
import { globalEventsRegion, lookupEvents, type TrailRecord, type TrailSource } from "./cloudtrail-events.js";
import { ResourceChanges } from "./resource-changes.js";

/**
 * baton's event feed, from CloudTrail: two feeds —
 *  - `aws_resource_changes`: a ResourceChangeEvent for each resource a write changed (the
 *    resources an incremental sync would read again), so a host can sync just those;
 *  - `aws_last_login_event_feed` (baton-aws's id and kind): a UsageEvent for each console sign-in of
 *    an IAM user and each access-portal sign-in of an Identity Center user.
 *
 * Events come in time order. The position (time, event id, index within the event) travels in the
 * cursor, which the connector signs like a page token; a page ends at the delivery horizon — now
 * minus how late CloudTrail may show an event (cloudtrail-delay) — so an event delivered late is
 * never skipped, and a cursor resumes where it stopped, days later if need be (within CloudTrail's
 * 90 days).
 */
export const RESOURCE_CHANGES_FEED = "aws_resource_changes";
export const LAST_LOGIN_FEED = "aws_last_login_event_feed";

export interface FeedPosition {
  /** Epoch ms of the last event returned, its CloudTrail event id and index. */
  t: number;
  e: string;
  n: number;
}

export interface FeedPage {
  events: Event[];
  position: FeedPosition;
  hasMore: boolean;
}

export interface EventFeeds {
  feeds(): EventFeedMetadata[];
  has(feedId: string): boolean;
  list(feedId: string, from: FeedPosition | undefined, startAt: number | undefined, pageSize: number, signal: AbortSignal): Promise<FeedPage>;
}

/** Without a cursor or a start, a feed starts this far back (baton's --event-feed-start-at default is a day). */
const DEFAULT_LOOKBACK_MS = 24 * 3600 * 1000;
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

interface Item {
  t: number;
  e: string;
  n: number;
  event: Event;
}

export function createEventFeeds(config: ConnectorConfig, aws: AwsClients, types: ReadonlySet<string>, now: () => number = Date.now): EventFeeds {
  const global = globalEventsRegion(config.aws.region);
  const sso = config.aws.ssoRegion;
  const feeds: EventFeedMetadata[] = [
    { $typeName: "c1.connector.v2.EventFeedMetadata", id: RESOURCE_CHANGES_FEED, supportedEventTypes: [EventType.RESOURCE_CHANGE] },
    { $typeName: "c1.connector.v2.EventFeedMetadata", id: LAST_LOGIN_FEED, supportedEventTypes: [EventType.USAGE] },
  ];

  /** The connector's account, and each member account when member accounts' IAM is synced. */
  async function memberAccounts(selfAccountId: string, signal: AbortSignal): Promise<string[]> {
    if (!config.features.crossAccountIam || !config.features.organizations) return [];
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const out = await aws.organizations().send(new ListAccountsCommand({ NextToken: token }), { abortSignal: signal });
      for (const a of out.Accounts ?? []) if (a.Id && a.Id !== selfAccountId && (a.State ?? a.Status) === "ACTIVE") ids.push(a.Id);
      token = out.NextToken;
    } while (token);
    return ids;
  }

  async function items(feedId: string, start: number, end: number, signal: AbortSignal): Promise<Item[]> {
    const self = (await aws.callerIdentity()).accountId;
    const members = await memberAccounts(self, signal);
    const regions = [...new Set([global, ...(config.features.identityCenter ? [sso] : [])])];
    const out: Item[] = [];
    if (feedId === RESOURCE_CHANGES_FEED) {
      const sources: TrailSource[] = [...regions.map((region) => ({ region })), ...members.map((accountId) => ({ accountId, region: global }))];
      const records = await read(sources, { AttributeKey: "ReadOnly", AttributeValue: "false" });
      const changes = new ResourceChanges({ aws, selfAccountId: self, ssoRegion: sso, types, crossAccountIam: config.features.crossAccountIam, signal });
      for (const record of records) {
        const refs = await changes.of(record);
        refs.forEach((ref, n) => out.push({ t: record.time, e: record.id, n, event: changeEvent(record, ref, n) }));
      }
    } else {
      const signIns: TrailSource[] = [...regions.map((region) => ({ region })), ...members.map((accountId) => ({ accountId, region: global }))];
      const records = [
        ...(await read(signIns, { AttributeKey: "EventSource", AttributeValue: "signin.amazonaws.com" })),
        ...(config.features.identityCenter ? await read([{ region: sso }], { AttributeKey: "EventSource", AttributeValue: "sso.amazonaws.com" }) : []),
      ];
      for (const record of records) {
        const event = usageEvent(record, sso, types);
        if (event) out.push({ t: record.time, e: record.id, n: 0, event });
      }
    }
    return out.sort(compare);

    async function read(sources: TrailSource[], attribute: { AttributeKey: "ReadOnly" | "EventSource"; AttributeValue: string }): Promise<TrailRecord[]> {
      const outcomes = await lookupEvents(aws, sources, { start, end, attribute }, signal);
      const failed = outcomes.find((o) => !o.ok);
      if (failed && !failed.ok) throw new Error(failed.reason);
      const byId = new Map<string, TrailRecord>();
      for (const o of outcomes) if (o.ok) for (const r of o.events) byId.set(r.id, r);
      return [...byId.values()];
    }
  }

  return {
    feeds: () => feeds,
    has: (feedId) => feeds.some((f) => f.id === feedId),
    async list(feedId, from, startAt, pageSize, signal) {
      const horizon = now() - config.changes.deliveryDelayMs;
      const position: FeedPosition = from ?? { t: (startAt ?? now() - DEFAULT_LOOKBACK_MS) - 1, e: "", n: 0 };
      const size = Math.min(pageSize > 0 ? pageSize : DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
      if (position.t >= horizon) return { events: [], position, hasMore: false };
      // CloudTrail times are whole seconds: a position inside a second reads that second again (and skips what it returned).
      const all = (await items(feedId, Math.floor(position.t / 1000) * 1000, horizon, signal)).filter((item) => compare(item, position) > 0);
      const page = all.slice(0, size);
      const last = page.at(-1);
      return { events: page.map((i) => i.event), position: last ? { t: last.t, e: last.e, n: last.n } : position, hasMore: all.length > page.length };
    },
  };
}

function compare(a: { t: number; e: string; n: number }, b: { t: number; e: string; n: number }): number {
  return a.t - b.t || (a.e < b.e ? -1 : a.e > b.e ? 1 : 0) || a.n - b.n;
}

function changeEvent(record: TrailRecord, ref: ResourceRef, n: number): Event {
  return create(EventSchema, {
    id: n === 0 ? record.id : `${record.id}:${n}`,
    occurredAt: timestampFromMs(record.time),
    event: {
      case: "resourceChangeEvent",
      value: {
        resourceId: { resourceType: ref.type, resource: ref.id },
        parentResourceId: ref.parentType ? { resourceType: ref.parentType, resource: ref.parentId ?? "" } : undefined,
      },
    },
  });
}

/** A sign-in: an IAM user's console sign-in, an Identity Center user's portal sign-in or account federation. */
function usageEvent(record: TrailRecord, ssoRegion: string, types: ReadonlySet<string>): Event | undefined {
  const identity = (record.raw.userIdentity ?? {}) as Record<string, unknown>;
  const accountType = types.has(ResourceTypeIds.account) ? ResourceTypeIds.account : ResourceTypeIds.accountIam;
  let actor: { type: string; id: string; name: string } | undefined;
  let account = record.accountId;
  if (record.name === "ConsoleLogin") {
    if (identity.type !== "IAMUser" || (record.response as Record<string, unknown>).ConsoleLogin !== "Success") return undefined;
    actor = { type: ResourceTypeIds.iamUser, id: String(identity.arn ?? ""), name: String(identity.userName ?? "") };
  } else if (record.name === "Authenticate" || record.name === "Federate" || record.name === "UserAuthentication") {
    const onBehalfOf = (identity.onBehalfOf ?? {}) as Record<string, unknown>;
    const userId = typeof onBehalfOf.userId === "string" ? onBehalfOf.userId : undefined;
    const storeId = typeof onBehalfOf.identityStoreArn === "string" ? onBehalfOf.identityStoreArn.slice(onBehalfOf.identityStoreArn.lastIndexOf("/") + 1) : undefined;
    if (!userId || !storeId) return undefined;
    actor = { type: ResourceTypeIds.ssoUser, id: ssoUserArn(ssoRegion, storeId, userId), name: userId };
    if (record.name === "Federate" && typeof record.request.accountId === "string") account = record.request.accountId;
  }
  if (!actor?.id || !types.has(actor.type)) return undefined;
  return create(EventSchema, {
    id: record.id,
    occurredAt: timestampFromMs(record.time),
    event: {
      case: "usageEvent",
      value: {
        targetResource: { id: { resourceType: accountType, resource: account }, displayName: account },
        actorResource: { id: { resourceType: actor.type, resource: actor.id }, displayName: actor.name },
      },
    },
  });
}
