import type { CallContext } from "../connector/resource-syncer.js";
import type { ResourceRef } from "./baton-shapes.js";
import type { IamSnapshot } from "./iam-snapshot.js";
import { ResourceTypeIds, accountIdFromArn } from "./ids.js";
import type { SyncerDeps } from "./index.js";

/**
 * Targeted lookup of one IAM user, group or role by ARN (GetResource): from its account's
 * snapshot, when the sync reads that account's IAM; with the parent the listings give it
 * (`account_iam` for a member account, none for the connector's own).
 */
export function iamEntityLookup<E>({ snapshots, iamAccounts, members }: Pick<SyncerDeps, "snapshots" | "iamAccounts" | "members">, index: (snapshot: IamSnapshot) => Map<string, E>) {
  return async (arn: string, call: CallContext): Promise<{ entry: E; accountId: string; parent?: ResourceRef } | undefined> => {
    const accountId = accountIdFromArn(arn);
    if (!accountId || !(await iamAccounts.ids(call)).includes(accountId)) return undefined;
    const entry = index(await snapshots.forAccount(accountId, call)).get(arn);
    if (entry === undefined) return undefined;
    const own = accountId === (await members.ownAccountId());
    return { entry, accountId, parent: own ? undefined : { resourceType: ResourceTypeIds.accountIam, resource: accountId } };
  };
}
