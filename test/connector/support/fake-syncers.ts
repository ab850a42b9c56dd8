/** Small in-memory resource types for router and server tests (no AWS). */
import { create } from "@bufbuild/protobuf";
import { EntitlementSchema, type Entitlement } from "../../../src/gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema, type Grant } from "../../../src/gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, ResourceType_Trait, ResourceTypeSchema, type Resource } from "../../../src/gen/c1/connector/v2/resource_pb.js";
import type { PageState, Provisioner, ResourceSyncer } from "../../../src/connector/resource-syncer.js";

export const USERS = ["alice", "bob", "carol", "dave", "erin"];
export const GROUPS = ["admins", "devs", "ops"];
/** Group → members; grants of each group's "member" entitlement. */
export const MEMBERS: Record<string, string[]> = { admins: ["alice"], devs: ["bob", "carol", "dave"], ops: [] };
export const PAGE = 2;


export function user(name: string): Resource {
  return create(ResourceSchema, { id: { resourceType: "fake_user", resource: name }, displayName: name });
}
export function group(name: string): Resource {
  return create(ResourceSchema, { id: { resourceType: "fake_group", resource: name }, displayName: name });
}
export function memberEntitlement(g: Resource): Entitlement {
  return create(EntitlementSchema, { id: `fake_group:${g.id!.resource}:member`, resource: g, slug: "member", displayName: "member" });
}

/** A page of `items` starting at state.offset. */
function paged<T>(items: T[], state: PageState | undefined) {
  const offset = typeof state?.offset === "number" ? state.offset : 0;
  const next = offset + PAGE < items.length ? { offset: offset + PAGE } : undefined;
  return { items: items.slice(offset, offset + PAGE), next };
}

export const fakeUserSyncer: ResourceSyncer = {
  resourceType: create(ResourceTypeSchema, { id: "fake_user", displayName: "Fake user", traits: [ResourceType_Trait.USER] }),
  async listResources(_parent, state) {
    return paged(USERS.map(user), state);
  },
  async listEntitlements() {
    return { items: [] };
  },
  async listGrants() {
    return { items: [] };
  },
};

export const fakeGroupSyncer: ResourceSyncer = {
  resourceType: create(ResourceTypeSchema, { id: "fake_group", displayName: "Fake group", traits: [ResourceType_Trait.GROUP] }),
  async listResources(_parent, state) {
    return paged(GROUPS.map(group), state);
  },
  async listEntitlements(resource) {
    return { items: [memberEntitlement(resource)] };
  },
  async listGrants(resource, state) {
    const members = MEMBERS[resource.id!.resource] ?? [];
    const page = paged(members, state);
    const entitlement = memberEntitlement(resource);
    return {
      items: page.items.map((m): Grant => create(GrantSchema, { id: `${entitlement.id}:fake_user:${m}`, entitlement, principal: user(m) })),
      next: page.next,
    };
  },
  async getResource(id) {
    return GROUPS.includes(id.resource) ? group(id.resource) : undefined;
  },
};

export const fakeGroupProvisioner: Provisioner = {
  resourceTypeId: "fake_group",
  async grant(principal, entitlement) {
    const grant = create(GrantSchema, { id: `${entitlement.id}:${principal.id!.resourceType}:${principal.id!.resource}`, entitlement, principal });
    return { alreadyExists: false, grants: [grant], awsRequestIds: ["req-1"] };
  },
  async revoke() {
    return { alreadyRevoked: true, awsRequestIds: ["req-2"] };
  },
};
