import type { JsonObject } from "@bufbuild/protobuf";
import type { ResourceSyncer } from "../connector/resource-syncer.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { roleResource } from "./baton-shapes.js";
import type { PermissionSetInfo } from "./identity-center.js";
import type { SyncerDeps } from "./index.js";
import { MEMORY_PAGE_SIZE, offsetPage } from "./paging.js";
import type { ResourceTypes } from "./resource-types.js";

/**
 * `permission_set`: the instance's permission sets, from the catalog read once per sync (no
 * DescribePermissionSet per listing page, unlike baton-aws). Shown for reviews; who holds a set
 * on which account is modelled by the `account` entitlements, so this type has neither
 * entitlements nor grants.
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
  });
}
