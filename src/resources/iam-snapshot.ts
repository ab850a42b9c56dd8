import {
  GetAccountAuthorizationDetailsCommand,
  type GroupDetail,
  type RoleDetail,
  type Tag,
  type UserDetail,
} from "@aws-sdk/client-iam";
import { Code, ConnectError } from "@connectrpc/connect";
import { isAccessDenied } from "../aws/errors.js";
import type { CallContext } from "../connector/resource-syncer.js";
import type { ResourceId } from "../gen/c1/connector/v2/resource_pb.js";
import { epochMs } from "./baton-shapes.js";
import { ResourceTypeIds } from "./ids.js";
import type { ResourceContext } from "./index.js";
import { describeError, type MemberAccounts } from "./member-accounts.js";
import { drainPages, iamNextMarker, newDrainProgress } from "./paging.js";
import { analyzeTrustPolicy, type TrustAnalysis } from "./trust-policy.js";

/**
 * One account's IAM users, groups and roles, read once per sync with
 * GetAccountAuthorizationDetails (Filter User, Group, Role; 1000 entities per call) instead of the
 * per-entity ListUsers/GetGroup/GetRole calls. The snapshot is shared by the listings of the three
 * types and by their grants (group members come from each user's GroupList; role trust from the
 * trust policies). Only what the resources need is kept: no inline or attached policy documents;
 * trust policies are reduced to their analysis.
 */
export interface IamUserEntry {
  name: string;
  id: string;
  arn: string;
  path: string;
  createdAt?: number;
  tags: Record<string, string>;
  groupNames: string[];
}

export interface IamGroupEntry {
  name: string;
  id: string;
  arn: string;
  path: string;
  createdAt?: number;
  /** ARNs of the member users. */
  memberArns: string[];
}

export interface IamRoleEntry {
  name: string;
  id: string;
  arn: string;
  path: string;
  createdAt?: number;
  tags: Record<string, string>;
  lastUsedAt?: number;
  lastUsedRegion?: string;
  trust: TrustAnalysis;
}

export interface IamSnapshot {
  accountId: string;
  users: IamUserEntry[];
  groups: IamGroupEntry[];
  roles: IamRoleEntry[];
  groupsByArn: Map<string, IamGroupEntry>;
  rolesByArn: Map<string, IamRoleEntry>;
  /** Why a member account's IAM could not be read (then the lists are empty). */
  unreadable?: string;
}

export const IAM_MAX_ITEMS = 1000;
const FILTER = ["User", "Group", "Role"] as const;

interface CompactPage {
  users: IamUserEntry[];
  groups: Omit<IamGroupEntry, "memberArns">[];
  roles: Array<Omit<IamRoleEntry, "trust"> & { document?: string }>;
}

export class IamSnapshots {
  constructor(
    private readonly ctx: ResourceContext,
    private readonly members: MemberAccounts,
  ) {}

  /** The snapshot of an account (the connector's own when `accountId` is undefined). */
  async forAccount(accountId: string | undefined, call: CallContext): Promise<IamSnapshot> {
    const account = accountId ?? (await this.members.ownAccountId());
    const { cache } = this.ctx;
    return cache.getOrLoad(call.syncId, `iam:${account}`, async () => {
      const access = await this.members.iam(account, call);
      if (!access.ok) return emptySnapshot(account, access.reason);
      const progressKey = `iam:GetAccountAuthorizationDetails:${account}`;
      let pages: CompactPage[];
      try {
        pages = await drainPages(async (marker) => {
          const out = await access.client.send(
            new GetAccountAuthorizationDetailsCommand({ Filter: [...FILTER], MaxItems: IAM_MAX_ITEMS, Marker: marker }),
            { abortSignal: call.signal },
          );
          return { items: [compact(out.UserDetailList, out.GroupDetailList, out.RoleDetailList)], next: iamNextMarker(out, "GetAccountAuthorizationDetails") };
        }, cache.progress(call.syncId, progressKey, newDrainProgress<CompactPage>));
      } catch (error) {
        // A member account that lets us in but not read: reported, and the sync goes on.
        if (isAccessDenied(error) && account !== (await this.members.ownAccountId())) {
          const reason = `cannot read IAM: ${describeError(error)}`;
          this.members.report(call, "member-account-iam-unreadable", account, reason);
          return emptySnapshot(account, reason);
        }
        throw error;
      }
      cache.forgetProgress(call.syncId, progressKey);
      return buildSnapshot(account, pages);
    });
  }
}

function emptySnapshot(accountId: string, unreadable: string): IamSnapshot {
  return { accountId, users: [], groups: [], roles: [], groupsByArn: new Map(), rolesByArn: new Map(), unreadable };
}

function compact(users: UserDetail[] = [], groups: GroupDetail[] = [], roles: RoleDetail[] = []): CompactPage {
  return {
    users: users.map((u) => ({
      name: u.UserName ?? "",
      id: u.UserId ?? "",
      arn: u.Arn ?? "",
      path: u.Path ?? "/",
      createdAt: epochMs(u.CreateDate),
      tags: tagMap(u.Tags),
      groupNames: u.GroupList ?? [],
    })),
    groups: groups.map((g) => ({
      name: g.GroupName ?? "",
      id: g.GroupId ?? "",
      arn: g.Arn ?? "",
      path: g.Path ?? "/",
      createdAt: epochMs(g.CreateDate),
    })),
    roles: roles.map((r) => ({
      name: r.RoleName ?? "",
      id: r.RoleId ?? "",
      arn: r.Arn ?? "",
      path: r.Path ?? "/",
      createdAt: epochMs(r.CreateDate),
      tags: tagMap(r.Tags),
      lastUsedAt: epochMs(r.RoleLastUsed?.LastUsedDate),
      lastUsedRegion: r.RoleLastUsed?.Region,
      document: r.AssumeRolePolicyDocument,
    })),
  };
}

function tagMap(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

function buildSnapshot(accountId: string, pages: CompactPage[]): IamSnapshot {
  const users = pages.flatMap((p) => p.users).filter((u) => u.arn !== "");
  const groups: IamGroupEntry[] = pages.flatMap((p) => p.groups).filter((g) => g.arn !== "").map((g) => ({ ...g, memberArns: [] }));
  const groupsByName = new Map(groups.map((g) => [g.name, g]));
  for (const user of users) {
    for (const name of user.groupNames) groupsByName.get(name)?.memberArns.push(user.arn);
  }
  const rawRoles = pages.flatMap((p) => p.roles).filter((r) => r.arn !== "");
  const byUniqueId = new Map<string, { kind: "user" | "role"; arn: string }>([
    ...users.map((u) => [u.id, { kind: "user" as const, arn: u.arn }] as const),
    ...rawRoles.map((r) => [r.id, { kind: "role" as const, arn: r.arn }] as const),
  ]);
  const roles: IamRoleEntry[] = rawRoles.map(({ document, ...role }) => ({
    ...role,
    trust: analyzeTrustPolicy({ arn: role.arn, path: role.path, document }, (id) => byUniqueId.get(id)),
  }));
  return {
    accountId,
    users,
    groups,
    roles,
    groupsByArn: new Map(groups.map((g) => [g.arn, g])),
    rolesByArn: new Map(roles.map((r) => [r.arn, r])),
  };
}

/**
 * The account a listing of IAM users, groups or roles is about: the connector's own account at
 * the top level (undefined), a member account under its `account_iam` parent.
 */
export function iamAccountOf(parent: ResourceId | undefined, typeId: string): string | undefined {
  if (parent === undefined) return undefined;
  if (parent.resourceType !== ResourceTypeIds.accountIam || !/^\d{12}$/.test(parent.resource)) {
    throw new ConnectError(`${typeId} resources are listed at the top level or under an ${ResourceTypeIds.accountIam} resource`, Code.InvalidArgument);
  }
  return parent.resource;
}
