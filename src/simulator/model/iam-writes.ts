/**
 * Every change IAM write operations make to the model, in one place (the IAM service validates
 * input and answers errors; the functions here only change state, and report what they found).
 * AWS's fixed per-user limits live here too.
 */
import { newGroupList } from "./iam.js";
import type { AccessKey, IamAccount, IamGroup, IamRole, IamUser, LoginProfile, Tag } from "./types.js";

/** Fixed IAM limits (not adjustable in AWS). */
export const IAM_LIMITS = {
  usersPerAccount: 5000,
  accessKeysPerUser: 2,
  tagsPerResource: 50,
  /** Aggregate inline-policy size (non-whitespace characters) per user, group, role. */
  inlinePolicyBytes: { user: 2048, group: 5120, role: 10240 },
} as const;

export type PolicyHolder = IamUser | IamGroup | IamRole;

/** IAM names are unique case-insensitively within the account. */
export function findByNameIgnoringCase<T extends { name: string }>(items: Iterable<T>, name: string): T | undefined {
  const wanted = name.toLowerCase();
  for (const item of items) if (item.name.toLowerCase() === wanted) return item;
  return undefined;
}

/** Returns false when the user already was a member (AWS treats that as success). */
export function addUserToGroup(user: IamUser, group: IamGroup): boolean {
  if (!group.members.add(user)) return false;
  user.groups.add(group);
  return true;
}

/** Returns false when the user was not a member. */
export function removeUserFromGroup(user: IamUser, group: IamGroup): boolean {
  if (!group.members.delete(user.name)) return false;
  user.groups.delete(group.name);
  return true;
}

export function createUser(iam: IamAccount, fields: Pick<IamUser, "name" | "id" | "arn" | "path" | "createdAt" | "tags" | "permissionsBoundary">): IamUser {
  const user: IamUser = {
    ...fields,
    attachedPolicies: [],
    inlinePolicies: [],
    groups: newGroupList(),
    accessKeys: [],
    mfaDevices: [],
    signingCertificates: [],
    sshPublicKeys: [],
    serviceSpecificCredentials: [],
  };
  iam.users.add(user);
  return user;
}

/**
 * What still blocks DeleteUser, in the order the message names it (AWS requires each to be
 * removed first); undefined when the user can go.
 */
export function userDeleteConflict(user: IamUser): string | undefined {
  if (user.loginProfile) return "login profile";
  if (user.accessKeys.length) return "access keys";
  if (user.signingCertificates.length) return "signing certificates";
  if (user.sshPublicKeys.length) return "SSH public keys";
  if (user.serviceSpecificCredentials.length) return "service specific credentials";
  if (user.mfaDevices.length) return "MFA devices";
  if (user.inlinePolicies.length) return "policies";
  if (user.attachedPolicies.length) return "attached policies";
  if (user.groups.length) return "group memberships";
  return undefined;
}

export function deleteUser(iam: IamAccount, user: IamUser): void {
  iam.users.delete(user.name);
}

/** Appends the managed policy; false when it already was attached (AWS succeeds without change). */
export function attachPolicy(holder: PolicyHolder, arn: string): boolean {
  if (holder.attachedPolicies.includes(arn)) return false;
  holder.attachedPolicies.push(arn);
  return true;
}

/** False when the policy was not attached. */
export function detachPolicy(holder: PolicyHolder, arn: string): boolean {
  const index = holder.attachedPolicies.indexOf(arn);
  if (index < 0) return false;
  holder.attachedPolicies.splice(index, 1);
  return true;
}

/** Adds or replaces an inline policy (PutUserPolicy and friends overwrite by name). */
export function putInlinePolicy(holder: PolicyHolder, name: string, document: string): void {
  const existing = holder.inlinePolicies.find((p) => p.name === name);
  if (existing) existing.document = document;
  else holder.inlinePolicies.push({ name, document });
}

export function deleteInlinePolicy(holder: PolicyHolder, name: string): boolean {
  const index = holder.inlinePolicies.findIndex((p) => p.name === name);
  if (index < 0) return false;
  holder.inlinePolicies.splice(index, 1);
  return true;
}

export function setLoginProfile(user: IamUser, profile: LoginProfile | undefined): void {
  user.loginProfile = profile;
}

export function addAccessKey(user: IamUser, key: AccessKey): void {
  user.accessKeys.push(key);
}

/** Removes one of the user's credentials of a kind by id; false when the user has none with that id. */
export function removeCredential(user: IamUser, kind: "accessKeys" | "signingCertificates" | "sshPublicKeys" | "serviceSpecificCredentials", id: string): boolean {
  const list: Array<{ id: string }> = user[kind];
  const index = list.findIndex((c) => c.id === id);
  if (index < 0) return false;
  list.splice(index, 1);
  return true;
}

export function setAccessKeyStatus(key: AccessKey, status: AccessKey["status"]): void {
  key.status = status;
}

/** Disassociates an MFA device from its user (the virtual device stays in the account). */
export function deactivateMfaDevice(user: IamUser, serialNumber: string): boolean {
  const index = user.mfaDevices.findIndex((d) => d.serialNumber === serialNumber);
  if (index < 0) return false;
  const [device] = user.mfaDevices.splice(index, 1);
  device!.user = undefined;
  device!.enableDate = undefined;
  return true;
}

export function deleteVirtualMfaDevice(iam: IamAccount, serialNumber: string): boolean {
  return iam.mfaDevices.delete(serialNumber) !== undefined;
}

/** Adds or overwrites tags by key; returns the resulting tag count without applying when over `limit`. */
export function tagResource(current: Tag[], tags: Tag[], limit: number): { applied: boolean; count: number } {
  const merged = new Map(current.map((t) => [t.key, t.value]));
  for (const t of tags) merged.set(t.key, t.value);
  if (merged.size > limit) return { applied: false, count: merged.size };
  current.splice(0, current.length, ...[...merged].map(([key, value]) => ({ key, value })));
  return { applied: true, count: merged.size };
}

export function untagResource(current: Tag[], keys: string[]): void {
  const drop = new Set(keys);
  current.splice(0, current.length, ...current.filter((t) => !drop.has(t.key)));
}
