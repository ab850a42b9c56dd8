/**
 * The organisation's shape for the call-plan model (src/resources/call-plan.ts), read from the
 * simulator's model — never from the connector — so "calls = plan" compares the connector with an
 * independent count of what the organisation requires.
 */
import type { OrgShape } from "../../src/resources/call-plan.js";
import { modelQueries, SIM_CREDENTIALS, type Account, type SimModel } from "../../src/simulator/index.js";
import { trustAllows } from "../../src/simulator/trust-policy.js";

export type Features = OrgShape["features"];

/** Every feature on: IAM of every member account through OrganizationAccountAccessRole, Identity Center, Organizations. */
export const ALL_FEATURES: Features = { organizations: true, identityCenter: true, crossAccountIam: true };

const MEMBER_ROLE = "OrganizationAccountAccessRole";

/** The account and ARN the simulator's management key acts as (the connector's credentials in the benchmark). */
export function managementCaller(model: SimModel): { accountId: string; arn: string } {
  const binding = model.credentials.find((b) => b.accessKeyId === SIM_CREDENTIALS.management.accessKeyId);
  if (!binding) throw new Error("the organisation binds no management key");
  const arn = binding.userName ? `arn:aws:iam::${binding.accountId}:user/${binding.userName}` : `arn:aws:iam::${binding.accountId}:root`;
  return { accountId: binding.accountId, arn };
}

/** Whether the simulator would let the management caller assume the member-account role (no external id). */
function assumable(account: Account, caller: { accountId: string; arn: string }, userName: string | undefined): boolean {
  if (account.state !== "ACTIVE") return false;
  const role = account.iam.roles.get(MEMBER_ROLE);
  if (!role) return false;
  return trustAllows(role.trustPolicy, {
    caller: { kind: userName ? "user" : "root", accountId: caller.accountId, arn: caller.arn, userId: caller.accountId, userName },
  });
}

export function orgShapeOf(model: SimModel, features: Features = ALL_FEATURES): OrgShape {
  const sso = model.ssoInstance;
  const store = model.identityStore;
  const caller = managementCaller(model);
  const userName = model.credentials.find((b) => b.accessKeyId === SIM_CREDENTIALS.management.accessKeyId)?.userName;
  const accounts = features.organizations ? modelQueries.organizationAccounts(model) : [...model.accounts];
  const setIndex = new Map([...(sso?.permissionSets ?? [])].map((ps, i) => [ps.arn, i]));
  return {
    features,
    ownAccountId: caller.accountId,
    accounts: accounts.map((a) => ({
      id: a.id,
      active: a.state === "ACTIVE",
      assumable: assumable(a, caller, userName),
      iam: { users: a.iam.users.length, groups: a.iam.groups.length, roles: a.iam.roles.length },
    })),
    permissionSets: sso?.permissionSets.length ?? 0,
    pairs: modelQueries.provisionedPairs(model).map(({ accountId, permissionSetArn }) => ({
      accountId,
      permissionSet: setIndex.get(permissionSetArn)!,
      assignments: sso!.assignmentsByTarget.get(`${accountId}|${permissionSetArn}`)?.length ?? 0,
    })),
    users: store?.users.length ?? 0,
    groups: store?.groups.length ?? 0,
    membershipsPerGroup: [...(store?.groups ?? [])].map((g) => store!.membershipsByGroup.get(g.id)?.length ?? 0),
  };
}
