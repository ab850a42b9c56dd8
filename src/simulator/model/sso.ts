/**
 * IAM Identity Center state: permission sets, provisioning and account assignments, indexed by
 * target (account, permission set) and by principal so every listing is a lookup, not a scan.
 */
import { createPrng } from "../generate/prng.js";
import { customerPolicyArn } from "./iam.js";
import { iamArn, iamId } from "./ids.js";
import { KeyedList } from "./keyed-list.js";
import type { Account, AccountAssignment, CustomerManagedPolicyReference, PermissionSet, PrincipalType, SsoInstance } from "./types.js";

export function createSsoInstance(fields: {
  arn: string;
  identityStoreId: string;
  ownerAccountId: string;
  name?: string;
  createdAt: number;
}): SsoInstance {
  return {
    ...fields,
    permissionSets: new KeyedList<PermissionSet>((p) => p.arn),
    provisionedByAccount: new Map(),
    provisionedByPermissionSet: new Map(),
    assignmentsByTarget: new Map(),
    assignmentsByPrincipal: new Map(),
  };
}

export const targetKey = (accountId: string, permissionSetArn: string) => `${accountId}|${permissionSetArn}`;
export const principalKey = (type: PrincipalType, id: string) => `${type}:${id}`;

const EMPTY_ASSIGNMENTS = new KeyedList<AccountAssignment>((a) => principalKey(a.principalType, a.principalId));
const EMPTY_STRINGS = new KeyedList<string>((s) => s);

export const assignmentsForTarget = (sso: SsoInstance, accountId: string, permissionSetArn: string) =>
  sso.assignmentsByTarget.get(targetKey(accountId, permissionSetArn)) ?? EMPTY_ASSIGNMENTS;

export const assignmentsForPrincipal = (sso: SsoInstance, type: PrincipalType, id: string) =>
  sso.assignmentsByPrincipal.get(principalKey(type, id)) ?? EMPTY_ASSIGNMENTS;

export const permissionSetsProvisionedTo = (sso: SsoInstance, accountId: string) =>
  sso.provisionedByAccount.get(accountId) ?? EMPTY_STRINGS;

export const accountsProvisionedWith = (sso: SsoInstance, permissionSetArn: string) =>
  sso.provisionedByPermissionSet.get(permissionSetArn) ?? EMPTY_STRINGS;

export function findAssignment(sso: SsoInstance, a: AccountAssignment): AccountAssignment | undefined {
  return assignmentsForTarget(sso, a.accountId, a.permissionSetArn).get(principalKey(a.principalType, a.principalId));
}

/**
 * Marks the permission set provisioned to the account and, like IAM Identity Center, creates its
 * `AWSReservedSSO_<name>_<hex>` role there. Stays provisioned after the last assignment goes.
 */
export function provision(sso: SsoInstance, account: Account, permissionSet: PermissionSet): boolean {
  const byAccount = indexList(sso.provisionedByAccount, account.id, (s) => s);
  if (!byAccount.add(permissionSet.arn)) return false;
  indexList(sso.provisionedByPermissionSet, permissionSet.arn, (s) => s).add(account.id);
  addReservedRole(account, permissionSet, sso.createdAt);
  return true;
}

/** Adds the assignment (provisioning the permission set); false when it already existed. */
export function addAssignment(sso: SsoInstance, account: Account, permissionSet: PermissionSet, a: AccountAssignment): boolean {
  provision(sso, account, permissionSet);
  const pKey = principalKey(a.principalType, a.principalId);
  const byTarget = indexList(sso.assignmentsByTarget, targetKey(a.accountId, a.permissionSetArn), assignmentPrincipalKey);
  if (!byTarget.add(a)) return false;
  indexList(sso.assignmentsByPrincipal, pKey, assignmentTargetKey).add(a);
  return true;
}

export function removeAssignment(sso: SsoInstance, a: AccountAssignment): boolean {
  const byTarget = sso.assignmentsByTarget.get(targetKey(a.accountId, a.permissionSetArn));
  if (!byTarget?.delete(principalKey(a.principalType, a.principalId))) return false;
  sso.assignmentsByPrincipal.get(principalKey(a.principalType, a.principalId))?.delete(targetKey(a.accountId, a.permissionSetArn));
  return true;
}

const assignmentPrincipalKey = (a: AccountAssignment) => principalKey(a.principalType, a.principalId);
const assignmentTargetKey = (a: AccountAssignment) => targetKey(a.accountId, a.permissionSetArn);

function indexList<T>(index: Map<string, KeyedList<T>>, key: string, keyOf: (item: T) => string): KeyedList<T> {
  let list = index.get(key);
  if (!list) {
    list = new KeyedList<T>(keyOf);
    index.set(key, list);
  }
  return list;
}

const RESERVED_ROLE_PATH = "/aws-reserved/sso.amazonaws.com/";
/** The name Identity Center gives a permission set's inline policy on the roles it provisions. */
export const RESERVED_ROLE_INLINE_POLICY = "AwsSSOInlinePolicy";

const referenceArn = (accountId: string, ref: CustomerManagedPolicyReference) => customerPolicyArn(accountId, ref.path, ref.name);

/** The customer-managed policies (ARNs) a permission set needs in the account but the account lacks. */
export function missingPolicyReferences(account: Account, permissionSet: PermissionSet): string[] {
  const refs = [...permissionSet.customerManagedPolicies];
  const boundary = permissionSet.permissionsBoundary?.customerManagedPolicyReference;
  if (boundary) refs.push(boundary);
  return [...new Set(refs.map((ref) => referenceArn(account.id, ref)))].filter((arn) => !account.iam.policies.has(arn));
}

function addReservedRole(account: Account, permissionSet: PermissionSet, createdAt: number): void {
  // Derived from (account, permission set) alone so the role is the same whatever the order.
  const prng = createPrng(`${account.id}|${permissionSet.arn}`, "reserved-role");
  const name = `AWSReservedSSO_${permissionSet.name}_${prng.hex(16)}`;
  const samlProvider = `arn:aws:iam::${account.id}:saml-provider/AWSSSO_${prng.hex(16)}_DO_NOT_DELETE`;
  const trustPolicy = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: samlProvider },
        Action: ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        Condition: { StringEquals: { "SAML:aud": "https://signin.aws.amazon.com/saml" } },
      },
    ],
  };
  account.iam.roles.add({
    name,
    id: iamId(prng, "AROA"),
    arn: iamArn(account.id, "role", RESERVED_ROLE_PATH, name),
    path: RESERVED_ROLE_PATH,
    createdAt,
    description: undefined,
    maxSessionDuration: 3600,
    trustPolicy: JSON.stringify(trustPolicy),
    tags: [],
    attachedPolicies: [...permissionSet.managedPolicies, ...permissionSet.customerManagedPolicies.map((ref) => referenceArn(account.id, ref))],
    inlinePolicies: permissionSet.inlinePolicy ? [{ name: RESERVED_ROLE_INLINE_POLICY, document: permissionSet.inlinePolicy }] : [],
    permissionsBoundary: boundaryArn(account.id, permissionSet),
  });
}

function boundaryArn(accountId: string, permissionSet: PermissionSet): string | undefined {
  const boundary = permissionSet.permissionsBoundary;
  if (!boundary) return undefined;
  return boundary.managedPolicyArn ?? referenceArn(accountId, boundary.customerManagedPolicyReference!);
}
