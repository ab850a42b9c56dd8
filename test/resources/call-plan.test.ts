import { describe, expect, test } from "vitest";
import { connectorCallPlan, estimateSeconds, naivePerPairPlan, uniformOrgShape, type OrgShape } from "../../src/resources/call-plan.js";

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
    });
    expect(plan.pairDiscovery).toBe("per-permission-set");
    expect(plan.total).toBe(Object.values(plan.byOperation).reduce((a, b) => a + b, 0));
  });

  test("features off: only the connector's own IAM", () => {
    expect(connectorCallPlan(base({ organizations: false, identityCenter: false })).byOperation).toEqual({ "iam:GetAccountAuthorizationDetails": 3 });
  });

  test("Organizations off: accounts come from the pairs, discovered per permission set", () => {
    const plan = connectorCallPlan(base({ organizations: false }));
    expect(plan.byOperation["organizations:ListAccounts"]).toBeUndefined();
    expect(plan.pairDiscovery).toBe("per-permission-set");
    expect(plan.byOperation["sso:ListAccountAssignments"]).toBe(5);
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
    expect(naive.byOperation["sso:ListAccountAssignments"]).toBe(57_000);
    expect(ours.byOperation["sso:ListAccountsForProvisionedPermissionSet"]).toBe(190 * 3);
    expect(naive.byOperation["sso:ListPermissionSetsProvisionedToAccount"]).toBe(300 * 2);
    expect(ours.byOperation["iam:GetAccountAuthorizationDetails"]).toBe(300);
    // IAM: one GetAccountAuthorizationDetails per account against 3 lists + GetGroup + GetRole + ListAccessKeys per entity.
    const naiveIam = Object.entries(naive.byOperation).filter(([op]) => op.startsWith("iam:")).reduce((sum, [, n]) => sum + n, 0);
    expect(naiveIam).toBe(300 * (3 + 5 + 40 + 20));
    expect(naive.byOperation["sso:DescribePermissionSet"]).toBe(2 * ours.byOperation["sso:DescribePermissionSet"]!);
    expect(naive.total).toBeGreaterThan(ours.total);
    const quota = { sso: 20, identitystore: 20, iam: 15, sts: 20, organizations: 10 };
    const concurrent = estimateSeconds(ours, { requestsPerSecond: quota, latencyMs: 100, concurrency: 8 });
    const sequential = estimateSeconds(naive, { requestsPerSecond: quota, latencyMs: 100, concurrency: 1 });
    expect(concurrent).toBeLessThan(sequential);
  });
});
