import {
  GetAccountAuthorizationDetailsCommand,
  ListRolesCommand,
  ListUsersCommand,
  type AttachedPolicy,
  type GroupDetail,
  type ManagedPolicyDetail,
  type PolicyDetail,
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
import { describeError, type IamAccess, type MemberAccounts } from "./member-accounts.js";
import { cachedDrain, drainPages, iamNextMarker, newDrainProgress } from "./paging.js";
import { shownPolicyDocument } from "./policy-documents.js";
import { analyzeTrustPolicy, type TrustAnalysis } from "./trust-policy.js";

/**
 * One account's IAM, read once per sync with GetAccountAuthorizationDetails (Filter User, Group,
 * Role, LocalManagedPolicy, AWSManagedPolicy; 1000 entities per call) instead of per-entity calls:
 * users with their groups, tags, attached managed policies and inline policies; groups and roles
 * likewise (trust policies reduced to their analysis); the customer-managed policies and the
 * AWS-managed ones attached to something, with their default version's document. The snapshot is
 * shared by every listing of users, groups, roles and policies and by their grants.
 *
 * GetAccountAuthorizationDetails leaves out two things the profiles show, read with one more list
 * each (1000 per page, skipped when the account has none): a role's description and maximum
 * session duration (ListRoles) and a user's password last use (ListUsers).
 */
export interface InlinePolicyEntry {
  name: string;
  /** The policy JSON, decoded. */
  document: string;
}

interface IamPrincipalEntry {
  name: string;
  id: string;
  arn: string;
  path: string;
  createdAt?: number;
  /** ARNs of the managed policies attached to it. */
  attachedPolicyArns: string[];
  inlinePolicies: InlinePolicyEntry[];
}

export interface IamUserEntry extends IamPrincipalEntry {
  tags: Record<string, string>;
  groupNames: string[];
  passwordLastUsed?: number;
}

export interface IamGroupEntry extends IamPrincipalEntry {
  /** ARNs of the member users. */
  memberArns: string[];
}

export interface IamRoleEntry extends IamPrincipalEntry {
  tags: Record<string, string>;
  lastUsedAt?: number;
  lastUsedRegion?: string;
  description?: string;
  maxSessionDuration?: number;
  trust: TrustAnalysis;
}

export interface ManagedPolicyEntry {
  arn: string;
  name: string;
  id: string;
  path: string;
  description?: string;
  defaultVersionId?: string;
  /** Users, groups and roles of the account it is attached to. */
  attachmentCount: number;
  createdAt?: number;
  updatedAt?: number;
  /** The default version's JSON, decoded. */
  document?: string;
}

export interface IamSnapshot {
  accountId: string;
  users: IamUserEntry[];
  groups: IamGroupEntry[];
  roles: IamRoleEntry[];
  /** Customer-managed policies, then the AWS-managed ones attached in the account. */
  policies: ManagedPolicyEntry[];
  usersByArn: Map<string, IamUserEntry>;
  groupsByArn: Map<string, IamGroupEntry>;
  rolesByArn: Map<string, IamRoleEntry>;
  policiesByArn: Map<string, ManagedPolicyEntry>;
  /** Why a member account's IAM could not be read (then the lists are empty). */
  unreadable?: string;
}

export const IAM_MAX_ITEMS = 1000;
const FILTER = ["User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy"] as const;
export const AWS_MANAGED_POLICY_PREFIX = "arn:aws:iam::aws:policy/";
export const isAwsManagedPolicyArn = (arn: string) => /^arn:aws[a-z-]*:iam::aws:policy\//.test(arn);

interface CompactPage {
  users: Omit<IamUserEntry, "passwordLastUsed">[];
  groups: Omit<IamGroupEntry, "memberArns">[];
  roles: Array<Omit<IamRoleEntry, "trust" | "description" | "maxSessionDuration"> & { document?: string }>;
  policies: ManagedPolicyEntry[];
}

interface RoleExtras {
  description?: string;
  maxSessionDuration?: number;
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
      let roleExtras: Map<string, RoleExtras>;
      let passwords: Map<string, number | undefined>;
      try {
        pages = await drainPages(async (marker) => {
          const out = await access.client.send(
            new GetAccountAuthorizationDetailsCommand({ Filter: [...FILTER], MaxItems: IAM_MAX_ITEMS, Marker: marker }),
            { abortSignal: call.signal },
          );
          return {
            items: [compact(out.UserDetailList, out.GroupDetailList, out.RoleDetailList, out.Policies)],
            next: iamNextMarker(out, "GetAccountAuthorizationDetails"),
          };
        }, cache.progress(call.syncId, progressKey, newDrainProgress<CompactPage>));
        const hasRoles = pages.some((p) => p.roles.length > 0);
        const hasUsers = pages.some((p) => p.users.length > 0);
        [roleExtras, passwords] = await Promise.all([
          hasRoles ? this.#roleExtras(account, access, call) : new Map<string, RoleExtras>(),
          hasUsers ? this.#passwordLastUse(account, access, call) : new Map<string, number | undefined>(),
        ]);
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
      return buildSnapshot(account, pages, roleExtras, passwords);
    });
  }

  /** ListRoles: what GetAccountAuthorizationDetails leaves out of a role (description, maximum session). */
  #roleExtras(account: string, access: Extract<IamAccess, { ok: true }>, call: CallContext): Promise<Map<string, RoleExtras>> {
    return cachedDrain(this.ctx.cache, call.syncId, `iam:ListRoles:${account}`, async (marker) => {
      const out = await access.client.send(new ListRolesCommand({ MaxItems: IAM_MAX_ITEMS, Marker: marker }), { abortSignal: call.signal });
      return {
        items: (out.Roles ?? []).map((r) => [r.Arn ?? "", { description: r.Description || undefined, maxSessionDuration: r.MaxSessionDuration }] as const),
        next: iamNextMarker(out, "ListRoles"),
      };
    }).then((entries) => new Map(entries));
  }

  /** ListUsers: the password's last use, which GetAccountAuthorizationDetails does not return. */
  #passwordLastUse(account: string, access: Extract<IamAccess, { ok: true }>, call: CallContext): Promise<Map<string, number | undefined>> {
    return cachedDrain(this.ctx.cache, call.syncId, `iam:ListUsers:${account}`, async (marker) => {
      const out = await access.client.send(new ListUsersCommand({ MaxItems: IAM_MAX_ITEMS, Marker: marker }), { abortSignal: call.signal });
      return {
        items: (out.Users ?? []).map((u) => [u.Arn ?? "", epochMs(u.PasswordLastUsed)] as const),
        next: iamNextMarker(out, "ListUsers"),
      };
    }).then((entries) => new Map(entries));
  }
}

function emptySnapshot(accountId: string, unreadable: string): IamSnapshot {
  return {
    accountId,
    users: [],
    groups: [],
    roles: [],
    policies: [],
    usersByArn: new Map(),
    groupsByArn: new Map(),
    rolesByArn: new Map(),
    policiesByArn: new Map(),
    unreadable,
  };
}

const attachedArns = (list: AttachedPolicy[] | undefined) => (list ?? []).map((p) => p.PolicyArn ?? "").filter((arn) => arn !== "");
const inlineOf = (list: PolicyDetail[] | undefined): InlinePolicyEntry[] =>
  (list ?? []).filter((p) => p.PolicyName).map((p) => ({ name: p.PolicyName!, document: p.PolicyDocument ? shownPolicyDocument(p.PolicyDocument) : "" }));

function compact(users: UserDetail[] = [], groups: GroupDetail[] = [], roles: RoleDetail[] = [], policies: ManagedPolicyDetail[] = []): CompactPage {
  return {
    users: users.map((u) => ({
      name: u.UserName ?? "",
      id: u.UserId ?? "",
      arn: u.Arn ?? "",
      path: u.Path ?? "/",
      createdAt: epochMs(u.CreateDate),
      tags: tagMap(u.Tags),
      groupNames: u.GroupList ?? [],
      attachedPolicyArns: attachedArns(u.AttachedManagedPolicies),
      inlinePolicies: inlineOf(u.UserPolicyList),
    })),
    groups: groups.map((g) => ({
      name: g.GroupName ?? "",
      id: g.GroupId ?? "",
      arn: g.Arn ?? "",
      path: g.Path ?? "/",
      createdAt: epochMs(g.CreateDate),
      attachedPolicyArns: attachedArns(g.AttachedManagedPolicies),
      inlinePolicies: inlineOf(g.GroupPolicyList),
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
      attachedPolicyArns: attachedArns(r.AttachedManagedPolicies),
      inlinePolicies: inlineOf(r.RolePolicyList),
    })),
    policies: policies.filter((p) => p.Arn).map(managedPolicyEntry),
  };
}

function managedPolicyEntry(p: ManagedPolicyDetail): ManagedPolicyEntry {
  const version = (p.PolicyVersionList ?? []).find((v) => v.IsDefaultVersion) ?? (p.PolicyVersionList ?? []).find((v) => v.VersionId === p.DefaultVersionId);
  return {
    arn: p.Arn!,
    name: p.PolicyName ?? p.Arn!.slice(p.Arn!.lastIndexOf("/") + 1),
    id: p.PolicyId ?? "",
    path: p.Path ?? "/",
    description: p.Description || undefined,
    defaultVersionId: p.DefaultVersionId,
    attachmentCount: p.AttachmentCount ?? 0,
    createdAt: epochMs(p.CreateDate),
    updatedAt: epochMs(p.UpdateDate),
    document: version?.Document ? shownPolicyDocument(version.Document) : undefined,
  };
}

function tagMap(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

function buildSnapshot(
  accountId: string,
  pages: CompactPage[],
  roleExtras: Map<string, RoleExtras>,
  passwords: Map<string, number | undefined>,
): IamSnapshot {
  const users: IamUserEntry[] = pages
    .flatMap((p) => p.users)
    .filter((u) => u.arn !== "")
    .map((u) => ({ ...u, passwordLastUsed: passwords.get(u.arn) }));
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
    ...roleExtras.get(role.arn),
    trust: analyzeTrustPolicy({ arn: role.arn, path: role.path, document }, (id) => byUniqueId.get(id)),
  }));
  // Customer-managed first (in AWS's order), then AWS-managed.
  const allPolicies = pages.flatMap((p) => p.policies);
  const policies = [...allPolicies.filter((p) => !isAwsManagedPolicyArn(p.arn)), ...allPolicies.filter((p) => isAwsManagedPolicyArn(p.arn))];
  return {
    accountId,
    users,
    groups,
    roles,
    policies,
    usersByArn: new Map(users.map((u) => [u.arn, u])),
    groupsByArn: new Map(groups.map((g) => [g.arn, g])),
    rolesByArn: new Map(roles.map((r) => [r.arn, r])),
    policiesByArn: new Map(policies.map((p) => [p.arn, p])),
  };
}

/**
 * The account a listing of IAM users, groups, roles or policies is about: the connector's own
 * account at the top level (undefined), a member account under its `account_iam` parent.
 */
export function iamAccountOf(parent: ResourceId | undefined, typeId: string): string | undefined {
  if (parent === undefined) return undefined;
  if (parent.resourceType !== ResourceTypeIds.accountIam || !/^\d{12}$/.test(parent.resource)) {
    throw new ConnectError(`${typeId} resources are listed at the top level or under an ${ResourceTypeIds.accountIam} resource`, Code.InvalidArgument);
  }
  return parent.resource;
}
