/**
 * A small organisation written exactly in baton-aws's data model (ConductorOne/baton-aws
 * pkg/connector; /work reference: baton-contract.md §10): IAM users, groups, roles with trust
 * chains, managed and inline policies with their documents, Identity Center users and groups,
 * permission sets with policies, and account assignments seen through both of baton-aws's models
 * (the `account` entitlement and the `permission_set_assignment` binding). Served by an in-process
 * connector and synced by the real engine (with grant expansion) into a .c1z — the report must
 * read it knowing nothing of this connector's internals.
 *
 * Who is privileged here is known by construction (ADMINS, IAM_WRITERS, SSO_WRITERS).
 */
import { create } from "@bufbuild/protobuf";
import { AnySchema, timestampFromMs, type Any } from "@bufbuild/protobuf/wkt";
import { randomBytes } from "node:crypto";
import { annotation } from "../../src/connector/annotations.js";
import { createConnectorServices } from "../../src/connector/connector.js";
import { createDirectConnectorApi } from "../../src/connector/direct-client.js";
import { PageTokenCodec } from "../../src/connector/page-token.js";
import type { ResourceSyncer } from "../../src/connector/resource-syncer.js";
import { GrantExpandableSchema } from "../../src/gen/c1/connector/v2/annotation_grant_pb.js";
import { AppTraitSchema, GroupTraitSchema, RoleTraitSchema, UserTraitSchema, UserTrait_Status_Status } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { EntitlementSchema, Entitlement_PurposeValue, type Entitlement } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema, type Grant } from "../../src/gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, ResourceTypeSchema, ResourceType_Trait, Status_ResourceStatus, type Resource, type ResourceType } from "../../src/gen/c1/connector/v2/resource_pb.js";
import type { JsonObject } from "@bufbuild/protobuf";
import { runSync } from "../../src/sync/engine.js";

const DAY = 86_400_000;
export const PROD = "111111111111";
export const DEV = "222222222222";
const STORE = "d-1234567890";
const INSTANCE = "ssoins-1111111111111111";

export const ssoUserArn = (name: string) => `arn:aws:identitystore:us-east-1::${STORE}/user/${name}-id`;
export const ssoGroupArn = (name: string) => `arn:aws:identitystore:us-east-1::${STORE}/group/${name}-id`;
export const psArn = (id: string) => `arn:aws:sso:::permissionSet/${INSTANCE}/${id}`;
export const iamArn = (account: string, kind: "user" | "group" | "role", name: string) => `arn:aws:iam::${account}:${kind}/${name}`;
const awsPolicy = (name: string) => `arn:aws:iam::aws:policy/${name}`;

const T = ResourceType_Trait;
const type = (id: string, displayName: string, trait: ResourceType_Trait): ResourceType => create(ResourceTypeSchema, { id, displayName, traits: [trait] });
export const TYPES = {
  iamUser: type("iam_user", "IAM User", T.USER),
  role: type("role", "IAM Role", T.ROLE),
  group: type("group", "Group", T.GROUP),
  iamPolicy: type("iam_policy", "IAM Managed Policy", T.ROLE),
  inlinePolicy: type("inline_policy", "Inline Policy", T.ROLE),
  ssoUser: type("sso_user", "SSO User", T.USER),
  ssoGroup: type("sso_group", "SSO Group", T.GROUP),
  account: type("account", "Account", T.APP),
  accountIam: type("account_iam", "Account IAM", T.APP),
  permissionSet: type("permission_set", "Permission Set", T.ROLE),
  binding: type("permission_set_assignment", "Permission Set Assignment", T.SCOPE_BINDING),
};

export interface SsoUserSpec {
  name: string;
  status?: "ENABLED" | "DISABLED";
  lastLoginDaysAgo?: number;
  createdDaysAgo?: number;
}

/** The organisation, as data; `variant` "after" is the same organisation some time later (for changes). */
export interface OrgSpec {
  ssoUsers: SsoUserSpec[];
  ssoGroups: Record<string, string[]>;
  /** Permission sets: id → name, managed policy names, inline document. */
  permissionSets: Record<string, { name: string; managed: string[]; inline?: object }>;
  /** [account, permission set id, "user"|"group", name] */
  assignments: Array<[string, string, "user" | "group", string]>;
  iamUsers: Array<{ name: string; lastLoginDaysAgo?: number; groups: string[] }>;
  iamGroups: Record<string, string[]>;
  /** role → who may assume it (IAM user or role names) and its policies. */
  roles: Record<string, { trusted: Array<["user" | "role", string]>; managed: string[]; inline?: Record<string, object> }>;
}

const allow = (action: string | string[], resource: string | string[] = "*") => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: resource }] });

export const POLICY_DOCUMENTS: Record<string, object> = {
  AdministratorAccess: allow("*"),
  ReadOnlyAccess: allow(["s3:Get*", "s3:List*", "ec2:Describe*", "iam:Get*", "iam:List*"]),
  IAMFullAccess: allow(["iam:*", "organizations:DescribeAccount"]),
  DeployApp: allow(["s3:PutObject", "lambda:UpdateFunctionCode"], `arn:aws:s3:::deploy-bucket/*`),
};
const customerPolicy = (name: string) => (name === "DeployApp" ? `arn:aws:iam::${PROD}:policy/${name}` : awsPolicy(name));

export const BEFORE: OrgSpec = {
  ssoUsers: [
    { name: "alice", lastLoginDaysAgo: 5, createdDaysAgo: 400 },
    { name: "bob", lastLoginDaysAgo: 10, createdDaysAgo: 400 },
    { name: "carol", createdDaysAgo: 400 },
    { name: "dave", status: "DISABLED", lastLoginDaysAgo: 30, createdDaysAgo: 400 },
    { name: "erin", lastLoginDaysAgo: 200, createdDaysAgo: 400 },
    { name: "frank", lastLoginDaysAgo: 1, createdDaysAgo: 20 },
  ],
  ssoGroups: { Platform: ["alice", "dave"], Readers: ["carol", "erin"] },
  permissionSets: {
    "ps-aaaaaaaaaaaaaaaa": { name: "AdminAccess", managed: ["AdministratorAccess"] },
    "ps-bbbbbbbbbbbbbbbb": { name: "ReadOnly", managed: ["ReadOnlyAccess"] },
    "ps-cccccccccccccccc": { name: "IdentityOps", managed: [], inline: allow(["sso:CreateAccountAssignment", "identitystore:CreateGroupMembership"]) },
  },
  assignments: [
    [PROD, "ps-aaaaaaaaaaaaaaaa", "group", "Platform"],
    [DEV, "ps-aaaaaaaaaaaaaaaa", "user", "bob"],
    [PROD, "ps-bbbbbbbbbbbbbbbb", "group", "Readers"],
    [PROD, "ps-bbbbbbbbbbbbbbbb", "user", "erin"],
    [DEV, "ps-cccccccccccccccc", "user", "carol"],
  ],
  iamUsers: [
    { name: "ops-bot", lastLoginDaysAgo: 3, groups: ["Ops"] },
    { name: "ci", lastLoginDaysAgo: 2, groups: ["Deployers"] },
    { name: "auditor", lastLoginDaysAgo: 120, groups: [] },
  ],
  iamGroups: { Ops: ["IAMFullAccess"], Deployers: ["DeployApp"] },
  roles: {
    Jump: { trusted: [["user", "auditor"]], managed: [] },
    Target: { trusted: [["role", "Jump"]], managed: [], inline: { escalate: allow("iam:*") } },
    BreakGlass: { trusted: [["user", "auditor"]], managed: ["AdministratorAccess"] },
  },
};

/** Later: bob lost dev admin, frank joined Platform, Deployers gained IAMFullAccess. */
export const AFTER: OrgSpec = {
  ...BEFORE,
  ssoGroups: { Platform: ["alice", "dave", "frank"], Readers: ["carol", "erin"] },
  assignments: BEFORE.assignments.filter(([account, ps, , name]) => !(account === DEV && ps === "ps-aaaaaaaaaaaaaaaa" && name === "bob")),
  iamGroups: { Ops: ["IAMFullAccess"], Deployers: ["DeployApp", "IAMFullAccess"] },
};

/** Principals (resource keys) that hold administrator, IAM-write and Identity Center-write access in BEFORE. */
export const ADMINS = [`sso_user:${ssoUserArn("alice")}`, `sso_user:${ssoUserArn("dave")}`, `sso_user:${ssoUserArn("bob")}`, `sso_group:${ssoGroupArn("Platform")}`, `iam_user:${iamArn(PROD, "user", "auditor")}`, `role:${iamArn(PROD, "role", "BreakGlass")}`];
export const IAM_WRITERS = [`iam_user:${iamArn(PROD, "user", "ops-bot")}`, `group:${iamArn(PROD, "group", "Ops")}`, `role:${iamArn(PROD, "role", "Jump")}`, `iam_user:${iamArn(PROD, "user", "auditor")}`, `role:${iamArn(PROD, "role", "Target")}`];
export const SSO_WRITERS = [`sso_user:${ssoUserArn("carol")}`];

function userTrait(email: string, login: string, status: "ENABLED" | "DISABLED", lastLoginMs?: number, createdMs?: number): Any {
  return annotation(UserTraitSchema, {
    emails: [{ address: email, isPrimary: true }],
    status: { status: status === "ENABLED" ? UserTrait_Status_Status.ENABLED : UserTrait_Status_Status.DISABLED },
    login,
    ...(lastLoginMs !== undefined ? { lastLogin: timestampFromMs(lastLoginMs) } : {}),
    ...(createdMs !== undefined ? { createdAt: timestampFromMs(createdMs) } : {}),
  });
}

interface ResourceExtra {
  profile?: JsonObject;
  parentResourceId?: { resourceType: string; resource: string };
  status?: { status: Status_ResourceStatus; details: string };
  description?: string;
}

function resource(t: ResourceType, id: string, displayName: string, annotations: Any[], extra: ResourceExtra = {}): Resource {
  return create(ResourceSchema, { id: { resourceType: t.id, resource: id }, displayName, annotations, ...extra });
}

/** baton's ScopeBindingTrait{role_id = 1, scope_resource_id = 2}, encoded by hand (our protos do not declare it). */
function scopeBinding(role: [string, string], scope: [string, string]): Any {
  const str = (field: number, value: string) => {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([Buffer.from([(field << 3) | 2]), varint(bytes.length), bytes]);
  };
  const msg = (field: number, body: Buffer) => Buffer.concat([Buffer.from([(field << 3) | 2]), varint(body.length), body]);
  const id = ([t, r]: [string, string]) => Buffer.concat([str(1, t), str(2, r)]);
  return create(AnySchema, { typeUrl: "type.googleapis.com/c1.connector.v2.ScopeBindingTrait", value: Buffer.concat([msg(1, id(role)), msg(2, id(scope))]) });
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

function entitlement(res: Resource, slug: string, displayName: string, id?: string): Entitlement {
  return create(EntitlementSchema, {
    resource: res,
    id: id ?? `${res.id!.resourceType}:${res.id!.resource}:${slug}`,
    displayName,
    slug,
    purpose: Entitlement_PurposeValue.ASSIGNMENT,
  });
}

function grant(ent: Entitlement, principal: Resource, options: { id?: string; expandable?: string[]; shallow?: boolean } = {}): Grant {
  return create(GrantSchema, {
    entitlement: ent,
    principal: create(ResourceSchema, { id: principal.id }),
    id: options.id ?? `${ent.id}:${principal.id!.resourceType}:${principal.id!.resource}`,
    annotations: options.expandable ? [annotation(GrantExpandableSchema, { entitlementIds: options.expandable, shallow: options.shallow ?? false })] : [],
  });
}

export interface OrgData {
  types: ResourceType[];
  resources: Resource[];
  entitlements: Entitlement[];
  grants: Grant[];
}

/** The organisation's resources, entitlements and grants in baton-aws's shapes. */
export function batonAwsOrg(spec: OrgSpec, now: number): OrgData {
  const resources: Resource[] = [];
  const entitlements: Entitlement[] = [];
  const grants: Grant[] = [];
  const add = (r: Resource) => (resources.push(r), r);

  const accounts = new Map<string, Resource>();
  for (const [id, name] of [[PROD, "prod"], [DEV, "dev"]] as const) {
    accounts.set(id, add(resource(TYPES.account, id, name, [annotation(AppTraitSchema, {})], { profile: { aws_account_id: id, aws_account_name: name } })));
    add(resource(TYPES.accountIam, id, name, [annotation(AppTraitSchema, {})]));
  }
  const prodIam = { resourceType: TYPES.accountIam.id, resource: PROD };

  // Policies (AWS-managed: no parent; customer-managed: under its account).
  const policies = new Map<string, { res: Resource; ent: Entitlement }>();
  for (const [name, document] of Object.entries(POLICY_DOCUMENTS)) {
    const arn = customerPolicy(name);
    const res = add(
      resource(TYPES.iamPolicy, arn, name, [annotation(RoleTraitSchema, {})], {
        profile: { aws_policy_name: name, aws_policy_arn: arn, policy_document: JSON.stringify(document) },
        ...(arn.includes(":aws:policy/") ? {} : { parentResourceId: prodIam }),
      }),
    );
    const ent = entitlement(res, "attached", `${name} Managed Policy`);
    entitlements.push(ent);
    policies.set(name, { res, ent });
  }
  const attach = (policy: string, principal: Resource, expandable?: { via: string; shallow?: boolean }) =>
    grants.push(grant(policies.get(policy)!.ent, principal, expandable ? { expandable: [expandable.via], shallow: expandable.shallow } : {}));
  const inline = (parent: Resource, name: string, document: object, expandVia?: string) => {
    const id = `${parent.id!.resource}::inline::${name}`;
    const res = add(resource(TYPES.inlinePolicy, id, name, [annotation(RoleTraitSchema, {})], { parentResourceId: { resourceType: parent.id!.resourceType, resource: parent.id!.resource }, profile: { aws_policy_name: name, aws_parent_arn: parent.id!.resource, policy_document: JSON.stringify(document) } }));
    const ent = entitlement(res, "attached", `${name} Inline Policy`);
    entitlements.push(ent);
    grants.push(grant(ent, parent, expandVia ? { expandable: [expandVia] } : {}));
  };

  // Identity Center.
  const ssoUsers = new Map<string, Resource>();
  for (const u of spec.ssoUsers) {
    const arn = ssoUserArn(u.name);
    const status = u.status ?? "ENABLED";
    const lastLogin = u.lastLoginDaysAgo !== undefined ? now - u.lastLoginDaysAgo * DAY : undefined;
    const created = u.createdDaysAgo !== undefined ? now - u.createdDaysAgo * DAY : undefined;
    ssoUsers.set(
      u.name,
      add(
        resource(TYPES.ssoUser, arn, `${u.name}@example.com`, [userTrait(`${u.name}@example.com`, `${u.name}@example.com`, status, lastLogin, created)], {
          profile: { aws_user_type: "sso", aws_user_name: u.name, aws_user_id: `${u.name}-id` },
          status: { status: status === "ENABLED" ? Status_ResourceStatus.ENABLED : Status_ResourceStatus.DISABLED, details: "" },
        }),
      ),
    );
  }
  const ssoGroups = new Map<string, { res: Resource; member: Entitlement }>();
  for (const [name, members] of Object.entries(spec.ssoGroups)) {
    const res = add(resource(TYPES.ssoGroup, ssoGroupArn(name), name, [annotation(GroupTraitSchema, {})]));
    const member = entitlement(res, "member", `${name} Group Member`);
    entitlements.push(member);
    ssoGroups.set(name, { res, member });
    // baton-aws overwrites Identity Store membership grant ids with the MembershipId.
    for (const m of members) grants.push(grant(member, ssoUsers.get(m)!, { id: `membership-${name}-${m}` }));
  }
  const permissionSets = new Map<string, Resource>();
  for (const [id, ps] of Object.entries(spec.permissionSets)) {
    const res = add(resource(TYPES.permissionSet, psArn(id), ps.name, [annotation(RoleTraitSchema, {})], { description: `${ps.name} permission set` }));
    permissionSets.set(id, res);
    for (const m of ps.managed) attach(m, res);
    if (ps.inline) inline(res, "inline", ps.inline);
  }
  // Legacy flat model: one entitlement per permission set on each account.
  const accountEnts = new Map<string, Entitlement>();
  for (const [accountId, account] of accounts) {
    for (const [id, ps] of Object.entries(spec.permissionSets)) {
      const ent = entitlement(account, `${ps.name} access`, `${ps.name} Permission Set`, `${accountId}|${psArn(id)}`);
      entitlements.push(ent);
      accountEnts.set(`${accountId}|${id}`, ent);
    }
  }
  // Binding model: one permission_set_assignment per provisioned (account, permission set).
  const bindings = new Map<string, { res: Resource; assigned: Entitlement }>();
  const pairs = [...new Set(spec.assignments.map(([a, p]) => `${a}|${p}`))].map((k) => k.split("|") as [string, string]);
  for (const [accountId, psId] of pairs) {
    const arn = psArn(psId);
    const res = add(
      resource(TYPES.binding, `${arn}-${accountId}`, `${spec.permissionSets[psId]!.name} on ${accountId}`, [scopeBinding(["permission_set", arn], ["account", accountId])], {
        parentResourceId: { resourceType: TYPES.account.id, resource: accountId },
      }),
    );
    const assigned = entitlement(res, "assigned", `${spec.permissionSets[psId]!.name} on ${accountId}`);
    entitlements.push(assigned);
    bindings.set(`${accountId}|${psId}`, { res, assigned });
    // Phase 2: the permission set's policies with the binding as principal, expanding to its holders.
    for (const m of spec.permissionSets[psId]!.managed) attach(m, res, { via: assigned.id });
  }
  for (const [accountId, psId, kind, name] of spec.assignments) {
    const principal = kind === "user" ? ssoUsers.get(name)! : ssoGroups.get(name)!.res;
    const expandable = kind === "group" ? [ssoGroups.get(name)!.member.id] : undefined;
    const accountEnt = accountEnts.get(`${accountId}|${psId}`)!;
    grants.push(grant(accountEnt, principal, { id: `grant:${principal.id!.resourceType}:${principal.id!.resource}:${accountEnt.id}`, expandable }));
    grants.push(grant(bindings.get(`${accountId}|${psId}`)!.assigned, principal, { expandable }));
  }

  // IAM of the prod account (cross-account mode: children of account_iam).
  const iamGroups = new Map<string, { res: Resource; member: Entitlement }>();
  for (const [name, attached] of Object.entries(spec.iamGroups)) {
    const res = add(resource(TYPES.group, iamArn(PROD, "group", name), name, [annotation(GroupTraitSchema, {})], { parentResourceId: prodIam }));
    const member = entitlement(res, "member", `${name} Group Member`);
    entitlements.push(member);
    iamGroups.set(name, { res, member });
    for (const p of attached) attach(p, res, { via: member.id, shallow: true });
  }
  const iamUsers = new Map<string, Resource>();
  for (const u of spec.iamUsers) {
    const arn = iamArn(PROD, "user", u.name);
    const res = add(
      resource(TYPES.iamUser, arn, u.name, [userTrait(`${u.name}@example.com`, u.name, "ENABLED", u.lastLoginDaysAgo !== undefined ? now - u.lastLoginDaysAgo * DAY : undefined, now - 300 * DAY)], {
        parentResourceId: prodIam,
        profile: { aws_arn: arn, aws_path: "/", aws_user_type: "iam", aws_user_id: `AIDA${u.name.toUpperCase()}` },
      }),
    );
    iamUsers.set(u.name, res);
    for (const g of u.groups) grants.push(grant(iamGroups.get(g)!.member, res));
  }
  const roles = new Map<string, { res: Resource; assignment: Entitlement }>();
  for (const name of Object.keys(spec.roles)) {
    const res = add(resource(TYPES.role, iamArn(PROD, "role", name), name, [annotation(RoleTraitSchema, {})], { parentResourceId: prodIam }));
    const assignment = entitlement(res, "assignment", `${name} Role`);
    entitlements.push(assignment);
    roles.set(name, { res, assignment });
  }
  for (const [name, role] of Object.entries(spec.roles)) {
    const { res, assignment } = roles.get(name)!;
    for (const [kind, who] of role.trusted) {
      if (kind === "user") grants.push(grant(assignment, iamUsers.get(who)!));
      else grants.push(grant(assignment, roles.get(who)!.res, { expandable: [roles.get(who)!.assignment.id] }));
    }
    for (const p of role.managed) attach(p, res, { via: assignment.id });
    for (const [policyName, document] of Object.entries(role.inline ?? {})) inline(res, policyName, document, assignment.id);
  }
  return { types: Object.values(TYPES), resources, entitlements, grants };
}

/** The organisation served by an in-process connector (every listing on one page). */
function orgApi(data: OrgData) {
  const syncers: ResourceSyncer[] = data.types.map((t) => ({
    resourceType: t,
    listResources: async (parent) => ({ items: parent ? [] : data.resources.filter((r) => r.id!.resourceType === t.id) }),
    listEntitlements: async (res) => ({ items: data.entitlements.filter((e) => e.resource!.id!.resourceType === res.id!.resourceType && e.resource!.id!.resource === res.id!.resource) }),
    listGrants: async (res) => ({
      items: data.grants.filter((g) => g.entitlement!.resource!.id!.resourceType === res.id!.resourceType && g.entitlement!.resource!.id!.resource === res.id!.resource),
    }),
  }));
  return createDirectConnectorApi(
    createConnectorServices({
      syncers,
      provisioners: [],
      provisioningEnabled: false,
      pageTokens: new PageTokenCodec(randomBytes(32)),
      describe: async () => ({ displayName: "baton-aws-shaped test organisation" }),
      validate: async () => undefined,
      cleanup: async () => undefined,
    }),
  );
}

/** Syncs the organisation into `target` (a second call adds a second sync to the same file). */
export async function syncOrg(spec: OrgSpec, target: string, now = Date.now()): Promise<void> {
  await runSync({ target, api: orgApi(batonAwsOrg(spec, now)) });
}
