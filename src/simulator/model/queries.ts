/**
 * Read-only views of the model for tests and benchmarks that compute expected results
 * independently of the connector (e.g. "every assignment", "the members of this group").
 */
import { findManagedPolicy as findPolicyIn, policyUsage } from "./iam.js";
import { membershipsOfGroup, membershipsOfUser } from "./identity-store.js";
import { unitPath } from "./organization.js";
import type { Account, AccountAssignment, IdentityStoreUser, ManagedPolicy, PermissionSet, SimModel } from "./types.js";

export const organizationAccounts = (model: SimModel): Account[] => [...model.accounts].filter((a) => a.inOrganization);

export function allAssignments(model: SimModel): AccountAssignment[] {
  const out: AccountAssignment[] = [];
  for (const list of model.ssoInstance?.assignmentsByTarget.values() ?? []) out.push(...list);
  return out;
}

/** Every provisioned (account, permission set) pair. */
export function provisionedPairs(model: SimModel): Array<{ accountId: string; permissionSetArn: string }> {
  const out: Array<{ accountId: string; permissionSetArn: string }> = [];
  for (const [accountId, list] of model.ssoInstance?.provisionedByAccount ?? []) {
    for (const permissionSetArn of list) out.push({ accountId, permissionSetArn });
  }
  return out;
}

export function groupMemberIds(model: SimModel, groupId: string): string[] {
  const store = model.identityStore;
  return store ? [...membershipsOfGroup(store, groupId)].map((m) => m.userId) : [];
}

export function userGroupIds(model: SimModel, userId: string): string[] {
  const store = model.identityStore;
  return store ? [...membershipsOfUser(store, userId)].map((m) => m.groupId) : [];
}

export function findSsoUser(model: SimModel, userName: string): IdentityStoreUser | undefined {
  return model.identityStore?.usersByName.get(userName.toLowerCase());
}

export function findPermissionSet(model: SimModel, name: string): PermissionSet | undefined {
  for (const p of model.ssoInstance?.permissionSets ?? []) if (p.name === name) return p;
  return undefined;
}

/** The sts:ExternalId a role's trust policy requires, if any. */
export function requiredExternalId(model: SimModel, accountId: string, roleName: string): string | undefined {
  const role = model.accounts.get(accountId)?.iam.roles.get(roleName);
  if (!role) return undefined;
  const policy = JSON.parse(role.trustPolicy) as { Statement?: Array<{ Condition?: Record<string, Record<string, unknown>> }> };
  for (const statement of policy.Statement ?? []) {
    const value = statement.Condition?.StringEquals?.["sts:ExternalId"];
    if (typeof value === "string") return value;
  }
  return undefined;
}

/** The OU names from the root down to the account, e.g. ["Workloads", "Prod"] ([] under the root or outside). */
export function organizationalUnitPath(model: SimModel, accountId: string): string[] {
  const account = model.accounts.get(accountId);
  return model.organization && account ? unitPath(model.organization, account.parentId) : [];
}

/** A managed policy usable in the account (AWS-managed, or the account's own), by ARN. */
export function managedPolicy(model: SimModel, accountId: string, arn: string): ManagedPolicy | undefined {
  const account = model.accounts.get(accountId);
  return account ? findPolicyIn(model, account.iam, arn) : undefined;
}

/** AttachmentCount and PermissionsBoundaryUsageCount of every managed policy in use in the account. */
export function managedPolicyUsage(model: SimModel, accountId: string) {
  const account = model.accounts.get(accountId);
  return account ? policyUsage(account.iam) : new Map<string, { attachments: number; boundaries: number }>();
}
