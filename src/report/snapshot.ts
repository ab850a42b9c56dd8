import { fromBinary, type JsonObject } from "@bufbuild/protobuf";
import { anyUnpack, timestampMs, type Any, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Database } from "better-sqlite3";
import { lengthDelimitedField } from "../c1z/grant-bytes.js";
import type { SyncRun } from "../c1z/sync-runs.js";
import { parseC1zTime } from "../c1z/timestamps.js";
import { UserTraitSchema, UserTrait_Status_Status } from "../gen/c1/connector/v2/annotation_trait_pb.js";
import { GrantSourcesSchema } from "../gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, ResourceTypeSchema, ResourceType_Trait, Status_ResourceStatus, type Resource } from "../gen/c1/connector/v2/resource_pb.js";

/**
 * One sync of a c1z, read into memory in the shape the report needs: every resource with the
 * facts a reviewer reads (name, e-mail, status, last sign-in, policy document, scope binding),
 * entitlements by id, and every grant as its columns plus the expansion sources baton recorded.
 * Only baton's data model is relied on (tables, columns, messages, traits, profile keys), so any
 * baton connector's file for AWS reads the same way as ours.
 */
export type ResourceStatus = "enabled" | "disabled" | "deleted" | "unknown";

export interface ResourceInfo {
  /** "<resource type>:<resource id>", the c1z's resource external_id. */
  key: string;
  typeId: string;
  id: string;
  name: string;
  parentKey?: string;
  email?: string;
  login?: string;
  status: ResourceStatus;
  /** Epoch ms. */
  lastLoginMs?: number;
  createdMs?: number;
  /** An IAM policy's document (profile `policy_document`). */
  policyDocument?: string;
  /** A scope binding (baton's ScopeBindingTrait): the role it binds and where. */
  binding?: { roleKey: string; scopeKey: string };
}

export interface EntitlementInfo {
  id: string;
  resourceKey: string;
  slug: string;
  displayName: string;
}

/**
 * Every grant of the sync, column by column (a large organisation's sync holds millions): the
 * entitlement, the principal and, for a grant baton's expansion derived, the entitlements its
 * principal holds that lead to it. Grant ids are not kept: an entitlement and a principal name a
 * grant.
 */
export interface GrantTable {
  count: number;
  /** Index into Snapshot.entitlementIds. */
  entitlement: Int32Array;
  /** Index into Snapshot.keys (resource keys). */
  principal: Int32Array;
  /** Index into Snapshot.sourceLists; -1 for a grant with no expansion sources; DERIVED_UNREAD. */
  sources: Int32Array;
}

export interface ResourceTypeInfo {
  id: string;
  name: string;
  traits: Set<ResourceType_Trait>;
}

export interface Snapshot {
  label: string;
  sync: SyncRun;
  /** When the sync started, epoch ms (undefined if the file's time is unreadable). */
  startedMs?: number;
  endedMs?: number;
  resourceTypes: Map<string, ResourceTypeInfo>;
  resources: Map<string, ResourceInfo>;
  /** Resource keys: every resource, then principals and entitlement holders the file does not list. */
  keys: Interner;
  entitlementIds: Interner;
  /** Parallel to entitlementIds (entitlements a grant names but the file lacks have a stub). */
  entitlements: EntitlementInfo[];
  /** Distinct expansion-source lists, as entitlement indexes. */
  sourceLists: number[][];
  grants: GrantTable;
}

/** Strings to dense indexes and back. */
export class Interner {
  readonly values: string[] = [];
  readonly #index = new Map<string, number>();

  id(value: string): number {
    let id = this.#index.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.#index.set(value, id);
    }
    return id;
  }

  find(value: string): number | undefined {
    return this.#index.get(value);
  }

  get size(): number {
    return this.values.length;
  }
}

export const resourceKey = (typeId: string, id: string) => `${typeId}:${id}`;

const SCOPE_BINDING_TYPE = "type.googleapis.com/c1.connector.v2.ScopeBindingTrait";
const textDecoder = new TextDecoder();

/** Reads sync `sync` of an open c1z v1 database. */
export function loadSnapshot(db: Database, sync: SyncRun, label: string): Snapshot {
  const resourceTypes = new Map<string, ResourceTypeInfo>();
  for (const row of db.prepare(`select data from v1_resource_types where sync_id = ?`).iterate(sync.syncId) as IterableIterator<{ data: Buffer }>) {
    const rt = fromBinary(ResourceTypeSchema, row.data);
    resourceTypes.set(rt.id, { id: rt.id, name: rt.displayName || rt.id, traits: new Set(rt.traits) });
  }

  const resources = new Map<string, ResourceInfo>();
  for (const row of db.prepare(`select data from v1_resources where sync_id = ?`).iterate(sync.syncId) as IterableIterator<{ data: Buffer }>) {
    const info = resourceInfo(fromBinary(ResourceSchema, row.data));
    if (info) resources.set(info.key, info);
  }

  const keys = new Interner();
  for (const key of resources.keys()) keys.id(key);

  const entitlementIds = new Interner();
  const entitlements: EntitlementInfo[] = [];
  const entitlementRows = db.prepare(`select external_id, resource_type_id, resource_id, data from v1_entitlements where sync_id = ?`).raw().iterate(sync.syncId) as IterableIterator<
    [string, string, string, Buffer]
  >;
  for (const [id, typeId, resourceId, data] of entitlementRows) {
    const index = entitlementIds.id(id);
    entitlements[index] = { id, resourceKey: resourceKey(typeId, resourceId), displayName: text(lengthDelimitedField(data, 3)), slug: text(lengthDelimitedField(data, 8)) };
  }

  // The count scans a covering index; its first and last row ids come with it. A sync's rows are
  // written together, so reading that id range alone skips the other syncs' pages of the table
  // (most of a file's bytes) instead of reading them once per sync.
  const span = db.prepare(`select count(*) as count, min(id) as first, max(id) as last from v1_grants where sync_id = ?`).get(sync.syncId) as {
    count: number;
    first: number | null;
    last: number | null;
  };
  const count = span.count;
  const grants: GrantTable = { count: 0, entitlement: new Int32Array(count), principal: new Int32Array(count), sources: new Int32Array(count) };
  const sourceListIds = new Interner();
  const sourceLists: number[][] = [];
  const sourceListByBytes = new Map<string, number>();
  const entitlementOf = (id: string, typeId: string, resourceId: string) => {
    const index = entitlementIds.id(id);
    entitlements[index] ??= { id, resourceKey: resourceKey(typeId, resourceId), displayName: "", slug: "" };
    return index;
  };
  // AWS attaches policies to IAM users, groups and roles and to permission sets; a policy grant to
  // anything else (an SSO user or group) can only have been derived by expansion. Those are never
  // rows (access.ts) and need no sources, so their bytes are not read: on a large organisation
  // they are most of the file (every holder of a permission set gets each of its policies).
  const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(", ");
  const grantRows = db
    .prepare(
      `select entitlement_id, resource_type_id, resource_id, principal_resource_type_id, principal_resource_id,
         case when resource_type_id in (${list(POLICY_TYPES)}) and principal_resource_type_id not in (${list(POLICY_HOLDER_TYPES)}) then null else data end
       from v1_grants where id between ? and ? and sync_id = ? order by id`,
    )
    .raw()
    .iterate(span.first ?? 0, span.last ?? -1, sync.syncId) as IterableIterator<[string, string, string, string, string, Buffer | null]>;
  for (const [entitlementId, typeId, resourceId, principalTypeId, principalId, data] of grantRows) {
    // A file changed under us could hold more rows than counted a moment ago.
    if (grants.count === grants.entitlement.length) break;
    const i = grants.count++;
    grants.entitlement[i] = entitlementOf(entitlementId, typeId, resourceId);
    grants.principal[i] = keys.id(resourceKey(principalTypeId, principalId));
    if (!data) {
      grants.sources[i] = DERIVED_UNREAD;
      continue;
    }
    const sourcesBytes = lengthDelimitedField(data, 5);
    if (!sourcesBytes || sourcesBytes.length === 0) {
      grants.sources[i] = -1;
      continue;
    }
    // Sources repeat across millions of grants (every member of a group, the same group): decode each distinct one once.
    const raw = Buffer.from(sourcesBytes.buffer, sourcesBytes.byteOffset, sourcesBytes.length).toString("latin1");
    let list = sourceListByBytes.get(raw);
    if (list === undefined) {
      const sources = Object.keys(fromBinary(GrantSourcesSchema, sourcesBytes).sources).sort();
      list = sources.length === 0 ? -1 : sourceListIds.id(sources.join("\n"));
      if (list === sourceLists.length) sourceLists.push(sources.map((s) => entitlementIds.find(s) ?? entitlementOf(s, ...splitHolder(s))));
      sourceListByBytes.set(raw, list);
    }
    grants.sources[i] = list;
  }
  for (const entitlement of entitlements) keys.id(entitlement.resourceKey);

  return {
    label,
    sync,
    startedMs: parseC1zTime(sync.startedAt)?.getTime(),
    endedMs: parseC1zTime(sync.endedAt)?.getTime(),
    resourceTypes,
    resources,
    keys,
    entitlementIds,
    entitlements,
    sourceLists,
    grants,
  };
}

/** "<type>:<resource id>:<slug>" → [type, resource id], for a source entitlement the file does not list. */
function splitHolder(entitlementId: string): [string, string] {
  const first = entitlementId.indexOf(":");
  const last = entitlementId.lastIndexOf(":");
  return first > 0 && last > first ? [entitlementId.slice(0, first), entitlementId.slice(first + 1, last)] : [entitlementId, ""];
}

/** GrantTable.sources of a grant known to be derived whose sources were not read. */
export const DERIVED_UNREAD = -2;

/** baton-aws's policy types, and the types AWS lets hold a policy. */
const POLICY_TYPES = ["iam_policy", "inline_policy"];
const POLICY_HOLDER_TYPES = ["iam_user", "group", "role", "permission_set", "permission_set_assignment"];

/** Whether grant `i` holds its entitlement directly (listed, or listed as well as derived). */
export function isDirect(snapshot: Snapshot, i: number): boolean {
  const list = snapshot.grants.sources[i]!;
  if (list === DERIVED_UNREAD) return false;
  return list < 0 || snapshot.sourceLists[list]!.includes(snapshot.grants.entitlement[i]!);
}

function resourceInfo(resource: Resource): ResourceInfo | undefined {
  const id = resource.id;
  if (!id) return undefined;
  const info: ResourceInfo = {
    key: resourceKey(id.resourceType, id.resource),
    typeId: id.resourceType,
    id: id.resource,
    name: resource.displayName || id.resource,
    status: statusOf(resource.status?.status),
  };
  if (resource.parentResourceId?.resourceType) info.parentKey = resourceKey(resource.parentResourceId.resourceType, resource.parentResourceId.resource);
  const created = ms(resource.createdAt);
  if (created !== undefined) info.createdMs = created;
  let traitProfile: JsonObject | undefined;
  for (const annotation of resource.annotations) {
    if (annotation.typeUrl === SCOPE_BINDING_TYPE) {
      const binding = scopeBinding(annotation);
      if (binding) info.binding = binding;
      continue;
    }
    const user = anyUnpack(annotation, UserTraitSchema);
    if (!user) continue;
    const primary = user.emails.find((e) => e.isPrimary) ?? user.emails[0];
    if (primary?.address) info.email = primary.address;
    if (user.login) info.login = user.login;
    const lastLogin = ms(user.lastLogin);
    if (lastLogin !== undefined) info.lastLoginMs = lastLogin;
    info.createdMs ??= ms(user.createdAt);
    // Older writers set only the trait's status (deprecated there, moved to Resource.status).
    if (info.status === "unknown" && user.status) info.status = userStatusOf(user.status.status);
    traitProfile = user.profile;
  }
  // The Resource's profile, else the (deprecated) trait profile older writers fill.
  const profile: JsonObject = { ...(traitProfile ?? {}), ...(resource.profile ?? {}) };
  const document = profile.policy_document;
  if (typeof document === "string" && document !== "") info.policyDocument = document;
  else if (document && typeof document === "object") info.policyDocument = JSON.stringify(document);
  info.email ??= profileText(profile, ["email", "aws_email", "primary_email"]);
  const lastLogin = info.lastLoginMs ?? profileTime(profile);
  if (lastLogin !== undefined) info.lastLoginMs = lastLogin;
  if (info.status === "unknown") {
    const text = profileText(profile, ["status", "aws_user_status", "user_status"])?.toUpperCase();
    if (text === "ENABLED" || text === "ACTIVE") info.status = "enabled";
    else if (text === "DISABLED" || text === "SUSPENDED" || text === "INACTIVE") info.status = "disabled";
  }
  return info;
}

function statusOf(status: Status_ResourceStatus | undefined): ResourceStatus {
  switch (status) {
    case Status_ResourceStatus.ENABLED:
      return "enabled";
    case Status_ResourceStatus.DISABLED:
      return "disabled";
    case Status_ResourceStatus.DELETED:
      return "deleted";
    default:
      return "unknown";
  }
}

function userStatusOf(status: UserTrait_Status_Status): ResourceStatus {
  if (status === UserTrait_Status_Status.ENABLED) return "enabled";
  if (status === UserTrait_Status_Status.DISABLED) return "disabled";
  if (status === UserTrait_Status_Status.DELETED) return "deleted";
  return "unknown";
}

/** ScopeBindingTrait{role_id = 1, scope_resource_id = 2}, each a ResourceId{resource_type = 1, resource = 2}. */
function scopeBinding(annotation: Any): { roleKey: string; scopeKey: string } | undefined {
  const refKey = (bytes: Uint8Array | undefined) =>
    bytes ? resourceKey(text(lengthDelimitedField(bytes, 1)), text(lengthDelimitedField(bytes, 2))) : undefined;
  const roleKey = refKey(lengthDelimitedField(annotation.value, 1));
  const scopeKey = refKey(lengthDelimitedField(annotation.value, 2));
  return roleKey && scopeKey ? { roleKey, scopeKey } : undefined;
}

const text = (bytes: Uint8Array | undefined) => (bytes ? textDecoder.decode(bytes) : "");

const ms = (ts: Timestamp | undefined) => (ts && (ts.seconds !== 0n || ts.nanos !== 0) ? timestampMs(ts) : undefined);

function profileText(profile: JsonObject, keys: string[]): string | undefined {
  for (const key of keys) {
    const value = profile[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

/** A last-sign-in time some connectors keep in the profile instead of the trait. */
const LAST_LOGIN_KEYS = ["last_login", "aws_last_login", "last_login_at", "last_sign_in", "aws_password_last_used", "password_last_used"];

function profileTime(profile: JsonObject): number | undefined {
  for (const key of LAST_LOGIN_KEYS) {
    const value = profile[key];
    if (typeof value !== "string" && typeof value !== "number") continue;
    const when = typeof value === "number" ? (value < 1e12 ? value * 1000 : value) : Date.parse(value);
    if (Number.isFinite(when) && when > 0) return when;
  }
  return undefined;
}
