import type { JsonObject } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { annotation } from "../connector/annotations.js";
import type { CallContext, ResourceSyncer } from "../connector/resource-syncer.js";
import { GrantExpandableSchema } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Resource, ResourceId } from "../gen/c1/connector/v2/resource_pb.js";
import { assignmentEntitlement, entitlementRef, newGrant, roleResource } from "./baton-shapes.js";
import { iamAccountOf, isAwsManagedPolicyArn, type ManagedPolicyEntry } from "./iam-snapshot.js";
import { ASSIGNED_SLUG, ASSIGNMENT_SLUG, ATTACHED_SLUG, MEMBER_SLUG, ResourceTypeIds, entitlementId, permissionSetAssignmentId } from "./ids.js";
import type { SyncerDeps } from "./index.js";
import type { PolicyHolder } from "./managed-policies.js";
import { MEMORY_PAGE_SIZE, offsetPage } from "./paging.js";
import type { ResourceTypes } from "./resource-types.js";

/**
 * `iam_policy`: managed policies (managed-policies.ts decides which). At the top level: the
 * connector's account's customer-managed policies and every AWS-managed policy shown (global, so
 * without a parent, as baton-aws); under a member account's `account_iam`: that account's
 * customer-managed ones. One `attached` entitlement; its grants are every holder of the policy —
 * IAM users, groups and roles, permission sets and permission-set assignments — listed here, on
 * the policy, with baton-aws's grant ids (baton-aws lists each under its holder instead).
 */
export function createIamPolicySyncer({ types, policies, members }: SyncerDeps): ResourceSyncer {
  const type = types.iamPolicy;

  async function listed(parent: ResourceId | undefined, call: CallContext): Promise<ManagedPolicyEntry[]> {
    const member = iamAccountOf(parent, type.id);
    if (member !== undefined) return policies.customerManaged(member, call);
    const [own, aws] = await Promise.all([policies.customerManaged(await members.ownAccountId(), call), policies.awsManaged(call)]);
    return [...own, ...aws.list];
  }

  return {
    resourceType: type,
    async listResources(parent, state, call) {
      const list = await listed(parent, call);
      return offsetPage(list, state, MEMORY_PAGE_SIZE, (policy) => iamPolicyResource(types, policy, parent));
    },
    async listEntitlements(resource) {
      return { items: [iamPolicyAttachedEntitlement(types, resource)] };
    },
    async listGrants(resource, state, call) {
      const holders = (await policies.holders(call)).get(resource.id!.resource) ?? [];
      const entitlement = entitlementRef(resource, ATTACHED_SLUG);
      return offsetPage(holders, state, MEMORY_PAGE_SIZE, (holder) => policyGrant(entitlement, holder));
    },
    async getResource(id, _parent, call) {
      const found = await policies.find(id.resource, call);
      if (!found) return undefined;
      const own = await members.ownAccountId();
      const parent = found.accountId && found.accountId !== own ? { resourceType: ResourceTypeIds.accountIam, resource: found.accountId } : undefined;
      return iamPolicyResource(types, found.policy, parent as ResourceId | undefined);
    },
  };
}

export function iamPolicyResource(types: ResourceTypes, policy: ManagedPolicyEntry, parent: ResourceId | undefined): Resource {
  const awsManaged = isAwsManagedPolicyArn(policy.arn);
  const profile: JsonObject = {
    aws_policy_name: policy.name,
    aws_policy_arn: policy.arn,
    aws_policy_id: policy.id,
    aws_path: policy.path,
    aws_policy_type: awsManaged ? "aws-managed" : "customer-managed",
    aws_attachment_count: policy.attachmentCount,
  };
  if (policy.defaultVersionId) profile.aws_default_version_id = policy.defaultVersionId;
  if (policy.document !== undefined) profile.policy_document = policy.document;
  return roleResource({
    type: types.iamPolicy,
    id: policy.arn,
    displayName: policy.name,
    description: policy.description ?? "",
    // AWS-managed policies are the same in every account: no account parent (as baton-aws).
    parent: awsManaged ? undefined : parent,
    profile,
    createdAt: policy.createdAt,
  });
}

export function iamPolicyAttachedEntitlement(types: ResourceTypes, policy: Resource): Entitlement {
  return assignmentEntitlement({
    resource: policy,
    slug: ATTACHED_SLUG,
    displayName: `${policy.displayName} Managed Policy`,
    description: `Has the ${policy.displayName} managed policy in AWS`,
    grantableTo: [types.iamUser, types.iamRole, types.iamGroup, types.permissionSet, types.permissionSetAssignment],
  });
}

function policyGrant(entitlement: Entitlement, holder: PolicyHolder) {
  if (holder.type === ResourceTypeIds.permissionSetAssignment) {
    const binding = permissionSetAssignmentId(holder.permissionSetArn, holder.accountId);
    // Everyone assigned the permission set on the account has the policy there.
    const expandable = annotation(GrantExpandableSchema, {
      entitlementIds: [entitlementId(ResourceTypeIds.permissionSetAssignment, binding, ASSIGNED_SLUG)],
    });
    return newGrant({ entitlement, principal: { resourceType: holder.type, resource: binding }, annotations: [expandable] });
  }
  return newGrant({ entitlement, principal: { resourceType: holder.type, resource: holder.arn }, annotations: policyGrantExpansion(holder.type, holder.arn) });
}

/**
 * baton-aws's expansion of a policy held by an IAM principal: a role's through whoever may assume
 * it; a group's to its members (shallow: the members themselves, not what else they reach).
 */
export function policyGrantExpansion(principalType: string, principalArn: string): Any[] {
  if (principalType === ResourceTypeIds.iamRole) {
    return [annotation(GrantExpandableSchema, { entitlementIds: [entitlementId(principalType, principalArn, ASSIGNMENT_SLUG)] })];
  }
  if (principalType === ResourceTypeIds.iamGroup) {
    return [annotation(GrantExpandableSchema, { entitlementIds: [entitlementId(principalType, principalArn, MEMBER_SLUG)], shallow: true })];
  }
  return [];
}
