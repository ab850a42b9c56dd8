import { Code, ConnectError } from "@connectrpc/connect";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import { findAnnotation } from "../connector/annotations.js";
import { ScopeBindingTraitSchema } from "../gen/c1/connector/v2/annotation_trait_pb.js";
import { create } from "@bufbuild/protobuf";
import { ResourceSchema, type Resource, type ResourceId } from "../gen/c1/connector/v2/resource_pb.js";
import {
  ASSIGNED_SLUG,
  ATTACHED_SLUG,
  MEMBER_SLUG,
  ResourceTypeIds,
  accountEntitlementId,
  accountIdFromArn,
  entitlementId,
  iamNameFromArn,
  parseAccountEntitlementId,
  parseIdentityStoreArn,
  parseInlinePolicyId,
  parsePermissionSetAssignmentId,
} from "../resources/ids.js";

/**
 * What a Grant/Revoke request asks for, parsed from the baton ids the syncers emit (ids.ts). Every
 * provisioner starts here, so a malformed or mismatched request fails with InvalidArgument before
 * any AWS call.
 */

/** IAM group membership: `group:<groupArn>:member` granted to an `iam_user`. */
export interface IamMembershipTarget {
  accountId: string;
  groupArn: string;
  groupName: string;
  userArn: string;
  userName: string;
}

/** Identity Store group membership: `sso_group:<groupArn>:member` granted to an `sso_user`. */
export interface SsoMembershipTarget {
  identityStoreId: string;
  groupArn: string;
  groupId: string;
  userArn: string;
  userId: string;
}

/**
  parseInlinePolicyId,
  parsePermissionSetAssignmentId,
  permissionSetAssignmentId,
 */
export interface AssignmentTarget {
  accountId: string;
  permissionSetArn: string;
  principalType: "USER" | "GROUP";
  /** The Identity Store user or group id. */
  principalId: string;
  /** The principal's synthetic ARN (its baton resource id). */
  principalArn: string;
  principalTypeId: string;
  identityStoreId: string;
}

export function invalidArgument(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

/** "<type>:<id>" of a principal resource, as the audit log and ledger name it. */
export function principalRef(principal: Resource | undefined): string {
  return principal?.id ? `${principal.id.resourceType}:${principal.id.resource}` : "";
}

export function iamMembershipTarget(entitlement: Entitlement, principal: Resource): IamMembershipTarget {
  const groupArn = slugEntitlementResource(entitlement, ResourceTypeIds.iamGroup, MEMBER_SLUG);
  const userArn = principalOfType(principal, [ResourceTypeIds.iamUser], entitlement.id);
  const accountId = accountIdFromArn(groupArn);
  if (!accountId || !/^arn:aws[a-z-]*:iam::\d{12}:group\//.test(groupArn)) {
    throw invalidArgument(`entitlement ${entitlement.id} does not name an IAM group ARN`);
  }
  if (!/^arn:aws[a-z-]*:iam::\d{12}:user\//.test(userArn)) throw invalidArgument(`principal ${userArn} is not an IAM user ARN`);
  if (accountIdFromArn(userArn) !== accountId) {
    throw invalidArgument(`IAM user ${userArn} and group ${groupArn} are in different accounts; IAM groups hold only users of their own account`);
  }
  return { accountId, groupArn, groupName: iamNameFromArn(groupArn), userArn, userName: iamNameFromArn(userArn) };
}

export function ssoMembershipTarget(entitlement: Entitlement, principal: Resource): SsoMembershipTarget {
  const groupArn = slugEntitlementResource(entitlement, ResourceTypeIds.ssoGroup, MEMBER_SLUG);
  const userArn = principalOfType(principal, [ResourceTypeIds.ssoUser], entitlement.id);
  const group = parseIdentityStoreArn(groupArn);
  if (group?.kind !== "group") throw invalidArgument(`entitlement ${entitlement.id} does not name an Identity Store group`);
  const user = parseIdentityStoreArn(userArn);
  if (user?.kind !== "user") throw invalidArgument(`principal ${userArn} is not an Identity Store user`);
  if (user.identityStoreId !== group.identityStoreId) {
    throw invalidArgument(`user ${userArn} and group ${groupArn} belong to different identity stores`);
  }
  return { identityStoreId: group.identityStoreId, groupArn, groupId: group.id, userArn, userId: user.id };
}

/** The flat account entitlement `<accountId>|<permissionSetArn>` on `account`. */
export function assignmentTarget(entitlement: Entitlement, principal: Resource): AssignmentTarget {
  const parsed = parseAccountEntitlementId(entitlement.id);
  if (!parsed) throw invalidArgument(`entitlement ${entitlement.id} is not an account entitlement "<accountId>|<permissionSetArn>"`);
  const resource = entitlement.resource?.id;
  if (resource && (resource.resourceType !== ResourceTypeIds.account || resource.resource !== parsed.accountId)) {
    throw invalidArgument(`entitlement ${entitlement.id} does not belong to resource ${resource.resourceType}:${resource.resource}`);
  }
  return assignmentPrincipal(parsed, principal, entitlement.id);
}

/** The scope binding's `permission_set_assignment:<permissionSetArn>-<accountId>:assigned`. */
export function bindingAssignmentTarget(entitlement: Entitlement, principal: Resource): AssignmentTarget {
  const bindingId = slugEntitlementResource(entitlement, ResourceTypeIds.permissionSetAssignment, ASSIGNED_SLUG);
  const parsed = parsePermissionSetAssignmentId(bindingId);
  if (!parsed) throw invalidArgument(`entitlement ${entitlement.id} does not name a "<permissionSetArn>-<accountId>" binding`);
  return assignmentPrincipal(parsed, principal, entitlement.id);
}

/**
 * The key the JIT ledger files an entitlement under: both shapes of one assignment are one access,
 * so a time-bound grant made through either is found (and closed) by a revoke through the other.
 */
export function ledgerEntitlementId(id: string): string {
  const prefix = `${ResourceTypeIds.permissionSetAssignment}:`;
  const suffix = `:${ASSIGNED_SLUG}`;
  if (!id.startsWith(prefix) || !id.endsWith(suffix)) return id;
  const pair = parsePermissionSetAssignmentId(id.slice(prefix.length, id.length - suffix.length));
  return pair ? accountEntitlementId(pair.accountId, pair.permissionSetArn) : id;
}

function assignmentPrincipal(pair: { accountId: string; permissionSetArn: string }, principal: Resource, entitlementIdText: string): AssignmentTarget {
  const principalArn = principalOfType(principal, [ResourceTypeIds.ssoUser, ResourceTypeIds.ssoGroup], entitlementIdText);
  const identity = parseIdentityStoreArn(principalArn);
  const principalTypeId = principal.id!.resourceType;
  const expectedKind = principalTypeId === ResourceTypeIds.ssoUser ? "user" : "group";
  if (identity?.kind !== expectedKind) throw invalidArgument(`principal ${principalArn} is not an Identity Store ${expectedKind}`);
  return {
    accountId: pair.accountId,
    permissionSetArn: pair.permissionSetArn,
    principalType: expectedKind === "user" ? "USER" : "GROUP",
    principalId: identity.id,
    principalArn,
    principalTypeId,
    identityStoreId: identity.identityStoreId,
  };
}

/** An IAM user, group or role: who can hold managed and inline policies. */
export interface IamHolder {
  kind: "user" | "group" | "role";
  /** baton resource type of the holder (iam_user, group, role). */
  typeId: string;
  arn: string;
  name: string;
  accountId: string;
}

/** Managed policy attachment: `iam_policy:<policyArn>:attached` to an IAM user, group or role. */
export interface PolicyAttachmentTarget {
  policyArn: string;
  holder: IamHolder;
}

/** Inline policy: `inline_policy:<ownerArn>::inline::<name>:attached`, held by its owner. */
export interface InlinePolicyTarget {
  policyName: string;
  holder: IamHolder;
}

const HOLDER_KINDS: Record<string, IamHolder["kind"]> = {
  [ResourceTypeIds.iamUser]: "user",
  [ResourceTypeIds.iamGroup]: "group",
  [ResourceTypeIds.iamRole]: "role",
};

/** Permission sets and their bindings hold policies too, but changing them changes everyone's access. */
const PERMISSION_SET_TYPES: readonly string[] = [ResourceTypeIds.permissionSet, ResourceTypeIds.permissionSetAssignment];

export function policyAttachmentTarget(entitlement: Entitlement, principal: Resource): PolicyAttachmentTarget {
  const policyArn = slugEntitlementResource(entitlement, ResourceTypeIds.iamPolicy, ATTACHED_SLUG);
  const policy = /^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/./.exec(policyArn);
  if (!policy) throw invalidArgument(`entitlement ${entitlement.id} does not name a managed policy ARN`);
  const type = principal.id?.resourceType ?? "";
  if (PERMISSION_SET_TYPES.includes(type)) {
    throw invalidArgument(
      `${type} ${principal.id!.resource} cannot be granted ${policyArn}: a permission set's policies are Identity Center configuration shared by everyone assigned it, ` +
        `and changing them is not access provisioning; attach the policy to an IAM user, group or role, or change the permission set in IAM Identity Center`,
    );
  }
  const holder = iamHolder(principal, entitlement.id);
  if (policy[1] !== "aws" && policy[1] !== holder.accountId) {
    throw invalidArgument(`policy ${policyArn} belongs to account ${policy[1]}; ${holder.typeId} ${holder.arn} is in account ${holder.accountId}, and IAM attaches only policies of the holder's own account or AWS-managed ones`);
  }
  return { policyArn, holder };
}

export function inlinePolicyTarget(entitlement: Entitlement, principal: Resource): InlinePolicyTarget {
  const inlineId = slugEntitlementResource(entitlement, ResourceTypeIds.inlinePolicy, ATTACHED_SLUG);
  const parsed = parseInlinePolicyId(inlineId);
  if (!parsed) throw invalidArgument(`entitlement ${entitlement.id} does not name an inline policy "<ownerArn>::inline::<name>"`);
  if (principal.id?.resource !== parsed.parentArn) {
    throw invalidArgument(`inline policy ${inlineId} belongs to ${parsed.parentArn}, not to ${principal.id?.resource ?? "(no principal)"}`);
  }
  if (principal.id.resourceType === ResourceTypeIds.permissionSet) {
    throw new ConnectError(
      `the inline policy of permission set ${parsed.parentArn} is Identity Center configuration, not access: removing it changes every account the set is assigned in; change it in IAM Identity Center`,
      Code.Unimplemented,
    );
  }
  return { policyName: parsed.policyName, holder: iamHolder(principal, entitlement.id) };
}

/** The IAM user a DeleteResource names (`iam_user:<userArn>`). */
export function iamUserOf(id: ResourceId): IamHolder {
  if (id.resourceType !== ResourceTypeIds.iamUser) throw invalidArgument(`not an IAM user: ${id.resourceType}`);
  return iamHolder(create(ResourceSchema, { id }), "");
}

function iamHolder(principal: Resource, entitlementIdText: string): IamHolder {
  const arn = principalOfType(principal, Object.keys(HOLDER_KINDS), entitlementIdText);
  const typeId = principal.id!.resourceType;
  const kind = HOLDER_KINDS[typeId]!;
  const accountId = accountIdFromArn(arn);
  if (!accountId || !new RegExp(`^arn:aws[a-z-]*:iam::\\d{12}:${kind}/`).test(arn)) throw invalidArgument(`principal ${arn} is not an IAM ${kind} ARN`);
  return { kind, typeId, arn, name: iamNameFromArn(arn), accountId };
}

/** The resource id inside "<type>:<resource id>:<slug>", checked against the entitlement's resource. */
function slugEntitlementResource(entitlement: Entitlement, resourceTypeId: string, slug: string): string {
  const prefix = `${resourceTypeId}:`;
  const suffix = `:${slug}`;
  const id = entitlement.id;
  if (!id.startsWith(prefix) || !id.endsWith(suffix) || id.length <= prefix.length + suffix.length) {
    throw invalidArgument(`entitlement ${id} is not a "${resourceTypeId}:<id>:${slug}" entitlement`);
  }
  const resourceId = id.slice(prefix.length, id.length - suffix.length);
  const resource = entitlement.resource?.id;
  if (resource && (resource.resourceType !== resourceTypeId || resource.resource !== resourceId)) {
    throw invalidArgument(`entitlement ${id} does not belong to resource ${resource.resourceType}:${resource.resource}`);
  }
  if (entitlementId(resourceTypeId, resourceId, slug) !== id) throw invalidArgument(`malformed entitlement id ${id}`);
  return resourceId;
}

function principalOfType(principal: Resource, types: readonly string[], entitlementIdText: string): string {
  const id = principal.id;
  if (!id || !types.includes(id.resourceType)) {
    throw invalidArgument(
      `entitlement ${entitlementIdText} can be granted to ${types.join(" or ")} principals, not ${id?.resourceType || "(none)"}`,
    );
  }
  return id.resource;
}
