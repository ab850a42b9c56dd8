import type { JsonObject } from "@bufbuild/protobuf";
import type { ResourceSyncer } from "../connector/resource-syncer.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { roleResource } from "./baton-shapes.js";
import type { PermissionSetInfo } from "./identity-center.js";
import { hasInlinePolicies } from "./inline-policy.js";
import type { SyncerDeps } from "./index.js";
import { MEMORY_PAGE_SIZE, offsetPage } from "./paging.js";
import type { ResourceTypes } from "./resource-types.js";

/**
 * `permission_set`: the instance's permission sets, from the catalog read once per sync (no
 * DescribePermissionSet per listing page, unlike baton-aws), each naming `inline_policy` as its
 * child type. The role of the `permission_set_assignment` scope bindings; who holds a set on
 * which account is modelled by those and by the `account` entitlements, so it has no
 * entitlements, and its managed policies are granted on the policies' `attached` entitlements.
 */
export function createPermissionSetSyncer({ types, identityCenter }: SyncerDeps): ResourceSyncer {
  return {
    resourceType: types.permissionSet,
    async listResources(_parent, state, call) {
      const catalog = await identityCenter.permissionSets(call);
      return offsetPage(catalog.list, state, MEMORY_PAGE_SIZE, (ps) => permissionSetResource(types, ps));
    },
    listEntitlements: async () => ({ items: [] }),
    listGrants: async () => ({ items: [] }),
    async getResource(id, _parent, call) {
      const ps = (await identityCenter.permissionSets(call)).byArn.get(id.resource);
      return ps && permissionSetResource(types, ps);
    },
  };
}

export function permissionSetResource(types: ResourceTypes, ps: PermissionSetInfo): Resource {
  const profile: JsonObject = { aws_permission_set_arn: ps.arn, aws_permission_set_name: ps.name };
  if (ps.sessionDuration) profile.aws_session_duration = ps.sessionDuration;
  if (ps.relayState) profile.aws_relay_state = ps.relayState;
  return roleResource({
    type: types.permissionSet,
    // The bare ARN, as baton-aws (its scope bindings reference it byte for byte).
    id: ps.arn,
    displayName: ps.name,
    description: ps.description ?? "",
    profile,
    createdAt: ps.createdAt,
    annotations: [hasInlinePolicies()],
  });
}
