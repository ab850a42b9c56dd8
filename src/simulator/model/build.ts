/**
 * Turns an OrgSpec (generated or loaded from a file) into the indexed in-memory model, checking
 * every cross-reference and filling missing ids deterministically from the spec's seed.
 */
import { bindCredentials } from "../credentials.js";
import { createPrng, type Prng } from "../generate/prng.js";
import { isAwsManagedPolicy } from "./aws-managed-policies.js";
import { addMembership, addGroup, addUser, createIdentityStore } from "./identity-store.js";
import { addUserToGroup, createIamAccount, newGroupList, newMemberList } from "./iam.js";
import * as ids from "./ids.js";
import { KeyedList } from "./keyed-list.js";
import { addAssignment, createSsoInstance, provision } from "./sso.js";
import type { AccountSpec, IamSpec, IdentityCenterSpec, OrgSpec } from "./spec.js";
import type { Account, IamAccount, IdentityStore, Organization, PermissionSet, SimModel, Tag } from "./types.js";

/** A reference or value in an OrgSpec that cannot be used; `path` names the field. */
export class OrgSpecError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = "OrgSpecError";
  }
}

/** Creation time for objects that do not say: fixed, so models are reproducible. */
const DEFAULT_CREATED_AT = Date.UTC(2021, 0, 4, 9, 30, 0);

export function buildModel(spec: OrgSpec): SimModel {
  const prng = createPrng(spec.seed ?? 1, "model-ids");
  const accounts = new KeyedList<Account>((a) => a.id);
  spec.accounts.forEach((accountSpec, i) => {
    const account = buildAccount(accountSpec, `accounts[${i}]`, Boolean(spec.organization), prng);
    if (!accounts.add(account)) throw new OrgSpecError(`accounts[${i}].id`, `duplicate account id ${accountSpec.id}`);
  });
  const organization = spec.organization ? buildOrganization(spec, accounts, prng) : undefined;
  const model: SimModel = { region: spec.region ?? "us-east-1", organization, accounts, credentials: [] };
  if (spec.identityCenter) buildIdentityCenter(model, spec.identityCenter, prng);
  model.credentials = bindCredentials(spec.credentials, accounts, organization);
  spec.credentials?.forEach((c, i) => {
    const account = accounts.get(c.accountId);
    if (!account) throw new OrgSpecError(`credentials[${i}].accountId`, `unknown account ${c.accountId}`);
    if (c.userName && !account.iam.users.has(c.userName)) {
      throw new OrgSpecError(`credentials[${i}].userName`, `no IAM user ${c.userName} in account ${c.accountId}`);
    }
  });
  return model;
}

function buildOrganization(spec: OrgSpec, accounts: KeyedList<Account>, prng: Prng): Organization {
  const org = spec.organization!;
  const management = accounts.get(org.managementAccountId);
  if (!management) throw new OrgSpecError("organization.managementAccountId", `unknown account ${org.managementAccountId}`);
  management.inOrganization = true;
  const id = org.id ?? ids.organizationId(prng);
  return { id, arn: ids.organizationArn(management.id, id), featureSet: org.featureSet ?? "ALL", managementAccountId: management.id };
}

function buildAccount(spec: AccountSpec, path: string, hasOrganization: boolean, prng: Prng): Account {
  return {
    id: spec.id,
    name: spec.name,
    email: spec.email,
    state: spec.state ?? "ACTIVE",
    inOrganization: spec.inOrganization ?? hasOrganization,
    joinedMethod: spec.joinedMethod ?? "CREATED",
    joinedAt: time(spec.joinedAt, `${path}.joinedAt`),
    iam: buildIam(spec.id, spec.alias, spec.iam ?? {}, `${path}.iam`, prng),
  };
}

function buildIam(accountId: string, alias: string | undefined, spec: IamSpec, path: string, prng: Prng): IamAccount {
  const iam = createIamAccount(accountId, alias);
  const policyPath = (p: string | undefined) => p ?? "/";
  spec.policies?.forEach((p, i) => {
    const arn = ids.iamArn(accountId, "policy", policyPath(p.path), p.name);
    const policy = {
      name: p.name,
      id: p.id ?? ids.iamId(prng, "ANPA"),
      arn,
      path: policyPath(p.path),
      description: p.description,
      document: JSON.stringify(p.document),
      createdAt: time(p.createdAt, `${path}.policies[${i}].createdAt`),
    };
    if (!iam.policies.add(policy)) throw new OrgSpecError(`${path}.policies[${i}].name`, `duplicate policy ${p.name}`);
  });
  const attachments = (arns: string[] | undefined, at: string) =>
    (arns ?? []).map((arn, j) => {
      if (!isAwsManagedPolicy(arn) && !iam.policies.has(arn)) {
        throw new OrgSpecError(`${at}.attachedPolicies[${j}]`, `unknown managed policy ${arn}`);
      }
      return arn;
    });
  const inline = (list: Array<{ name: string; document: Record<string, unknown> }> | undefined) =>
    (list ?? []).map((p) => ({ name: p.name, document: JSON.stringify(p.document) }));

  spec.groups?.forEach((g, i) => {
    const at = `${path}.groups[${i}]`;
    const groupPath = g.path ?? "/";
    const group = {
      name: g.name,
      id: g.id ?? ids.iamId(prng, "AGPA"),
      arn: ids.iamArn(accountId, "group", groupPath, g.name),
      path: groupPath,
      createdAt: time(g.createdAt, `${at}.createdAt`),
      attachedPolicies: attachments(g.attachedPolicies, at),
      inlinePolicies: inline(g.inlinePolicies),
      members: newMemberList(),
    };
    if (!iam.groups.add(group)) throw new OrgSpecError(`${at}.name`, `duplicate IAM group ${g.name}`);
  });
  spec.users?.forEach((u, i) => {
    const at = `${path}.users[${i}]`;
    const userPath = u.path ?? "/";
    const user = {
      name: u.name,
      id: u.id ?? ids.iamId(prng, "AIDA"),
      arn: ids.iamArn(accountId, "user", userPath, u.name),
      path: userPath,
      createdAt: time(u.createdAt, `${at}.createdAt`),
      passwordLastUsed: u.passwordLastUsed ? time(u.passwordLastUsed, `${at}.passwordLastUsed`) : undefined,
      tags: tags(u.tags),
      attachedPolicies: attachments(u.attachedPolicies, at),
      inlinePolicies: inline(u.inlinePolicies),
      groups: newGroupList(),
    };
    if (!iam.users.add(user)) throw new OrgSpecError(`${at}.name`, `duplicate IAM user ${u.name}`);
    u.groups?.forEach((groupName, j) => {
      const group = iam.groups.get(groupName);
      if (!group) throw new OrgSpecError(`${at}.groups[${j}]`, `unknown IAM group ${groupName}`);
      addUserToGroup(user, group);
    });
  });
  spec.roles?.forEach((r, i) => {
    const at = `${path}.roles[${i}]`;
    const rolePath = r.path ?? "/";
    const role = {
      name: r.name,
      id: r.id ?? ids.iamId(prng, "AROA"),
      arn: ids.iamArn(accountId, "role", rolePath, r.name),
      path: rolePath,
      createdAt: time(r.createdAt, `${at}.createdAt`),
      description: r.description,
      maxSessionDuration: r.maxSessionDuration ?? 3600,
      trustPolicy: JSON.stringify(r.trustPolicy),
      tags: tags(r.tags),
      attachedPolicies: attachments(r.attachedPolicies, at),
      inlinePolicies: inline(r.inlinePolicies),
    };
    if (!iam.roles.add(role)) throw new OrgSpecError(`${at}.name`, `duplicate IAM role ${r.name}`);
  });
  return iam;
}

function buildIdentityCenter(model: SimModel, spec: IdentityCenterSpec, prng: Prng): void {
  const path = "identityCenter";
  const homeAccountId = spec.homeAccountId ?? model.organization?.managementAccountId ?? model.accounts.at(0)?.id;
  if (!homeAccountId || !model.accounts.has(homeAccountId)) {
    throw new OrgSpecError(`${path}.homeAccountId`, `unknown account ${homeAccountId ?? "(none)"}`);
  }
  const firstId = spec.users[0]?.id ?? spec.groups[0]?.id;
  const idPrefix = firstId && /^[0-9a-f]{10}-/.test(firstId) ? firstId.slice(0, 10) : prng.hex(10);
  const store = createIdentityStore(spec.identityStoreId ?? ids.identityStoreId(prng), idPrefix);
  const instanceId = spec.instanceId ?? ids.ssoInstanceId(prng);
  const createdAt = time(spec.createdAt, `${path}.createdAt`);
  const sso = createSsoInstance({ arn: ids.instanceArn(instanceId), identityStoreId: store.id, ownerAccountId: homeAccountId, name: spec.name, createdAt });
  model.identityStore = store;
  model.ssoInstance = sso;

  spec.users.forEach((u, i) => {
    const user = {
      id: u.id ?? ids.identityStoreResourceId(prng, idPrefix),
      userName: u.userName,
      givenName: u.givenName,
      familyName: u.familyName,
      displayName: u.displayName ?? `${u.givenName} ${u.familyName}`,
      email: u.email,
      status: u.status ?? "ENABLED",
      createdAt: time(u.createdAt, `${path}.users[${i}].createdAt`),
    };
    if (!addUser(store, user)) throw new OrgSpecError(`${path}.users[${i}]`, `duplicate user name or id (${u.userName})`);
  });
  spec.groups.forEach((g, i) => {
    const group = {
      id: g.id ?? ids.identityStoreResourceId(prng, idPrefix),
      displayName: g.displayName,
      description: g.description,
      createdAt: time(g.createdAt, `${path}.groups[${i}].createdAt`),
    };
    if (!addGroup(store, group)) throw new OrgSpecError(`${path}.groups[${i}]`, `duplicate group name or id (${g.displayName})`);
    g.members?.forEach((userName, j) => {
      const user = store.usersByName.get(userName.toLowerCase());
      if (!user) throw new OrgSpecError(`${path}.groups[${i}].members[${j}]`, `unknown user ${userName}`);
      addMembership(store, { id: ids.identityStoreResourceId(prng, idPrefix), groupId: group.id, userId: user.id, createdAt: group.createdAt });
    });
  });
  const byName = new Map<string, PermissionSet>();
  spec.permissionSets.forEach((p, i) => {
    const permissionSet = {
      arn: ids.permissionSetArn(instanceId, p.id ?? ids.permissionSetId(prng)),
      name: p.name,
      description: p.description,
      sessionDuration: p.sessionDuration ?? "PT1H",
      relayState: p.relayState,
      createdAt: time(p.createdAt, `${path}.permissionSets[${i}].createdAt`),
      managedPolicies: p.managedPolicies ?? [],
    };
    if (byName.has(p.name) || !sso.permissionSets.add(permissionSet)) {
      throw new OrgSpecError(`${path}.permissionSets[${i}]`, `duplicate permission set ${p.name}`);
    }
    byName.set(p.name, permissionSet);
  });
  const lookupTarget = (accountId: string, psName: string, at: string) => {
    const account = model.accounts.get(accountId);
    if (!account) throw new OrgSpecError(`${at}.accountId`, `unknown account ${accountId}`);
    const permissionSet = byName.get(psName);
    if (!permissionSet) throw new OrgSpecError(`${at}.permissionSet`, `unknown permission set ${psName}`);
    return { account, permissionSet };
  };
  spec.provisioned?.forEach((p, i) => {
    const { account, permissionSet } = lookupTarget(p.accountId, p.permissionSet, `${path}.provisioned[${i}]`);
    provision(sso, account, permissionSet);
  });
  spec.assignments?.forEach((a, i) => {
    const at = `${path}.assignments[${i}]`;
    const { account, permissionSet } = lookupTarget(a.accountId, a.permissionSet, at);
    const principalId = principalIdOf(store, a.principalType, a.principal, `${at}.principal`);
    addAssignment(sso, account, permissionSet, { accountId: account.id, permissionSetArn: permissionSet.arn, principalType: a.principalType, principalId });
  });
}

function principalIdOf(store: IdentityStore, type: "USER" | "GROUP", name: string, at: string): string {
  const found = type === "USER" ? store.usersByName.get(name.toLowerCase()) : store.groupsByName.get(name.toLowerCase());
  if (!found) throw new OrgSpecError(at, `unknown ${type === "USER" ? "user" : "group"} ${name}`);
  return found.id;
}

function time(value: string | undefined, path: string): number {
  if (value === undefined) return DEFAULT_CREATED_AT;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new OrgSpecError(path, `not an ISO-8601 time: ${value}`);
  return ms;
}

const tags = (map: Record<string, string> | undefined): Tag[] => Object.entries(map ?? {}).map(([key, value]) => ({ key, value }));

