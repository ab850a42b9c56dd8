import { annotation } from "../connector/annotations.js";
import type { ResourceSyncer } from "../connector/resource-syncer.js";
import { V1IdentifierSchema } from "../gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { assignmentEntitlement, entitlementRef, groupResource, newGrant, principalRef, type ResourceRef } from "./baton-shapes.js";
import { iamEntityLookup } from "./iam-lookup.js";
import { iamAccountOf, type IamGroupEntry } from "./iam-snapshot.js";
import { MEMBER_SLUG, accountIdFromArn, v1GrantId, v1MembershipEntitlementId } from "./ids.js";
import type { SyncerDeps } from "./index.js";
import { MEMORY_PAGE_SIZE, offsetPage } from "./paging.js";
import type { ResourceTypes } from "./resource-types.js";
import { hasInlinePolicies } from "./inline-policy.js";

/**
 * `group` (IAM): groups from the account's IAM snapshot; one `member` entitlement whose grants are
 * the users whose GroupList names the group (the same snapshot: no GetGroup per group).
 */
export function createIamGroupSyncer(deps: SyncerDeps): ResourceSyncer {
  const { types, snapshots, ctx } = deps;
  const type = types.iamGroup;
  const lookup = iamEntityLookup(deps, (snapshot) => snapshot.groupsByArn);
  return {
    resourceType: type,
    async listResources(parent, state, call) {
      const snapshot = await snapshots.forAccount(iamAccountOf(parent, type.id), call);
      return offsetPage(snapshot.groups, state, MEMORY_PAGE_SIZE, (group) => iamGroupResource(types, group, parent));
    },
    async listEntitlements(resource) {
      return { items: [iamGroupMemberEntitlement(types, resource)] };
    },
    async listGrants(resource, state, call) {
      const arn = resource.id!.resource;
      const snapshot = await snapshots.forAccount(accountIdFromArn(arn), call);
      const group = snapshot.groupsByArn.get(arn);
      if (!group) {
        // Gone since it was listed (or its account became unreadable): no members to report.
        ctx.log.warn({ group: arn }, "IAM group not found in its account's snapshot; no grants");
        return { items: [] };
      }
      const entitlement = entitlementRef(resource, MEMBER_SLUG);
      return offsetPage(group.memberArns, state, MEMORY_PAGE_SIZE, (userArn) =>
        newGrant({
          entitlement,
          principal: principalRef(types.iamUser, userArn),
          annotations: [annotation(V1IdentifierSchema, { id: v1GrantId(v1MembershipEntitlementId(arn), userArn) })],
        }),
      );
    },
    async getResource(id, _parent, call) {
      const found = await lookup(id.resource, call);
      return found && iamGroupResource(types, found.entry, found.parent);
    },
  };
}

export function iamGroupResource(types: ResourceTypes, group: IamGroupEntry, parent: ResourceRef | undefined): Resource {
  return groupResource({
    type: types.iamGroup,
    id: group.arn,
    displayName: group.name,
    parent,
    profile: {
      aws_arn: group.arn,
      aws_path: group.path,
      aws_group_type: "iam",
      aws_group_name: group.name,
      aws_group_id: group.id,
    },
    createdAt: group.createdAt,
    annotations: [annotation(V1IdentifierSchema, { id: group.arn }), hasInlinePolicies()],
  });
}

export function iamGroupMemberEntitlement(types: ResourceTypes, group: Resource) {
  return assignmentEntitlement({
    resource: group,
    slug: MEMBER_SLUG,
    displayName: `${group.displayName} Group Member`,
    description: `Is member of the ${group.displayName} IAM group in AWS`,
    grantableTo: [types.iamUser],
    annotations: [annotation(V1IdentifierSchema, { id: v1MembershipEntitlementId(group.id!.resource) })],
  });
}
