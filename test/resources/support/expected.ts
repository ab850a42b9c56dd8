/**
 * What a sync of a simulator organisation must produce, computed from the simulator's model alone
 * (no src/resources code): every resource, entitlement and grant with its baton-aws identifier and
 * the key fields tests compare. The trust-policy reading here is deliberately narrow — it handles
 * the policy shapes the generator writes and throws on anything else, so a richer organisation
 * makes the test fail loudly instead of agreeing with the connector by accident.
 */
import { modelQueries, type Account, type SimModel } from "../../../src/simulator/index.js";

export interface ExpectedResource {
  key: string;
  displayName: string;
  parent?: string;
  /** For accounts: whether Organizations says ACTIVE. */
  active?: boolean;
  /** account_iam only: whether the member account's IAM is synced under it. */
  hasChildren?: boolean;
}

export interface ExpectedEntitlement {
  id: string;
  resource: string;
  slug: string;
  displayName: string;
}

export interface ExpectedGrant {
  id: string;
  entitlementId: string;
  principal: string;
  /** Entitlement ids of a GrantExpandable annotation, if any. */
  expandsFrom?: string[];
  /** A GrantMetadata annotation is present (conditional trust). */
  conditional?: boolean;
}

export interface Expectation {
  resources: Map<string, ExpectedResource>;
  entitlements: Map<string, ExpectedEntitlement>;
  grants: Map<string, ExpectedGrant>;
  /** Member accounts that cannot be entered (problems the sync must report). */
  unreachable: string[];
}

export interface ExpectationOptions {
  features: { organizations: boolean; identityCenter: boolean; crossAccountIam: boolean };
  ownAccountId: string;
  callerArn: string;
  memberRoleName?: string;
  memberExternalId?: string;
}

const USER_ARN = /^arn:aws:iam::\d{12}:user\/.+$/;
const ROLE_ARN = /^arn:aws:iam::\d{12}:role\/.+$/;

export function expectedSync(model: SimModel, options: ExpectationOptions): Expectation {
  const { features } = options;
  const resources = new Map<string, ExpectedResource>();
  const entitlements = new Map<string, ExpectedEntitlement>();
  const grants = new Map<string, ExpectedGrant>();
  const unreachable: string[] = [];
  const addResource = (r: ExpectedResource) => {
    if (resources.has(r.key)) throw new Error(`expectation builder: duplicate resource ${r.key}`);
    resources.set(r.key, r);
  };
  const addGrant = (g: ExpectedGrant) => {
    if (grants.has(g.id)) throw new Error(`expectation builder: duplicate grant ${g.id}`);
    grants.set(g.id, g);
  };

  const iamOf = (account: Account, parent?: string) => {
    for (const user of account.iam.users) addResource({ key: `iam_user:${user.arn}`, displayName: user.name, parent });
    for (const group of account.iam.groups) {
      const key = `group:${group.arn}`;
      addResource({ key, displayName: group.name, parent });
      const entitlementId = `${key}:member`;
      entitlements.set(entitlementId, { id: entitlementId, resource: key, slug: "member", displayName: `${group.name} Group Member` });
      for (const user of group.members) {
        addGrant({ id: `${entitlementId}:iam_user:${user.arn}`, entitlementId, principal: `iam_user:${user.arn}` });
      }
    }
    for (const role of account.iam.roles) {
      const key = `role:${role.arn}`;
      addResource({ key, displayName: role.name, parent });
      const entitlementId = `${key}:assignment`;
      entitlements.set(entitlementId, { id: entitlementId, resource: key, slug: "assignment", displayName: `${role.name} Role` });
      for (const principal of trustedPrincipals(role.trustPolicy)) {
        const type = USER_ARN.test(principal.arn) ? "iam_user" : "role";
        addGrant({
          id: `${entitlementId}:${type}:${principal.arn}`,
          entitlementId,
          principal: `${type}:${principal.arn}`,
          ...(type === "role" ? { expandsFrom: [`role:${principal.arn}:assignment`] } : {}),
          ...(principal.conditional ? { conditional: true } : {}),
        });
      }
    }
  };

  const own = model.accounts.get(options.ownAccountId);
  if (!own) throw new Error("own account not in the model");
  iamOf(own);

  // The accounts the connector can know about.
  const sso = model.ssoInstance;
  const store = model.identityStore;
  let accounts: Array<{ id: string; name?: string; account?: Account }> = [];
  if (features.organizations) {
    accounts = modelQueries.organizationAccounts(model).map((a) => ({ id: a.id, name: a.name, account: a }));
  } else if (features.identityCenter && sso) {
    accounts = [...sso.provisionedByAccount.entries()]
      .filter(([, sets]) => sets.length > 0)
      .map(([id]) => id)
      .sort()
      .map((id) => ({ id, account: model.accounts.get(id) }));
  }

  if (features.crossAccountIam && (features.organizations || features.identityCenter)) {
    for (const { id, name, account } of accounts) {
      const active = features.organizations ? account?.state === "ACTIVE" : true;
      const member = id !== options.ownAccountId && active;
      const reachable = member && account !== undefined && canAssume(model, account, options);
      if (member && !reachable) unreachable.push(id);
      addResource({ key: `account_iam:${id}`, displayName: name ?? id, hasChildren: reachable, ...(features.organizations ? { active } : {}) });
      if (reachable) iamOf(account!, `account_iam:${id}`);
    }
  }

  if (features.identityCenter && sso && store) {
    const region = model.region;
    const userArn = (id: string) => `arn:aws:identitystore:${region}::${store.id}/user/${id}`;
    const groupArn = (id: string) => `arn:aws:identitystore:${region}::${store.id}/group/${id}`;
    for (const user of store.users) addResource({ key: `sso_user:${userArn(user.id)}`, displayName: user.userName });
    for (const group of store.groups) {
      const key = `sso_group:${groupArn(group.id)}`;
      addResource({ key, displayName: group.displayName });
      const entitlementId = `${key}:member`;
      entitlements.set(entitlementId, { id: entitlementId, resource: key, slug: "member", displayName: `${group.displayName} Group Member` });
      for (const membership of store.membershipsByGroup.get(group.id) ?? []) {
        addGrant({ id: membership.id, entitlementId, principal: `sso_user:${userArn(membership.userId)}` });
      }
    }
    for (const ps of sso.permissionSets) addResource({ key: `permission_set:${ps.arn}`, displayName: ps.name });
    for (const { id, name, account } of accounts) {
      const key = `account:${id}`;
      addResource({ key, displayName: name ?? id, ...(features.organizations ? { active: account?.state === "ACTIVE" } : {}) });
      for (const ps of sso.permissionSets) {
        const entitlementId = `${id}|${ps.arn}`;
        entitlements.set(entitlementId, { id: entitlementId, resource: key, slug: `${ps.name} access`, displayName: `${ps.name} Permission Set` });
        for (const assignment of sso.assignmentsByTarget.get(`${id}|${ps.arn}`) ?? []) {
          if (assignment.principalType === "USER") {
            const arn = userArn(assignment.principalId);
            addGrant({ id: `grant:sso_user:${arn}:${entitlementId}`, entitlementId, principal: `sso_user:${arn}` });
          } else {
            const arn = groupArn(assignment.principalId);
            addGrant({
              id: `grant:sso_group:${arn}:${entitlementId}`,
              entitlementId,
              principal: `sso_group:${arn}`,
              expandsFrom: [`sso_group:${arn}:member`],
            });
          }
        }
      }
    }
  }
  return { resources, entitlements, grants, unreachable };
}

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

/** IAM users and roles a (generator-shaped) trust policy lets call sts:AssumeRole. */
function trustedPrincipals(document: string): Array<{ arn: string; conditional: boolean }> {
  const policy = JSON.parse(document) as { Statement?: Statement | Statement[] };
  const statements = Array.isArray(policy.Statement) ? policy.Statement : policy.Statement ? [policy.Statement] : [];
  const out: Array<{ arn: string; conditional: boolean }> = [];
  for (const s of statements) {
    if (s.Effect !== "Allow") throw new Error(`expectation builder: unsupported Effect ${String(s.Effect)}`);
    const actions = typeof s.Action === "string" ? [s.Action] : (s.Action as string[]);
    if (actions.some((a) => a.includes("*"))) throw new Error("expectation builder: wildcard actions are not modelled");
    if (!actions.includes("sts:AssumeRole")) continue;
    if (typeof s.Principal !== "object" || s.Principal === null) throw new Error("expectation builder: unsupported Principal");
    const aws = (s.Principal as Record<string, unknown>).AWS;
    const list = aws === undefined ? [] : typeof aws === "string" ? [aws] : (aws as string[]);
    for (const arn of list) {
      if (USER_ARN.test(arn) || ROLE_ARN.test(arn)) out.push({ arn, conditional: s.Condition !== undefined });
    }
  }
  return out;
}

/** Whether the connector's caller can assume the member-account role in the account. */
export function canAssume(model: SimModel, account: Account, options: ExpectationOptions): boolean {
  if (account.state !== "ACTIVE") return false;
  const role = account.iam.roles.get(options.memberRoleName ?? "OrganizationAccountAccessRole");
  if (!role) return false;
  const policy = JSON.parse(role.trustPolicy) as { Statement?: Statement | Statement[] };
  const statements = Array.isArray(policy.Statement) ? policy.Statement : policy.Statement ? [policy.Statement] : [];
  return statements.some((s) => {
    if (s.Effect !== "Allow") return false;
    const aws = (s.Principal as Record<string, unknown> | undefined)?.AWS;
    const list = aws === undefined ? [] : typeof aws === "string" ? [aws] : (aws as string[]);
    const callerMatches = list.some((p) => p === options.callerArn || p === `arn:aws:iam::${options.ownAccountId}:root` || p === options.ownAccountId);
    if (!callerMatches) return false;
    const required = (s.Condition as { StringEquals?: Record<string, string> } | undefined)?.StringEquals?.["sts:ExternalId"];
    return required === undefined || required === options.memberExternalId;
  }) && model.accounts.has(account.id);
}
