/**
 * What a sync of a simulator organisation must produce, computed from the simulator's model alone
 * (no src/resources code): every resource, entitlement and grant with its baton-aws identifier and
 * the key fields tests compare. The trust-policy reading here is deliberately narrow — it handles
 * the policy shapes the generator writes and throws on anything else, so a richer organisation
 * makes the test fail loudly instead of agreeing with the connector by accident.
 */
import type { OrgShape } from "../../../src/resources/call-plan.js";
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

/** Every resource type a sync with every feature on produces. */
export const EVERY_TYPE = [
  "access-key",
  "account",
  "account_iam",
  "group",
  "iam_policy",
  "iam_user",
  "inline_policy",
  "organization",
  "organizational_unit",
  "permission_set",
  "permission_set_assignment",
  "role",
  "sso_group",
  "sso_user",
];

export interface ExpectationOptions {
  features: OrgShape["features"];
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

  /** The accounts whose IAM the sync reads (own first), for policies, inline policies and keys below. */
  const iamAccounts: Array<{ account: Account; parent?: string }> = [];
  const iamOf = (account: Account, parent?: string) => {
    iamAccounts.push({ account, parent });
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
  expectAccessModel(model, options, iamAccounts, accounts, { addResource, addGrant, entitlements, resources });
  return { resources, entitlements, grants, unreachable };
}

interface Builders {
  addResource: (r: ExpectedResource) => void;
  addGrant: (g: ExpectedGrant) => void;
  entitlements: Map<string, ExpectedEntitlement>;
  resources: Map<string, ExpectedResource>;
}

const AWS_MANAGED = /^arn:aws:iam::aws:policy\//;

/**
 * Managed and inline policies, permission-set assignments, the organization tree and access keys,
 * from the model: who has what is read from the entities' attachments and the permission sets.
 */
function expectAccessModel(
  model: SimModel,
  options: ExpectationOptions,
  iamAccounts: Array<{ account: Account; parent?: string }>,
  listedAccounts: Array<{ id: string }>,
  { addResource, addGrant, entitlements, resources }: Builders,
): void {
  const { features } = options;
  const sso = features.identityCenter ? model.ssoInstance : undefined;
  const store = model.identityStore;
  const scope = features.managedPolicies ?? "customer-and-attached";
  const synced = new Map(iamAccounts.map((a) => [a.account.id, a]));
  const listed = new Set(listedAccounts.map((a) => a.id));
  const policyName = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);
  const bindingId = (psArn: string, accountId: string) => `${psArn}-${accountId}`;

  // Who has each policy: principals of synced accounts, permission sets, provisioned pairs.
  const holders = new Map<string, ExpectedGrant[]>();
  const hold = (policyArn: string, principalType: string, principalId: string, expandsFrom?: string[]) => {
    const entitlementId = `iam_policy:${policyArn}:attached`;
    const list = holders.get(policyArn) ?? [];
    list.push({ id: `${entitlementId}:${principalType}:${principalId}`, entitlementId, principal: `${principalType}:${principalId}`, ...(expandsFrom ? { expandsFrom } : {}) });
    holders.set(policyArn, list);
  };
  for (const { account } of iamAccounts) {
    for (const u of account.iam.users) for (const arn of u.attachedPolicies) hold(arn, "iam_user", u.arn);
    for (const g of account.iam.groups) for (const arn of g.attachedPolicies) hold(arn, "group", g.arn, [`group:${g.arn}:member`]);
    for (const r of account.iam.roles) for (const arn of r.attachedPolicies) hold(arn, "role", r.arn, [`role:${r.arn}:assignment`]);
  }
  const pairsOf = (accountId: string) => (sso ? [...(sso.provisionedByAccount.get(accountId) ?? [])].map((arn) => sso.permissionSets.get(arn)).filter((ps) => ps !== undefined) : []);
  if (sso) {
    for (const ps of sso.permissionSets) for (const arn of ps.managedPolicies) hold(arn, "permission_set", ps.arn);
    for (const accountId of listed) {
      for (const ps of pairsOf(accountId)) {
        const binding = bindingId(ps.arn, accountId);
        const expandsFrom = [`permission_set_assignment:${binding}:assigned`];
        for (const arn of ps.managedPolicies) hold(arn, "permission_set_assignment", binding, expandsFrom);
        for (const ref of ps.customerManagedPolicies) {
          const arn = `arn:aws:iam::${accountId}:policy${ref.path}${ref.name}`;
          // Shown only when that account's IAM is synced and has the policy.
          if ([...(synced.get(accountId)?.account.iam.policies ?? [])].some((p) => p.arn === arn)) {
            hold(arn, "permission_set_assignment", binding, expandsFrom);
          }
        }
      }
    }
  }

  // The policies shown.
  const shown = new Map<string, { name: string; parent?: string }>();
  for (const { account, parent } of iamAccounts) {
    for (const policy of account.iam.policies) {
      const attached = (holders.get(policy.arn)?.length ?? 0) > 0;
      if (scope === "attached" && !attached) continue;
      shown.set(policy.arn, { name: policy.name, parent });
    }
  }
  const awsShown = new Set<string>();
  for (const arn of holders.keys()) if (AWS_MANAGED.test(arn)) awsShown.add(arn);
  if (scope === "all") for (const p of model.awsManagedPolicies) awsShown.add(p.arn);
  for (const arn of awsShown) shown.set(arn, { name: model.awsManagedPolicies.get(arn)?.name ?? policyName(arn) });
  for (const [arn, { name, parent }] of shown) {
    const key = `iam_policy:${arn}`;
    addResource({ key, displayName: name, parent });
    const entitlementId = `${key}:attached`;
    entitlements.set(entitlementId, { id: entitlementId, resource: key, slug: "attached", displayName: `${name} Managed Policy` });
    for (const grant of holders.get(arn) ?? []) addGrant(grant);
  }

  // Inline policies, under their owner, granted to it.
  const inline = (ownerType: string, ownerArn: string, name: string, expandsFrom?: string[]) => {
    const key = `inline_policy:${ownerArn}::inline::${name}`;
    addResource({ key, displayName: name, parent: `${ownerType}:${ownerArn}` });
    const entitlementId = `${key}:attached`;
    entitlements.set(entitlementId, { id: entitlementId, resource: key, slug: "attached", displayName: `${name} Inline Policy` });
    addGrant({ id: `${entitlementId}:${ownerType}:${ownerArn}`, entitlementId, principal: `${ownerType}:${ownerArn}`, ...(expandsFrom ? { expandsFrom } : {}) });
  };
  for (const { account } of iamAccounts) {
    for (const u of account.iam.users) for (const p of u.inlinePolicies) inline("iam_user", u.arn, p.name);
    for (const g of account.iam.groups) for (const p of g.inlinePolicies) inline("group", g.arn, p.name, [`group:${g.arn}:member`]);
    for (const r of account.iam.roles) for (const p of r.inlinePolicies) inline("role", r.arn, p.name, [`role:${r.arn}:assignment`]);
  }
  if (sso) for (const ps of sso.permissionSets) if (ps.inlinePolicy) inline("permission_set", ps.arn, "inline");

  // Permission-set assignments: one per provisioned pair of a listed account.
  if (sso && store) {
    const userArn = (id: string) => `arn:aws:identitystore:${model.region}::${store.id}/user/${id}`;
    const groupArn = (id: string) => `arn:aws:identitystore:${model.region}::${store.id}/group/${id}`;
    for (const accountId of listed) {
      for (const ps of pairsOf(accountId)) {
        const id = bindingId(ps.arn, accountId);
        const key = `permission_set_assignment:${id}`;
        addResource({ key, displayName: `${ps.name} on ${accountId}`, parent: `account:${accountId}` });
        const entitlementId = `${key}:assigned`;
        entitlements.set(entitlementId, { id: entitlementId, resource: key, slug: "assigned", displayName: "assigned" });
        for (const a of sso.assignmentsByTarget.get(`${accountId}|${ps.arn}`) ?? []) {
          const [type, arn] = a.principalType === "USER" ? ["sso_user", userArn(a.principalId)] : ["sso_group", groupArn(a.principalId)];
          addGrant({
            id: `grant:${type}:${arn}:${entitlementId}`,
            entitlementId,
            principal: `${type}:${arn}`,
            ...(type === "sso_group" ? { expandsFrom: [`sso_group:${arn}:member`] } : {}),
          });
        }
      }
    }
  }

  // The organization tree; accounts under their node.
  const org = model.organization;
  if (features.organizationTree && features.organizations && org) {
    const nodeKey = (id: string) => (id === org.root.id ? `organization:${id}` : `organizational_unit:${id}`);
    addResource({ key: `organization:${org.root.id}`, displayName: org.root.name || org.root.id });
    for (const unit of org.units) addResource({ key: `organizational_unit:${unit.id}`, displayName: unit.name || unit.id, parent: nodeKey(unit.parentId) });
    if (sso) {
      for (const accountId of listed) {
        const account = model.accounts.get(accountId);
        const resource = resources.get(`account:${accountId}`);
        if (account?.parentId && resource) resource.parent = nodeKey(account.parentId);
      }
    }
  }

  // Access keys of every synced account's users.
  if (features.syncSecrets) {
    for (const { account } of iamAccounts) {
      for (const u of account.iam.users) for (const key of u.accessKeys) addResource({ key: `access-key:${key.id}`, displayName: `${u.name}|${key.id}` });
    }
  }
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
