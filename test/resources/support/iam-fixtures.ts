/** GetAccountAuthorizationDetails answers for unit tests. */
import type { GroupDetail, RoleDetail, UserDetail } from "@aws-sdk/client-iam";
import { encodedPolicy } from "./unit.js";

export const CREATED = new Date("2024-03-01T10:00:00Z");

export function user(account: string, name: string, extra: Partial<UserDetail> = {}): UserDetail {
  const path = extra.Path ?? "/";
  return { UserName: name, UserId: `AIDA${name.toUpperCase().replace(/[^A-Z0-9]/g, "").padEnd(17, "X").slice(0, 17)}`, Arn: `arn:aws:iam::${account}:user${path}${name}`, Path: path, CreateDate: CREATED, ...extra };
}

export function group(account: string, name: string, extra: Partial<GroupDetail> = {}): GroupDetail {
  const path = extra.Path ?? "/";
  return { GroupName: name, GroupId: `AGPA${name.toUpperCase().padEnd(17, "X").slice(0, 17)}`, Arn: `arn:aws:iam::${account}:group${path}${name}`, Path: path, CreateDate: CREATED, ...extra };
}

export function role(account: string, name: string, trust: unknown, extra: Partial<RoleDetail> = {}): RoleDetail {
  const path = extra.Path ?? "/";
  return {
    RoleName: name,
    RoleId: `AROA${name.toUpperCase().replace(/[^A-Z0-9]/g, "").padEnd(17, "X").slice(0, 17)}`,
    Arn: `arn:aws:iam::${account}:role${path}${name}`,
    Path: path,
    CreateDate: CREATED,
    AssumeRolePolicyDocument: encodedPolicy(trust),
    ...extra,
  };
}

export const allow = (principal: unknown, extra: Record<string, unknown> = {}) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole", ...extra }],
});
