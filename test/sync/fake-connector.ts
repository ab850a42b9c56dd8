import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { annotation } from "../../src/connector/annotations.js";
import { createConnectorServices } from "../../src/connector/connector.js";
import { createDirectConnectorApi, type ConnectorApi } from "../../src/connector/direct-client.js";
import { PageTokenCodec } from "../../src/connector/page-token.js";
import type { CallContext, Page, PageState, ResourceSyncer } from "../../src/connector/resource-syncer.js";
import { GrantExpandableSchema } from "../../src/gen/c1/connector/v2/annotation_grant_pb.js";
import { RateLimitDescriptionSchema, RateLimitDescription_Status } from "../../src/gen/c1/connector/v2/annotation_ratelimit_pb.js";
import {
  ChildResourceTypeSchema,
  SkipEntitlementsAndGrantsSchema,
  SkipGrantsSchema,
} from "../../src/gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { GroupTraitSchema, UserTraitSchema } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { EntitlementSchema, type Entitlement } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema, type Grant } from "../../src/gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, ResourceTypeSchema, ResourceType_Trait, type Resource, type ResourceId } from "../../src/gen/c1/connector/v2/resource_pb.js";

/**
 * An in-process test connector with a small, fully described organisation: users, groups (with
 * nested groups marked expandable), accounts with child roles, role assignments to groups and
 * users. Served through the real createConnectorServices router and page tokens.
 */
export interface FakeOrg {
  users: string[];
  groups: Array<{ id: string; members: string[]; subgroups: string[]; shallowSubgroups?: string[] }>;
  accounts: Array<{ id: string; roles: string[] }>;
  /** key "<account>/<role>" */
  assignments: Array<{ role: string; groups: string[]; users: string[] }>;
}

export interface FakeOptions {
  pageSize?: number;
  /** Random per-call latency up to this many ms (to shuffle completion order). */
  maxLatencyMs?: number;
  /** Throw Unavailable (with a RateLimitDescription) on the first n calls of this RPC key, e.g. "grants:group:g1". */
  unavailable?: Record<string, number>;
  /** Listings that answer NotFound, e.g. "grants:group:g2". */
  notFound?: Set<string>;
  seed?: number;
  /** Emit this user without its UserTrait (a connector bug the engine must refuse). */
  dropUserTrait?: string;
  /** This role's ListGrants also returns a membership of a group: a grant on another resource's entitlement. */
  foreignGrant?: { role: string; group: string; user: string };
}

export function demoOrg(scale = 1): FakeOrg {
  const users = Array.from({ length: 12 * scale }, (_, i) => `u${i}`);
  const groups = Array.from({ length: 5 * scale }, (_, i) => ({
    id: `g${i}`,
    members: users.filter((_, j) => j % (i + 2) === 0),
    subgroups: i + 1 < 5 * scale && i % 2 === 0 ? [`g${i + 1}`] : [],
  }));
  const accounts = Array.from({ length: 3 * scale }, (_, i) => ({ id: `a${i}`, roles: [`admin`, `read`] }));
  const assignments = accounts.flatMap((a, i) => [
    { role: `${a.id}/admin`, groups: [`g${i % groups.length}`], users: [users[i % users.length]!] },
    { role: `${a.id}/read`, groups: [`g${(i + 1) % groups.length}`, `g${(i + 2) % groups.length}`], users: [] },
  ]);
  return { users, groups, accounts, assignments };
}

const rt = (id: string, traits: ResourceType_Trait[] = [], extra: Partial<{ skipEG: boolean }> = {}) =>
  create(ResourceTypeSchema, {
    id,
    displayName: id,
    traits,
    annotations: extra.skipEG ? [annotation(SkipEntitlementsAndGrantsSchema)] : [],
  });

export const TYPES = {
  user: rt("user", [ResourceType_Trait.USER], { skipEG: true }),
  group: rt("group", [ResourceType_Trait.GROUP]),
  account: rt("account"),
  role: rt("role"),
};

function resource(type: string, id: string, extra: Omit<Exclude<MessageInitShape<typeof ResourceSchema>, Resource>, "id"> = {}): Resource {
  return create(ResourceSchema, { ...extra, id: { resourceType: type, resource: id }, displayName: `${type} ${id}` });
}

export function userResource(id: string): Resource {
  return resource("user", id, { annotations: [annotation(UserTraitSchema, { login: id, emails: [{ address: `${id}@example.com`, isPrimary: true }] })] });
}
export function groupResource(id: string): Resource {
  return resource("group", id, { annotations: [annotation(GroupTraitSchema, {})], profile: { b: 2, a: { z: 1, y: [1, "x"] } } });
}
export function accountResource(id: string): Resource {
  // Accounts have no grants of their own (resource-level SkipGrants), and roles as children.
  return resource("account", id, { annotations: [annotation(ChildResourceTypeSchema, { resourceTypeId: "role" }), annotation(SkipGrantsSchema)] });
}
export function roleResource(account: string, role: string): Resource {
  return resource("role", `${account}/${role}`, { parentResourceId: { resourceType: "account", resource: account } });
}

function entitlement(res: Resource, slug: string): Entitlement {
  return create(EntitlementSchema, { id: `${res.id!.resourceType}:${res.id!.resource}:${slug}`, resource: res, slug, displayName: slug });
}

function grant(ent: Entitlement, principal: Resource, expandable?: { ids: string[]; shallow?: boolean }): Grant {
  return create(GrantSchema, {
    id: `${ent.id}:${principal.id!.resourceType}:${principal.id!.resource}`,
    entitlement: ent,
    principal,
    annotations: expandable ? [annotation(GrantExpandableSchema, { entitlementIds: expandable.ids, shallow: expandable.shallow ?? false })] : [],
  });
}

export function createFakeConnector(org: FakeOrg, options: FakeOptions = {}): { api: ConnectorApi; calls: Map<string, number> } {
  const pageSize = options.pageSize ?? 3;
  const calls = new Map<string, number>();
  let seed = options.seed ?? 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };

  async function gate(key: string, signal: AbortSignal): Promise<void> {
    const n = (calls.get(key) ?? 0) + 1;
    calls.set(key, n);
    if (options.maxLatencyMs) await new Promise((r) => setTimeout(r, Math.floor(random() * options.maxLatencyMs!)));
    if (signal.aborted) throw new ConnectError("cancelled", Code.Canceled);
    if (options.notFound?.has(key)) throw new ConnectError(`${key} not found`, Code.NotFound);
    const failures = options.unavailable?.[key] ?? 0;
    if (n <= failures) {
      throw new ConnectError("throttled", Code.Unavailable, undefined, [
        { desc: RateLimitDescriptionSchema, value: { status: RateLimitDescription_Status.OVERLIMIT, remaining: 0n, resetAt: timestampFromMs(Date.now() + 5) } },
      ]);
    }
  }

  function paged<T>(items: T[], state: PageState | undefined): Page<T> {
    const offset = typeof state?.offset === "number" ? state.offset : 0;
    const next = offset + pageSize;
    return { items: items.slice(offset, next), next: next < items.length ? { offset: next } : undefined };
  }

  const idOf = (r: Resource | ResourceId | undefined) => (r && "resourceType" in r ? r : (r as Resource | undefined)?.id);
  const empty = async (): Promise<Page<never>> => ({ items: [] });

  const syncers: ResourceSyncer[] = [
    {
      resourceType: TYPES.user,
      async listResources(parent, state, ctx) {
        await gate("resources:user", ctx.signal);
        return parent ? { items: [] } : paged(org.users.map((u) => (options.dropUserTrait === u ? resource("user", u) : userResource(u))), state);
      },
      // The user type carries SkipEntitlementsAndGrants: the engine must never ask.
      listEntitlements: async () => {
        throw new Error("ListEntitlements must not be called for users (type-level SkipEntitlementsAndGrants)");
      },
      listGrants: async () => {
        throw new Error("ListGrants must not be called for users (type-level SkipEntitlementsAndGrants)");
      },
    },
    {
      resourceType: TYPES.group,
      async listResources(parent, state, ctx) {
        await gate("resources:group", ctx.signal);
        return parent ? { items: [] } : paged(org.groups.map((g) => groupResource(g.id)), state);
      },
      async listEntitlements(res, state, ctx) {
        await gate(`entitlements:group:${res.id!.resource}`, ctx.signal);
        return paged([entitlement(res, "member")], state);
      },
      async listGrants(res, state, ctx: CallContext) {
        await gate(`grants:group:${res.id!.resource}`, ctx.signal);
        const g = org.groups.find((x) => x.id === res.id!.resource)!;
        const ent = entitlement(res, "member");
        const items = [
          ...g.members.map((u) => grant(ent, userResource(u))),
          ...g.subgroups.map((sg) => grant(ent, groupResource(sg), { ids: [`group:${sg}:member`] })),
          ...(g.shallowSubgroups ?? []).map((sg) => grant(ent, groupResource(sg), { ids: [`group:${sg}:member`], shallow: true })),
        ];
        return paged(items, state);
      },
    },
    {
      resourceType: TYPES.account,
      async listResources(parent, state, ctx) {
        await gate("resources:account", ctx.signal);
        return parent ? { items: [] } : paged(org.accounts.map((a) => accountResource(a.id)), state);
      },
      listEntitlements: empty,
      listGrants: async () => {
        throw new Error("ListGrants must not be called for accounts (SkipGrants)");
      },
    },
    {
      resourceType: TYPES.role,
      async listResources(parent, state, ctx) {
        const account = idOf(parent)?.resource;
        await gate(`resources:role:${account ?? ""}`, ctx.signal);
        if (!account) return { items: [] };
        const a = org.accounts.find((x) => x.id === account);
        return paged((a?.roles ?? []).map((r) => roleResource(account, r)), state);
      },
      async listEntitlements(res, state, ctx) {
        await gate(`entitlements:role:${res.id!.resource}`, ctx.signal);
        return paged([entitlement(res, "assignment")], state);
      },
      async listGrants(res, state, ctx) {
        await gate(`grants:role:${res.id!.resource}`, ctx.signal);
        const ent = entitlement(res, "assignment");
        const a = org.assignments.find((x) => x.role === res.id!.resource);
        const items = [
          ...(a?.groups ?? []).map((g) => grant(ent, groupResource(g), { ids: [`group:${g}:member`] })),
          ...(a?.users ?? []).map((u) => grant(ent, userResource(u))),
        ];
        const foreign = options.foreignGrant;
        if (foreign?.role === res.id!.resource) items.push(grant(entitlement(groupResource(foreign.group), "member"), userResource(foreign.user)));
        return paged(items, state);
      },
    },
  ];

  const services = createConnectorServices({
    syncers,
    provisioners: [],
    provisioningEnabled: false,
    pageTokens: new PageTokenCodec(new Uint8Array(32).fill(9)),
    describe: async () => ({ displayName: "fake" }),
    validate: async () => undefined,
    cleanup: async () => undefined,
  });
  return { api: createDirectConnectorApi(services), calls };
}

/** Expected ids, computed from the organisation directly (independently of the engine). */
export function expectedIds(org: FakeOrg) {
  const resources = [
    ...org.users.map((u) => `user:${u}`),
    ...org.groups.map((g) => `group:${g.id}`),
    ...org.accounts.map((a) => `account:${a.id}`),
    ...org.accounts.flatMap((a) => a.roles.map((r) => `role:${a.id}/${r}`)),
  ];
  const entitlements = [
    ...org.groups.map((g) => `group:${g.id}:member`),
    ...org.accounts.flatMap((a) => a.roles.map((r) => `role:${a.id}/${r}:assignment`)),
  ];
  // Who holds group membership, transitively through (deep) subgroups.
  const holders = (groupId: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(groupId)) return new Set();
    seen.add(groupId);
    const g = org.groups.find((x) => x.id === groupId)!;
    const out = new Set(g.members.map((u) => `user:${u}`));
    for (const sg of g.subgroups) {
      out.add(`group:${sg}`);
      for (const h of holders(sg, seen)) out.add(h);
    }
    for (const sg of g.shallowSubgroups ?? []) {
      out.add(`group:${sg}`);
      const inner = org.groups.find((x) => x.id === sg)!;
      for (const u of inner.members) out.add(`user:${u}`);
      for (const s2 of inner.subgroups) out.add(`group:${s2}`);
    }
    return out;
  };
  const grants = new Set<string>();
  for (const g of org.groups) for (const h of holders(g.id)) grants.add(`group:${g.id}:member:${h}`);
  for (const a of org.assignments) {
    for (const u of a.users) grants.add(`role:${a.role}:assignment:user:${u}`);
    for (const g of a.groups) {
      grants.add(`role:${a.role}:assignment:group:${g}`);
      for (const h of holders(g)) grants.add(`role:${a.role}:assignment:${h}`);
    }
  }
  return { resources: resources.sort(), entitlements: entitlements.sort(), grants: [...grants].sort() };
}
