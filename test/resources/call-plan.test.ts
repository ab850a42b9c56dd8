import { describe, expect, test } from "vitest";
import { connectorCallPlan, estimateSeconds, iamCallsByAccount, naivePerPairPlan, uniformOrgShape, type OrgShape } from "../../src/resources/call-plan.js";

const iam = (users: number, groups = 0, roles = 0) => ({ users, groups, roles });
const base = (features: Partial<OrgShape["features"]> = {}): OrgShape => ({
  features: { organizations: true, identityCenter: true, crossAccountIam: false, ...features },
  ownAccountId: "111111111111",
  accounts: [
    { id: "111111111111", iam: iam(1500, 300, 700) },
    { id: "222222222222", iam: iam(10, 2, 3) },
    { id: "333333333333", iam: iam(1, 1, 1), assumable: false },
    { id: "444444444444", iam: iam(5, 0, 0), active: false },
  ],
  permissionSets: 3,
  pairs: [
    { accountId: "222222222222", permissionSet: 0, assignments: 250 },
    { accountId: "222222222222", permissionSet: 1, assignments: 0 },
    { accountId: "333333333333", permissionSet: 0, assignments: 7 },
  ],
  users: 1234,
  groups: 2,
  membershipsPerGroup: [0, 150],
});

describe("call plan", () => {
  test("a full sync of every feature, call by call", () => {
    const plan = connectorCallPlan(base({ crossAccountIam: true }));
    expect(plan.byOperation).toEqual({
      // own: 2500 entities → 3 pages of 1000; member 222: 1; 333 cannot be entered; 444 is suspended.
      "iam:GetAccountAuthorizationDetails": 4,
      // What the snapshot leaves out: own 700 roles and 1500 users (1 + 2 pages), member 222: 1 + 1.
      "iam:ListRoles": 2,
      "iam:ListUsers": 3,
      "sts:AssumeRole": 2,
      "organizations:ListAccounts": 1,
      "sso:ListInstances": 1,
      "identitystore:ListUsers": 13,
      "identitystore:ListGroups": 1,
      "identitystore:ListGroupMemberships": 3,
      "sso:ListPermissionSets": 1,
      "sso:DescribePermissionSet": 3,
      // 4 accounts, 3 sets: per permission set (3 calls) beats per account (4).
      "sso:ListAccountsForProvisionedPermissionSet": 3,
      "sso:ListAccountAssignments": 3 + 1 + 1,
      // Each set's managed policies, customer-managed references and inline policy.
      "sso:ListManagedPoliciesInPermissionSet": 3,
      "sso:ListCustomerManagedPolicyReferencesInPermissionSet": 3,
      "sso:GetInlinePolicyForPermissionSet": 3,
    });
    expect(plan.pairDiscovery).toBe("per-permission-set");
    expect(plan.total).toBe(Object.values(plan.byOperation).reduce((a, b) => a + b, 0));
  });

  test("features off: only the connector's own IAM", () => {
    expect(connectorCallPlan(base({ organizations: false, identityCenter: false })).byOperation).toEqual({
      "iam:GetAccountAuthorizationDetails": 3,
      "iam:ListRoles": 1,
      "iam:ListUsers": 2,
    });
  });

  test("Organizations off: accounts come from the pairs, discovered per permission set", () => {
    const plan = connectorCallPlan(base({ organizations: false }));
    expect(plan.byOperation["organizations:ListAccounts"]).toBeUndefined();
    expect(plan.pairDiscovery).toBe("per-permission-set");
    expect(plan.byOperation["sso:ListAccountAssignments"]).toBe(5);
  });

  test("policies, access keys and the organization tree", () => {
    const shape = base({ crossAccountIam: true, syncSecrets: true, organizationTree: true });
    shape.accounts[0]!.iam = { users: 3, groups: 0, roles: 0, policies: 1997, accessKeys: 4 };
    shape.accounts[1]!.iam = { users: 0, groups: 1, roles: 0, policies: 2, accessKeys: 0 };
    shape.permissionSetPolicies = [{ managed: 150, customerManaged: 1 }, { managed: 0, customerManaged: 0 }, { managed: 1, customerManaged: 0 }];
    shape.permissionSetOnlyAwsPolicies = 2;
    shape.tree = [{ units: 2, accounts: 1 }, { units: 0, accounts: 25 }, { units: 21, accounts: 0 }];
    const plan = connectorCallPlan(shape).byOperation;
    expect(plan).toMatchObject({
      // own: 3 users + 1997 policies = 2 pages; member: 1 group + 2 policies = 1.
      "iam:GetAccountAuthorizationDetails": 3,
      // Only own has users (ListUsers) and none has roles (no ListRoles).
      "iam:ListUsers": 1,
      "iam:ListAccessKeys": 3,
      "iam:GetAccessKeyLastUsed": 4,
      "iam:GetPolicy": 2,
      "iam:GetPolicyVersion": 2,
      "sso:ListManagedPoliciesInPermissionSet": 2 + 1 + 1,
      "organizations:ListRoots": 1,
      "organizations:ListOrganizationalUnitsForParent": 1 + 1 + 2,
      "organizations:ListChildren": 1 + 2 + 1,
    });
    expect(plan["iam:ListRoles"]).toBeUndefined();
    expect(plan["iam:ListPolicies"]).toBeUndefined();
    const all = connectorCallPlan({ ...shape, features: { ...shape.features, managedPolicies: "all" }, awsManagedCatalog: { total: 1300, undocumented: 1290 } }).byOperation;
    expect(all["iam:ListPolicies"]).toBe(2);
    expect(all["iam:GetPolicyVersion"]).toBe(2 + 1290);
  });

  test("IAM's calls by the account whose quota they count against: the plan's IAM calls, split", () => {
    const shape = base({ crossAccountIam: true, syncSecrets: true });
    shape.accounts[0]!.iam = { users: 3, groups: 0, roles: 1, accessKeys: 4 };
    shape.accounts[1]!.iam = { users: 2, groups: 1, roles: 0, accessKeys: 1 };
    shape.permissionSetOnlyAwsPolicies = 2;
    const perAccount = iamCallsByAccount(shape);
    const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
    // own: GAAD, ListRoles, ListUsers, 3 ListAccessKeys, 4 GetAccessKeyLastUsed, and the global policies' 2 + 2.
    expect(total(perAccount.get("111111111111")!)).toBe(3 + 3 + 4 + 4);
    // member 222: GAAD, ListUsers, 2 ListAccessKeys, 1 GetAccessKeyLastUsed; 333 cannot be entered, 444 is suspended.
    expect(total(perAccount.get("222222222222")!)).toBe(2 + 2 + 1);
    expect([...perAccount.keys()].sort()).toEqual(["111111111111", "222222222222"]);
    const plan = connectorCallPlan(shape).byOperation;
    const iamInPlan = Object.entries(plan).filter(([op]) => op.startsWith("iam:")).reduce((a, [, n]) => a + n, 0);
    expect([...perAccount.values()].reduce((a, c) => a + total(c), 0)).toBe(iamInPlan);
  });

  test("discovery per account when there are fewer accounts than permission sets", () => {
    const shape = { ...base(), permissionSets: 150, pairs: [{ accountId: "222222222222", permissionSet: 120, assignments: 1 }] };
    const plan = connectorCallPlan(shape);
    expect(plan.pairDiscovery).toBe("per-account");
    expect(plan.byOperation["sso:ListPermissionSetsProvisionedToAccount"]).toBe(4);
    expect(plan.byOperation["sso:DescribePermissionSet"]).toBe(150);
    expect(plan.byOperation["sso:ListPermissionSets"]).toBe(2);
  });

  test("at baton-aws #110's scale (300 accounts × 190 permission sets) the plan is far below the naive pattern", () => {
    const shape = uniformOrgShape({
      accounts: 300,
      permissionSets: 190,
      permissionSetsPerAccount: 190,
      assignmentsPerPair: 3,
      users: 100_000,
      groups: 2_000,
      membershipsPerGroup: 150,
      iamPerAccount: iam(20, 5, 40),
      features: { crossAccountIam: true },
    });
    const ours = connectorCallPlan(shape);
    const naive = naivePerPairPlan(shape);
    // Assignments need one call per provisioned pair either way; the rest is where the two differ.
    expect(ours.byOperation["sso:ListAccountAssignments"]).toBe(57_000);
    // baton-aws reads each pair twice: for the account's entitlements and for the permission-set-assignment binding's.
    expect(naive.byOperation["sso:ListAccountAssignments"]).toBe(2 * 57_000);
    expect(ours.byOperation["sso:ListAccountsForProvisionedPermissionSet"]).toBe(190 * 3);
    expect(naive.byOperation["sso:ListPermissionSetsProvisionedToAccount"]).toBe(300 * 2);
    expect(ours.byOperation["iam:GetAccountAuthorizationDetails"]).toBe(300);
    // IAM: per account one GetAccountAuthorizationDetails, ListRoles and ListUsers, against 4 lists (ListPolicies
    // included) + GetGroup + GetRole + ListAccessKeys + ListAttached*Policies + List*Policies per entity.
    expect(ours.byOperation["iam:ListRoles"]).toBe(300);
    const naiveIam = Object.entries(naive.byOperation).filter(([op]) => op.startsWith("iam:")).reduce((sum, [, n]) => sum + n, 0);
    expect(naiveIam).toBe(300 * (4 + 5 + 40 + 20 + 2 * (20 + 5 + 40)));
    expect(naive.byOperation["sso:DescribePermissionSet"]).toBe(2 * ours.byOperation["sso:DescribePermissionSet"]!);
    expect(naive.total).toBeGreaterThan(ours.total);
    const quota = { sso: 20, identitystore: 20, iam: 15, sts: 20, organizations: 10 };
    const concurrent = estimateSeconds(ours, { requestsPerSecond: quota, latencyMs: 100, concurrency: 8 });
    const sequential = estimateSeconds(naive, { requestsPerSecond: quota, latencyMs: 100, concurrency: 1 });
    expect(concurrent).toBeLessThan(sequential);
  });
});
