import { ListAccountsCommand, type Account } from "@aws-sdk/client-organizations";
import type { JsonObject } from "@bufbuild/protobuf";
import type { CallContext } from "../connector/resource-syncer.js";
import { AppTrait_AppFlag, Status_ResourceStatus, epochMs, type ResourceStatus } from "./baton-shapes.js";
import type { IdentityCenter, ProvisionedPairs } from "./identity-center.js";
import type { ResourceContext } from "./index.js";
import { cachedDrain, nextToken } from "./paging.js";

/**
 * The AWS accounts of the organisation, read once per sync and shared by the `account` and
 * `account_iam` types. From Organizations (ListAccounts, pages of 20) when that feature is on;
 * otherwise discovered from Identity Center (every account some permission set is provisioned
 * to), in which case names, e-mails and states are unknown.
 */
export interface AccountInfo {
  id: string;
  /** Absent when discovered from Identity Center. */
  name?: string;
  arn?: string;
  /** Organizations' State (or the older Status): ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, … */
  state?: string;
  joinedMethod?: string;
  joinedAt?: number;
  source: "organizations" | "identity-center";
}

/** Organizations returns at most 20 accounts per page. */
export const ORGANIZATIONS_PAGE_SIZE = 20;

export class AccountDirectory {
  constructor(
    private readonly ctx: ResourceContext,
    private readonly identityCenter: IdentityCenter | undefined,
  ) {}

  /** Ids as the provisioned-pair discovery needs them: Organizations' list, or none when it is off. */
  async organizationAccountIds(call: CallContext): Promise<string[] | undefined> {
    if (!this.ctx.config.features.organizations) return undefined;
    return (await this.list(call)).map((a) => a.id);
  }

  /** An account the sync lists; undefined for an id it does not know (nothing more is read for it). */
  async find(accountId: string, call: CallContext): Promise<AccountInfo | undefined> {
    if (!/^\d{12}$/.test(accountId)) return undefined;
    const byId = await this.ctx.cache.getOrLoad(call.syncId, "accounts:by-id", async () => new Map((await this.list(call)).map((a) => [a.id, a])));
    return byId.get(accountId);
  }

  /** Identity Center's provisioned (account, permission set) pairs, discovered with what this directory knows. */
  async provisionedPairs(call: CallContext): Promise<ProvisionedPairs> {
    if (!this.identityCenter) return { strategy: "per-permission-set", byAccount: new Map() };
    return this.identityCenter.provisionedPairs(call, await this.organizationAccountIds(call));
  }

  list(call: CallContext): Promise<AccountInfo[]> {
    const { aws, cache, config } = this.ctx;
    if (config.features.organizations) {
      return cache.getOrLoad(call.syncId, "org:accounts", async () => {
        const accounts = await cachedDrain(cache, call.syncId, "org:ListAccounts", async (token) => {
          const out = await aws
            .organizations()
            .send(new ListAccountsCommand({ NextToken: token, MaxResults: ORGANIZATIONS_PAGE_SIZE }), { abortSignal: call.signal });
          return { items: out.Accounts ?? [], next: nextToken(out.NextToken) };
        });
        return accounts.filter((a) => a.Id).map(fromOrganizations);
      });
    }
    const identityCenter = this.identityCenter;
    if (!identityCenter) return Promise.resolve([]);
    return cache.getOrLoad(call.syncId, "idc:accounts", async () => {
      const pairs = await identityCenter.provisionedPairs(call);
      return [...pairs.byAccount.keys()].sort().map((id): AccountInfo => ({ id, source: "identity-center" }));
    });
  }
}

function fromOrganizations(account: Account): AccountInfo {
  return {
    id: account.Id!,
    name: account.Name,
    arn: account.Arn,
    // Status is being retired in favour of State; read whichever AWS sends.
    state: account.State ?? account.Status,
    joinedMethod: account.JoinedMethod,
    joinedAt: epochMs(account.JoinedTimestamp),
    source: "organizations",
  };
}

/** ACTIVE accounts are enabled; suspended, closing or closed ones are kept but marked disabled. */
export function accountStatus(account: AccountInfo): { status?: ResourceStatus; flags: AppTrait_AppFlag[]; active: boolean } {
  if (account.state === undefined) return { flags: [], active: true };
  if (account.state === "ACTIVE") return { status: { status: Status_ResourceStatus.ENABLED }, flags: [], active: true };
  return {
    status: { status: Status_ResourceStatus.DISABLED, details: `account is ${account.state}` },
    flags: [AppTrait_AppFlag.INACTIVE],
    active: false,
  };
}

/** baton-aws's account profile keys plus what Organizations tells about the account. */
export function accountProfile(account: AccountInfo): JsonObject {
  const profile: JsonObject = { aws_account_id: account.id };
  if (account.arn) profile.aws_account_arn = account.arn;
  if (account.state) profile.aws_account_state = account.state;
  if (account.joinedMethod) profile.aws_account_joined_method = account.joinedMethod;
  if (account.joinedAt !== undefined) profile.aws_account_joined_at = new Date(account.joinedAt).toISOString();
  profile.aws_account_source = account.source;
  return profile;
}

/** Display name: the account name, or its id when Organizations is not synced. */
export const accountDisplayName = (account: AccountInfo): string => account.name ?? account.id;
