/**
 * CloudTrail's event history: one management event for every write the simulator serves (the
 * write hook, write-events.ts), successful or not, filed under the account the write acted in and
 * the Region AWS records it in — us-east-1 for the global services (IAM, Organizations, STS), the
 * instance's Region for Identity Center and Identity Store. An event becomes visible to
 * LookupEvents after the delivery delay (knob `cloudTrail`), and is gone after the retention
 * (AWS: 90 days). Sign-in events, which no API call produces, are recorded with `signIn`.
 */
import type { Caller } from "./credentials.js";
import type { ServiceName } from "./errors.js";
import type { KnobStore } from "./knobs.js";
import type { SimModel } from "./model/types.js";
import type { Prng } from "./generate/prng.js";
import type { WriteEvent, WriteEvents } from "./write-events.js";

/** The Region AWS files global services' events under. */
export const GLOBAL_EVENTS_REGION = "us-east-1";

export const EVENT_SOURCES: Record<ServiceName, string> = {
  iam: "iam.amazonaws.com",
  sts: "sts.amazonaws.com",
  identitystore: "identitystore.amazonaws.com",
  "sso-admin": "sso.amazonaws.com",
  organizations: "organizations.amazonaws.com",
  cloudtrail: "cloudtrail.amazonaws.com",
};

export interface TrailResource {
  type: string;
  name: string;
}

/** One event as the history keeps it; `record` is the CloudTrail JSON LookupEvents returns as a string. */
export interface TrailEvent {
  id: string;
  name: string;
  source: string;
  /** Epoch ms. */
  time: number;
  readOnly: boolean;
  accountId: string;
  region: string;
  username?: string;
  accessKeyId?: string;
  resources: TrailResource[];
  record: Record<string, unknown>;
  /** When LookupEvents starts showing it (epoch ms). */
  visibleAt: number;
  /** Arrival order: breaks ties between events of the same millisecond. */
  seq: number;
}

export type LookupAttributeKey = "EventId" | "EventName" | "ReadOnly" | "Username" | "ResourceType" | "ResourceName" | "EventSource" | "AccessKeyId";

export interface LookupQuery {
  accountId: string;
  region: string;
  now: number;
  start?: number;
  end?: number;
  attribute?: { key: LookupAttributeKey; value: string };
}

/** A sign-in, which CloudTrail records without any API call behind it. */
export type SignIn =
  /** An IAM user signing in to the console (signin.amazonaws.com ConsoleLogin). */
  | { kind: "console"; accountId: string; userName: string; success?: boolean }
  /** An Identity Center user signing in to the access portal (sso.amazonaws.com Authenticate). */
  | { kind: "portal"; userId: string }
  /** An Identity Center user opening an account from the portal (sso.amazonaws.com Federate). */
  | { kind: "federate"; userId: string; accountId: string; permissionSetName?: string };

export interface CloudTrailLog {
  /** Events visible now, newest first, as LookupEvents filters them. */
  lookup(query: LookupQuery): TrailEvent[];
  /** Records a sign-in event (visible after the delivery delay, like every event). */
  signIn(signIn: SignIn, time: number): TrailEvent;
  /** Every event recorded, visible or not, oldest first (tests, the admin route). */
  all(): TrailEvent[];
}

export function createCloudTrailLog(deps: { model: SimModel; knobs: KnobStore; writes: WriteEvents; prng: () => Prng; clock: () => number }): CloudTrailLog {
  const { model, knobs } = deps;
  /** `account region` → events in (time, seq) order. */
  const byStream = new Map<string, TrailEvent[]>();
  let seq = 0;

  const add = (event: Omit<TrailEvent, "visibleAt" | "seq">): TrailEvent => {
    const { deliveryDelayMs, deliveryJitterMs, retentionDays } = knobs.current.cloudTrail;
    const delay = deliveryDelayMs + (deliveryJitterMs > 0 ? deps.prng().next() * deliveryJitterMs : 0);
    const full: TrailEvent = { ...event, visibleAt: event.time + delay, seq: ++seq };
    const key = `${event.accountId} ${event.region}`;
    let stream = byStream.get(key);
    if (!stream) byStream.set(key, (stream = []));
    // Usually appended; a clock moved back by a test inserts in place.
    let at = stream.length;
    while (at > 0 && stream[at - 1]!.time > full.time) at--;
    stream.splice(at, 0, full);
    // Retention: what is older than the window is gone for good.
    const cutoff = deps.clock() - retentionDays * DAY_MS;
    let expired = 0;
    while (expired < stream.length && stream[expired]!.time < cutoff) expired++;
    if (expired > 0) stream.splice(0, expired);
    return full;
  };

  deps.writes.subscribe((write) => {
    add(writeEvent(write, model, deps.prng()));
  });

  return {
    lookup(query) {
      const { retentionDays } = knobs.current.cloudTrail;
      const stream = byStream.get(`${query.accountId} ${query.region}`) ?? [];
      const oldest = Math.max(query.start ?? -Infinity, query.now - retentionDays * DAY_MS);
      const newest = query.end ?? Infinity;
      const out: TrailEvent[] = [];
      for (let i = stream.length - 1; i >= 0; i--) {
        const event = stream[i]!;
        if (event.time < oldest) break;
        if (event.time > newest || event.visibleAt > query.now) continue;
        if (query.attribute && !matches(event, query.attribute.key, query.attribute.value)) continue;
        out.push(event);
      }
      return out;
    },
    signIn(signIn, time) {
      return add(signInEvent(signIn, model, deps.prng(), time));
    },
    all() {
      return [...byStream.values()].flat().sort((a, b) => a.time - b.time || a.seq - b.seq);
    },
  };
}

const DAY_MS = 24 * 3600 * 1000;

function matches(event: TrailEvent, key: LookupAttributeKey, value: string): boolean {
  switch (key) {
    case "EventId":
      return event.id === value;
    case "EventName":
      return event.name === value;
    case "ReadOnly":
      return String(event.readOnly) === value;
    case "Username":
      return event.username === value;
    case "EventSource":
      return event.source === value;
    case "AccessKeyId":
      return event.accessKeyId === value;
    case "ResourceType":
      return event.resources.some((r) => r.type === value);
    case "ResourceName":
      return event.resources.some((r) => r.name === value);
  }
}

/** The Region AWS records a service's events in. */
export function eventRegion(service: ServiceName, model: SimModel): string {
  return service === "identitystore" || service === "sso-admin" ? model.region : GLOBAL_EVENTS_REGION;
}

function writeEvent(write: WriteEvent, model: SimModel, prng: Prng): Omit<TrailEvent, "visibleAt" | "seq"> {
  const time = wholeSeconds(write.time);
  const region = eventRegion(write.service, model);
  const requestParameters = write.service === "iam" || write.service === "sts" ? queryParameters(write.params) : camelKeys(write.params);
  const record: Record<string, unknown> = {
    eventVersion: "1.09",
    userIdentity: userIdentity(write.principal),
    eventTime: isoSeconds(time),
    eventSource: EVENT_SOURCES[write.service],
    eventName: write.operation,
    awsRegion: region,
    sourceIPAddress: "127.0.0.1",
    userAgent: "aws-simulator",
    requestParameters,
    responseElements: write.result === undefined || write.result === null ? null : camelKeys(write.result),
    ...(write.error ? { errorCode: write.error.code, errorMessage: write.error.message } : {}),
    requestID: write.requestId,
    eventID: prng.uuid(),
    readOnly: false,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: write.principal.accountId,
    eventCategory: "Management",
  };
  const resources = resourcesOf(requestParameters as Record<string, unknown>);
  if (resources.length > 0) record.resources = resources.map((r) => ({ type: r.type, ARN: r.name }));
  return {
    id: record.eventID as string,
    name: write.operation,
    source: EVENT_SOURCES[write.service],
    time,
    readOnly: false,
    accountId: write.principal.accountId,
    region,
    username: usernameOf(write.principal),
    resources,
    record,
  };
}

function signInEvent(signIn: SignIn, model: SimModel, prng: Prng, at: number): Omit<TrailEvent, "visibleAt" | "seq"> {
  const time = wholeSeconds(at);
  const eventID = prng.uuid();
  const base = { eventVersion: "1.09", eventTime: isoSeconds(time), sourceIPAddress: "127.0.0.1", userAgent: "Mozilla/5.0 (simulator)", eventID, readOnly: false, managementEvent: true, eventCategory: "Management" };
  if (signIn.kind === "console") {
    const arn = `arn:aws:iam::${signIn.accountId}:user/${signIn.userName}`;
    const ok = signIn.success ?? true;
    const record = {
      ...base,
      userIdentity: { type: "IAMUser", principalId: `AIDA${signIn.userName.toUpperCase().slice(0, 12)}`, arn, accountId: signIn.accountId, userName: signIn.userName },
      eventSource: "signin.amazonaws.com",
      eventName: "ConsoleLogin",
      awsRegion: GLOBAL_EVENTS_REGION,
      requestParameters: null,
      responseElements: { ConsoleLogin: ok ? "Success" : "Failure" },
      additionalEventData: { MFAUsed: "No", LoginTo: "https://console.aws.amazon.com/console/home" },
      eventType: "AwsConsoleSignIn",
      recipientAccountId: signIn.accountId,
    };
    return { id: eventID, name: "ConsoleLogin", source: "signin.amazonaws.com", time, readOnly: false, accountId: signIn.accountId, region: GLOBAL_EVENTS_REGION, username: signIn.userName, resources: [], record };
  }
  const instanceOwner = model.ssoInstance?.ownerAccountId ?? model.organization?.managementAccountId ?? "";
  const storeId = model.identityStore?.id ?? "";
  const userName = model.identityStore?.users.get(signIn.userId)?.userName;
  const onBehalfOf = { userId: signIn.userId, identityStoreArn: `arn:aws:identitystore::${instanceOwner}:identitystore/${storeId}` };
  const name = signIn.kind === "portal" ? "Authenticate" : "Federate";
  const record = {
    ...base,
    userIdentity: { type: "IdentityCenterUser", accountId: instanceOwner, onBehalfOf, credentialId: prng.hex(16) },
    eventSource: "sso.amazonaws.com",
    eventName: name,
    awsRegion: model.region,
    requestParameters: signIn.kind === "federate" ? { accountId: signIn.accountId, roleName: signIn.permissionSetName ?? "" } : null,
    responseElements: null,
    eventType: "AwsServiceEvent",
    recipientAccountId: instanceOwner,
  };
  return { id: eventID, name, source: "sso.amazonaws.com", time, readOnly: false, accountId: instanceOwner, region: model.region, username: userName, resources: [], record };
}

function userIdentity(caller: Caller): Record<string, unknown> {
  if (caller.kind === "root") return { type: "Root", principalId: caller.accountId, arn: caller.arn, accountId: caller.accountId };
  if (caller.kind === "user") return { type: "IAMUser", principalId: caller.userId, arn: caller.arn, accountId: caller.accountId, userName: caller.userName };
  return {
    type: "AssumedRole",
    principalId: caller.userId,
    arn: caller.arn,
    accountId: caller.accountId,
    sessionContext: { sessionIssuer: { type: "Role", principalId: caller.userId.split(":")[0], arn: caller.roleArn, accountId: caller.accountId, userName: caller.roleName } },
  };
}

function usernameOf(caller: Caller): string {
  if (caller.kind === "root") return "root";
  if (caller.kind === "user") return caller.userName ?? "";
  return caller.sessionName ?? caller.roleName ?? "";
}

/** CloudTrail writes request members with a lower-case first letter, at every depth. */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (typeof value !== "object" || value === null || value instanceof Date) return value;
  if (value.constructor !== Object) return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [lowerFirst(key), camelKeys(v)]));
}

const lowerFirst = (key: string) => (key.length === 0 ? key : key[0]!.toLowerCase() + key.slice(1));

/** awsQuery form fields (`Tags.member.1.Key=…`) as CloudTrail shows them: nested, lower-camel. */
export function queryParameters(params: Record<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(params)) {
    if (field === "Action" || field === "Version") continue;
    const parts = field.split(".");
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const last = i === parts.length - 1;
      if (part === "member" || part === "entry") continue;
      const index = /^\d+$/.test(part) ? Number(part) - 1 : undefined;
      const key: string | number = index ?? lowerFirst(part);
      if (last) {
        (node as Record<string | number, unknown>)[key] = value;
        break;
      }
      const nextIsIndex = parts[i + 1] === "member" || parts[i + 1] === "entry" || /^\d+$/.test(parts[i + 1] ?? "");
      let child = (node as Record<string | number, unknown>)[key] as Record<string, unknown> | unknown[] | undefined;
      if (child === undefined) {
        child = nextIsIndex ? [] : {};
        (node as Record<string | number, unknown>)[key] = child;
      }
      node = child;
    }
  }
  return root;
}

/** The resources an event names, as LookupEvents' ResourceType/ResourceName attributes match them. */
function resourcesOf(parameters: Record<string, unknown>): TrailResource[] {
  const out: TrailResource[] = [];
  const add = (type: string, name: unknown) => {
    if (typeof name === "string" && name !== "") out.push({ type, name });
  };
  add("AWS::IAM::User", parameters.userName);
  add("AWS::IAM::Group", parameters.groupName);
  add("AWS::IAM::Role", parameters.roleName);
  add("AWS::IAM::Policy", parameters.policyArn);
  add("AWS::IAM::AccessKey", parameters.accessKeyId);
  add("AWS::SSO::PermissionSet", parameters.permissionSetArn);
  add("AWS::SSO::Instance", parameters.instanceArn);
  add("AWS::Organizations::Account", parameters.accountId);
  return out;
}

/** CloudTrail records event times to the second. */
const wholeSeconds = (ms: number) => Math.floor(ms / 1000) * 1000;

/** CloudTrail's eventTime: ISO-8601 UTC to the second. */
function isoSeconds(ms: number): string {
  return new Date(wholeSeconds(ms)).toISOString().replace(".000Z", "Z");
}
