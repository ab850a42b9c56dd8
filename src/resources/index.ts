import type { AwsClients } from "../aws/clients.js";
import type { ConnectorConfig } from "../config/config.js";
import type { ResourceSyncer } from "../connector/resource-syncer.js";
import type { SyncCache } from "../connector/sync-cache.js";
import type { Logger } from "../log.js";
import { createAccessKeySyncer } from "./access-key.js";
import { AccessKeys } from "./access-keys.js";
import { createAccountIamSyncer } from "./account-iam.js";
import { AccountDirectory } from "./account-directory.js";
import { createAccountSyncer } from "./account.js";
import { AssignmentPages } from "./assignment-pages.js";
import { createIamGroupSyncer } from "./iam-group.js";
import { createIamPolicySyncer } from "./iam-policy.js";
import { createIamRoleSyncer } from "./iam-role.js";
import { IamSnapshots } from "./iam-snapshot.js";
import { createIamUserSyncer } from "./iam-user.js";
import { IdentityCenter } from "./identity-center.js";
import { createInlinePolicySyncer } from "./inline-policy.js";
import { ManagedPolicies } from "./managed-policies.js";
import { MemberAccounts } from "./member-accounts.js";
import { createOrganizationSyncer, createOrganizationalUnitSyncer } from "./organization.js";
import { OrganizationTree } from "./organization-tree.js";
import { createPermissionSetAssignmentSyncer } from "./permission-set-assignment.js";
import { PermissionSetPolicies } from "./permission-set-policies.js";
import { createPermissionSetSyncer } from "./permission-set.js";
import { createResourceTypes, type ResourceTypes } from "./resource-types.js";
import { createSsoGroupSyncer } from "./sso-group.js";
import { createSsoUserSyncer } from "./sso-user.js";
import { SyncedIamAccounts } from "./synced-iam-accounts.js";
import type { SyncProblems } from "./sync-problems.js";

/** What every resource syncer is built from. */
export interface ResourceContext {
  aws: AwsClients;
  config: ConnectorConfig;
  cache: SyncCache;
  log: Logger;
  /** Where what a sync could not read is reported (for the sync summary). */
  problems?: SyncProblems;
}

/** The shared readers the syncers use, built once per connector. */
export interface SyncerDeps {
  ctx: ResourceContext;
  types: ResourceTypes;
  members: MemberAccounts;
  snapshots: IamSnapshots;
  /** The accounts whose IAM is synced (own first). */
  iamAccounts: SyncedIamAccounts;
  policies: ManagedPolicies;
  identityCenter: IdentityCenter;
  /** With Identity Center: each permission set's policies. */
  permissionSetPolicies?: PermissionSetPolicies;
  assignmentPages: AssignmentPages;
  accounts: AccountDirectory;
  /** With `sync-org-tree`. */
  tree?: OrganizationTree;
  /** With `sync-secrets`. */
  accessKeys?: AccessKeys;
}

/**
 * The resource types this connector syncs, gated by the feature switches:
 *  - IAM users, groups, roles, managed and inline policies of the connector's account: always;
 *  - Identity Center users, groups, accounts (with their permission-set entitlements and
 *    assignment grants), permission sets and permission-set assignments: with `identityCenter`;
 *    accounts come from Organizations when `organizations` is on, else from the provisioned
 *    permission sets;
 *  - `account_iam` and the member accounts' IAM: with `crossAccountIam`, which needs some way to
 *    know the accounts (Organizations or Identity Center);
 *  - `organization` and `organizational_unit`: with `organizationTree` (needs Organizations);
 *  - `access-key`: with `syncSecrets`.
 */
export function createResourceSyncers(ctx: ResourceContext): ResourceSyncer[] {
  const { features } = ctx.config;
  const types = createResourceTypes(features);
  const members = new MemberAccounts(ctx);
  const identityCenter = new IdentityCenter(ctx);
  const snapshots = new IamSnapshots(ctx, members);
  const accounts = new AccountDirectory(ctx, features.identityCenter ? identityCenter : undefined);
  const iamAccounts = new SyncedIamAccounts(ctx, accounts, members);
  const permissionSetPolicies = features.identityCenter ? new PermissionSetPolicies(ctx, identityCenter) : undefined;
  const deps: SyncerDeps = {
    ctx,
    types,
    members,
    snapshots,
    iamAccounts,
    policies: new ManagedPolicies(ctx, snapshots, iamAccounts, accounts, permissionSetPolicies && { identityCenter, policies: permissionSetPolicies }),
    identityCenter,
    permissionSetPolicies,
    assignmentPages: new AssignmentPages(ctx, identityCenter),
    accounts,
    tree: features.organizationTree && features.organizations ? new OrganizationTree(ctx) : undefined,
    accessKeys: features.syncSecrets ? new AccessKeys(ctx, snapshots, members) : undefined,
  };

  // Identity Center first: hosts list types in this order and commit pages in job order, and its
  // account assignments are the longest stretch of calls, so they should not wait behind IAM.
  const syncers: ResourceSyncer[] = [];
  if (features.identityCenter) {
    syncers.push(
      createSsoUserSyncer(deps),
      createSsoGroupSyncer(deps),
      createAccountSyncer(deps),
      createPermissionSetSyncer(deps),
      createPermissionSetAssignmentSyncer(deps),
    );
  }
  syncers.push(createIamUserSyncer(deps), createIamGroupSyncer(deps), createIamRoleSyncer(deps), createIamPolicySyncer(deps), createInlinePolicySyncer(deps));
  if (features.crossAccountIam) {
    if (features.organizations || features.identityCenter) {
      syncers.push(createAccountIamSyncer(deps));
    } else {
      ctx.log.warn("cross-account IAM needs Organizations or Identity Center to find the member accounts; only this account's IAM is synced");
    }
  }
  if (deps.tree) syncers.push(createOrganizationSyncer(deps), createOrganizationalUnitSyncer(deps));
  if (deps.accessKeys) syncers.push(createAccessKeySyncer(deps));
  return syncers;
}
