/**
 * What every IAM operation module shares: input rules from the Smithy model, wire shapes of
 * users, groups, roles and managed policies, and the lookups that answer NoSuchEntity as IAM does.
 */
import { SimError } from "../errors.js";
import { findManagedPolicy, type PolicyUsage } from "../model/iam.js";
import { IAM_NAME } from "../model/ids.js";
import { sequenceOf, type Sequence } from "../model/keyed-list.js";
import type { IamAccount, IamGroup, IamRole, IamUser, InlinePolicy, ManagedPolicy, PolicyVersion, Tag } from "../model/types.js";
import type { Page } from "../pagination.js";
import { timestamp } from "../protocol/timestamp.js";
import { optionalString, requiredString, type StringRule } from "../validate.js";
import { callerAccount, type Input, type RequestContext } from "./service.js";

export const PATH_PREFIX: StringRule = { min: 1, max: 512, pattern: /^\/[\x21-\x7f]*$/ };
/** policyPathType: `/` or `/seg/…/` of [A-Za-z0-9.,+@=_-]. */
export const POLICY_PATH: StringRule = { min: 1, max: 512, pattern: /^((\/[A-Za-z0-9.,+@=_-]+)*)\/$/ };
export const ENTITY_PATH: StringRule = { min: 1, max: 512, pattern: /^(\/)|(\/[\x21-\x7e]+\/)$/ };
export const USER_NAME: StringRule = { min: 1, max: 64, pattern: IAM_NAME };
/** existingUserNameType: operations on an existing user accept up to 128 characters. */
export const EXISTING_USER_NAME: StringRule = { min: 1, max: 128, pattern: IAM_NAME };
export const GROUP_NAME: StringRule = { min: 1, max: 128, pattern: IAM_NAME };
export const ROLE_NAME: StringRule = { min: 1, max: 64, pattern: IAM_NAME };
export const POLICY_NAME: StringRule = { min: 1, max: 128, pattern: IAM_NAME };
export const ARN: StringRule = { min: 20, max: 2048 };
export const VERSION_ID: StringRule = { pattern: /^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$/ };
/** accessKeyIdType, certificateIdType, publicKeyIdType, serviceSpecificCredentialId: [\w]+ of a minimum length. */
export const credentialId = (min: number): StringRule => ({ min, max: 128, pattern: /^[\w]+$/ });
export const STATUS: StringRule = { oneOf: ["Active", "Inactive"] };

export const iamOf = (ctx: RequestContext): IamAccount => callerAccount(ctx).iam;

/** IAM writes policy documents URL-encoded (RFC 3986). */
export const encodePolicy = (json: string) => encodeURIComponent(json).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
export const tagList = (tags: Tag[]) => tags.map((t) => ({ Key: t.key, Value: t.value }));
export const policyNameOf = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);
export const attachedShape = (arns: string[]) => arns.map((arn) => ({ PolicyName: policyNameOf(arn), PolicyArn: arn }));
export const inlineShape = (policies: InlinePolicy[]) => policies.map((p) => ({ PolicyName: p.name, PolicyDocument: encodePolicy(p.document) }));
export const boundaryShape = (arn: string | undefined) => (arn ? { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: arn } : undefined);

export const userShape = (u: IamUser) => ({
  Path: u.path,
  UserName: u.name,
  UserId: u.id,
  Arn: u.arn,
  CreateDate: timestamp(u.createdAt),
  PasswordLastUsed: u.passwordLastUsed === undefined ? undefined : timestamp(u.passwordLastUsed),
});
export const groupShape = (g: IamGroup) => ({ Path: g.path, GroupName: g.name, GroupId: g.id, Arn: g.arn, CreateDate: timestamp(g.createdAt) });
/** The Role shape ListRoles returns (no PermissionsBoundary, Tags or RoleLastUsed). */
export const roleShape = (r: IamRole) => ({
  Path: r.path,
  RoleName: r.name,
  RoleId: r.id,
  Arn: r.arn,
  CreateDate: timestamp(r.createdAt),
  AssumeRolePolicyDocument: encodePolicy(r.trustPolicy),
  Description: r.description,
  MaxSessionDuration: r.maxSessionDuration,
});
export const roleLastUsedShape = (r: IamRole) => (r.lastUsed ? { LastUsedDate: timestamp(r.lastUsed.date), Region: r.lastUsed.region } : {});

/** The Policy shape (ListPolicies, GetPolicy); GetAccountAuthorizationDetails adds the versions. */
export const policyShape = (p: ManagedPolicy, usage: PolicyUsage | undefined) => ({
  PolicyName: p.name,
  PolicyId: p.id,
  Arn: p.arn,
  Path: p.path,
  DefaultVersionId: p.defaultVersionId,
  AttachmentCount: usage?.attachments ?? 0,
  PermissionsBoundaryUsageCount: usage?.boundaries ?? 0,
  IsAttachable: true,
  Description: p.description,
  CreateDate: timestamp(p.createdAt),
  UpdateDate: timestamp(p.updatedAt),
});
export const versionShape = (p: ManagedPolicy, v: PolicyVersion) => ({
  Document: encodePolicy(v.document),
  VersionId: v.versionId,
  IsDefaultVersion: v.versionId === p.defaultVersionId,
  CreateDate: timestamp(v.createdAt),
});

export const truncation = <T>(p: Page<T>) => ({ IsTruncated: p.nextToken !== undefined, Marker: p.nextToken });

/** PathPrefix filtering scans, but only when a prefix other than "/" is given. */
export function byPath<T extends { path: string }>(items: Sequence<T> & Iterable<T>, input: Input, rule = PATH_PREFIX): Sequence<T> {
  const prefix = optionalString(input, "PathPrefix", rule) ?? "/";
  return prefix === "/" ? items : sequenceOf([...items].filter((item) => item.path.startsWith(prefix)));
}

const noSuchEntity = (message: string) => SimError.coded("NoSuchEntity", message);

export function findUser(iam: IamAccount, name: string): IamUser {
  const user = iam.users.get(name);
  if (!user) throw noSuchEntity(`The user with name ${name} cannot be found.`);
  return user;
}

export function findGroup(iam: IamAccount, name: string): IamGroup {
  const group = iam.groups.get(name);
  if (!group) throw noSuchEntity(`The group with name ${name} cannot be found.`);
  return group;
}

export function findRole(iam: IamAccount, name: string): IamRole {
  const role = iam.roles.get(name);
  if (!role) throw noSuchEntity(`The role with name ${name} cannot be found.`);
  return role;
}

/**
 * A managed policy usable in the caller's account, by ARN: InvalidInput for a malformed ARN;
 * another account's policy is AccessDenied to read (`use: "read"`) and not attachable otherwise.
 */
export function findPolicy(ctx: RequestContext, input: Input, use: "read" | "attach" = "read"): ManagedPolicy {
  const arn = requiredString(input, "PolicyArn", ARN);
  const match = /^arn:aws:iam::(aws|\d{12}):policy\/./.exec(arn);
  if (!match) throw SimError.coded("InvalidInput", `ARN ${arn} is not valid.`);
  if (use === "read" && match[1] !== "aws" && match[1] !== ctx.caller.accountId) {
    throw SimError.of("accessDenied", `User: ${ctx.caller.arn} is not authorized to perform: iam:${ctx.operation} on resource: policy ${arn}`);
  }
  const policy = findManagedPolicy(ctx.sim.model, iamOf(ctx), arn);
  if (!policy) throw noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
  return policy;
}

/**
 * The user an operation with an optional UserName acts on: the named one, else the calling IAM
 * user. Root and role-session callers must name one (IAM answers ValidationError).
 */
export function targetUser(ctx: RequestContext, input: Input, rule: StringRule = EXISTING_USER_NAME): IamUser | undefined {
  const iam = iamOf(ctx);
  const name = optionalString(input, "UserName", rule);
  if (name !== undefined) return findUser(iam, name);
  if (ctx.caller.kind === "user") return findUser(iam, ctx.caller.userName!);
  if (ctx.caller.kind === "root") return undefined;
  throw SimError.of("validation", "Must specify userName when calling with non-User credentials");
}

export type HolderKind = "User" | "Group" | "Role";

/** The user, group or role an operation names in `UserName`, `GroupName` or `RoleName`. */
export function policyHolder(ctx: RequestContext, input: Input, kind: HolderKind, nameRule?: StringRule): IamUser | IamGroup | IamRole {
  const iam = iamOf(ctx);
  const name = requiredString(input, `${kind}Name`, nameRule ?? (kind === "User" ? USER_NAME : kind === "Group" ? GROUP_NAME : ROLE_NAME));
  return kind === "User" ? findUser(iam, name) : kind === "Group" ? findGroup(iam, name) : findRole(iam, name);
}
