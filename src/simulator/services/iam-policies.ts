/**
 * IAM policy reads: managed policies and their versions (ListPolicies, GetPolicy,
 * GetPolicyVersion, ListPolicyVersions, ListEntitiesForPolicy), managed policies attached to a
 * user, group or role (ListAttached*Policies) and inline policies (List*Policies, Get*Policy).
 * Documents are URL-encoded as IAM sends them.
 */
import { SimError } from "../errors.js";
import { entitiesForPolicy, policyUsage, type PolicyUsage } from "../model/iam.js";
import { concatSequences, mapSequence, sequenceOf } from "../model/keyed-list.js";
import type { IamGroup, IamRole, IamUser, InlinePolicy, ManagedPolicy } from "../model/types.js";
import { optionalString, requiredString } from "../validate.js";
import {
  encodePolicy,
  ENTITY_PATH,
  EXISTING_USER_NAME,
  findPolicy,
  iamOf,
  policyHolder,
  policyNameOf,
  policyShape,
  POLICY_NAME,
  POLICY_PATH,
  tagList,
  truncation,
  USER_NAME,
  VERSION_ID,
  versionShape,
} from "./iam-support.js";
import { page, type Handler, type Input, type RequestContext } from "./service.js";

const SCOPES = ["All", "AWS", "Local"] as const;
const USAGE_FILTERS = ["PermissionsPolicy", "PermissionsBoundary"] as const;
const ENTITY_FILTERS = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"] as const;

const bool = (input: Input, field: string) => String(input[field] ?? "false").toLowerCase() === "true";

/**
 * Whether a policy is "attached" for OnlyAttached: as a permissions policy, as a boundary, or
 * either when no PolicyUsageFilter narrows it (how AWS combines the two is unverified).
 */
function inUse(usage: PolicyUsage | undefined, filter: string | undefined): boolean {
  if (!usage) return false;
  if (filter === "PermissionsPolicy") return usage.attachments > 0;
  if (filter === "PermissionsBoundary") return usage.boundaries > 0;
  return usage.attachments > 0 || usage.boundaries > 0;
}

function listPolicies(ctx: RequestContext, input: Input) {
  const iam = iamOf(ctx);
  const scope = optionalString(input, "Scope", { oneOf: SCOPES }) ?? "All";
  const onlyAttached = bool(input, "OnlyAttached");
  const prefix = optionalString(input, "PathPrefix", POLICY_PATH) ?? "/";
  const usageFilter = optionalString(input, "PolicyUsageFilter", { oneOf: USAGE_FILTERS });
  const usage = policyUsage(iam);
  const candidates: ManagedPolicy[] = [];
  if (scope !== "AWS") candidates.push(...iam.policies);
  if (scope !== "Local") candidates.push(...ctx.sim.model.awsManagedPolicies);
  const items = candidates.filter((p) => p.path.startsWith(prefix) && (!onlyAttached || inUse(usage.get(p.arn), usageFilter)));
  const result = page(ctx, sequenceOf(items), input, `${scope}/${onlyAttached}/${prefix}/${usageFilter ?? ""}`);
  return { Policies: result.items.map((p) => policyShape(p, usage.get(p.arn))), ...truncation(result) };
}

/** Path of a managed policy from its ARN: `arn:aws:iam::<acct|aws>:policy<path><name>`. */
const policyPathOf = (arn: string) => arn.slice(arn.indexOf(":policy") + ":policy".length, arn.lastIndexOf("/") + 1);

function listAttached(ctx: RequestContext, input: Input, entity: IamUser | IamGroup | IamRole) {
  const prefix = optionalString(input, "PathPrefix", POLICY_PATH) ?? "/";
  const arns = entity.attachedPolicies.filter((arn) => policyPathOf(arn).startsWith(prefix));
  const result = page(ctx, sequenceOf(arns), input, `${entity.id}/${prefix}`);
  return { AttachedPolicies: result.items.map((arn) => ({ PolicyName: policyNameOf(arn), PolicyArn: arn })), ...truncation(result) };
}

function listInline(ctx: RequestContext, input: Input, entity: IamUser | IamGroup | IamRole) {
  const result = page(ctx, mapSequence(sequenceOf(entity.inlinePolicies), (p) => p.name), input, entity.id);
  return { PolicyNames: result.items, ...truncation(result) };
}

function inlinePolicy(entity: IamUser | IamGroup | IamRole, input: Input, kind: "user" | "group" | "role"): InlinePolicy {
  const name = requiredString(input, "PolicyName", POLICY_NAME);
  const policy = entity.inlinePolicies.find((p) => p.name === name);
  if (!policy) throw SimError.coded("NoSuchEntity", `The ${kind} policy with name ${name} cannot be found.`);
  return policy;
}

function listEntitiesForPolicy(ctx: RequestContext, input: Input) {
  const policy = findPolicy(ctx, input);
  const filter = optionalString(input, "EntityFilter", { oneOf: ENTITY_FILTERS });
  const prefix = optionalString(input, "PathPrefix", ENTITY_PATH) ?? "/";
  const usage = optionalString(input, "PolicyUsageFilter", { oneOf: USAGE_FILTERS });
  const found = entitiesForPolicy(iamOf(ctx), policy.arn, usage === "PermissionsPolicy" ? "permissions" : usage === "PermissionsBoundary" ? "boundary" : "any");
  const keep = <T extends { path: string }>(type: string, list: T[]) => (filter === undefined || filter === type ? list.filter((e) => e.path.startsWith(prefix)) : []);
  type Item = { group: IamGroup } | { user: IamUser } | { role: IamRole };
  const items = concatSequences<Item>([
    sequenceOf(keep("Group", found.groups).map((group) => ({ group }))),
    sequenceOf(keep("User", found.users).map((user) => ({ user }))),
    sequenceOf(keep("Role", found.roles).map((role) => ({ role }))),
  ]);
  const result = page(ctx, items, input, `${policy.arn}/${filter ?? ""}/${prefix}/${usage ?? ""}`);
  return {
    PolicyGroups: result.items.flatMap((i) => ("group" in i ? [{ GroupName: i.group.name, GroupId: i.group.id }] : [])),
    PolicyUsers: result.items.flatMap((i) => ("user" in i ? [{ UserName: i.user.name, UserId: i.user.id }] : [])),
    PolicyRoles: result.items.flatMap((i) => ("role" in i ? [{ RoleName: i.role.name, RoleId: i.role.id }] : [])),
    ...truncation(result),
  };
}

const userOf = (ctx: RequestContext, input: Input, rule = EXISTING_USER_NAME) => policyHolder(ctx, input, "User", rule);
const groupOf = (ctx: RequestContext, input: Input) => policyHolder(ctx, input, "Group");
const roleOf = (ctx: RequestContext, input: Input) => policyHolder(ctx, input, "Role");

export const policyOperations: Record<string, Handler> = {
  ListPolicies: listPolicies,
  GetPolicy(ctx, input) {
    const policy = findPolicy(ctx, input);
    const usage = policyUsage(iamOf(ctx)).get(policy.arn);
    return { Policy: { ...policyShape(policy, usage), Tags: policy.tags.length ? tagList(policy.tags) : undefined } };
  },
  GetPolicyVersion(ctx, input) {
    const policy = findPolicy(ctx, input);
    const versionId = requiredString(input, "VersionId", VERSION_ID);
    const version = policy.versions.find((v) => v.versionId === versionId);
    if (!version) throw SimError.coded("NoSuchEntity", `Policy ${policy.arn} version ${versionId} does not exist or is not attachable.`);
    return { PolicyVersion: versionShape(policy, version) };
  },
  ListPolicyVersions(ctx, input) {
    const policy = findPolicy(ctx, input);
    const result = page(ctx, sequenceOf(policy.versions), input, policy.arn);
    return { Versions: result.items.map((v) => ({ ...versionShape(policy, v), Document: undefined })), ...truncation(result) };
  },
  ListEntitiesForPolicy: listEntitiesForPolicy,
  ListAttachedUserPolicies: (ctx, input) => listAttached(ctx, input, userOf(ctx, input, USER_NAME)),
  ListAttachedGroupPolicies: (ctx, input) => listAttached(ctx, input, groupOf(ctx, input)),
  ListAttachedRolePolicies: (ctx, input) => listAttached(ctx, input, roleOf(ctx, input)),
  ListUserPolicies: (ctx, input) => listInline(ctx, input, userOf(ctx, input)),
  ListGroupPolicies: (ctx, input) => listInline(ctx, input, groupOf(ctx, input)),
  ListRolePolicies: (ctx, input) => listInline(ctx, input, roleOf(ctx, input)),
  GetUserPolicy(ctx, input) {
    const user = userOf(ctx, input);
    const policy = inlinePolicy(user, input, "user");
    return { UserName: user.name, PolicyName: policy.name, PolicyDocument: encodePolicy(policy.document) };
  },
  GetGroupPolicy(ctx, input) {
    const group = groupOf(ctx, input);
    const policy = inlinePolicy(group, input, "group");
    return { GroupName: group.name, PolicyName: policy.name, PolicyDocument: encodePolicy(policy.document) };
  },
  GetRolePolicy(ctx, input) {
    const role = roleOf(ctx, input);
    const policy = inlinePolicy(role, input, "role");
    return { RoleName: role.name, PolicyName: policy.name, PolicyDocument: encodePolicy(policy.document) };
  },
};
