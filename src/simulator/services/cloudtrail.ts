/**
 * CloudTrail (awsJson1_1, target CloudTrail_20131101): LookupEvents over the event history the
 * simulator keeps of its own writes (cloudtrail-log.ts). As AWS: at most one lookup attribute,
 * 1–50 events a page (default 50), newest first, the 90-day window, StartTime after EndTime
 * refused, a NextToken valid only with the parameters it came from, and a quota of two requests
 * per second per account and Region (ThrottlingException, HTTP 429).
 */
import { createHash } from "node:crypto";
import type { LookupAttributeKey, TrailEvent } from "../cloudtrail-log.js";
import { SimError } from "../errors.js";
import { timestamp } from "../protocol/timestamp.js";
import type { Input, RequestContext, ServiceDefinition } from "./service.js";

const ATTRIBUTE_KEYS: readonly LookupAttributeKey[] = ["EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId"];
const MAX_RESULTS = 50;
const MAX_ATTRIBUTE_VALUE = 2000;

function lookupEvents(ctx: RequestContext, input: Input) {
  const attribute = lookupAttribute(input.LookupAttributes);
  const start = time(input.StartTime, "StartTime");
  const end = time(input.EndTime, "EndTime");
  if (start !== undefined && end !== undefined && start > end) {
    throw SimError.coded("InvalidTimeRangeException", "Start time must be less than or equal to end time.");
  }
  const maxResults = input.MaxResults ?? MAX_RESULTS;
  if (typeof maxResults !== "number" || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS) {
    throw SimError.coded("InvalidMaxResultsException", "MaxResults must be an integer between 1 and 50.");
  }
  if (input.EventCategory !== undefined && input.EventCategory !== "insight") {
    throw SimError.coded("InvalidEventCategoryException", `Event category ${String(input.EventCategory)} is not valid.`);
  }
  // The simulator keeps no Insights events: asking for them returns none.
  if (input.EventCategory === "insight") return { Events: [] };
  const query = { start, end, attribute };
  const fingerprint = hash(JSON.stringify({ ...query, account: ctx.caller.accountId, region: ctx.region }));
  const after = input.NextToken === undefined ? undefined : readToken(input.NextToken, fingerprint);
  const events = ctx.sim.cloudTrail.lookup({ accountId: ctx.caller.accountId, region: ctx.region, now: ctx.now, ...query });
  // Newest first; a page continues strictly after the last event of the previous one.
  const from = after === undefined ? 0 : events.findIndex((e) => e.time < after.time || (e.time === after.time && e.seq < after.seq));
  const page = from < 0 ? [] : events.slice(from, from + maxResults);
  const last = page.at(-1);
  const more = from >= 0 && from + maxResults < events.length;
  return {
    Events: page.map(wireEvent),
    NextToken: more && last ? writeToken(fingerprint, last) : undefined,
  };
}

function wireEvent(event: TrailEvent) {
  return {
    EventId: event.id,
    EventName: event.name,
    ReadOnly: String(event.readOnly),
    AccessKeyId: event.accessKeyId,
    EventTime: timestamp(event.time),
    EventSource: event.source,
    Username: event.username,
    Resources: event.resources.map((r) => ({ ResourceType: r.type, ResourceName: r.name })),
    CloudTrailEvent: JSON.stringify(event.record),
  };
}

function lookupAttribute(value: unknown): { key: LookupAttributeKey; value: string } | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw SimError.coded("InvalidLookupAttributesException", "LookupAttributes must be a list.");
  if (value.length === 0) return undefined;
  if (value.length > 1) throw SimError.coded("InvalidLookupAttributesException", "You can specify only one lookup attribute.");
  const item = value[0] as Record<string, unknown>;
  const key = item?.AttributeKey;
  const text = item?.AttributeValue;
  if (typeof key !== "string" || !(ATTRIBUTE_KEYS as readonly string[]).includes(key)) {
    throw SimError.coded("InvalidLookupAttributesException", `The attribute key ${String(key)} is not valid.`);
  }
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_ATTRIBUTE_VALUE) {
    throw SimError.coded("InvalidLookupAttributesException", "The attribute value must be between 1 and 2000 characters.");
  }
  return { key: key as LookupAttributeKey, value: text };
}

/** awsJson timestamps: epoch seconds, possibly fractional. */
function time(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) throw SimError.coded("InvalidTimeRangeException", `${field} is not a valid timestamp.`);
  return value * 1000;
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 16);
}

function writeToken(fingerprint: string, last: TrailEvent): string {
  return Buffer.from(JSON.stringify({ f: fingerprint, t: last.time, s: last.seq })).toString("base64");
}

function readToken(token: unknown, fingerprint: string): { time: number; seq: number } {
  const invalid = () => SimError.coded("InvalidNextTokenException", "Invalid NextToken: it is not valid or was used with different parameters.");
  if (typeof token !== "string") throw invalid();
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { f?: string; t?: number; s?: number };
    if (parsed.f !== fingerprint || typeof parsed.t !== "number" || typeof parsed.s !== "number") throw invalid();
    return { time: parsed.t, seq: parsed.s };
  } catch {
    throw invalid();
  }
}

export const cloudTrailService: ServiceDefinition = {
  name: "cloudtrail",
  protocol: "json",
  operations: { LookupEvents: lookupEvents },
  writes: new Set<string>(),
  // "Two per second, per account, per Region."
  quotaScope: (caller, region) => `${caller.accountId} ${region}`,
};
