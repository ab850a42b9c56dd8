import { Code, ConnectError } from "@connectrpc/connect";
import { annotation } from "../connector/annotations.js";
import type { CallContext, ResourceSyncer } from "../connector/resource-syncer.js";
import { ChildResourceTypeSchema } from "../gen/c1/connector/v2/annotation_resource_tree_pb.js";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Resource, ResourceId, ResourceType } from "../gen/c1/connector/v2/resource_pb.js";
import { assignmentEntitlement, entitlementRef, newGrant, roleResource } from "./baton-shapes.js";
import type { InlinePolicyEntry } from "./iam-snapshot.js";
import { policyGrantExpansion } from "./iam-policy.js";
import { ATTACHED_SLUG, PERMISSION_SET_INLINE_POLICY_NAME, ResourceTypeIds, accountIdFromArn, inlinePolicyId, parseInlinePolicyId } from "./ids.js";
import type { SyncerDeps } from "./index.js";
import { MEMORY_PAGE_SIZE, offsetPage } from "./paging.js";
import type { ResourceTypes } from "./resource-types.js";

type ParentType = typeof ResourceTypeIds.iamUser | typeof ResourceTypeIds.iamGroup | typeof ResourceTypeIds.iamRole | typeof ResourceTypeIds.permissionSet;

/**
 * `inline_policy`: the inline policies of IAM users, groups and roles (from their account's IAM
 * snapshot, documents included) and of permission sets (GetInlinePolicyForPermissionSet, once per
 * set per sync), listed as children of their owner. Ids are baton-aws's
 * `<owner ARN>::inline::<name>` (`<permission-set ARN>::inline::inline`). One `attached`
 * entitlement, granted to the owner, expandable as the owner's managed policies are.
 */
export function createInlinePolicySyncer({ types, snapshots, iamAccounts, permissionSetPolicies }: SyncerDeps): ResourceSyncer {
  const type = types.inlinePolicy;

  /** The owner's inline policies; undefined when the sync does not know the owner. */
  async function policiesOf(owner: ResourceId, call: CallContext): Promise<InlinePolicyEntry[] | undefined> {
    const ownerType = checkedOwnerType(owner);
    if (ownerType === ResourceTypeIds.permissionSet) {
      if (!permissionSetPolicies) return undefined;
      const document = await permissionSetPolicies.inline(owner.resource, call);
      return document === undefined ? [] : [{ name: PERMISSION_SET_INLINE_POLICY_NAME, document }];
    }
    const accountId = accountIdFromArn(owner.resource);
    if (!accountId || !(await iamAccounts.ids(call)).includes(accountId)) return undefined;
    const snapshot = await snapshots.forAccount(accountId, call);
    const byArn = ownerType === ResourceTypeIds.iamUser ? snapshot.usersByArn : ownerType === ResourceTypeIds.iamGroup ? snapshot.groupsByArn : snapshot.rolesByArn;
    return byArn.get(owner.resource)?.inlinePolicies;
  }

  return {
    resourceType: type,
    async listResources(parent, state, call) {
      // Inline policies exist only under their owner.
      if (!parent) return { items: [] };
      const list = await policiesOf(parent, call);
      if (!list) throw new ConnectError(`${parent.resourceType} ${parent.resource} is not in this sync`, Code.NotFound);
      return offsetPage(list, state, MEMORY_PAGE_SIZE, (policy) => inlinePolicyResource(types, parent, policy));
    },
    async listEntitlements(resource) {
      return { items: [inlinePolicyAttachedEntitlement(types, resource)] };
    },
    async listGrants(resource) {
      const owner = ownerOf(resource.id!);
      return {
        items: [
          newGrant({
            entitlement: entitlementRef(resource, ATTACHED_SLUG),
            principal: owner,
            annotations: policyGrantExpansion(owner.resourceType, owner.resource),
          }),
        ],
      };
    },
    async getResource(id, _parent, call) {
      const owner = ownerOf(id);
      const name = parseInlinePolicyId(id.resource)!.policyName;
      const policy = (await policiesOf(owner, call))?.find((p) => p.name === name);
      return policy && inlinePolicyResource(types, owner, policy);
    },
  };
}

/** IAM users, groups, roles and permission sets name `inline_policy` as their child type (baton-aws). */
export const hasInlinePolicies = () => annotation(ChildResourceTypeSchema, { resourceTypeId: ResourceTypeIds.inlinePolicy });

export function inlinePolicyResource(types: ResourceTypes, owner: ResourceId, policy: InlinePolicyEntry): Resource {
  const description =
    owner.resourceType === ResourceTypeIds.permissionSet
      ? `Inline policy attached to permission set ${owner.resource}`
      : `Inline policy ${policy.name} attached to ${owner.resourceType} IAM ${owner.resource}`;
  return roleResource({
    type: types.inlinePolicy,
    id: inlinePolicyId(owner.resource, policy.name),
    displayName: policy.name,
    description,
    parent: owner,
    profile: { aws_policy_name: policy.name, aws_parent_arn: owner.resource, policy_document: policy.document },
  });
}

export function inlinePolicyAttachedEntitlement(types: ResourceTypes, policy: Resource): Entitlement {
  const owner = ownerOf(policy.id!);
  return assignmentEntitlement({
    resource: policy,
    slug: ATTACHED_SLUG,
    displayName: `${policy.displayName} Inline Policy`,
    description: `Has the ${policy.displayName} inline policy in AWS`,
    grantableTo: [ownerResourceType(types, owner.resourceType as ParentType)],
  });
}

/** The owner of an inline policy, from its id. */
function ownerOf(id: ResourceId): ResourceId {
  const parsed = parseInlinePolicyId(id.resource);
  const ownerType = parsed && ownerTypeOfArn(parsed.parentArn);
  if (!parsed || !ownerType) throw new ConnectError(`not an inline policy id: ${id.resource}`, Code.InvalidArgument);
  return { resourceType: ownerType, resource: parsed.parentArn } as ResourceId;
}

/** Which type an ARN belongs to, among those that have inline policies. */
function ownerTypeOfArn(arn: string): ParentType | undefined {
  if (/^arn:aws[a-z-]*:iam::\d{12}:user\//.test(arn)) return ResourceTypeIds.iamUser;
  if (/^arn:aws[a-z-]*:iam::\d{12}:group\//.test(arn)) return ResourceTypeIds.iamGroup;
  if (/^arn:aws[a-z-]*:iam::\d{12}:role\//.test(arn)) return ResourceTypeIds.iamRole;
  // Of Identity Center's ARNs only permission sets have inline policies (moto writes theirs as ":instance/…/ps-…").
  if (/^arn:aws[a-z-]*:sso:::/.test(arn)) return ResourceTypeIds.permissionSet;
  return undefined;
}

/** The owner's type, checked against its ARN. */
function checkedOwnerType(owner: ResourceId): ParentType {
  const type = ownerTypeOfArn(owner.resource);
  if (type === undefined || type !== owner.resourceType) {
    throw new ConnectError(`inline policies belong to IAM users, groups, roles and permission sets, not ${owner.resourceType} ${owner.resource}`, Code.InvalidArgument);
  }
  return type;
}

function ownerResourceType(types: ResourceTypes, ownerType: ParentType): ResourceType {
  switch (ownerType) {
    case ResourceTypeIds.iamUser:
      return types.iamUser;
    case ResourceTypeIds.iamGroup:
      return types.iamGroup;
    case ResourceTypeIds.iamRole:
      return types.iamRole;
    case ResourceTypeIds.permissionSet:
      return types.permissionSet;
  }
}
