/** The organisation's shape for call-plan.ts, read from the simulator model (not from the connector). */
import type { OrgShape } from "../../../src/resources/call-plan.js";
import { modelQueries, type SimModel } from "../../../src/simulator/index.js";
import { canAssume, type ExpectationOptions } from "./expected.js";

export function shapeOf(model: SimModel, options: ExpectationOptions): OrgShape {
  const sso = model.ssoInstance;
  const store = model.identityStore;
  const accounts = options.features.organizations ? modelQueries.organizationAccounts(model) : [...model.accounts];
  const setIndex = new Map([...(sso?.permissionSets ?? [])].map((ps, i) => [ps.arn, i]));
  return {
    features: options.features,
    ownAccountId: options.ownAccountId,
    accounts: accounts.map((a) => ({
      id: a.id,
      active: a.state === "ACTIVE",
      assumable: canAssume(model, a, options),
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
