import { ResourceTypeIds, parseAccountEntitlementId, parseIdentityStoreArn, parsePermissionSetAssignmentId, ssoGroupArn, ssoUserArn } from "../resources/ids.js";
import type { Baseline, ReadPattern, ResourceRef } from "../sync/changes.js";
import type { TrailRecord } from "./cloudtrail-events.js";

/**
 * What a CloudTrail event means for the previous sync, in terms of AWS reads: which earlier reads
 * it invalidates (their listings run again), which Identity Store users and groups to read again by
 * id (their listings are too large to run again for one change), or that it cannot be followed.
 *
 * The rules are about AWS's APIs, not about the resource model: an IAM write changes what any IAM
 * read of its account returns; an assignment changes that pair's ListAccountAssignments and the
 * provisioning lists; and so on. Which listings use which reads is recorded by the sync itself
 * (src/sync/read-log.ts), so a new resource type needs no change here unless it reads a new API.
 */
export interface EventEffects {
  invalidate: ReadPattern[];
  stale: ReadPattern[];
  resources: ResourceRef[];
  /** Set when the event cannot be followed (a full sync is needed): why. */
  unknown?: string;
}

export interface EffectsContext {
  /** The connector's own account (its reads have scope "self"). */
  selfAccountId: string;
  ssoRegion: string;
  baseline: Baseline;
  /** Group of each membership created by an event of this batch (DeleteGroupMembership names only the membership). */
  membershipGroups: Map<string, string>;
}

/** Event sources whose writes can change what the connector syncs; others are not its business. */
export const RELEVANT_SOURCES = new Set([
  "iam.amazonaws.com",
  "organizations.amazonaws.com",
  "sso.amazonaws.com",
  "identitystore.amazonaws.com",
  "identitystore-scim.amazonaws.com",
  "sso-directory.amazonaws.com",
]);

/** IAM reads keyed by one user or one key: only the events naming them change them. */
const PER_USER_IAM = ["ListAccessKeys", "GetAccessKeyLastUsed"];

/** SSO Admin writes that change nothing the connector reads (tags, applications, portal sessions…). */
const SSO_IGNORED = new Set([
  "TagResource",
  "UntagResource",
  "Authenticate",
  "Federate",
  "Logout",
  "GetRoleCredentials",
  "CreateToken",
  "CreateApplication",
  "UpdateApplication",
  "DeleteApplication",
  "PutApplicationAssignmentConfiguration",
  "CreateApplicationAssignment",
  "DeleteApplicationAssignment",
  "PutApplicationAuthenticationMethod",
  "DeleteApplicationAuthenticationMethod",
  "PutApplicationGrant",
  "DeleteApplicationGrant",
  "PutApplicationAccessScope",
  "DeleteApplicationAccessScope",
  "CreateTrustedTokenIssuer",
  "UpdateTrustedTokenIssuer",
  "DeleteTrustedTokenIssuer",
  "UpdateInstance",
  "CreateInstanceAccessControlAttributeConfiguration",
  "UpdateInstanceAccessControlAttributeConfiguration",
  "DeleteInstanceAccessControlAttributeConfiguration",
]);

const PERMISSION_SET_POLICY_READS = ["ListManagedPoliciesInPermissionSet", "ListCustomerManagedPolicyReferencesInPermissionSet", "GetInlinePolicyForPermissionSet", "GetPermissionsBoundaryForPermissionSet"];

const PERMISSION_SET_POLICY_WRITES = new Set([
  "AttachManagedPolicyToPermissionSet",
  "DetachManagedPolicyFromPermissionSet",
  "AttachCustomerManagedPolicyReferenceToPermissionSet",
  "DetachCustomerManagedPolicyReferenceFromPermissionSet",
  "PutInlinePolicyToPermissionSet",
  "DeleteInlinePolicyFromPermissionSet",
  "PutPermissionsBoundaryToPermissionSet",
  "DeletePermissionsBoundaryFromPermissionSet",
]);

const none = (): EventEffects => ({ invalidate: [], stale: [], resources: [] });

export async function effectsOf(event: TrailRecord, ctx: EffectsContext): Promise<EventEffects> {
  if (!RELEVANT_SOURCES.has(event.source) || event.readOnly || event.errorCode) return none();
  switch (event.source) {
    case "iam.amazonaws.com":
      return iamEffects(event, ctx);
    case "organizations.amazonaws.com":
      return organizationsEffects(event);
    case "sso.amazonaws.com":
      return ssoEffects(event, ctx);
    case "identitystore.amazonaws.com":
      return identityStoreEffects(event, ctx);
    default:
      // SCIM provisioning and directory changes name users and groups in shapes not modelled here.
      return { ...none(), unknown: `${event.source} ${event.name}` };
  }
}

const text = (value: unknown) => (typeof value === "string" ? value : undefined);
const nested = (value: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined), value);

function iamEffects(event: TrailRecord, ctx: EffectsContext): EventEffects {
  const scope = event.accountId === ctx.selfAccountId ? "self" : event.accountId;
  const effects = none();
  // Any IAM write can change what the account's IAM reads return (users, groups, roles, policies…).
  effects.invalidate.push({ service: "iam", scope, exceptOperations: PER_USER_IAM });
  const userName = text(event.request.userName);
  if (userName) effects.invalidate.push({ service: "iam", scope, operations: ["ListAccessKeys"], input: { UserName: userName } });
  const keyId = text(event.request.accessKeyId) ?? text(nested(event.response, "accessKey", "accessKeyId"));
  if (keyId) effects.invalidate.push({ service: "iam", scope, operations: ["GetAccessKeyLastUsed"], input: { AccessKeyId: keyId } });
  return effects;
}

function organizationsEffects(event: TrailRecord): EventEffects {
  const effects = none();
  // Accounts, their status and their place in the tree: every Organizations read (few, and cheap).
  effects.invalidate.push({ service: "organizations" });
  const accountId = text(event.request.accountId);
  if (accountId) effects.invalidate.push({ service: "sso", operations: ["ListPermissionSetsProvisionedToAccount"], input: { AccountId: accountId } });
  return effects;
}

/**
 * Provisioning a permission set to an account creates or updates its AWSReservedSSO role in that
 * account: the account's IAM changes too.
 */
function reservedRoles(effects: EventEffects, ctx: EffectsContext, accountId: string | undefined): void {
  const scope = accountId === undefined ? undefined : accountId === ctx.selfAccountId ? "self" : accountId;
  effects.invalidate.push({ service: "iam", ...(scope ? { scope } : {}), exceptOperations: PER_USER_IAM });
}

function ssoEffects(event: TrailRecord, ctx: EffectsContext): EventEffects {
  const effects = none();
  const ps = text(event.request.permissionSetArn) ?? text(nested(event.response, "permissionSet", "permissionSetArn"));
  const name = event.name;
  if (SSO_IGNORED.has(name)) return effects;
  if (name === "CreateAccountAssignment" || name === "DeleteAccountAssignment") {
    const accountId = text(event.request.targetId);
    if (!accountId || !ps) return { ...effects, unknown: `${event.source} ${name} without its target` };
    effects.invalidate.push(
      { service: "sso", operations: ["ListAccountAssignments"], input: { AccountId: accountId, PermissionSetArn: ps } },
      { service: "sso", operations: ["ListPermissionSetsProvisionedToAccount"], input: { AccountId: accountId } },
      { service: "sso", operations: ["ListAccountsForProvisionedPermissionSet"], input: { PermissionSetArn: ps } },
    );
    const principal = text(event.request.principalId);
    if (principal) effects.invalidate.push({ service: "sso", operations: ["ListAccountAssignmentsForPrincipal"], input: { PrincipalId: principal } });
    if (name === "CreateAccountAssignment") reservedRoles(effects, ctx, accountId);
    return effects;
  }
  if (name === "CreatePermissionSet" || name === "UpdatePermissionSet" || name === "DeletePermissionSet") {
    if (!ps) return { ...effects, unknown: `${event.source} ${name} without its permission set` };
    effects.invalidate.push({ service: "sso", input: { PermissionSetArn: ps } });
    if (name !== "UpdatePermissionSet") effects.invalidate.push({ service: "sso", operations: ["ListPermissionSets"] });
    if (name === "DeletePermissionSet") effects.invalidate.push({ service: "sso", operations: ["ListPermissionSetsProvisionedToAccount"] });
    return effects;
  }
  if (name === "ProvisionPermissionSet") {
    if (!ps) return { ...effects, unknown: `${event.source} ${name} without its permission set` };
    const target = text(event.request.targetId);
    effects.invalidate.push(
      { service: "sso", operations: ["ListAccountsForProvisionedPermissionSet"], input: { PermissionSetArn: ps } },
      { service: "sso", operations: ["ListPermissionSetsProvisionedToAccount"], ...(target ? { input: { AccountId: target } } : {}) },
    );
    reservedRoles(effects, ctx, target);
    return effects;
  }
  if (PERMISSION_SET_POLICY_WRITES.has(name)) {
    if (!ps) return { ...effects, unknown: `${event.source} ${name} without its permission set` };
    effects.invalidate.push({ service: "sso", operations: PERMISSION_SET_POLICY_READS, input: { PermissionSetArn: ps } });
    return effects;
  }
  return { ...effects, unknown: `${event.source} ${name}` };
}

async function identityStoreEffects(event: TrailRecord, ctx: EffectsContext): Promise<EventEffects> {
  const effects = none();
  const store = text(event.request.identityStoreId);
  const name = event.name;
  if (!store) return { ...effects, unknown: `${event.source} ${name} without its identity store` };
  const userId = text(event.request.userId) ?? text(event.response.userId);
  const groupId = text(event.request.groupId) ?? text(event.response.groupId);
  switch (name) {
    case "CreateUser":
    case "UpdateUser":
    case "DeleteUser": {
      if (!userId) return { ...effects, unknown: `${event.source} ${name} without its user` };
      const arn = ssoUserArn(ctx.ssoRegion, store, userId);
      effects.resources.push({ type: ResourceTypeIds.ssoUser, id: arn });
      effects.invalidate.push({ service: "identitystore", operations: ["DescribeUser"], input: { UserId: userId } });
      effects.stale.push({ service: "identitystore", operations: ["ListUsers"] });
      if (name === "DeleteUser") await invalidateHeld(ResourceTypeIds.ssoUser, arn, ctx, effects);
      return effects;
    }
    case "CreateGroup":
    case "UpdateGroup":
    case "DeleteGroup": {
      if (!groupId) return { ...effects, unknown: `${event.source} ${name} without its group` };
      const arn = ssoGroupArn(ctx.ssoRegion, store, groupId);
      effects.resources.push({ type: ResourceTypeIds.ssoGroup, id: arn });
      effects.invalidate.push({ service: "identitystore", operations: ["DescribeGroup", "ListGroupMemberships"], input: { GroupId: groupId } });
      effects.stale.push({ service: "identitystore", operations: ["ListGroups"] });
      if (name === "DeleteGroup") await invalidateHeld(ResourceTypeIds.ssoGroup, arn, ctx, effects);
      return effects;
    }
    case "CreateGroupMembership": {
      if (!groupId) return { ...effects, unknown: `${event.source} ${name} without its group` };
      effects.invalidate.push({ service: "identitystore", operations: ["ListGroupMemberships"], input: { GroupId: groupId } });
      return effects;
    }
    case "DeleteGroupMembership": {
      const membershipId = text(event.request.membershipId);
      const group = membershipId ? (ctx.membershipGroups.get(membershipId) ?? (await groupOfMembership(membershipId, ctx))) : undefined;
      if (!group) return { ...effects, unknown: `${event.source} ${name} of a membership the last sync did not have` };
      effects.invalidate.push({ service: "identitystore", operations: ["ListGroupMemberships"], input: { GroupId: group } });
      return effects;
    }
    default:
      return { ...effects, unknown: `${event.source} ${name}` };
  }
}

/** Grant ids of Identity Store memberships are their MembershipIds: the last sync knows each one's group. */
async function groupOfMembership(membershipId: string, ctx: EffectsContext): Promise<string | undefined> {
  const grant = await ctx.baseline.grant(membershipId);
  if (!grant || grant.resourceType !== ResourceTypeIds.ssoGroup) return undefined;
  return parseIdentityStoreArn(grant.resourceId)?.id;
}

/**
 * A deleted user or group takes its memberships and assignments with it, without events of their
 * own: the listings that showed them (per the last sync) are read again.
 */
async function invalidateHeld(type: string, arn: string, ctx: EffectsContext, effects: EventEffects): Promise<void> {
  for (const grant of await ctx.baseline.grantsOfPrincipal(type, arn)) {
    if (grant.derived) continue;
    if (grant.resourceType === ResourceTypeIds.ssoGroup) {
      const group = parseIdentityStoreArn(grant.resourceId)?.id;
      if (group) effects.invalidate.push({ service: "identitystore", operations: ["ListGroupMemberships"], input: { GroupId: group } });
      continue;
    }
    const pair = parseAccountEntitlementId(grant.entitlementId) ?? parsePermissionSetAssignmentId(grant.resourceId);
    if (pair) effects.invalidate.push({ service: "sso", operations: ["ListAccountAssignments"], input: { AccountId: pair.accountId, PermissionSetArn: pair.permissionSetArn } });
  }
  const principalId = parseIdentityStoreArn(arn)?.id;
  if (principalId) effects.invalidate.push({ service: "sso", operations: ["ListAccountAssignmentsForPrincipal"], input: { PrincipalId: principalId } });
}
