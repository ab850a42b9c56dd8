/**
 * IAM write operations with IAM's answers: EntityAlreadyExists, NoSuchEntity, DeleteConflict
 * while a user still has credentials, policies or groups, LimitExceeded at the managed-policy
 * quota (knob `iamLimits`, AWS default 10) and AWS's fixed limits, MalformedPolicyDocument,
 * UnmodifiableEntity for roles only AWS may change. State changes go through model/iam-writes.ts.
 */
import { SimError } from "../errors.js";
import { policySize } from "../model/iam.js";
import {
  addAccessKey,
  addUserToGroup,
  attachPolicy,
  createUser,
  deactivateMfaDevice,
  deleteInlinePolicy,
  deleteUser,
  deleteVirtualMfaDevice,
  detachPolicy,
  findByNameIgnoringCase,
  IAM_LIMITS,
  putInlinePolicy,
  removeCredential,
  removeUserFromGroup,
  setAccessKeyStatus,
  setLoginProfile,
  tagResource,
  untagResource,
  userDeleteConflict,
  type PolicyHolder,
} from "../model/iam-writes.js";
import { iamArn, iamId } from "../model/ids.js";
import type { IamUser, Tag } from "../model/types.js";
import { memberList } from "../protocol/query-xml.js";
import { timestamp } from "../protocol/timestamp.js";
import { optionalString, requiredString } from "../validate.js";
import { accessKeyShape } from "./iam-credentials.js";
import {
  boundaryShape,
  credentialId,
  ENTITY_PATH,
  EXISTING_USER_NAME,
  findGroup,
  findPolicy,
  findUser,
  GROUP_NAME,
  iamOf,
  policyHolder,
  POLICY_NAME,
  STATUS,
  type HolderKind,
  tagList,
  targetUser,
  USER_NAME,
  userShape,
} from "./iam-support.js";
import type { Handler, Input, RequestContext } from "./service.js";

const SERIAL_NUMBER = { min: 9, max: 256, pattern: /^[\w+=/:,.@-]+$/ };
const TAG_KEY = { min: 1, max: 128, pattern: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u };
const TAG_VALUE = { min: 0, max: 256, pattern: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u };
const PASSWORD = { min: 1, max: 128, pattern: /^[\t\n\r\x20-\xff]+$/ };
const POLICY_DOCUMENT = { min: 1, max: 131072, pattern: /^[\t\n\r\x20-\xff]+$/ };
const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const noSuchEntity = (message: string) => SimError.coded("NoSuchEntity", message);
const limitExceeded = (message: string) => SimError.coded("LimitExceeded", message);

/** The user a credential operation acts on; the root user has no IAM-user credentials here. */
function credentialOwner(ctx: RequestContext, input: Input, rule = EXISTING_USER_NAME): IamUser {
  const user = targetUser(ctx, input, rule);
  if (!user) throw SimError.of("validation", "Must specify userName when calling with non-User credentials");
  return user;
}

function tagsOf(input: Input, field = "Tags"): Tag[] {
  const tags = memberList(input as Record<string, string>, field, true).map((t) => ({
    key: requiredString(t, "Key", TAG_KEY),
    value: optionalString(t, "Value", TAG_VALUE) ?? "",
  }));
  const keys = new Set<string>();
  for (const t of tags) {
    if (keys.has(t.key.toLowerCase())) throw SimError.coded("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.");
    keys.add(t.key.toLowerCase());
  }
  if (tags.length > IAM_LIMITS.tagsPerResource) throw SimError.of("validation", `1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to ${IAM_LIMITS.tagsPerResource}`);
  return tags;
}

/** Roles under AWS's own paths (Identity Center, service-linked) can only be changed by AWS. */
function assertModifiable(holder: PolicyHolder): void {
  if ("trustPolicy" in holder && /^\/(aws-reserved|aws-service-role)\//.test(holder.path)) {
    throw SimError.coded("UnmodifiableEntity", `Cannot perform the operation on the protected role '${holder.name}' - this role is only modifiable by AWS`);
  }
}

function attach(ctx: RequestContext, input: Input, kind: HolderKind): undefined {
  const holder = policyHolder(ctx, input, kind);
  const policy = findPolicy(ctx, input, "attach");
  assertModifiable(holder);
  if (holder.attachedPolicies.includes(policy.arn)) return undefined; // already attached: success, no change
  const limits = ctx.sim.knobs.current.iamLimits;
  const limit = kind === "User" ? limits.managedPoliciesPerUser : kind === "Group" ? limits.managedPoliciesPerGroup : limits.managedPoliciesPerRole;
  if (holder.attachedPolicies.length >= limit) throw limitExceeded(`Cannot exceed quota for PoliciesPer${kind}: ${limit}`);
  attachPolicy(holder, policy.arn);
  return undefined;
}

function detach(ctx: RequestContext, input: Input, kind: HolderKind): undefined {
  const holder = policyHolder(ctx, input, kind);
  const arn = requiredString(input, "PolicyArn", { min: 20, max: 2048 });
  if (!/^arn:aws:iam::(aws|\d{12}):policy\/./.test(arn)) throw SimError.coded("InvalidInput", `ARN ${arn} is not valid.`);
  assertModifiable(holder);
  if (!detachPolicy(holder, arn)) throw noSuchEntity(`Policy ${arn} was not found.`);
  return undefined;
}

function putPolicy(ctx: RequestContext, input: Input, kind: HolderKind): undefined {
  const holder = policyHolder(ctx, input, kind, kind === "User" ? EXISTING_USER_NAME : undefined);
  const name = requiredString(input, "PolicyName", POLICY_NAME);
  const document = requiredString(input, "PolicyDocument", POLICY_DOCUMENT);
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw SimError.coded("MalformedPolicyDocument", "Syntax errors in policy.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || !("Statement" in parsed)) {
    throw SimError.coded("MalformedPolicyDocument", "Policy document must contain a Statement.");
  }
  assertModifiable(holder);
  const lower = kind.toLowerCase() as "user" | "group" | "role";
  const limit = IAM_LIMITS.inlinePolicyBytes[lower];
  const others = holder.inlinePolicies.filter((p) => p.name !== name).reduce((sum, p) => sum + policySize(p.document), 0);
  if (others + policySize(document) > limit) throw limitExceeded(`Maximum policy size of ${limit} bytes exceeded for ${lower} ${holder.name}`);
  putInlinePolicy(holder, name, document);
  return undefined;
}

function deletePolicy(ctx: RequestContext, input: Input, kind: HolderKind): undefined {
  const holder = policyHolder(ctx, input, kind, kind === "User" ? EXISTING_USER_NAME : undefined);
  const name = requiredString(input, "PolicyName", POLICY_NAME);
  assertModifiable(holder);
  if (!deleteInlinePolicy(holder, name)) throw noSuchEntity(`The ${kind.toLowerCase()} policy with name ${name} cannot be found.`);
  return undefined;
}

/** A password satisfying IAM's default policy: 8+ characters of at least three kinds. */
function assertPasswordPolicy(password: string): void {
  const kinds = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (password.length < 8 || kinds < 3) throw SimError.coded("PasswordPolicyViolation", "Password does not conform to the account password policy.");
}

const DELETE_CONFLICT_MESSAGES: Record<string, string> = {
  "login profile": "Cannot delete entity, must delete login profile first.",
  "access keys": "Cannot delete entity, must delete access keys first.",
  "signing certificates": "Cannot delete entity, must delete signing certificates first.",
  "SSH public keys": "Cannot delete entity, must delete SSH public keys first.",
  "service specific credentials": "Cannot delete entity, must delete service specific credentials first.",
  "MFA devices": "Cannot delete entity, must delete MFA device first.",
  policies: "Cannot delete entity, must delete policies first.",
  "attached policies": "Cannot delete entity, must detach all policies first.",
  "group memberships": "Cannot delete entity, must remove users from group first.",
};

export const writeOperations: Record<string, Handler> = {
  CreateUser(ctx, input) {
    const iam = iamOf(ctx);
    const name = requiredString(input, "UserName", USER_NAME);
    const path = optionalString(input, "Path", ENTITY_PATH) ?? "/";
    const boundary = input.PermissionsBoundary === undefined ? undefined : findPolicy(ctx, { PolicyArn: input.PermissionsBoundary }, "attach").arn;
    const tags = tagsOf(input);
    if (findByNameIgnoringCase(iam.users, name)) throw SimError.coded("EntityAlreadyExists", `User with name ${name} already exists.`);
    if (iam.users.length >= IAM_LIMITS.usersPerAccount) throw limitExceeded(`Cannot exceed quota for UsersPerAccount: ${IAM_LIMITS.usersPerAccount}`);
    const user = createUser(iam, {
      name,
      id: iamId(ctx.sim.prng("ids"), "AIDA"),
      arn: iamArn(iam.accountId, "user", path, name),
      path,
      createdAt: ctx.now,
      tags,
      permissionsBoundary: boundary,
    });
    return { User: { ...userShape(user), PermissionsBoundary: boundaryShape(user.permissionsBoundary), Tags: tags.length ? tagList(user.tags) : undefined } };
  },
  DeleteUser(ctx, input) {
    const iam = iamOf(ctx);
    const user = findUser(iam, requiredString(input, "UserName", EXISTING_USER_NAME));
    const conflict = userDeleteConflict(user);
    if (conflict) throw SimError.coded("DeleteConflict", DELETE_CONFLICT_MESSAGES[conflict]!);
    deleteUser(iam, user);
    return undefined;
  },
  TagUser(ctx, input) {
    const user = findUser(iamOf(ctx), requiredString(input, "UserName", EXISTING_USER_NAME));
    const tags = tagsOf(input);
    if (!tagResource(user.tags, tags, IAM_LIMITS.tagsPerResource).applied) throw limitExceeded(`Cannot exceed quota for TagsPerUser: ${IAM_LIMITS.tagsPerResource}`);
    return undefined;
  },
  UntagUser(ctx, input) {
    const user = findUser(iamOf(ctx), requiredString(input, "UserName", EXISTING_USER_NAME));
    untagResource(user.tags, memberList(input as Record<string, string>, "TagKeys").map((k) => requiredString({ k }, "k", TAG_KEY)));
    return undefined;
  },
  CreateLoginProfile(ctx, input) {
    const user = credentialOwner(ctx, input, USER_NAME);
    const password = requiredString(input, "Password", PASSWORD);
    if (user.loginProfile) throw SimError.coded("EntityAlreadyExists", `Login Profile for user ${user.name} already exists.`);
    assertPasswordPolicy(password);
    const profile = { createdAt: ctx.now, passwordResetRequired: String(input.PasswordResetRequired ?? "false") === "true" };
    setLoginProfile(user, profile);
    return { LoginProfile: { UserName: user.name, CreateDate: timestamp(profile.createdAt), PasswordResetRequired: profile.passwordResetRequired } };
  },
  DeleteLoginProfile(ctx, input) {
    const user = credentialOwner(ctx, input, USER_NAME);
    if (!user.loginProfile) throw noSuchEntity(`Login Profile for User ${user.name} cannot be found.`);
    setLoginProfile(user, undefined);
    return undefined;
  },
  CreateAccessKey(ctx, input) {
    const user = credentialOwner(ctx, input);
    if (user.accessKeys.length >= IAM_LIMITS.accessKeysPerUser) throw limitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${IAM_LIMITS.accessKeysPerUser}`);
    const ids = ctx.sim.prng("ids");
    const key = { id: iamId(ids, "AKIA"), status: "Active" as const, createdAt: ctx.now };
    addAccessKey(user, key);
    // The secret is shown once and never kept; the simulator does not verify signatures.
    return { AccessKey: { ...accessKeyShape(user, key), SecretAccessKey: ids.chars(SECRET_ALPHABET, 40) } };
  },
  DeleteAccessKey(ctx, input) {
    const user = credentialOwner(ctx, input);
    const id = requiredString(input, "AccessKeyId", credentialId(16));
    if (!removeCredential(user, "accessKeys", id)) throw noSuchEntity(`The Access Key with id ${id} cannot be found.`);
    return undefined;
  },
  UpdateAccessKey(ctx, input) {
    const user = credentialOwner(ctx, input);
    const id = requiredString(input, "AccessKeyId", credentialId(16));
    const status = requiredString(input, "Status", STATUS) as "Active" | "Inactive";
    const key = user.accessKeys.find((k) => k.id === id);
    if (!key) throw noSuchEntity(`The Access Key with id ${id} cannot be found.`);
    setAccessKeyStatus(key, status);
    return undefined;
  },
  DeleteSigningCertificate(ctx, input) {
    const user = credentialOwner(ctx, input);
    const id = requiredString(input, "CertificateId", credentialId(24));
    if (!removeCredential(user, "signingCertificates", id)) throw noSuchEntity(`The Certificate with id ${id} cannot be found.`);
    return undefined;
  },
  DeleteSSHPublicKey(ctx, input) {
    const user = findUser(iamOf(ctx), requiredString(input, "UserName", USER_NAME));
    const id = requiredString(input, "SSHPublicKeyId", credentialId(20));
    if (!removeCredential(user, "sshPublicKeys", id)) throw noSuchEntity(`The Public Key with id ${id} cannot be found.`);
    return undefined;
  },
  DeleteServiceSpecificCredential(ctx, input) {
    const user = credentialOwner(ctx, input, USER_NAME);
    const id = requiredString(input, "ServiceSpecificCredentialId", credentialId(20));
    if (!removeCredential(user, "serviceSpecificCredentials", id)) throw noSuchEntity(`No such credential ${id} exists.`);
    return undefined;
  },
  DeactivateMFADevice(ctx, input) {
    const user = credentialOwner(ctx, input);
    const serial = requiredString(input, "SerialNumber", SERIAL_NUMBER);
    if (!deactivateMfaDevice(user, serial)) throw noSuchEntity(`MFA Device with serial number ${serial} does not exist.`);
    return undefined;
  },
  DeleteVirtualMFADevice(ctx, input) {
    const iam = iamOf(ctx);
    const serial = requiredString(input, "SerialNumber", SERIAL_NUMBER);
    const device = iam.mfaDevices.get(serial);
    if (!device) throw noSuchEntity(`VirtualMFADevice with serial number ${serial} doesn't exist.`);
    if (device.user) throw SimError.coded("DeleteConflict", "MFA Device is still in use.");
    deleteVirtualMfaDevice(iam, serial);
    return undefined;
  },
  AddUserToGroup(ctx, input) {
    const iam = iamOf(ctx);
    const group = findGroup(iam, requiredString(input, "GroupName", GROUP_NAME));
    const user = findUser(iam, requiredString(input, "UserName", USER_NAME));
    addUserToGroup(user, group); // already a member: AWS succeeds silently
    return undefined;
  },
  RemoveUserFromGroup(ctx, input) {
    const iam = iamOf(ctx);
    const group = findGroup(iam, requiredString(input, "GroupName", GROUP_NAME));
    const user = findUser(iam, requiredString(input, "UserName", USER_NAME));
    if (!removeUserFromGroup(user, group)) throw noSuchEntity(`The user with name ${user.name} cannot be found in group ${group.name}.`);
    return undefined;
  },
  AttachUserPolicy: (ctx, input) => attach(ctx, input, "User"),
  AttachGroupPolicy: (ctx, input) => attach(ctx, input, "Group"),
  AttachRolePolicy: (ctx, input) => attach(ctx, input, "Role"),
  DetachUserPolicy: (ctx, input) => detach(ctx, input, "User"),
  DetachGroupPolicy: (ctx, input) => detach(ctx, input, "Group"),
  DetachRolePolicy: (ctx, input) => detach(ctx, input, "Role"),
  PutUserPolicy: (ctx, input) => putPolicy(ctx, input, "User"),
  PutGroupPolicy: (ctx, input) => putPolicy(ctx, input, "Group"),
  PutRolePolicy: (ctx, input) => putPolicy(ctx, input, "Role"),
  DeleteUserPolicy: (ctx, input) => deletePolicy(ctx, input, "User"),
  DeleteGroupPolicy: (ctx, input) => deletePolicy(ctx, input, "Group"),
  DeleteRolePolicy: (ctx, input) => deletePolicy(ctx, input, "Role"),
};
