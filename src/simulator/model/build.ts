/**
 * Turns an OrgSpec (generated or loaded from a file) into the indexed in-memory model, checking
 * every cross-reference and filling missing ids deterministically from the spec's seed.
 */
import { bindCredentials } from "../credentials.js";
import { createPrng, type Prng } from "../generate/prng.js";
import { awsManagedPolicies } from "./aws-managed-policies.js";
import { buildIam } from "./build-iam.js";
import { OrgSpecError, time } from "./build-support.js";
import { addMembership, addGroup, addUser, createIdentityStore } from "./identity-store.js";
import * as ids from "./ids.js";
import { KeyedList } from "./keyed-list.js";
import { addOrganizationalUnit, placeAccount } from "./organization.js";
import { addAssignment, createSsoInstance, missingPolicyReferences, provision } from "./sso.js";
import type { AccountSpec, IdentityCenterSpec, OrganizationalUnitSpec, OrgSpec } from "./spec.js";
import type { Account, IdentityStore, ManagedPolicy, Organization, PermissionSet, SimModel } from "./types.js";

export { OrgSpecError } from "./build-support.js";

export function buildModel(spec: OrgSpec): SimModel {
  const seed = spec.seed ?? 1;
  const prng = createPrng(seed, "model-ids");
  const catalogue = awsManagedPolicies(spec.awsManagedPolicies);
  if (catalogue.duplicate !== undefined) throw new OrgSpecError(`awsManagedPolicies[${catalogue.duplicate}].name`, "duplicate AWS-managed policy");
  const context = { prng, credentialIds: createPrng(seed, "credential-ids"), accessKeyIds: new Set<string>(), awsManagedPolicies: catalogue.policies };
  const accounts = new KeyedList<Account>((a) => a.id);
  spec.accounts.forEach((accountSpec, i) => {
    const account = buildAccount(accountSpec, `accounts[${i}]`, Boolean(spec.organization), context);
    if (!accounts.add(account)) throw new OrgSpecError(`accounts[${i}].id`, `duplicate account id ${accountSpec.id}`);
  });
  const organization = spec.organization ? buildOrganization(spec, accounts, prng, createPrng(seed, "organization-tree")) : undefined;
  const model: SimModel = { region: spec.region ?? "us-east-1", organization, accounts, awsManagedPolicies: catalogue.policies, credentials: [] };
  if (spec.identityCenter) buildIdentityCenter(model, spec.identityCenter, prng);
  model.credentials = bindCredentials(spec.credentials, accounts, organization);
  spec.credentials?.forEach((c, i) => {
    const account = accounts.get(c.accountId);
    if (!account) throw new OrgSpecError(`credentials[${i}].accountId`, `unknown account ${c.accountId}`);
    if (c.userName && !account.iam.users.has(c.userName)) {
      throw new OrgSpecError(`credentials[${i}].userName`, `no IAM user ${c.userName} in account ${c.accountId}`);
    }
  });
  // A key bound to an IAM user is one of that user's access keys (unless the spec lists it already).
  for (const binding of model.credentials) {
    const user = binding.userName ? accounts.get(binding.accountId)?.iam.users.get(binding.userName) : undefined;
    if (!user || user.accessKeys.some((k) => k.id === binding.accessKeyId)) continue;
    if (context.accessKeyIds.has(binding.accessKeyId)) throw new OrgSpecError("credentials", `access key ${binding.accessKeyId} belongs to another user`);
    user.accessKeys.unshift({ id: binding.accessKeyId, status: "Active", createdAt: user.createdAt });
    context.accessKeyIds.add(binding.accessKeyId);
  }
  return model;
}

interface BuildContext {
  prng: Prng;
  credentialIds: Prng;
  accessKeyIds: Set<string>;
  awsManagedPolicies: KeyedList<ManagedPolicy>;
}

function buildOrganization(spec: OrgSpec, accounts: KeyedList<Account>, prng: Prng, treeIds: Prng): Organization {
  const org = spec.organization!;
  const management = accounts.get(org.managementAccountId);
  if (!management) throw new OrgSpecError("organization.managementAccountId", `unknown account ${org.managementAccountId}`);
  management.inOrganization = true;
  const id = org.id ?? ids.organizationId(prng);
  const rootId = org.rootId ?? ids.rootId(treeIds);
  const organization: Organization = {
    id,
    arn: ids.organizationArn(management.id, id),
    featureSet: org.featureSet ?? "ALL",
    managementAccountId: management.id,
    root: { id: rootId, arn: ids.rootArn(management.id, id, rootId), name: "Root" },
    units: new KeyedList((u) => u.id),
    children: new Map(),
  };
  const byPath = new Map<string, string>();
  const addUnits = (specs: OrganizationalUnitSpec[] | undefined, parentId: string, parentPath: string, at: string) => {
    specs?.forEach((u, i) => {
      const field = `${at}[${i}]`;
      const path = parentPath ? `${parentPath}/${u.name}` : u.name;
      if (byPath.has(path)) throw new OrgSpecError(`${field}.name`, `duplicate OU ${path}`);
      const unitId = u.id ?? ids.organizationalUnitId(treeIds, rootId);
      if (!addOrganizationalUnit(organization, { id: unitId, arn: ids.organizationalUnitArn(management.id, id, unitId), name: u.name, parentId })) {
        throw new OrgSpecError(`${field}.id`, `duplicate OU id ${unitId}`);
      }
      byPath.set(path, unitId);
      addUnits(u.children, unitId, path, `${field}.children`);
    });
  };
  addUnits(org.organizationalUnits, rootId, "", "organization.organizationalUnits");
  spec.accounts.forEach((a, i) => {
    const account = accounts.get(a.id)!;
    if (!account.inOrganization) {
      if (a.organizationalUnit) throw new OrgSpecError(`accounts[${i}].organizationalUnit`, "the account is not in the organisation");
      return;
    }
    const parentId = a.organizationalUnit === undefined ? rootId : byPath.get(a.organizationalUnit.replace(/^\/+|\/+$/g, ""));
    if (!parentId) throw new OrgSpecError(`accounts[${i}].organizationalUnit`, `unknown OU ${a.organizationalUnit}`);
    placeAccount(organization, account, parentId);
  });
  return organization;
}

function buildAccount(spec: AccountSpec, path: string, hasOrganization: boolean, ctx: BuildContext): Account {
  return {
    id: spec.id,
    name: spec.name,
    email: spec.email,
    state: spec.state ?? "ACTIVE",
    inOrganization: spec.inOrganization ?? hasOrganization,
    joinedMethod: spec.joinedMethod ?? "CREATED",
    joinedAt: time(spec.joinedAt, `${path}.joinedAt`),
    iam: buildIam(spec.iam ?? {}, {
      accountId: spec.id,
      alias: spec.alias,
      path: `${path}.iam`,
      awsManagedPolicies: ctx.awsManagedPolicies,
      ids: ctx.prng,
      credentialIds: ctx.credentialIds,
      accessKeyIds: ctx.accessKeyIds,
    }),
  };
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
    const at = `${path}.permissionSets[${i}]`;
    (p.managedPolicies ?? []).forEach((arn, j) => {
      if (!model.awsManagedPolicies.has(arn)) throw new OrgSpecError(`${at}.managedPolicies[${j}]`, `unknown AWS-managed policy ${arn} (declare it under awsManagedPolicies)`);
    });
    const boundary = p.permissionsBoundary;
    if (boundary && (boundary.managedPolicyArn === undefined) === (boundary.customerManagedPolicy === undefined)) {
      throw new OrgSpecError(`${at}.permissionsBoundary`, "give exactly one of managedPolicyArn and customerManagedPolicy");
    }
    if (boundary?.managedPolicyArn && !model.awsManagedPolicies.has(boundary.managedPolicyArn)) {
      throw new OrgSpecError(`${at}.permissionsBoundary.managedPolicyArn`, `unknown AWS-managed policy ${boundary.managedPolicyArn}`);
    }
    const reference = (r: { name: string; path?: string }) => ({ name: r.name, path: r.path ?? "/" });
    const permissionSet: PermissionSet = {
      arn: ids.permissionSetArn(instanceId, p.id ?? ids.permissionSetId(prng)),
      name: p.name,
      description: p.description,
      sessionDuration: p.sessionDuration ?? "PT1H",
      relayState: p.relayState,
      createdAt: time(p.createdAt, `${at}.createdAt`),
      managedPolicies: p.managedPolicies ?? [],
      customerManagedPolicies: (p.customerManagedPolicies ?? []).map(reference),
      inlinePolicy: p.inlinePolicy ? JSON.stringify(p.inlinePolicy) : undefined,
      permissionsBoundary: boundary
        ? boundary.managedPolicyArn
          ? { managedPolicyArn: boundary.managedPolicyArn }
          : { customerManagedPolicyReference: reference(boundary.customerManagedPolicy!) }
        : undefined,
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
    const missing = missingPolicyReferences(account, permissionSet);
    if (missing.length > 0) throw new OrgSpecError(`${at}.permissionSet`, `${psName} needs ${missing.join(", ")}, which account ${accountId} does not have`);
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
