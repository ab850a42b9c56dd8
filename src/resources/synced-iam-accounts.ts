import pLimit from "p-limit";
import type { CallContext } from "../connector/resource-syncer.js";
import { accountStatus, type AccountDirectory } from "./account-directory.js";
import type { ResourceContext } from "./index.js";
import type { MemberAccounts } from "./member-accounts.js";

/**
 * The accounts whose IAM a sync reads: the connector's own, then (cross-account IAM) every active
 * member account of the directory whose member-account role can be assumed, in directory order.
 * The assume-role probe is the one `account_iam` makes (shared through the sync cache), so a
 * member account that cannot be entered is reported once, whoever asks first.
 */
export class SyncedIamAccounts {
  constructor(
    private readonly ctx: ResourceContext,
    private readonly accounts: AccountDirectory,
    private readonly members: MemberAccounts,
  ) {}

  ids(call: CallContext): Promise<string[]> {
    return this.ctx.cache.getOrLoad(call.syncId, "iam:accounts", async () => {
      const own = await this.members.ownAccountId();
      const { features, rateLimits } = this.ctx.config;
      if (!features.crossAccountIam || !(features.organizations || features.identityCenter)) return [own];
      const candidates = (await this.accounts.list(call)).filter((a) => a.id !== own && accountStatus(a).active);
      const limit = pLimit(Math.max(1, rateLimits.maxConcurrency));
      const reachable = await Promise.all(candidates.map((a) => limit(async () => (await this.members.iam(a.id, call, a.name)).ok)));
      return [own, ...candidates.filter((_, i) => reachable[i]).map((a) => a.id)];
    });
  }
}
