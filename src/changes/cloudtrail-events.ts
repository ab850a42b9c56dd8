import { LookupEventsCommand, type LookupAttribute } from "@aws-sdk/client-cloudtrail";
import pLimit from "p-limit";
import type { AwsClients } from "../aws/clients.js";
import { awsErrorKind } from "../aws/errors.js";
import { continuesListing } from "../aws/middleware.js";

/**
 * Reading CloudTrail's event history (LookupEvents) for what changed: one source per account and
 * Region whose history can hold a relevant event — the connector's account in the Region AWS files
 * its global services under (IAM, Organizations) and in the Identity Center Region, and, with
 * cross-account IAM, each member account's global Region. Every page to the end; each source paced
 * at its own quota (two requests per second per account and Region, src/aws/clients.ts).
 */
export interface TrailSource {
  /** Undefined: the connector's own account. */
  accountId?: string;
  region: string;
}

/** One CloudTrail event, as the rest of the code reads it (from LookupEvents' CloudTrailEvent JSON). */
export interface TrailRecord {
  id: string;
  /** Epoch ms. */
  time: number;
  source: string;
  name: string;
  /** The account the event was recorded in (recipientAccountId). */
  accountId: string;
  region: string;
  readOnly: boolean;
  /** Set when the call failed: nothing changed. */
  errorCode?: string;
  request: Record<string, unknown>;
  response: Record<string, unknown>;
  /** The whole event. */
  raw: Record<string, unknown>;
}

export interface LookupWindow {
  start: number;
  end: number;
  /** One lookup attribute (AWS allows one): e.g. ReadOnly=false for writes only. */
  attribute?: LookupAttribute;
}

export type SourceOutcome = { ok: true; source: TrailSource; events: TrailRecord[]; pages: number } | { ok: false; source: TrailSource; reason: string; pages: number };

/** Reads every page of every source (several sources at once), newest first within each. */
export async function lookupEvents(aws: AwsClients, sources: readonly TrailSource[], window: LookupWindow, signal?: AbortSignal): Promise<SourceOutcome[]> {
  const limit = pLimit(16);
  return Promise.all(sources.map((source) => limit(() => lookupSource(aws, source, window, signal))));
}

async function lookupSource(aws: AwsClients, source: TrailSource, window: LookupWindow, signal?: AbortSignal): Promise<SourceOutcome> {
  let pages = 0;
  const where = `${source.accountId ?? "the connector's account"} in ${source.region}`;
  try {
    const client = await aws.cloudTrail(source.region, source.accountId);
    const events: TrailRecord[] = [];
    const startedAt = Date.now();
    let nextToken: string | undefined;
    do {
      const out = await client.send(
        continuesListing(
          new LookupEventsCommand({
            StartTime: new Date(window.start),
            EndTime: new Date(window.end),
            LookupAttributes: window.attribute ? [window.attribute] : undefined,
            MaxResults: 50,
            NextToken: nextToken,
          }),
          startedAt,
        ),
        { abortSignal: signal },
      );
      pages++;
      for (const event of out.Events ?? []) {
        const record = parseEvent(event.CloudTrailEvent, source);
        if (record) events.push(record);
      }
      nextToken = out.NextToken || undefined;
    } while (nextToken);
    return { ok: true, source, events, pages };
  } catch (error) {
    const kind = awsErrorKind(error);
    if (kind === "access-denied") return { ok: false, source, pages, reason: `cloudtrail:LookupEvents was denied for ${where}` };
    if (kind === "credentials") return { ok: false, source, pages, reason: `cannot reach CloudTrail of ${where}: ${(error as Error).message}` };
    throw error;
  }
}

function parseEvent(json: string | undefined, source: TrailSource): TrailRecord | undefined {
  if (!json) return undefined;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const time = Date.parse(String(raw.eventTime ?? ""));
  if (!Number.isFinite(time) || typeof raw.eventID !== "string") return undefined;
  const object = (value: unknown) => (typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {});
  return {
    id: raw.eventID,
    time,
    source: String(raw.eventSource ?? ""),
    name: String(raw.eventName ?? ""),
    accountId: String(raw.recipientAccountId ?? source.accountId ?? ""),
    region: String(raw.awsRegion ?? source.region),
    readOnly: raw.readOnly === true || raw.readOnly === "true",
    errorCode: typeof raw.errorCode === "string" && raw.errorCode !== "" ? raw.errorCode : undefined,
    request: object(raw.requestParameters),
    response: object(raw.responseElements),
    raw,
  };
}

/** The Region AWS files global services' events under, in the partition of `region`. */
export function globalEventsRegion(region: string): string {
  if (region.startsWith("us-gov-")) return "us-gov-west-1";
  if (region.startsWith("cn-")) return "cn-north-1";
  return "us-east-1";
}
