/**
 * The everyday administration writes an incremental sync must follow, per service, with AWS's
 * errors: IAM trust policies, groups, roles and policy versions; Organizations MoveAccount and
 * CloseAccount; SSO Admin permission sets (create, update, delete, provision, their policies);
 * Identity Store UpdateGroup. State changes go through model/change-writes.ts; every one is a write
 * (reported to the write hook, so CloudTrail records it). services/index.ts adds them to their
 * services.
 */
import { SimError } from "../errors.js";
import {
  addGroup,
  addPermissionSet,
  addPolicyVersion,
  addRole,
  closeAccount,
  moveAccount,
  provisionPermissionSet,
  removeGroup,
  removePermissionSet,
  removeRole,
  setDefaultPolicyVersion,
  setTrustPolicy,
  updateIdentityStoreGroup,
} from "../model/change-writes.js";
import { newMemberList } from "../model/iam.js";
import { findByNameIgnoringCase } from "../model/iam-writes.js";
import { ACCOUNT_ID, iamArn, iamId, INSTANCE_ARN, PERMISSION_SET_ARN, permissionSetArn, permissionSetId, RESOURCE_ID } from "../model/ids.js";
import { isParent } from "../model/organization.js";
import { accountsProvisionedWith } from "../model/sso.js";
import type { PermissionSet, SsoInstance } from "../model/types.js";
import { timestamp } from "../protocol/timestamp.js";
import { optionalString, requiredString } from "../validate.js";
import { ENTITY_PATH, findGroup, findPolicy, findRole, GROUP_NAME, groupShape, iamOf, ROLE_NAME, roleShape, VERSION_ID } from "./iam-support.js";
import { callerAccount, type Handler, type Input, type RequestContext } from "./service.js";

const POLICY_DOCUMENT = { min: 1, max: 131072, pattern: /^[\t\n\r\x20-\xff]+$/ };
const MAX_POLICY_VERSIONS = 5;

function policyDocument(input: Input, field: string): string {
  const document = requiredString(input, field, POLICY_DOCUMENT);
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw SimError.coded("MalformedPolicyDocument", "Syntax errors in policy.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || !("Statement" in parsed)) {
    throw SimError.coded("MalformedPolicyDocument", "Policy document must contain a Statement.");
  }
  return document;
}

const protectedRole = (path: string) => /^\/(aws-reserved|aws-service-role)\//.test(path);

export const iamChangeWrites: Record<string, Handler> = {
  UpdateAssumeRolePolicy(ctx, input) {
    const iam = iamOf(ctx);
    const role = findRole(iam, requiredString(input, "RoleName", ROLE_NAME));
    const document = policyDocument(input, "PolicyDocument");
    if (protectedRole(role.path)) throw SimError.coded("UnmodifiableEntity", `Cannot perform the operation on the protected role '${role.name}' - this role is only modifiable by AWS`);
    setTrustPolicy(iam, role, document);
    return {};
  },
  CreateGroup(ctx, input) {
    const iam = iamOf(ctx);
    const name = requiredString(input, "GroupName", GROUP_NAME);
    const path = optionalString(input, "Path", ENTITY_PATH) ?? "/";
    if (findByNameIgnoringCase(iam.groups, name)) throw SimError.coded("EntityAlreadyExists", `Group with name ${name} already exists.`);
    const group = { name, path, id: iamId(ctx.sim.prng("ids"), "AGPA"), arn: iamArn(iam.accountId, "group", path, name), createdAt: ctx.now, attachedPolicies: [], inlinePolicies: [], members: newMemberList() };
    addGroup(iam, group);
    return { Group: groupShape(group) };
  },
  DeleteGroup(ctx, input) {
    const iam = iamOf(ctx);
    const group = findGroup(iam, requiredString(input, "GroupName", GROUP_NAME));
    if (group.members.length > 0) throw SimError.coded("DeleteConflict", "Cannot delete entity, must remove users from group first.");
    if (group.inlinePolicies.length > 0) throw SimError.coded("DeleteConflict", "Cannot delete entity, must delete policies first.");
    if (group.attachedPolicies.length > 0) throw SimError.coded("DeleteConflict", "Cannot delete entity, must detach all policies first.");
    removeGroup(iam, group);
    return {};
  },
  CreateRole(ctx, input) {
    const iam = iamOf(ctx);
    const name = requiredString(input, "RoleName", ROLE_NAME);
    const path = optionalString(input, "Path", ENTITY_PATH) ?? "/";
    const trustPolicy = policyDocument(input, "AssumeRolePolicyDocument");
    const maxSessionDuration = input.MaxSessionDuration === undefined ? 3600 : Number(input.MaxSessionDuration);
    if (!Number.isInteger(maxSessionDuration) || maxSessionDuration < 3600 || maxSessionDuration > 43200) {
      throw SimError.of("validation", `1 validation error detected: Value '${String(input.MaxSessionDuration)}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200`);
    }
    if (findByNameIgnoringCase(iam.roles, name)) throw SimError.coded("EntityAlreadyExists", `Role with name ${name} already exists.`);
    const role = {
      name,
      path,
      id: iamId(ctx.sim.prng("ids"), "AROA"),
      arn: iamArn(iam.accountId, "role", path, name),
      createdAt: ctx.now,
      description: optionalString(input, "Description", { max: 1000 }),
      maxSessionDuration,
      trustPolicy,
      tags: [],
      attachedPolicies: [],
      inlinePolicies: [],
    };
    addRole(iam, role);
    return { Role: roleShape(role) };
  },
  DeleteRole(ctx, input) {
    const iam = iamOf(ctx);
    const role = findRole(iam, requiredString(input, "RoleName", ROLE_NAME));
    if (protectedRole(role.path)) throw SimError.coded("UnmodifiableEntity", `Cannot perform the operation on the protected role '${role.name}' - this role is only modifiable by AWS`);
    if (role.inlinePolicies.length > 0) throw SimError.coded("DeleteConflict", "Cannot delete entity, must delete policies first.");
    if (role.attachedPolicies.length > 0) throw SimError.coded("DeleteConflict", "Cannot delete entity, must detach all policies first.");
    removeRole(iam, role);
    return {};
  },
  CreatePolicyVersion(ctx, input) {
    const policy = findPolicy(ctx, input);
    if (policy.arn.startsWith("arn:aws:iam::aws:")) throw SimError.of("accessDenied", `User: ${ctx.caller.arn} is not authorized to perform: iam:CreatePolicyVersion on resource: policy ${policy.arn}`);
    const document = policyDocument(input, "PolicyDocument");
    if (policy.versions.length >= MAX_POLICY_VERSIONS) throw SimError.coded("LimitExceeded", `A managed policy can have up to ${MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version.`);
    const makeDefault = String(input.SetAsDefault ?? "false") === "true";
    const versionId = addPolicyVersion(policy, document, ctx.now, makeDefault);
    return { PolicyVersion: { VersionId: versionId, IsDefaultVersion: makeDefault, CreateDate: timestamp(ctx.now) } };
  },
  SetDefaultPolicyVersion(ctx, input) {
    const policy = findPolicy(ctx, input);
    const versionId = requiredString(input, "VersionId", VERSION_ID);
    if (!policy.versions.some((v) => v.versionId === versionId)) throw SimError.coded("NoSuchEntity", `Policy ${policy.arn} version ${versionId} does not exist or is not attachable.`);
    setDefaultPolicyVersion(policy, versionId, ctx.now);
    return {};
  },
};

// --- Organizations

function requireManagement(ctx: RequestContext) {
  const organization = ctx.sim.model.organization;
  if (!organization || !callerAccount(ctx).inOrganization) throw SimError.coded("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.");
  if (ctx.caller.accountId !== organization.managementAccountId) throw SimError.of("accessDenied", "You don't have permissions to access this resource.");
  return organization;
}

const PARENT_ID = { max: 100, pattern: /^(r-[0-9a-z]{4,32})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/ };

export const organizationsChangeWrites: Record<string, Handler> = {
  MoveAccount(ctx, input) {
    const organization = requireManagement(ctx);
    const accountId = requiredString(input, "AccountId", { pattern: ACCOUNT_ID });
    const source = requiredString(input, "SourceParentId", PARENT_ID);
    const destination = requiredString(input, "DestinationParentId", PARENT_ID);
    const account = ctx.sim.model.accounts.get(accountId);
    if (!account || !account.inOrganization) throw SimError.coded("AccountNotFoundException", "You specified an account that doesn't exist.");
    if (!isParent(organization, source)) throw SimError.coded("SourceParentNotFoundException", "We can't find a source root or OU with the ParentId that you specified.");
    if (!isParent(organization, destination)) throw SimError.coded("DestinationParentNotFoundException", "We can't find a destination root or OU with the ParentId that you specified.");
    if (account.parentId !== source) throw SimError.coded("AccountNotFoundException", "You specified an account that doesn't exist in the source parent.");
    if (source === destination) throw SimError.coded("DuplicateAccountException", "That account is already present in the specified destination.");
    moveAccount(organization, account, destination);
    return {};
  },
  CloseAccount(ctx, input) {
    const organization = requireManagement(ctx);
    const accountId = requiredString(input, "AccountId", { pattern: ACCOUNT_ID });
    const account = ctx.sim.model.accounts.get(accountId);
    if (!account || !account.inOrganization) throw SimError.coded("AccountNotFoundException", "You specified an account that doesn't exist.");
    if (accountId === organization.managementAccountId) throw SimError.coded("ConstraintViolationException", "You can't close the management account.", { Reason: "CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED" });
    if (account.state !== "ACTIVE") throw SimError.coded("AccountAlreadyClosedException", "You have already closed the account.");
    closeAccount(account);
    return {};
  },
};

// --- SSO Admin

function instanceOf(ctx: RequestContext, input: Input): SsoInstance {
  const arn = requiredString(input, "InstanceArn", { min: 10, max: 1224, pattern: INSTANCE_ARN });
  const sso = ctx.sim.model.ssoInstance;
  if (!sso || sso.arn !== arn) throw SimError.coded("ResourceNotFoundException", `Instance ${arn} does not exist.`);
  if (ctx.caller.accountId !== sso.ownerAccountId) throw SimError.of("accessDenied", `User: ${ctx.caller.arn} is not authorized to perform: sso:${ctx.operation} on resource: ${arn}`);
  ctx.sim.assignments.settle(ctx.now);
  return sso;
}

function permissionSetOf(sso: SsoInstance, input: Input): PermissionSet {
  const arn = requiredString(input, "PermissionSetArn", { min: 10, max: 1224, pattern: PERMISSION_SET_ARN });
  const ps = sso.permissionSets.get(arn);
  if (!ps) throw SimError.coded("ResourceNotFoundException", `Could not find PermissionSet with arn ${arn}.`);
  return ps;
}

const DURATION = { min: 1, max: 100, pattern: /^(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/ };
const PS_NAME = { min: 1, max: 32, pattern: /^[\w+=,.@-]+$/ };
const DESCRIPTION = { min: 1, max: 700 };
const RELAY_STATE = { min: 1, max: 240 };

const permissionSetShape = (p: PermissionSet) => ({
  Name: p.name,
  PermissionSetArn: p.arn,
  Description: p.description,
  CreatedDate: timestamp(p.createdAt),
  SessionDuration: p.sessionDuration,
  RelayState: p.relayState,
});

function provisioningStatus(ctx: RequestContext, accountId: string | undefined, permissionSet: PermissionSet) {
  return {
    Status: "SUCCEEDED",
    RequestId: ctx.sim.prng("ids").uuid(),
    AccountId: accountId,
    PermissionSetArn: permissionSet.arn,
    CreatedDate: timestamp(ctx.now),
  };
}

/** A change to a permission set's policies (what AWS applies to accounts at the next ProvisionPermissionSet). */
function changePolicies(change: (ps: PermissionSet, input: Input, ctx: RequestContext) => void): Handler {
  return (ctx, input) => {
    const ps = permissionSetOf(instanceOf(ctx, input), input);
    change(ps, input, ctx);
    return {};
  };
}

export const ssoAdminChangeWrites: Record<string, Handler> = {
  CreatePermissionSet(ctx, input) {
    const sso = instanceOf(ctx, input);
    const name = requiredString(input, "Name", PS_NAME);
    if ([...sso.permissionSets].some((p) => p.name === name)) throw SimError.coded("ConflictException", `PermissionSet with name ${name} already exists.`);
    const instanceId = sso.arn.slice(sso.arn.lastIndexOf("/") + 1);
    const ps: PermissionSet = {
      arn: permissionSetArn(instanceId, permissionSetId(ctx.sim.prng("ids"))),
      name,
      description: optionalString(input, "Description", DESCRIPTION),
      sessionDuration: optionalString(input, "SessionDuration", DURATION) ?? "PT1H",
      relayState: optionalString(input, "RelayState", RELAY_STATE),
      createdAt: ctx.now,
      managedPolicies: [],
      customerManagedPolicies: [],
    };
    addPermissionSet(sso, ps);
    return { PermissionSet: permissionSetShape(ps) };
  },
  UpdatePermissionSet(ctx, input) {
    const ps = permissionSetOf(instanceOf(ctx, input), input);
    const description = optionalString(input, "Description", DESCRIPTION);
    const sessionDuration = optionalString(input, "SessionDuration", DURATION);
    const relayState = optionalString(input, "RelayState", RELAY_STATE);
    if (description !== undefined) ps.description = description;
    if (sessionDuration !== undefined) ps.sessionDuration = sessionDuration;
    if (relayState !== undefined) ps.relayState = relayState;
    return {};
  },
  DeletePermissionSet(ctx, input) {
    const sso = instanceOf(ctx, input);
    const ps = permissionSetOf(sso, input);
    if (accountsProvisionedWith(sso, ps.arn).length > 0) throw SimError.coded("ConflictException", `PermissionSet ${ps.arn} is provisioned to accounts; remove its assignments and provisioning first.`);
    removePermissionSet(sso, ps);
    return {};
  },
  ProvisionPermissionSet(ctx, input) {
    const sso = instanceOf(ctx, input);
    const ps = permissionSetOf(sso, input);
    const targetType = requiredString(input, "TargetType", { oneOf: ["AWS_ACCOUNT", "ALL_PROVISIONED_ACCOUNTS"] });
    const targetId = optionalString(input, "TargetId", { pattern: ACCOUNT_ID });
    if (targetType === "AWS_ACCOUNT") {
      if (!targetId) throw SimError.of("validation", "TargetId is required when TargetType is AWS_ACCOUNT.");
      const account = ctx.sim.model.accounts.get(targetId);
      if (!account) throw SimError.coded("ResourceNotFoundException", `Account ${targetId} does not exist.`);
      provisionPermissionSet(sso, account, ps);
      return { PermissionSetProvisioningStatus: provisioningStatus(ctx, targetId, ps) };
    }
    for (const accountId of [...accountsProvisionedWith(sso, ps.arn)]) provisionPermissionSet(sso, ctx.sim.model.accounts.get(accountId)!, ps);
    return { PermissionSetProvisioningStatus: provisioningStatus(ctx, undefined, ps) };
  },
  AttachManagedPolicyToPermissionSet: changePolicies((ps, input) => {
    const arn = requiredString(input, "ManagedPolicyArn", { min: 20, max: 2048 });
    if (ps.managedPolicies.includes(arn)) throw SimError.coded("ConflictException", `Managed policy ${arn} is already attached to ${ps.arn}.`);
    ps.managedPolicies.push(arn);
  }),
  DetachManagedPolicyFromPermissionSet: changePolicies((ps, input) => {
    const arn = requiredString(input, "ManagedPolicyArn", { min: 20, max: 2048 });
    const at = ps.managedPolicies.indexOf(arn);
    if (at < 0) throw SimError.coded("ResourceNotFoundException", `Managed policy ${arn} is not attached to ${ps.arn}.`);
    ps.managedPolicies.splice(at, 1);
  }),
  PutInlinePolicyToPermissionSet: changePolicies((ps, input) => {
    ps.inlinePolicy = policyDocument(input, "InlinePolicy");
  }),
  DeleteInlinePolicyFromPermissionSet: changePolicies((ps) => {
    ps.inlinePolicy = undefined;
  }),
};

// --- Identity Store

const GROUP_DISPLAY_NAME = { min: 1, max: 1024, pattern: /^[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r \u00a0]+$/u };

export const identityStoreChangeWrites: Record<string, Handler> = {
  UpdateGroup(ctx, input) {
    const store = ctx.sim.model.identityStore;
    const storeId = requiredString(input, "IdentityStoreId", { min: 1, max: 36 });
    if (!store || store.id !== storeId) throw SimError.coded("ResourceNotFoundException", `Identity store ${storeId} does not exist.`, { ResourceType: "IDENTITY_STORE", ResourceId: storeId });
    const groupId = requiredString(input, "GroupId", { min: 1, max: 47, pattern: RESOURCE_ID });
    const group = store.groups.get(groupId);
    if (!group) throw SimError.coded("ResourceNotFoundException", `Group ${groupId} does not exist.`, { ResourceType: "GROUP", ResourceId: groupId });
    const operations = Array.isArray(input.Operations) ? (input.Operations as Array<Record<string, unknown>>) : [];
    if (operations.length === 0) throw SimError.of("validation", "Operations must contain at least one operation.");
    const fields: { displayName?: string; description?: string } = {};
    for (const op of operations) {
      const path = requiredString(op, "AttributePath", { min: 1, max: 255 });
      if (path === "displayName") fields.displayName = requiredString(op, "AttributeValue", GROUP_DISPLAY_NAME);
      else if (path === "description") fields.description = requiredString(op, "AttributeValue", { min: 1, max: 1024 });
      else throw SimError.of("validation", `Attribute ${path} cannot be updated.`);
    }
    if (!updateIdentityStoreGroup(store, group, fields)) throw SimError.coded("ConflictException", "Duplicate GroupDisplayName", { Reason: "UNIQUENESS_CONSTRAINT_VIOLATION" });
    return {};
  },
};
