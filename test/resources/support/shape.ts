/** The organisation's shape for call-plan.ts, read from the simulator model (not from the connector). */
import type { OrgShape } from "../../../src/resources/call-plan.js";
import { modelQueries, type Account, type SimModel } from "../../../src/simulator/index.js";
import { canAssume, type ExpectationOptions } from "./expected.js";

const AWS_MANAGED = /^arn:aws:iam::aws:policy\//;

/** The AWS-managed policies an account's GetAccountAuthorizationDetails reports: attached or used as a boundary. */
function awsPoliciesInUse(account: Account): Set<string> {
  const used = new Set<string>();
  const entities = [...account.iam.users, ...account.iam.groups, ...account.iam.roles];
  for (const e of entities) {
    for (const arn of e.attachedPolicies) if (AWS_MANAGED.test(arn)) used.add(arn);
    const boundary = "permissionsBoundary" in e ? e.permissionsBoundary : undefined;
    if (boundary && AWS_MANAGED.test(boundary)) used.add(boundary);
  }
  return used;
}

export function shapeOf(model: SimModel, options: ExpectationOptions): OrgShape {
  const { features } = options;
  const sso = model.ssoInstance;
  const store = model.identityStore;
  const accounts = features.organizations ? modelQueries.organizationAccounts(model) : [...model.accounts];
  const setIndex = new Map([...(sso?.permissionSets ?? [])].map((ps, i) => [ps.arn, i]));

  // The accounts whose IAM is read: own, and (cross-account) active members the caller gets into.
  const own = model.accounts.get(options.ownAccountId)!;
  const members = features.crossAccountIam && (features.organizations || features.identityCenter) ? accounts.filter((a) => a.id !== own.id && canAssume(model, a, options)) : [];
  const documented = new Set<string>();
  for (const account of [own, ...members]) for (const arn of awsPoliciesInUse(account)) documented.add(arn);
  const permissionSetAws = new Set<string>();
  if (features.identityCenter) for (const ps of sso?.permissionSets ?? []) for (const arn of ps.managedPolicies) permissionSetAws.add(arn);
  const permissionSetOnly = [...permissionSetAws].filter((arn) => !documented.has(arn));

  const org = model.organization;
  const tree = org ? [org.root.id, ...[...org.units].map((u) => u.id)].map((id) => ({ units: org.children.get(id)?.units.length ?? 0, accounts: org.children.get(id)?.accounts.length ?? 0 })) : undefined;

  return {
    features,
    ownAccountId: options.ownAccountId,
    accounts: accounts.map((a) => ({
      id: a.id,
      active: a.state === "ACTIVE",
      assumable: canAssume(model, a, options),
      iam: {
        users: a.iam.users.length,
        groups: a.iam.groups.length,
        roles: a.iam.roles.length,
        policies: a.iam.policies.length + awsPoliciesInUse(a).size,
        accessKeys: [...a.iam.users].reduce((n, u) => n + u.accessKeys.length, 0),
      },
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
    permissionSetPolicies: [...(sso?.permissionSets ?? [])].map((ps) => ({ managed: ps.managedPolicies.length, customerManaged: ps.customerManagedPolicies.length })),
    permissionSetOnlyAwsPolicies: permissionSetOnly.length,
    awsManagedCatalog: {
      total: model.awsManagedPolicies.length,
      undocumented: [...model.awsManagedPolicies].filter((p) => !documented.has(p.arn) && !permissionSetAws.has(p.arn)).length,
    },
    tree,
  };
}
