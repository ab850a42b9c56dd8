/**
 * The AWS calls a full sync makes, as a pure function of the organisation's shape: the plan this
 * connector claims is minimal, which tests compare against real call counts (simulator counters
 * and AwsCallStats) and benchmarks evaluate at scales no test runs. Also a model of the naive
 * alternative (baton-aws's pattern: per-entity IAM reads, per-account pair discovery, every list
 * read again by each type that needs it, one request at a time) for comparison.
 *
 * Scope: every call after Validate of one sync (ListResourceTypes … Cleanup) driven as a baton host
 * drives it, with AWS returning full pages. GetCallerIdentity is made once per connector (Validate
 * usually makes it) and is left out. Keys are "service:Operation" as AwsCallStats names them.
 */
import { SSO_PAGE_SIZE, choosePairDiscovery, type PairDiscovery } from "./identity-center.js";
import { IAM_MAX_ITEMS } from "./iam-snapshot.js";
import { ORGANIZATIONS_PAGE_SIZE } from "./account-directory.js";

export interface IamShape {
  users: number;
  groups: number;
  roles: number;
}

export interface AccountShape {
  id: string;
  /** Organizations' state is ACTIVE (default true); suspended and closed accounts' IAM is not entered. */
  active?: boolean;
  /** Whether the member-account role can be assumed in it (default true). */
  assumable?: boolean;
  iam: IamShape;
}

export interface PairShape {
  accountId: string;
  /** Index into the instance's permission sets (0 … permissionSets − 1). */
  permissionSet: number;
  /** Account assignments on the pair (users and groups). */
  assignments: number;
}

export interface OrgShape {
  features: { organizations: boolean; identityCenter: boolean; crossAccountIam: boolean };
  /** The connector's own account (the one its credentials belong to). */
  ownAccountId: string;
  /**
   * Every account: with Organizations on, the ones ListAccounts returns (own included, in any
   * state); with it off, at least those the provisioned pairs name (for their IAM sizes).
   */
  accounts: AccountShape[];
  /** Permission sets of the Identity Center instance. */
  permissionSets: number;
  /** Provisioned (account, permission set) pairs; pairs without assignments count too. */
  pairs: PairShape[];
  /** Identity Store users and groups, and each group's number of members. */
  users: number;
  groups: number;
  membershipsPerGroup: number[];
  /** Identity Center instances ListInstances returns (default 1). */
  instances?: number;
}

export interface CallPlan {
  /** Calls by "service:Operation". */
  byOperation: Record<string, number>;
  total: number;
  /** How provisioned pairs were discovered (undefined when not needed). */
  pairDiscovery?: PairDiscovery;
}

const pages = (items: number, size: number) => Math.max(1, Math.ceil(items / size));
const iamEntities = (iam: IamShape) => iam.users + iam.groups + iam.roles;

function finish(byOperation: Record<string, number>, pairDiscovery?: PairDiscovery): CallPlan {
  const kept = Object.fromEntries(Object.entries(byOperation).filter(([, n]) => n > 0).sort(([a], [b]) => a.localeCompare(b)));
  return { byOperation: kept, total: Object.values(kept).reduce((a, b) => a + b, 0), ...(pairDiscovery ? { pairDiscovery } : {}) };
}

function counter() {
  const byOperation: Record<string, number> = {};
  const add = (operation: string, n: number) => {
    byOperation[operation] = (byOperation[operation] ?? 0) + n;
  };
  return { byOperation, add };
}

/** The accounts the `account` and `account_iam` types list, as the connector finds them. */
function directory(shape: OrgShape): AccountShape[] {
  if (shape.features.organizations) return shape.accounts;
  if (!shape.features.identityCenter) return [];
  const known = new Map(shape.accounts.map((a) => [a.id, a]));
  const ids = [...new Set(shape.pairs.map((p) => p.accountId))].sort();
  // Discovered accounts have no known state: all are entered.
  return ids.map((id) => ({ ...(known.get(id) ?? { id, iam: { users: 0, groups: 0, roles: 0 } }), active: true }));
}

/** The member accounts whose IAM is synced, and whether we get in. */
function memberAccounts(shape: OrgShape): AccountShape[] {
  const { features } = shape;
  if (!features.crossAccountIam || !(features.organizations || features.identityCenter)) return [];
  return directory(shape).filter((a) => a.id !== shape.ownAccountId && a.active !== false);
}

export function connectorCallPlan(shape: OrgShape): CallPlan {
  const { features } = shape;
  const { byOperation, add } = counter();
  const own = shape.accounts.find((a) => a.id === shape.ownAccountId);
  add("iam:GetAccountAuthorizationDetails", pages(own ? iamEntities(own.iam) : 0, IAM_MAX_ITEMS));

  const members = memberAccounts(shape);
  // The `account` type (Identity Center) and the `account_iam` type (cross-account IAM) list the accounts.
  if (features.organizations && (features.identityCenter || features.crossAccountIam)) add("organizations:ListAccounts", pages(shape.accounts.length, ORGANIZATIONS_PAGE_SIZE));
  for (const account of members) {
    add("sts:AssumeRole", 1);
    if (account.assumable !== false) add("iam:GetAccountAuthorizationDetails", pages(iamEntities(account.iam), IAM_MAX_ITEMS));
  }

  let pairDiscovery: PairDiscovery | undefined;
  if (features.identityCenter) {
    add("sso:ListInstances", pages(shape.instances ?? 1, SSO_PAGE_SIZE));
    add("identitystore:ListUsers", pages(shape.users, SSO_PAGE_SIZE));
    add("identitystore:ListGroups", pages(shape.groups, SSO_PAGE_SIZE));
    for (const members of shape.membershipsPerGroup) add("identitystore:ListGroupMemberships", pages(members, SSO_PAGE_SIZE));
    add("sso:ListPermissionSets", pages(shape.permissionSets, SSO_PAGE_SIZE));
    add("sso:DescribePermissionSet", shape.permissionSets);

    const accounts = directory(shape);
    // Pairs are discovered when the first account's grants are listed (or, without Organizations, to find the accounts).
    const needsPairs = !features.organizations || accounts.length > 0;
    if (needsPairs) {
      pairDiscovery = features.organizations ? choosePairDiscovery(accounts.length, shape.permissionSets) : "per-permission-set";
      if (pairDiscovery === "per-permission-set") {
        const perSet = new Array<number>(shape.permissionSets).fill(0);
        for (const pair of shape.pairs) perSet[pair.permissionSet] = (perSet[pair.permissionSet] ?? 0) + 1;
        for (const count of perSet) add("sso:ListAccountsForProvisionedPermissionSet", pages(count, SSO_PAGE_SIZE));
      } else {
        const perAccount = new Map<string, number>();
        for (const pair of shape.pairs) perAccount.set(pair.accountId, (perAccount.get(pair.accountId) ?? 0) + 1);
        for (const account of accounts) add("sso:ListPermissionSetsProvisionedToAccount", pages(perAccount.get(account.id) ?? 0, SSO_PAGE_SIZE));
      }
      const listed = new Set(accounts.map((a) => a.id));
      for (const pair of shape.pairs) {
        if (listed.has(pair.accountId)) add("sso:ListAccountAssignments", pages(pair.assignments, SSO_PAGE_SIZE));
      }
    }
  }
  return finish(byOperation, pairDiscovery);
}

/**
 * baton-aws's read pattern for the same resources (its v0.4.9 source), for comparison: IAM per
 * entity (ListUsers/ListGroups/ListRoles at the default 100 per page, then GetGroup per group and
 * GetRole per role; ListAccessKeys per user for last login, assuming no keys), ListAccounts again
 * for each account type, ListPermissionSets and DescribePermissionSet again for the permission-set
 * listing, pairs always discovered per account, and every request made one after another. Policy
 * types (iam_policy, inline_policy) and permission-set-assignment bindings, which this connector
 * does not sync, are left out.
 */
export function naivePerPairPlan(shape: OrgShape): CallPlan {
  const { features } = shape;
  const { byOperation, add } = counter();
  const iamReads = (iam: IamShape) => {
    add("iam:ListUsers", pages(iam.users, 100));
    add("iam:ListGroups", pages(iam.groups, 100));
    add("iam:ListRoles", pages(iam.roles, 100));
    add("iam:GetGroup", iam.groups);
    add("iam:GetRole", iam.roles);
    add("iam:ListAccessKeys", iam.users);
  };
  const own = shape.accounts.find((a) => a.id === shape.ownAccountId);
  iamReads(own?.iam ?? { users: 0, groups: 0, roles: 0 });
  const members = memberAccounts(shape);
  if (features.organizations && (features.identityCenter || features.crossAccountIam)) {
    const accountTypes = (features.identityCenter ? 1 : 0) + (features.crossAccountIam ? 1 : 0);
    add("organizations:ListAccounts", accountTypes * pages(shape.accounts.length, ORGANIZATIONS_PAGE_SIZE));
  }
  for (const account of members) {
    add("sts:AssumeRole", 1);
    if (account.assumable !== false) iamReads(account.iam);
  }
  if (features.identityCenter) {
    add("sso:ListInstances", 1);
    add("identitystore:ListUsers", pages(shape.users, SSO_PAGE_SIZE));
    add("identitystore:ListGroups", pages(shape.groups, SSO_PAGE_SIZE));
    for (const members of shape.membershipsPerGroup) add("identitystore:ListGroupMemberships", pages(members, SSO_PAGE_SIZE));
    add("sso:ListPermissionSets", 2 * pages(shape.permissionSets, SSO_PAGE_SIZE));
    add("sso:DescribePermissionSet", 2 * shape.permissionSets);
    const accounts = directory(shape);
    const perAccount = new Map<string, number>();
    for (const pair of shape.pairs) perAccount.set(pair.accountId, (perAccount.get(pair.accountId) ?? 0) + 1);
    for (const account of accounts) add("sso:ListPermissionSetsProvisionedToAccount", pages(perAccount.get(account.id) ?? 0, SSO_PAGE_SIZE));
    const listed = new Set(accounts.map((a) => a.id));
    for (const pair of shape.pairs) if (listed.has(pair.accountId)) add("sso:ListAccountAssignments", pages(pair.assignments, SSO_PAGE_SIZE));
  }
  return finish(byOperation, features.identityCenter ? "per-account" : undefined);
}

export interface TimingModel {
  /** Client-side (quota) rate per service, e.g. { sso: 20, identitystore: 20, iam: 15, … }. */
  requestsPerSecond: Record<string, number>;
  /** Round-trip time of one request. */
  latencyMs: number;
  /** Requests in flight at once (1 = sequential). */
  concurrency: number;
}

/**
 * A lower-bound duration for a plan: per service, the slower of its quota (calls / rate) and its
 * latency (calls × latency / concurrency); services one after another, as a sync's phases are.
 */
export function estimateSeconds(plan: CallPlan, timing: TimingModel): number {
  const byService = new Map<string, number>();
  for (const [operation, calls] of Object.entries(plan.byOperation)) {
    const service = operation.slice(0, operation.indexOf(":"));
    byService.set(service, (byService.get(service) ?? 0) + calls);
  }
  let seconds = 0;
  for (const [service, calls] of byService) {
    const rate = timing.requestsPerSecond[service] ?? Infinity;
    seconds += Math.max(calls / rate, (calls * timing.latencyMs) / 1000 / Math.max(1, timing.concurrency));
  }
  return seconds;
}

/**
 * An organisation with uniform sizes, for benchmarks at scales no simulator run reaches (e.g.
 * baton-aws #110: 300 accounts × 190 permission sets, or a 100,000-user Identity Center). Pairs
 * and memberships are spread evenly; use a real shape (from the simulator model) for anything exact.
 */
export function uniformOrgShape(sizes: {
  accounts: number;
  permissionSets: number;
  /** Permission sets provisioned to each account. */
  permissionSetsPerAccount: number;
  assignmentsPerPair: number;
  users: number;
  groups: number;
  membershipsPerGroup: number;
  iamPerAccount?: IamShape;
  features?: Partial<OrgShape["features"]>;
}): OrgShape {
  const ids = Array.from({ length: sizes.accounts }, (_, i) => String(100000000000 + i));
  const iam = sizes.iamPerAccount ?? { users: 0, groups: 0, roles: 0 };
  const pairs: PairShape[] = [];
  ids.forEach((accountId, a) => {
    for (let k = 0; k < Math.min(sizes.permissionSetsPerAccount, sizes.permissionSets); k++) {
      pairs.push({ accountId, permissionSet: (a + k) % sizes.permissionSets, assignments: sizes.assignmentsPerPair });
    }
  });
  return {
    features: { organizations: true, identityCenter: true, crossAccountIam: false, ...sizes.features },
    ownAccountId: ids[0] ?? "100000000000",
    accounts: ids.map((id) => ({ id, iam })),
    permissionSets: sizes.permissionSets,
    pairs,
    users: sizes.users,
    groups: sizes.groups,
    membershipsPerGroup: new Array<number>(sizes.groups).fill(sizes.membershipsPerGroup),
  };
}
