/**
 * A zero-latency connector source for the engine benchmark: users, groups with a `member`
 * entitlement, and one grant per (group, member) — generated on demand, nothing held in memory —
 * served through the real router and page tokens (createConnectorServices), so the sync engine
 * sees exactly what it sees from the AWS connector, minus AWS.
 */
import { create } from "@bufbuild/protobuf";
import { randomBytes } from "node:crypto";
import { createConnectorServices } from "../../src/connector/connector.js";
import { createDirectConnectorApi, type ConnectorApi } from "../../src/connector/direct-client.js";
import { PageTokenCodec } from "../../src/connector/page-token.js";
import type { Page, PageState, ResourceSyncer } from "../../src/connector/resource-syncer.js";
import { ResourceTypeSchema, ResourceType_Trait, type Resource } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { assignmentEntitlement, entitlementRef, groupResource, newGrant, userResource } from "../../src/resources/baton-shapes.js";

export interface SourceSizes {
  users: number;
  groups: number;
  /** Members per group: grants = groups × membersPerGroup. */
  membersPerGroup: number;
  /** Items per ListResources page. */
  resourcePageSize: number;
  /** Items per ListGrants page (AWS membership listings answer 100). */
  grantPageSize: number;
}

const userType = create(ResourceTypeSchema, { id: "bench_user", displayName: "User", traits: [ResourceType_Trait.USER] });
const groupType = create(ResourceTypeSchema, { id: "bench_group", displayName: "Group", traits: [ResourceType_Trait.GROUP] });

const userId = (i: number) => `user-${String(i).padStart(7, "0")}`;
const groupId = (i: number) => `group-${String(i).padStart(6, "0")}`;
const offsetOf = (state: PageState | undefined) => (typeof state?.o === "number" ? state.o : 0);

/** One page [offset, offset + size) of `count` generated items. */
function page<T>(count: number, state: PageState | undefined, size: number, make: (i: number) => T): Page<T> {
  const from = offsetOf(state);
  const to = Math.min(count, from + size);
  const items = Array.from({ length: to - from }, (_, k) => make(from + k));
  return { items, next: to < count ? { o: to } : undefined };
}

function makeUser(i: number): Resource {
  const id = userId(i);
  return userResource(
    { type: userType, id, displayName: `User ${i}`, profile: { email: `${id}@example.com` }, createdAt: 1_700_000_000_000 },
    { emails: [{ address: `${id}@example.com`, primary: true }], login: id },
  );
}

function makeGroup(i: number): Resource {
  return groupResource({ type: groupType, id: groupId(i), displayName: `Group ${i}`, profile: { description: `generated group ${i}` } });
}

export function generatedSyncers(sizes: SourceSizes): ResourceSyncer[] {
  const empty = async () => ({ items: [] });
  const users: ResourceSyncer = {
    resourceType: userType,
    listResources: async (_parent, state) => page(sizes.users, state, sizes.resourcePageSize, makeUser),
    listEntitlements: empty,
    listGrants: empty,
  };
  const groups: ResourceSyncer = {
    resourceType: groupType,
    listResources: async (_parent, state) => page(sizes.groups, state, sizes.resourcePageSize, makeGroup),
    listEntitlements: async (resource) => ({
      items: [assignmentEntitlement({ resource, slug: "member", displayName: `${resource.displayName} Member`, description: "Member of the group", grantableTo: [userType] })],
    }),
    listGrants: async (resource, state) => {
      const group = Number(resource.id!.resource.slice("group-".length));
      const entitlement = entitlementRef(resource, "member");
      // Members spread over all users: group g has users g·k … (mod users).
      return page(sizes.membersPerGroup, state, sizes.grantPageSize, (k) =>
        newGrant({ entitlement, principal: { resourceType: userType.id, resource: userId((group * 7919 + k * 13) % sizes.users) } }),
      );
    },
  };
  return [users, groups];
}

export function generatedConnectorApi(sizes: SourceSizes): ConnectorApi {
  const services = createConnectorServices({
    syncers: generatedSyncers(sizes),
    provisioners: [],
    provisioningEnabled: false,
    pageTokens: new PageTokenCodec(randomBytes(32)),
    describe: async () => ({ displayName: "generated benchmark source" }),
    validate: async () => undefined,
    cleanup: async () => undefined,
  });
  return createDirectConnectorApi(services);
}
