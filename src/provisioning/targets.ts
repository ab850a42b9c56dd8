import { Code, ConnectError } from "@connectrpc/connect";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { findAnnotation } from "../connector/annotations.js";
import { ScopeBindingTraitSchema } from "../gen/c1/connector/v2/annotation_trait_pb.js";
import {
  ASSIGNED_SLUG,
  MEMBER_SLUG,
  ResourceTypeIds,
  accountIdFromArn,
  entitlementId,
  iamNameFromArn,
  parseAccountEntitlementId,
  parseIdentityStoreArn,
  parsePermissionSetAssignmentId,
  permissionSetAssignmentId,
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
 * Permission-set assignment: `<accountId>|<permissionSetArn>` on `account`, or `assigned` on a
 * `permission_set_assignment`, to an `sso_user` or `sso_group`.
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
  const groupArn = memberEntitlementResource(entitlement, ResourceTypeIds.iamGroup);
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
  const groupArn = memberEntitlementResource(entitlement, ResourceTypeIds.ssoGroup);
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

export function assignmentTarget(entitlement: Entitlement, principal: Resource): AssignmentTarget {
  const parsed = parseAccountEntitlementId(entitlement.id);
  if (!parsed) throw invalidArgument(`entitlement ${entitlement.id} is not an account entitlement "<accountId>|<permissionSetArn>"`);
  const resource = entitlement.resource?.id;
  if (resource && (resource.resourceType !== ResourceTypeIds.account || resource.resource !== parsed.accountId)) {
    throw invalidArgument(`entitlement ${entitlement.id} does not belong to resource ${resource.resourceType}:${resource.resource}`);
  }
  return { ...parsed, ...assignedPrincipal(entitlement, principal) };
}

/**
 * `permission_set_assignment:<permissionSetArn>-<accountId>:assigned`: the pair from the binding's
 * ScopeBindingTrait when the request carries the resource (as baton-aws reads it), else from the id;
 * the two must agree.
 */
export function bindingAssignmentTarget(entitlement: Entitlement, principal: Resource): AssignmentTarget {
  const prefix = `${ResourceTypeIds.permissionSetAssignment}:`;
  const suffix = `:${ASSIGNED_SLUG}`;
  const id = entitlement.id;
  const parsed = id.startsWith(prefix) && id.endsWith(suffix) ? parsePermissionSetAssignmentId(id.slice(prefix.length, -suffix.length)) : undefined;
  if (!parsed) throw invalidArgument(`entitlement ${id} is not a "${prefix}<permissionSetArn>-<accountId>${suffix}" entitlement`);
  const resource = entitlement.resource;
  if (resource?.id && (resource.id.resourceType !== ResourceTypeIds.permissionSetAssignment || resource.id.resource !== permissionSetAssignmentId(parsed.permissionSetArn, parsed.accountId))) {
    throw invalidArgument(`entitlement ${id} does not belong to resource ${resource.id.resourceType}:${resource.id.resource}`);
  }
  const scope = findAnnotation(resource?.annotations, ScopeBindingTraitSchema);
  if (scope && (scope.roleId?.resource !== parsed.permissionSetArn || scope.scopeResourceId?.resource !== parsed.accountId)) {
    throw invalidArgument(`entitlement ${id} names a different permission set or account than its resource's scope binding`);
  }
  return { ...parsed, ...assignedPrincipal(entitlement, principal) };
}

/** The Identity Store user or group an assignment is for. */
function assignedPrincipal(entitlement: Entitlement, principal: Resource): Omit<AssignmentTarget, "accountId" | "permissionSetArn"> {
  const principalArn = principalOfType(principal, [ResourceTypeIds.ssoUser, ResourceTypeIds.ssoGroup], entitlement.id);
  const identity = parseIdentityStoreArn(principalArn);
  const principalTypeId = principal.id!.resourceType;
  const expectedKind = principalTypeId === ResourceTypeIds.ssoUser ? "user" : "group";
  if (identity?.kind !== expectedKind) throw invalidArgument(`principal ${principalArn} is not an Identity Store ${expectedKind}`);
  return {
    principalType: expectedKind === "user" ? "USER" : "GROUP",
    principalId: identity.id,
    principalArn,
    principalTypeId,
    identityStoreId: identity.identityStoreId,
  };
}

/** The resource id inside "<type>:<resource id>:member", checked against the entitlement's resource. */
function memberEntitlementResource(entitlement: Entitlement, resourceTypeId: string): string {
  const prefix = `${resourceTypeId}:`;
  const suffix = `:${MEMBER_SLUG}`;
  const id = entitlement.id;
  if (!id.startsWith(prefix) || !id.endsWith(suffix) || id.length <= prefix.length + suffix.length) {
    throw invalidArgument(`entitlement ${id} is not a "${resourceTypeId}:<arn>:${MEMBER_SLUG}" entitlement`);
  }
  const resourceId = id.slice(prefix.length, id.length - suffix.length);
  const resource = entitlement.resource?.id;
  if (resource && (resource.resourceType !== resourceTypeId || resource.resource !== resourceId)) {
    throw invalidArgument(`entitlement ${id} does not belong to resource ${resource.resourceType}:${resource.resource}`);
  }
  if (entitlementId(resourceTypeId, resourceId, MEMBER_SLUG) !== id) throw invalidArgument(`malformed entitlement id ${id}`);
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
