/**
 * Identifiers exactly as ConductorOne's baton-aws forms them, so a governance platform that already
 * knows baton-aws's ids sees the same resources, entitlements and grants from us. Shared by the
 * resource syncers (which emit them) and the provisioners (which parse them back).
 */

export const ResourceTypeIds = {
  iamUser: "iam_user",
  iamGroup: "group",
  iamRole: "role",
  ssoUser: "sso_user",
  ssoGroup: "sso_group",
  account: "account",
  permissionSet: "permission_set",
  accountIam: "account_iam",
  iamPolicy: "iam_policy",
  inlinePolicy: "inline_policy",
  permissionSetAssignment: "permission_set_assignment",
  organization: "organization",
  organizationalUnit: "organizational_unit",
  accessKey: "access-key",
} as const;

export type ResourceTypeId = (typeof ResourceTypeIds)[keyof typeof ResourceTypeIds];

/** baton's convention for entitlement ids: "<resource type>:<resource id>:<slug>". */
export function entitlementId(resourceTypeId: string, resourceId: string, slug: string): string {
  return `${resourceTypeId}:${resourceId}:${slug}`;
}

/** baton's convention for grant ids: "<entitlement id>:<principal type>:<principal id>". */
export function grantId(entitlementId: string, principalTypeId: string, principalId: string): string {
  return `${entitlementId}:${principalTypeId}:${principalId}`;
}

export const MEMBER_SLUG = "member";
export const ASSIGNMENT_SLUG = "assignment";
/** Managed and inline policies: who has the policy. */
export const ATTACHED_SLUG = "attached";
/** Permission-set assignments: must be exactly this (ConductorOne's just-in-time flow hard-codes it). */
export const ASSIGNED_SLUG = "assigned";

// --- Identity Center users and groups: synthetic ARNs (not real AWS ARNs), as baton-aws builds them.

export function ssoUserArn(ssoRegion: string, identityStoreId: string, userId: string): string {
  return `arn:aws:identitystore:${ssoRegion}::${identityStoreId}/user/${userId}`;
}

export function ssoGroupArn(ssoRegion: string, identityStoreId: string, groupId: string): string {
  return `arn:aws:identitystore:${ssoRegion}::${identityStoreId}/group/${groupId}`;
}

/** The Identity Store user or group id inside a synthetic ARN; undefined if it is not one. */
export function parseIdentityStoreArn(
  arn: string,
): { region: string; identityStoreId: string; kind: "user" | "group"; id: string } | undefined {
  const match = /^arn:aws:identitystore:([^:]*)::([^/]+)\/(user|group)\/(.+)$/.exec(arn);
  if (!match) return undefined;
  return { region: match[1]!, identityStoreId: match[2]!, kind: match[3] as "user" | "group", id: match[4]! };
}

// --- Account entitlements: one per permission set, id "<accountId>|<permissionSetArn>" (baton-aws's legacy
// flat model; not the <rt>:<rid>:<slug> convention).

export function accountEntitlementId(accountId: string, permissionSetArn: string): string {
  return `${accountId}|${permissionSetArn}`;
}

export function parseAccountEntitlementId(id: string): { accountId: string; permissionSetArn: string } | undefined {
  const bar = id.indexOf("|");
  if (bar <= 0) return undefined;
  const accountId = id.slice(0, bar);
  const permissionSetArn = id.slice(bar + 1);
  if (!/^\d{12}$/.test(accountId) || !permissionSetArn.startsWith("arn:")) return undefined;
  return { accountId, permissionSetArn };
}

export function accountEntitlementSlug(permissionSetName: string): string {
  return `${permissionSetName} access`;
}

export function accountEntitlementDisplayName(permissionSetName: string): string {
  return `${permissionSetName} Permission Set`;
}

/** Account-assignment grants: "grant:<principal type>:<principal id>:<entitlement id>". */
export function accountGrantId(principalTypeId: string, principalId: string, entitlementId: string): string {
  return `grant:${principalTypeId}:${principalId}:${entitlementId}`;
}

/** The parts of an account-assignment grant id (accountGrantId); undefined if it is not one. */
export function parseAccountGrantId(id: string): { principalTypeId: string; principalId: string; entitlementId: string } | undefined {
  // The principal is a synthetic Identity Store ARN ("…::<store>/<kind>/<id>", no ":" after "::"),
  // the entitlement "<accountId>|<permissionSetArn>".
  const match = /^grant:(sso_user|sso_group):(arn:aws:identitystore:[^:]*::[^/:]+\/(?:user|group)\/[^:]+):(\d{12}\|arn:.+)$/.exec(id);
  if (!match) return undefined;
  return { principalTypeId: match[1]!, principalId: match[2]!, entitlementId: match[3]! };
}

/**
 * The parts of a conventional grant id on a member entitlement, "<type>:<resource id>:member:<principal
 * type>:<principal id>" (grantId of entitlementId(type, resource, MEMBER_SLUG)); undefined if it is not one.
 */
export function parseMemberGrantId(
  id: string,
  resourceTypeId: string,
  principalTypeId: string,
): { resourceId: string; principalId: string } | undefined {
  const prefix = `${resourceTypeId}:`;
  const marker = `:${MEMBER_SLUG}:${principalTypeId}:`;
  if (!id.startsWith(prefix)) return undefined;
  const at = id.indexOf(marker, prefix.length);
  if (at <= prefix.length || at + marker.length >= id.length) return undefined;
  return { resourceId: id.slice(prefix.length, at), principalId: id.slice(at + marker.length) };
}

// --- Legacy V1Identifier values kept on entitlements and grants.

export function v1MembershipEntitlementId(resourceId: string): string {
  return `membership:${resourceId}`;
}

export function v1GrantId(entitlementId: string, principalId: string): string {
  return `grant:${entitlementId}:${principalId}`;
}

// --- IAM ARNs.

/** Name of an IAM user/group/role from its ARN (the last path segment). */
export function iamNameFromArn(arn: string): string {
  const slash = arn.lastIndexOf("/");
  return slash >= 0 ? arn.slice(slash + 1) : arn;
}

/** The 12-digit account of an IAM or STS ARN. */
export function accountIdFromArn(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(arn)?.[1];
}

// --- Policies.

const INLINE_SEPARATOR = "::inline::";
/** A permission set has one anonymous inline policy; baton-aws names it "inline". */
export const PERMISSION_SET_INLINE_POLICY_NAME = "inline";

/** Inline policies: "<parent ARN>::inline::<policy name>" ("<permission-set ARN>::inline::inline"). */
export function inlinePolicyId(parentArn: string, policyName: string): string {
  return `${parentArn}${INLINE_SEPARATOR}${policyName}`;
}

export function parseInlinePolicyId(id: string): { parentArn: string; policyName: string } | undefined {
  const at = id.indexOf(INLINE_SEPARATOR);
  if (at <= 0 || at + INLINE_SEPARATOR.length >= id.length) return undefined;
  return { parentArn: id.slice(0, at), policyName: id.slice(at + INLINE_SEPARATOR.length) };
}

/**
 * A permission set's customer-managed policy reference (name and path, no ARN) names the policy of
 * that name and path in each account the set is provisioned to.
 */
export function customerManagedPolicyArn(accountId: string, name: string, path: string | undefined): string {
  return `arn:aws:iam::${accountId}:policy${path || "/"}${name}`;
}

// --- Permission-set assignments (scope bindings): "<permissionSetArn>-<accountId>", as baton-aws.

export function permissionSetAssignmentId(permissionSetArn: string, accountId: string): string {
  return `${permissionSetArn}-${accountId}`;
}

export function parsePermissionSetAssignmentId(id: string): { permissionSetArn: string; accountId: string } | undefined {
  const match = /^(arn:.+)-(\d{12})$/.exec(id);
  return match ? { permissionSetArn: match[1]!, accountId: match[2]! } : undefined;
}
