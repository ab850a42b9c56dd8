/** IAM state and lookups shared by the IAM service and the model builder. */
import { isAwsManagedPolicy } from "./aws-managed-policies.js";
import { KeyedList } from "./keyed-list.js";
import type { IamAccount, IamGroup, IamRole, IamUser, ManagedPolicy, MfaDevice, SimModel } from "./types.js";

export function createIamAccount(accountId: string, alias?: string): IamAccount {
  return {
    accountId,
    alias,
    users: new KeyedList<IamUser>((u) => u.name),
    groups: new KeyedList<IamGroup>((g) => g.name),
    roles: new KeyedList<IamRole>((r) => r.name),
    policies: new KeyedList<ManagedPolicy>((p) => p.arn),
    mfaDevices: new KeyedList<MfaDevice>((d) => d.serialNumber),
  };
}

export const newGroupList = () => new KeyedList<IamGroup>((g) => g.name);
export const newMemberList = () => new KeyedList<IamUser>((u) => u.name);

/** IAM names are unique case-insensitively but looked up as given; exact match is enough here. */
export function findRoleByArn(iam: IamAccount, arn: string): IamRole | undefined {
  const name = arn.slice(arn.lastIndexOf("/") + 1);
  const role = iam.roles.get(name);
  return role?.arn === arn ? role : undefined;
}

/** A managed policy usable in this account: AWS-managed, or one of the account's own. */
export function findManagedPolicy(model: SimModel, iam: IamAccount, arn: string): ManagedPolicy | undefined {
  return isAwsManagedPolicy(arn) ? model.awsManagedPolicies.get(arn) : iam.policies.get(arn);
}

export const customerPolicyArn = (accountId: string, path: string, name: string) => `arn:aws:iam::${accountId}:policy${path}${name}`;

export interface PolicyUsage {
  /** Users, groups and roles the policy is attached to (AttachmentCount). */
  attachments: number;
  /** Users and roles that use it as permissions boundary (PermissionsBoundaryUsageCount). */
  boundaries: number;
}

/** Attachment and boundary counts of every managed policy used in the account (one scan). */
export function policyUsage(iam: IamAccount): Map<string, PolicyUsage> {
  const usage = new Map<string, PolicyUsage>();
  const of = (arn: string) => {
    let u = usage.get(arn);
    if (!u) {
      u = { attachments: 0, boundaries: 0 };
      usage.set(arn, u);
    }
    return u;
  };
  for (const entity of entities(iam)) {
    for (const arn of entity.attachedPolicies) of(arn).attachments++;
    if ("permissionsBoundary" in entity && entity.permissionsBoundary) of(entity.permissionsBoundary).boundaries++;
  }
  return usage;
}

function* entities(iam: IamAccount): Iterable<IamUser | IamGroup | IamRole> {
  yield* iam.users;
  yield* iam.groups;
  yield* iam.roles;
}

export interface PolicyEntities {
  users: IamUser[];
  groups: IamGroup[];
  roles: IamRole[];
}

/** The users, groups and roles a policy is attached to, or (usage "boundary") bounds. */
export function entitiesForPolicy(iam: IamAccount, arn: string, usage: "permissions" | "boundary" | "any" = "any"): PolicyEntities {
  const matches = (entity: IamUser | IamGroup | IamRole) =>
    (usage !== "boundary" && entity.attachedPolicies.includes(arn)) ||
    (usage !== "permissions" && "permissionsBoundary" in entity && entity.permissionsBoundary === arn);
  return {
    users: [...iam.users].filter(matches),
    groups: [...iam.groups].filter(matches),
    roles: [...iam.roles].filter(matches),
  };
}

/** Non-whitespace characters, which is how IAM measures inline-policy size quotas. */
export const policySize = (document: string) => document.replace(/\s/g, "").length;
