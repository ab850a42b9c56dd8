/**
 * State changes of the writes an organisation's administrators make day to day and that an
 * incremental sync has to follow (trust policies, groups and roles, policy versions, accounts moved
 * or closed, permission sets changed or provisioned, Identity Store groups renamed): one place, as
 * iam-writes.ts is for the provisioning writes. The services validate and answer errors.
 */
import { placeAccount } from "./organization.js";
import { provision, RESERVED_ROLE_INLINE_POLICY } from "./sso.js";
import type { Account, IamAccount, IamGroup, IamRole, IdentityStore, IdentityStoreGroup, ManagedPolicy, Organization, PermissionSet, SsoInstance } from "./types.js";
import { customerPolicyArn } from "./iam.js";

/** A role with a new trust policy: a new object (list items encoded from the old one are not served stale). */
export function setTrustPolicy(iam: IamAccount, role: IamRole, document: string): void {
  iam.roles.replace({ ...role, trustPolicy: document });
}

export function addGroup(iam: IamAccount, group: IamGroup): void {
  iam.groups.add(group);
}

export function removeGroup(iam: IamAccount, group: IamGroup): void {
  iam.groups.delete(group.name);
}

export function addRole(iam: IamAccount, role: IamRole): void {
  iam.roles.add(role);
}

export function removeRole(iam: IamAccount, role: IamRole): void {
  iam.roles.delete(role.name);
}

/** A new version of a managed policy; the default when `makeDefault`. AWS keeps at most five. */
export function addPolicyVersion(policy: ManagedPolicy, document: string, at: number, makeDefault: boolean): string {
  const next = Math.max(0, ...policy.versions.map((v) => Number(v.versionId.slice(1)) || 0)) + 1;
  const versionId = `v${next}`;
  policy.versions.push({ versionId, document, createdAt: at });
  if (makeDefault) setDefaultPolicyVersion(policy, versionId, at);
  return versionId;
}

export function setDefaultPolicyVersion(policy: ManagedPolicy, versionId: string, at: number): void {
  const version = policy.versions.find((v) => v.versionId === versionId)!;
  policy.defaultVersionId = versionId;
  policy.document = version.document;
  policy.updatedAt = at;
}

/** Moves an account from its parent (root or OU) to another. */
export function moveAccount(org: Organization, account: Account, to: string): void {
  if (account.parentId) org.children.get(account.parentId)?.accounts.delete(account.id);
  placeAccount(org, account, to);
}

/** CloseAccount: the account is suspended at once and closed 90 days later (AWS). */
export function closeAccount(account: Account): void {
  account.state = "SUSPENDED";
}

/** Renames or describes a group (a new object, as replaceUser does for users); false when the new name is taken. */
export function updateIdentityStoreGroup(store: IdentityStore, group: IdentityStoreGroup, fields: { displayName?: string; description?: string }): boolean {
  const updated: IdentityStoreGroup = { ...group, ...(fields.displayName !== undefined ? { displayName: fields.displayName } : {}), ...(fields.description !== undefined ? { description: fields.description } : {}) };
  const nameKey = updated.displayName.toLowerCase();
  const holder = store.groupsByName.get(nameKey);
  if (holder && holder.id !== group.id) return false;
  store.groupsByName.delete(group.displayName.toLowerCase());
  store.groupsByName.set(nameKey, updated);
  store.groups.replace(updated);
  return true;
}

export function addPermissionSet(sso: SsoInstance, permissionSet: PermissionSet): void {
  sso.permissionSets.add(permissionSet);
}

export function removePermissionSet(sso: SsoInstance, permissionSet: PermissionSet): void {
  sso.permissionSets.delete(permissionSet.arn);
  sso.provisionedByPermissionSet.delete(permissionSet.arn);
}

/**
 * ProvisionPermissionSet: the permission set is (re)provisioned to the account — its
 * AWSReservedSSO role created, or brought up to date with the set's current policies.
 */
export function provisionPermissionSet(sso: SsoInstance, account: Account, permissionSet: PermissionSet): void {
  if (provision(sso, account, permissionSet)) return;
  const prefix = `AWSReservedSSO_${permissionSet.name}_`;
  const role = [...account.iam.roles].find((r) => r.path === "/aws-reserved/sso.amazonaws.com/" && r.name.startsWith(prefix));
  if (!role) return;
  role.attachedPolicies = [...permissionSet.managedPolicies, ...permissionSet.customerManagedPolicies.map((ref) => customerPolicyArn(account.id, ref.path, ref.name))];
  role.inlinePolicies = permissionSet.inlinePolicy ? [{ name: RESERVED_ROLE_INLINE_POLICY, document: permissionSet.inlinePolicy }] : [];
}
