/** IAM state changes and lookups shared by the IAM service and the model builder. */
import { KeyedList } from "./keyed-list.js";
import type { IamAccount, IamGroup, IamRole, IamUser, ManagedPolicy } from "./types.js";

export function createIamAccount(accountId: string, alias?: string): IamAccount {
  return {
    accountId,
    alias,
    users: new KeyedList<IamUser>((u) => u.name),
    groups: new KeyedList<IamGroup>((g) => g.name),
    roles: new KeyedList<IamRole>((r) => r.name),
    policies: new KeyedList<ManagedPolicy>((p) => p.arn),
  };
}

export const newGroupList = () => new KeyedList<IamGroup>((g) => g.name);
export const newMemberList = () => new KeyedList<IamUser>((u) => u.name);

/** Returns false when the user already was a member (AWS treats that as success). */
export function addUserToGroup(user: IamUser, group: IamGroup): boolean {
  if (!group.members.add(user)) return false;
  user.groups.add(group);
  return true;
}

/** Returns false when the user was not a member. */
export function removeUserFromGroup(user: IamUser, group: IamGroup): boolean {
  if (!group.members.delete(user.name)) return false;
  user.groups.delete(group.name);
  return true;
}

/** IAM names are unique case-insensitively but looked up as given; exact match is enough here. */
export function findRoleByArn(iam: IamAccount, arn: string): IamRole | undefined {
  const name = arn.slice(arn.lastIndexOf("/") + 1);
  const role = iam.roles.get(name);
  return role?.arn === arn ? role : undefined;
}
