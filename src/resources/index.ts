import type { AwsClients } from "../aws/clients.js";
import type { ConnectorConfig } from "../config/config.js";
import type { ResourceSyncer } from "../connector/resource-syncer.js";
import type { SyncCache } from "../connector/sync-cache.js";
import type { Logger } from "../log.js";
import { createAccountIamSyncer } from "./account-iam.js";
import { AccountDirectory } from "./account-directory.js";
import { createAccountSyncer } from "./account.js";
import { createIamGroupSyncer } from "./iam-group.js";
import { createIamRoleSyncer } from "./iam-role.js";
import { IamSnapshots } from "./iam-snapshot.js";
import { createIamUserSyncer } from "./iam-user.js";
import { IdentityCenter } from "./identity-center.js";
import { MemberAccounts } from "./member-accounts.js";
import { createPermissionSetSyncer } from "./permission-set.js";
import { createResourceTypes, type ResourceTypes } from "./resource-types.js";
import { createSsoGroupSyncer } from "./sso-group.js";
import { createSsoUserSyncer } from "./sso-user.js";
import type { SyncProblems } from "./sync-problems.js";

/** What every resource syncer is built from. */
export interface ResourceContext {
  aws: AwsClients;
  config: ConnectorConfig;
  cache: SyncCache;
  log: Logger;
  /** Where member accounts that could not be synced are reported (for the sync summary). */
  problems?: SyncProblems;
}

/** The shared readers the syncers use, built once per connector. */
export interface SyncerDeps {
  ctx: ResourceContext;
  types: ResourceTypes;
  members: MemberAccounts;
  snapshots: IamSnapshots;
  identityCenter: IdentityCenter;
  accounts: AccountDirectory;
}

/**
 * The resource types this connector syncs, gated by the feature switches:
 *  - IAM users, groups and roles of the connector's account: always;
 *  - Identity Center users, groups, accounts (with their permission-set entitlements and
 *    assignment grants) and permission sets: with `identityCenter`; accounts come from
 *    Organizations when `organizations` is on, else from the provisioned permission sets;
 *  - `account_iam` and the member accounts' IAM: with `crossAccountIam`, which needs some way to
 *    know the accounts (Organizations or Identity Center).
 */
export function createResourceSyncers(ctx: ResourceContext): ResourceSyncer[] {
  const { features } = ctx.config;
  const types = createResourceTypes(features);
  const members = new MemberAccounts(ctx);
  const identityCenter = new IdentityCenter(ctx);
  const deps: SyncerDeps = {
    ctx,
    types,
    members,
    snapshots: new IamSnapshots(ctx, members),
    identityCenter,
    accounts: new AccountDirectory(ctx, features.identityCenter ? identityCenter : undefined),
  };

  const syncers = [createIamUserSyncer(deps), createIamGroupSyncer(deps), createIamRoleSyncer(deps)];
  if (features.identityCenter) {
    syncers.push(createSsoUserSyncer(deps), createSsoGroupSyncer(deps), createAccountSyncer(deps), createPermissionSetSyncer(deps));
  }
  if (features.crossAccountIam) {
    if (features.organizations || features.identityCenter) {
      syncers.push(createAccountIamSyncer(deps));
    } else {
      ctx.log.warn("cross-account IAM needs Organizations or Identity Center to find the member accounts; only this account's IAM is synced");
    }
  }
  return syncers;
}
