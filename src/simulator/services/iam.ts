/**
 * IAM (awsQuery, 2010-05-08). Every call acts on the IAM of the caller's account. Lists use the
 * shared paginator (MaxItems 1–1000, default 100; Marker absent on the last page).
 */
import { SimError } from "../errors.js";
import { awsManagedPolicy, isAwsManagedPolicy } from "../model/aws-managed-policies.js";
import { addUserToGroup, removeUserFromGroup } from "../model/iam.js";
import { IAM_NAME } from "../model/ids.js";
import { concatSequences, mapSequence, sequenceOf, type Sequence } from "../model/keyed-list.js";
import type { IamAccount, IamGroup, IamRole, IamUser, ManagedPolicy, Tag } from "../model/types.js";
import type { Page } from "../pagination.js";
import { cachedXml, memberList } from "../protocol/query-xml.js";
import { timestamp } from "../protocol/timestamp.js";
import { optionalString, requiredString } from "../validate.js";
import { callerAccount, page, type Input, type RequestContext, type ServiceDefinition } from "./service.js";

const PATH_PREFIX = { min: 1, max: 512, pattern: /^\/[\x21-\x7f]*$/ };
const USER_NAME = { min: 1, max: 64, pattern: IAM_NAME };
const GROUP_NAME = { min: 1, max: 128, pattern: IAM_NAME };

const iamOf = (ctx: RequestContext): IamAccount => callerAccount(ctx).iam;

/** IAM writes policy documents URL-encoded (RFC 3986). */
const encodePolicy = (json: string) => encodeURIComponent(json).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const tagList = (tags: Tag[]) => tags.map((t) => ({ Key: t.key, Value: t.value }));
const policyName = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);
const attached = (arns: string[]) => arns.map((arn) => ({ PolicyName: policyName(arn), PolicyArn: arn }));
const inline = (policies: IamUser["inlinePolicies"]) => policies.map((p) => ({ PolicyName: p.name, PolicyDocument: encodePolicy(p.document) }));

const userShape = (u: IamUser) => ({
  Path: u.path,
  UserName: u.name,
  UserId: u.id,
  Arn: u.arn,
  CreateDate: timestamp(u.createdAt),
  PasswordLastUsed: u.passwordLastUsed === undefined ? undefined : timestamp(u.passwordLastUsed),
});
const groupShape = (g: IamGroup) => ({ Path: g.path, GroupName: g.name, GroupId: g.id, Arn: g.arn, CreateDate: timestamp(g.createdAt) });
const roleShape = (r: IamRole) => ({
  Path: r.path,
  RoleName: r.name,
  RoleId: r.id,
  Arn: r.arn,
  CreateDate: timestamp(r.createdAt),
  AssumeRolePolicyDocument: encodePolicy(r.trustPolicy),
  Description: r.description,
  MaxSessionDuration: r.maxSessionDuration,
});

const truncation = <T>(p: Page<T>) => ({ IsTruncated: p.nextToken !== undefined, Marker: p.nextToken });

/** PathPrefix filtering scans, but only when a prefix other than "/" is given. */
function byPath<T extends { path: string }>(items: Sequence<T> & Iterable<T>, input: Input): Sequence<T> {
  const prefix = optionalString(input, "PathPrefix", PATH_PREFIX) ?? "/";
  return prefix === "/" ? items : sequenceOf([...items].filter((item) => item.path.startsWith(prefix)));
}

function findUser(iam: IamAccount, name: string): IamUser {
  const user = iam.users.get(name);
  if (!user) throw SimError.coded("NoSuchEntity", `The user with name ${name} cannot be found.`);
  return user;
}

function findGroup(iam: IamAccount, name: string): IamGroup {
  const group = iam.groups.get(name);
  if (!group) throw SimError.coded("NoSuchEntity", `The group with name ${name} cannot be found.`);
  return group;
}

type DetailItem =
  | { type: "User"; user: IamUser }
  | { type: "Group"; group: IamGroup }
  | { type: "Role"; role: IamRole }
  | { type: "Policy"; policy: ManagedPolicy; attachments: number };

const AUTHORIZATION_FILTERS = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"] as const;

function getAccountAuthorizationDetails(ctx: RequestContext, input: Input) {
  const iam = iamOf(ctx);
  const filters = memberList(input as Record<string, string>, "Filter");
  for (const f of filters) {
    if (!(AUTHORIZATION_FILTERS as readonly string[]).includes(f)) {
      throw SimError.of("validation", `1 validation error detected: Value '[${filters.join(", ")}]' at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [${AUTHORIZATION_FILTERS.join(", ")}]]`);
    }
  }
  const wants = (f: string) => filters.length === 0 || filters.includes(f);
  const parts: Array<Sequence<DetailItem>> = [];
  if (wants("User")) parts.push(mapSequence(iam.users, (user) => ({ type: "User", user })));
  if (wants("Group")) parts.push(mapSequence(iam.groups, (group) => ({ type: "Group", group })));
  if (wants("Role")) parts.push(mapSequence(iam.roles, (role) => ({ type: "Role", role })));
  if (wants("LocalManagedPolicy") || wants("AWSManagedPolicy")) {
    parts.push(sequenceOf(managedPolicyDetails(iam, wants("LocalManagedPolicy"), wants("AWSManagedPolicy"))));
  }
  const result = page(ctx, concatSequences(parts), input, filters.join(","));
  const pick = <K extends DetailItem["type"]>(type: K) => result.items.filter((i): i is Extract<DetailItem, { type: K }> => i.type === type);
  return {
    UserDetailList: pick("User").map(({ user }) => ({
      ...userShape(user),
      PasswordLastUsed: undefined,
      UserPolicyList: inline(user.inlinePolicies),
      GroupList: [...user.groups].map((g) => g.name),
      AttachedManagedPolicies: attached(user.attachedPolicies),
      Tags: tagList(user.tags),
    })),
    GroupDetailList: pick("Group").map(({ group }) => ({
      ...groupShape(group),
      GroupPolicyList: inline(group.inlinePolicies),
      AttachedManagedPolicies: attached(group.attachedPolicies),
    })),
    RoleDetailList: pick("Role").map(({ role }) => ({
      ...roleShape(role),
      InstanceProfileList: [],
      RolePolicyList: inline(role.inlinePolicies),
      AttachedManagedPolicies: attached(role.attachedPolicies),
      Tags: tagList(role.tags),
    })),
    Policies: pick("Policy").map(({ policy, attachments }) => ({
      PolicyName: policy.name,
      PolicyId: policy.id,
      Arn: policy.arn,
      Path: policy.path,
      DefaultVersionId: "v1",
      AttachmentCount: attachments,
      PermissionsBoundaryUsageCount: 0,
      IsAttachable: true,
      Description: policy.description,
      CreateDate: timestamp(policy.createdAt),
      UpdateDate: timestamp(policy.createdAt),
      PolicyVersionList: [{ Document: encodePolicy(policy.document), VersionId: "v1", IsDefaultVersion: true, CreateDate: timestamp(policy.createdAt) }],
    })),
    ...truncation(result),
  };
}

/** Customer-managed policies, then the AWS-managed policies attached to something in the account. */
function managedPolicyDetails(iam: IamAccount, local: boolean, aws: boolean): DetailItem[] {
  const counts = new Map<string, number>();
  const count = (arns: string[]) => arns.forEach((arn) => counts.set(arn, (counts.get(arn) ?? 0) + 1));
  for (const u of iam.users) count(u.attachedPolicies);
  for (const g of iam.groups) count(g.attachedPolicies);
  for (const r of iam.roles) count(r.attachedPolicies);
  const items: DetailItem[] = [];
  if (local) for (const policy of iam.policies) items.push({ type: "Policy", policy, attachments: counts.get(policy.arn) ?? 0 });
  if (aws) {
    for (const [arn, attachments] of counts) {
      if (isAwsManagedPolicy(arn)) items.push({ type: "Policy", policy: awsManagedPolicy(arn), attachments });
    }
  }
  return items;
}

export const iamService: ServiceDefinition = {
  name: "iam",
  protocol: "query",
  operations: {
    ListUsers(ctx, input) {
      const result = page(ctx, byPath(iamOf(ctx).users, input), input, String(input.PathPrefix ?? ""));
      return { Users: result.items.map((u) => cachedXml(u, userShape)), ...truncation(result) };
    },
    ListGroups(ctx, input) {
      const result = page(ctx, byPath(iamOf(ctx).groups, input), input, String(input.PathPrefix ?? ""));
      return { Groups: result.items.map((g) => cachedXml(g, groupShape)), ...truncation(result) };
    },
    ListRoles(ctx, input) {
      const result = page(ctx, byPath(iamOf(ctx).roles, input), input, String(input.PathPrefix ?? ""));
      return { Roles: result.items.map((r) => cachedXml(r, roleShape)), ...truncation(result) };
    },
    GetGroup(ctx, input) {
      const group = findGroup(iamOf(ctx), requiredString(input, "GroupName", GROUP_NAME));
      const result = page(ctx, group.members, input, group.id);
      return { Group: groupShape(group), Users: result.items.map((u) => cachedXml(u, userShape)), ...truncation(result) };
    },
    ListGroupsForUser(ctx, input) {
      const user = findUser(iamOf(ctx), requiredString(input, "UserName", { ...USER_NAME, max: 128 }));
      const result = page(ctx, user.groups, input, user.id);
      return { Groups: result.items.map((g) => cachedXml(g, groupShape)), ...truncation(result) };
    },
    GetRole(ctx, input) {
      const name = requiredString(input, "RoleName", { min: 1, max: 64, pattern: IAM_NAME });
      const role = iamOf(ctx).roles.get(name);
      if (!role) throw SimError.coded("NoSuchEntity", `The role with name ${name} cannot be found.`);
      return { Role: { ...roleShape(role), Tags: tagList(role.tags), RoleLastUsed: {} } };
    },
    GetUser(ctx, input) {
      const name = optionalString(input, "UserName", USER_NAME);
      const iam = iamOf(ctx);
      if (name !== undefined) {
        const user = findUser(iam, name);
        return { User: { ...userShape(user), Tags: tagList(user.tags) } };
      }
      const caller = ctx.caller;
      if (caller.kind === "user") {
        const user = findUser(iam, caller.userName!);
        return { User: { ...userShape(user), Tags: tagList(user.tags) } };
      }
      if (caller.kind === "root") {
        return { User: { UserId: caller.accountId, Arn: caller.arn, CreateDate: timestamp(callerAccount(ctx).joinedAt) } };
      }
      throw SimError.of("validation", "Must specify userName when calling with non-User credentials");
    },
    ListAccountAliases(ctx, input) {
      const alias = iamOf(ctx).alias;
      const result = page(ctx, sequenceOf(alias ? [alias] : []), input);
      return { AccountAliases: result.items, ...truncation(result) };
    },
    GetAccountAuthorizationDetails: getAccountAuthorizationDetails,
    AddUserToGroup(ctx, input) {
      const iam = iamOf(ctx);
      const group = findGroup(iam, requiredString(input, "GroupName", GROUP_NAME));
      const user = findUser(iam, requiredString(input, "UserName", USER_NAME));
      addUserToGroup(user, group); // already a member: AWS succeeds silently
      return undefined;
    },
    RemoveUserFromGroup(ctx, input) {
      const iam = iamOf(ctx);
      const group = findGroup(iam, requiredString(input, "GroupName", GROUP_NAME));
      const user = findUser(iam, requiredString(input, "UserName", USER_NAME));
      if (!removeUserFromGroup(user, group)) {
        throw SimError.coded("NoSuchEntity", `The user with name ${user.name} cannot be found in group ${group.name}.`);
      }
      return undefined;
    },
  },
};
