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
  /** Managed policies GetAccountAuthorizationDetails returns: every customer-managed one, and the AWS-managed ones attached in the account. */
  policies?: number;
  /** Access keys of the account's users (read with `syncSecrets`). */
  accessKeys?: number;
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
  features: {
    organizations: boolean;
    identityCenter: boolean;
    crossAccountIam: boolean;
    /** Access keys (`sync-secrets`). */
    syncSecrets?: boolean;
    /** The Organizations tree (`sync-org-tree`). */
    organizationTree?: boolean;
    /** Which managed policies are shown (default customer-and-attached). */
    managedPolicies?: "customer-and-attached" | "attached" | "all";
  };
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
  /** Per permission set (by index): its AWS-managed policies and customer-managed references (default none). */
  permissionSetPolicies?: Array<{ managed: number; customerManaged: number }>;
  /** Distinct AWS-managed policies attached to a permission set and in no synced account's snapshot. */
  permissionSetOnlyAwsPolicies?: number;
  /** Scope `all`: every AWS-managed policy ListPolicies returns, and how many no snapshot or permission set documents. */
  awsManagedCatalog?: { total: number; undocumented: number };
  /** The Organizations tree: per node (root and units), its child units and the accounts directly in it. */
  tree?: Array<{ units: number; accounts: number }>;
}

export interface CallPlan {
  /** Calls by "service:Operation". */
  byOperation: Record<string, number>;
  total: number;
  /** How provisioned pairs were discovered (undefined when not needed). */
  pairDiscovery?: PairDiscovery;
}

const pages = (items: number, size: number) => Math.max(1, Math.ceil(items / size));
/** A list made only when there is something to list (ListRoles, ListUsers after the snapshot). */
const pagesIfAny = (items: number, size: number) => (items > 0 ? pages(items, size) : 0);
const iamEntities = (iam: IamShape) => iam.users + iam.groups + iam.roles + (iam.policies ?? 0);

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

/**
 * The plan's IAM calls by the account whose quota they count against (IAM's quota is per
 * account): each synced account's own reads, and the global AWS-managed policies' in the
 * connector's own account.
 */
export function iamCallsByAccount(shape: OrgShape): Map<string, Record<string, number>> {
  const { features } = shape;
  const out = new Map<string, Record<string, number>>();
  /** One account's IAM: the snapshot, what it leaves out, and (sync-secrets) its access keys. */
  const iamReads = (accountId: string, iam: IamShape) => {
    const { byOperation, add } = counter();
    add("iam:GetAccountAuthorizationDetails", pages(iamEntities(iam), IAM_MAX_ITEMS));
    add("iam:ListRoles", pagesIfAny(iam.roles, IAM_MAX_ITEMS));
    add("iam:ListUsers", pagesIfAny(iam.users, IAM_MAX_ITEMS));
    if (features.syncSecrets) {
      add("iam:ListAccessKeys", iam.users);
      add("iam:GetAccessKeyLastUsed", iam.accessKeys ?? 0);
    }
    out.set(accountId, byOperation);
    return add;
  };
  const own = shape.accounts.find((a) => a.id === shape.ownAccountId);
  const addOwn = iamReads(shape.ownAccountId, own?.iam ?? { users: 0, groups: 0, roles: 0 });
  for (const account of memberAccounts(shape)) if (account.assumable !== false) iamReads(account.id, account.iam);
  // AWS-managed policies no snapshot documents: attached only to permission sets, and (scope all) the unattached ones.
  addOwn("iam:GetPolicy", shape.permissionSetOnlyAwsPolicies ?? 0);
  addOwn("iam:GetPolicyVersion", shape.permissionSetOnlyAwsPolicies ?? 0);
  if (features.managedPolicies === "all") {
    addOwn("iam:ListPolicies", pages(shape.awsManagedCatalog?.total ?? 0, IAM_MAX_ITEMS));
    addOwn("iam:GetPolicyVersion", shape.awsManagedCatalog?.undocumented ?? 0);
  }
  return out;
}

export function connectorCallPlan(shape: OrgShape): CallPlan {
  const { features } = shape;
  const { byOperation, add } = counter();
  for (const calls of iamCallsByAccount(shape).values()) for (const [operation, n] of Object.entries(calls)) add(operation, n);
  // The `account` type (Identity Center) and the `account_iam` type (cross-account IAM) list the accounts.
  if (features.organizations && (features.identityCenter || features.crossAccountIam)) add("organizations:ListAccounts", pages(shape.accounts.length, ORGANIZATIONS_PAGE_SIZE));
  add("sts:AssumeRole", memberAccounts(shape).length);
  if (features.organizationTree && features.organizations) {
    add("organizations:ListRoots", 1);
    for (const node of shape.tree ?? []) {
      add("organizations:ListOrganizationalUnitsForParent", pages(node.units, ORGANIZATIONS_PAGE_SIZE));
      add("organizations:ListChildren", pages(node.accounts, ORGANIZATIONS_PAGE_SIZE));
    }
  }

  let pairDiscovery: PairDiscovery | undefined;
  if (features.identityCenter) {
    add("sso:ListInstances", pages(shape.instances ?? 1, SSO_PAGE_SIZE));
    add("identitystore:ListUsers", pages(shape.users, SSO_PAGE_SIZE));
    add("identitystore:ListGroups", pages(shape.groups, SSO_PAGE_SIZE));
    for (const members of shape.membershipsPerGroup) add("identitystore:ListGroupMemberships", pages(members, SSO_PAGE_SIZE));
    add("sso:ListPermissionSets", pages(shape.permissionSets, SSO_PAGE_SIZE));
    add("sso:DescribePermissionSet", shape.permissionSets);
    // What each permission set carries: its policies (policy resources and grants) and its inline policy.
    for (let i = 0; i < shape.permissionSets; i++) {
      const policies = shape.permissionSetPolicies?.[i] ?? { managed: 0, customerManaged: 0 };
      add("sso:ListManagedPoliciesInPermissionSet", pages(policies.managed, SSO_PAGE_SIZE));
      add("sso:ListCustomerManagedPolicyReferencesInPermissionSet", pages(policies.customerManaged, SSO_PAGE_SIZE));
      add("sso:GetInlinePolicyForPermissionSet", 1);
    }

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
      // Read once for the account's flat entitlements and the pair's permission_set_assignment together.
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
 * GetRole per role; ListAccessKeys per user and GetAccessKeyLastUsed per key for last login),
 * managed policies with ListPolicies (every policy, its default) and GetPolicy + GetPolicyVersion
 * per customer-managed policy and once per AWS-managed one, ListAttached*Policies and
 * List*Policies per user, group and role plus Get*Policy per inline policy, ListAccounts again for
 * each account type, ListPermissionSets and DescribePermissionSet again for the permission-set
 * listing, ListManagedPoliciesInPermissionSet for the permission sets' grants and again (cached)
 * with the customer-managed references for the bindings', GetInlinePolicyForPermissionSet per set,
 * pairs always discovered per account, ListAccountAssignments per pair once for the account and
 * once for the binding, ListParents per account for the tree, the access keys read again for
 * `access-key`, and every request made one after another.
 */
export function naivePerPairPlan(shape: OrgShape): CallPlan {
  const { features } = shape;
  const { byOperation, add } = counter();
  const awsManaged = shape.awsManagedCatalog?.total ?? 0;
  const iamReads = (iam: IamShape) => {
    add("iam:ListUsers", pages(iam.users, 100));
    add("iam:ListGroups", pages(iam.groups, 100));
    add("iam:ListRoles", pages(iam.roles, 100));
    add("iam:GetGroup", iam.groups);
    add("iam:GetRole", iam.roles);
    const keyReads = features.syncSecrets ? 2 : 1;
    add("iam:ListAccessKeys", keyReads * iam.users);
    add("iam:GetAccessKeyLastUsed", keyReads * (iam.accessKeys ?? 0));
    add("iam:ListAttachedUserPolicies", iam.users);
    add("iam:ListAttachedGroupPolicies", iam.groups);
    add("iam:ListAttachedRolePolicies", iam.roles);
    add("iam:ListUserPolicies", iam.users);
    add("iam:ListGroupPolicies", iam.groups);
    add("iam:ListRolePolicies", iam.roles);
    const local = iam.policies ?? 0;
    add("iam:ListPolicies", pages(local + awsManaged, 100));
    add("iam:GetPolicy", local);
    add("iam:GetPolicyVersion", local);
  };
  const own = shape.accounts.find((a) => a.id === shape.ownAccountId);
  iamReads(own?.iam ?? { users: 0, groups: 0, roles: 0 });
  add("iam:GetPolicy", awsManaged);
  add("iam:GetPolicyVersion", awsManaged);
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
    for (let i = 0; i < shape.permissionSets; i++) {
      const policies = shape.permissionSetPolicies?.[i] ?? { managed: 0, customerManaged: 0 };
      add("sso:ListManagedPoliciesInPermissionSet", 2 * pages(policies.managed, SSO_PAGE_SIZE));
      add("sso:ListCustomerManagedPolicyReferencesInPermissionSet", pages(policies.customerManaged, SSO_PAGE_SIZE));
      add("sso:GetInlinePolicyForPermissionSet", 1);
    }
    const accounts = directory(shape);
    const perAccount = new Map<string, number>();
    for (const pair of shape.pairs) perAccount.set(pair.accountId, (perAccount.get(pair.accountId) ?? 0) + 1);
    for (const account of accounts) add("sso:ListPermissionSetsProvisionedToAccount", pages(perAccount.get(account.id) ?? 0, SSO_PAGE_SIZE));
    const listed = new Set(accounts.map((a) => a.id));
    for (const pair of shape.pairs) if (listed.has(pair.accountId)) add("sso:ListAccountAssignments", 2 * pages(pair.assignments, SSO_PAGE_SIZE));
  }
  if (features.organizationTree && features.organizations) {
    add("organizations:ListRoots", 1);
    for (const node of shape.tree ?? []) add("organizations:ListOrganizationalUnitsForParent", pages(node.units, ORGANIZATIONS_PAGE_SIZE));
    add("organizations:ListParents", directory(shape).length);
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
