import { GetAccessKeyLastUsedCommand, ListAccessKeysCommand, type IAMClient } from "@aws-sdk/client-iam";
import pLimit from "p-limit";
import type { CallContext } from "../connector/resource-syncer.js";
import { epochMs } from "./baton-shapes.js";
import { IAM_MAX_ITEMS, type IamSnapshots, type IamUserEntry } from "./iam-snapshot.js";
import type { ResourceContext } from "./index.js";
import type { MemberAccounts } from "./member-accounts.js";
import { drainPages, emptyIfGone, iamNextMarker } from "./paging.js";

/**
 * IAM users' access keys (`sync-secrets`), per account once per sync: ListAccessKeys per user
 * (the only source of key ids) and GetAccessKeyLastUsed per key. Metadata only — AWS never returns
 * a secret after the key is created, and nothing here asks for one. Shared by the `access-key`
 * listing and the IAM users' last login.
 */
export interface AccessKeyEntry {
  id: string;
  user: Pick<IamUserEntry, "name" | "arn" | "id">;
  /** Active or Inactive. */
  status?: string;
  createdAt?: number;
  lastUsedAt?: number;
  lastUsedService?: string;
  lastUsedRegion?: string;
}

export class AccessKeys {
  constructor(
    private readonly ctx: ResourceContext,
    private readonly snapshots: IamSnapshots,
    private readonly members: MemberAccounts,
  ) {}

  /** Every access key of the account's users, users in snapshot order. */
  forAccount(accountId: string, call: CallContext): Promise<AccessKeyEntry[]> {
    return this.ctx.cache.getOrLoad(call.syncId, `iam:access-keys:${accountId}`, async () => {
      const [snapshot, access] = await Promise.all([this.snapshots.forAccount(accountId, call), this.members.iam(accountId, call)]);
      if (!access.ok) return [];
      const limit = pLimit(Math.max(1, this.ctx.config.rateLimits.maxConcurrency));
      const perUser = await Promise.all(snapshot.users.map((user) => limit(() => this.#keysOf(access.client, user, call))));
      return perUser.flat();
    });
  }

  /** The latest use of any of each user's keys, by user ARN. */
  async lastUseByUser(accountId: string, call: CallContext): Promise<Map<string, number>> {
    const latest = new Map<string, number>();
    for (const key of await this.forAccount(accountId, call)) {
      if (key.lastUsedAt !== undefined && key.lastUsedAt > (latest.get(key.user.arn) ?? -Infinity)) latest.set(key.user.arn, key.lastUsedAt);
    }
    return latest;
  }

  async #keysOf(iam: IAMClient, user: IamUserEntry, call: CallContext): Promise<AccessKeyEntry[]> {
    // A user deleted since the snapshot has no keys any more.
    const listed = await emptyIfGone(() =>
      drainPages(async (marker) => {
        const out = await iam.send(new ListAccessKeysCommand({ UserName: user.name, MaxItems: IAM_MAX_ITEMS, Marker: marker }), { abortSignal: call.signal });
        return { items: out.AccessKeyMetadata ?? [], next: iamNextMarker(out, "ListAccessKeys") };
      }),
    );
    // A user has at most two keys: both asked at once.
    return Promise.all(
      listed
        .filter((key) => key.AccessKeyId)
        .map(async (key): Promise<AccessKeyEntry> => {
          const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKeyId }), { abortSignal: call.signal });
          const lastUsed = used.AccessKeyLastUsed;
          return {
            id: key.AccessKeyId!,
            user: { name: user.name, arn: user.arn, id: user.id },
            status: key.Status,
            createdAt: epochMs(key.CreateDate),
            lastUsedAt: epochMs(lastUsed?.LastUsedDate),
            // AWS answers "N/A" for a key never used.
            lastUsedService: lastUsed?.ServiceName && lastUsed.ServiceName !== "N/A" ? lastUsed.ServiceName : undefined,
            lastUsedRegion: lastUsed?.Region && lastUsed.Region !== "N/A" ? lastUsed.Region : undefined,
          };
        }),
    );
  }
}
