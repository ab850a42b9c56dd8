/**
 * IAM (awsQuery, 2010-05-08). Every call acts on the IAM of the caller's account. Lists use the
 * shared paginator (MaxItems 1–1000, default 100; Marker absent on the last page).
 */
import { SimError } from "../errors.js";
import { policyUsage, type PolicyUsage } from "../model/iam.js";
import { concatSequences, mapSequence, sequenceOf, type Sequence } from "../model/keyed-list.js";
import type { IamAccount, IamGroup, IamRole, IamUser, ManagedPolicy } from "../model/types.js";
import { cachedXml, memberList } from "../protocol/query-xml.js";
import { timestamp } from "../protocol/timestamp.js";
import { optionalString, requiredString } from "../validate.js";
import {
  attachedShape,
  boundaryShape,
  byPath,
  EXISTING_USER_NAME,
  findGroup,
  findRole,
  findUser,
  GROUP_NAME,
  groupShape,
  iamOf,
  inlineShape,
  policyShape,
  ROLE_NAME,
  roleLastUsedShape,
  roleShape,
  tagList,
  truncation,
  userShape,
  versionShape,
} from "./iam-support.js";
import { credentialReadOperations } from "./iam-credentials.js";
import { policyOperations } from "./iam-policies.js";
import { writeOperations } from "./iam-writes.js";
import { callerAccount, page, type Input, type RequestContext, type ServiceDefinition } from "./service.js";

type DetailItem =
  | { type: "User"; user: IamUser }
  | { type: "Group"; group: IamGroup }
  | { type: "Role"; role: IamRole }
  | { type: "Policy"; policy: ManagedPolicy; usage: PolicyUsage | undefined };

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
    parts.push(sequenceOf(managedPolicyDetails(ctx, iam, wants("LocalManagedPolicy"), wants("AWSManagedPolicy"))));
  }
  const result = page(ctx, concatSequences(parts), input, filters.join(","));
  const pick = <K extends DetailItem["type"]>(type: K) => result.items.filter((i): i is Extract<DetailItem, { type: K }> => i.type === type);
  return {
    UserDetailList: pick("User").map(({ user }) => ({
      ...userShape(user),
      PasswordLastUsed: undefined,
      UserPolicyList: inlineShape(user.inlinePolicies),
      GroupList: [...user.groups].map((g) => g.name),
      AttachedManagedPolicies: attachedShape(user.attachedPolicies),
      PermissionsBoundary: boundaryShape(user.permissionsBoundary),
      Tags: tagList(user.tags),
    })),
    GroupDetailList: pick("Group").map(({ group }) => ({
      ...groupShape(group),
      GroupPolicyList: inlineShape(group.inlinePolicies),
      AttachedManagedPolicies: attachedShape(group.attachedPolicies),
    })),
    RoleDetailList: pick("Role").map(({ role }) => ({
      // RoleDetail has no Description or MaxSessionDuration (ListRoles/GetRole carry them).
      ...roleShape(role),
      Description: undefined,
      MaxSessionDuration: undefined,
      InstanceProfileList: [],
      RolePolicyList: inlineShape(role.inlinePolicies),
      AttachedManagedPolicies: attachedShape(role.attachedPolicies),
      PermissionsBoundary: boundaryShape(role.permissionsBoundary),
      Tags: tagList(role.tags),
      RoleLastUsed: roleLastUsedShape(role),
    })),
    Policies: pick("Policy").map(({ policy, usage }) => ({
      ...policyShape(policy, usage),
      PolicyVersionList: policy.versions.map((v) => versionShape(policy, v)),
    })),
    ...truncation(result),
  };
}

/**
 * Customer-managed policies, then the AWS-managed policies in use in the account (attached, or a
 * permissions boundary), in catalogue order. That GetAccountAuthorizationDetails leaves unused
 * AWS-managed policies out is AWS's documented practice as tools observe it (unverified here).
 */
function managedPolicyDetails(ctx: RequestContext, iam: IamAccount, local: boolean, aws: boolean): DetailItem[] {
  const usage = policyUsage(iam);
  const items: DetailItem[] = [];
  if (local) for (const policy of iam.policies) items.push({ type: "Policy", policy, usage: usage.get(policy.arn) });
  if (aws) {
    for (const policy of ctx.sim.model.awsManagedPolicies) {
      const used = usage.get(policy.arn);
      if (used) items.push({ type: "Policy", policy, usage: used });
    }
  }
  return items;
}

/** GetUser's User: with boundary and tags (ListUsers leaves them out). */
const fullUserShape = (user: IamUser) => ({ ...userShape(user), PermissionsBoundary: boundaryShape(user.permissionsBoundary), Tags: tagList(user.tags) });
/** GetRole's Role: with boundary, tags and last use. */
const fullRoleShape = (role: IamRole) => ({ ...roleShape(role), PermissionsBoundary: boundaryShape(role.permissionsBoundary), Tags: tagList(role.tags), RoleLastUsed: roleLastUsedShape(role) });

export const iamService: ServiceDefinition = {
  name: "iam",
  protocol: "query",
  writes: new Set(Object.keys(writeOperations)),
  // IAM's quota is a token bucket per account (AWS re:Post "iam-sts-throttling-error").
  quotaScope: (caller) => caller.accountId,
  operations: {
    ...policyOperations,
    ...credentialReadOperations,
    ...writeOperations,
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
      const user = findUser(iamOf(ctx), requiredString(input, "UserName", EXISTING_USER_NAME));
      const result = page(ctx, user.groups, input, user.id);
      return { Groups: result.items.map((g) => cachedXml(g, groupShape)), ...truncation(result) };
    },
    GetRole(ctx, input) {
      const role = findRole(iamOf(ctx), requiredString(input, "RoleName", ROLE_NAME));
      return { Role: fullRoleShape(role) };
    },
    GetUser(ctx, input) {
      const name = optionalString(input, "UserName", EXISTING_USER_NAME);
      const iam = iamOf(ctx);
      if (name !== undefined) return { User: fullUserShape(findUser(iam, name)) };
      const caller = ctx.caller;
      if (caller.kind === "user") return { User: fullUserShape(findUser(iam, caller.userName!)) };
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
  },
};
