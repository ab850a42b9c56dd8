/**
 * Named organisation sizes. A new profile is one entry here (e.g. the benchmark's
 * `"large-bench": { ...PROFILES.large, ssoUsers: 50_000 }`).
 */
export interface IamSizes {
  users: number;
  groups: number;
  roles: number;
}

export interface ProfileSizes {
  memberAccounts: number;
  /** How many of the member accounts are SUSPENDED. */
  suspendedAccounts: number;
  /** Accounts that exist but belong to no organisation. */
  standaloneAccounts: number;
  ssoUsers: number;
  ssoGroups: number;
  permissionSets: number;
  /** Mean group memberships per SSO user (popular groups get most members). */
  meanGroupsPerUser: number;
  /** Mean permission sets provisioned per account. */
  meanPermissionSetsPerAccount: number;
  /** Mean principals assigned per provisioned (account, permission set) pair. */
  meanPrincipalsPerPair: number;
  /** Share of assignments that name a user directly rather than a group. */
  userAssignmentShare: number;
  /** Share of SSO users that are DISABLED. */
  disabledUserShare: number;
  managementIam: IamSizes;
  memberIam: IamSizes;
  /** Account-specific customer-managed policies per account, besides the organisation-wide ones (default 3). */
  customerPoliciesPerAccount?: number;
  /** Business-unit OUs under Workloads/Prod and Workloads/NonProd (default 0: those two only). */
  businessUnits?: number;
}

export const PROFILES = {
  demo: {
    memberAccounts: 4,
    suspendedAccounts: 1,
    standaloneAccounts: 1,
    ssoUsers: 10,
    ssoGroups: 4,
    permissionSets: 5,
    meanGroupsPerUser: 1.5,
    meanPermissionSetsPerAccount: 2.5,
    meanPrincipalsPerPair: 1.5,
    userAssignmentShare: 0.3,
    disabledUserShare: 0.1,
    managementIam: { users: 5, groups: 3, roles: 4 },
    memberIam: { users: 2, groups: 1, roles: 3 },
    customerPoliciesPerAccount: 2,
    businessUnits: 2,
  },
  small: {
    memberAccounts: 12,
    suspendedAccounts: 1,
    standaloneAccounts: 1,
    ssoUsers: 250,
    ssoGroups: 25,
    permissionSets: 15,
    meanGroupsPerUser: 2,
    meanPermissionSetsPerAccount: 5,
    meanPrincipalsPerPair: 2,
    userAssignmentShare: 0.2,
    disabledUserShare: 0.05,
    managementIam: { users: 25, groups: 6, roles: 12 },
    memberIam: { users: 4, groups: 2, roles: 5 },
    customerPoliciesPerAccount: 3,
    businessUnits: 3,
  },
  medium: {
    memberAccounts: 60,
    suspendedAccounts: 3,
    standaloneAccounts: 1,
    ssoUsers: 3_000,
    ssoGroups: 300,
    permissionSets: 60,
    meanGroupsPerUser: 3,
    meanPermissionSetsPerAccount: 10,
    meanPrincipalsPerPair: 2.5,
    userAssignmentShare: 0.15,
    disabledUserShare: 0.05,
    managementIam: { users: 100, groups: 20, roles: 40 },
    memberIam: { users: 6, groups: 3, roles: 8 },
    customerPoliciesPerAccount: 4,
    businessUnits: 4,
  },
  large: {
    memberAccounts: 300,
    suspendedAccounts: 10,
    standaloneAccounts: 1,
    ssoUsers: 30_000,
    ssoGroups: 3_000,
    permissionSets: 300,
    meanGroupsPerUser: 3,
    meanPermissionSetsPerAccount: 15,
    meanPrincipalsPerPair: 2.5,
    userAssignmentShare: 0.15,
    disabledUserShare: 0.03,
    managementIam: { users: 300, groups: 40, roles: 100 },
    memberIam: { users: 8, groups: 3, roles: 12 },
    customerPoliciesPerAccount: 4,
    businessUnits: 8,
  },
} satisfies Record<string, ProfileSizes>;

export type ProfileName = keyof typeof PROFILES;

export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(PROFILES, name);
}
