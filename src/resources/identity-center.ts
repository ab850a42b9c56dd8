import {
  DescribePermissionSetCommand,
  ListAccountsForProvisionedPermissionSetCommand,
  ListInstancesCommand,
  ListPermissionSetsCommand,
  ListPermissionSetsProvisionedToAccountCommand,
} from "@aws-sdk/client-sso-admin";
import { Code, ConnectError } from "@connectrpc/connect";
import pLimit from "p-limit";
import { isNotFound } from "../aws/errors.js";
import type { CallContext } from "../connector/resource-syncer.js";
import { epochMs } from "./baton-shapes.js";
import type { ResourceContext } from "./index.js";
import { cachedDrain, emptyIfGone, nextToken } from "./paging.js";

/**
 * The IAM Identity Center reads several resource types share, each made once per sync: the
 * instance, the permission-set catalog (ListPermissionSets + one DescribePermissionSet per set)
 * and the provisioned (account, permission set) pairs that account assignments can exist on.
 */
export interface IdentityCenterInstance {
  instanceArn: string;
  identityStoreId: string;
}

export interface PermissionSetInfo {
  arn: string;
  name: string;
  description?: string;
  sessionDuration?: string;
  relayState?: string;
  createdAt?: number;
}

export interface PermissionSetCatalog {
  /** In ListPermissionSets order. */
  list: PermissionSetInfo[];
  byArn: Map<string, PermissionSetInfo>;
}

export type PairDiscovery = "per-permission-set" | "per-account";

export interface ProvisionedPairs {
  strategy: PairDiscovery;
  /** Account id → ARNs of the permission sets provisioned to it. */
  byAccount: Map<string, string[]>;
}

/** SSO Admin and Identity Store list pages hold at most 100 items. */
export const SSO_PAGE_SIZE = 100;

/**
 * Which discovery call needs fewer requests, from what is known before making them: per account
 * costs ≤ A·⌈P/100⌉ pages, per permission set ≤ P·⌈A/100⌉. Ties go to per permission set, which
 * also finds accounts when Organizations is not synced. call-plan.ts models the same rule.
 */
export function choosePairDiscovery(accounts: number, permissionSets: number): PairDiscovery {
  const perAccount = accounts * Math.max(1, Math.ceil(permissionSets / SSO_PAGE_SIZE));
  const perPermissionSet = permissionSets * Math.max(1, Math.ceil(accounts / SSO_PAGE_SIZE));
  return perPermissionSet <= perAccount ? "per-permission-set" : "per-account";
}

export class IdentityCenter {
  constructor(private readonly ctx: ResourceContext) {}

  instance(call: CallContext): Promise<IdentityCenterInstance> {
    const { aws, cache, config } = this.ctx;
    return cache.getOrLoad(call.syncId, "sso:instance", async () => {
      const instances = await cachedDrain(cache, call.syncId, "sso:ListInstances", async (token) => {
        const out = await aws.ssoAdmin().send(new ListInstancesCommand({ NextToken: token, MaxResults: SSO_PAGE_SIZE }), {
          abortSignal: call.signal,
        });
        return { items: out.Instances ?? [], next: nextToken(out.NextToken) };
      });
      const wanted = config.features.identityCenterInstanceArn;
      const chosen = wanted ? instances.find((i) => i.InstanceArn === wanted) : instances[0];
      if (!chosen?.InstanceArn || !chosen.IdentityStoreId) {
        throw new ConnectError(
          wanted
            ? `IAM Identity Center instance ${wanted} not found in ${config.aws.ssoRegion}`
            : `no IAM Identity Center instance in ${config.aws.ssoRegion}; turn Identity Center off or set the SSO region`,
          Code.FailedPrecondition,
        );
      }
      if (!wanted && instances.length > 1) {
        // Picking one silently could sync the wrong organisation's access (Validate refuses this too).
        throw new ConnectError(
          `${instances.length} IAM Identity Center instances in ${config.aws.ssoRegion}; configure which one to sync`,
          Code.FailedPrecondition,
        );
      }
      return { instanceArn: chosen.InstanceArn, identityStoreId: chosen.IdentityStoreId };
    });
  }

  /** ARNs of every permission set of the instance, in ListPermissionSets order. */
  async permissionSetArns(call: CallContext): Promise<string[]> {
    const { instanceArn } = await this.instance(call);
    return cachedDrain(this.ctx.cache, call.syncId, "sso:ListPermissionSets", async (token) => {
      const out = await this.ctx.aws
        .ssoAdmin()
        .send(new ListPermissionSetsCommand({ InstanceArn: instanceArn, NextToken: token, MaxResults: SSO_PAGE_SIZE }), {
          abortSignal: call.signal,
        });
      return { items: out.PermissionSets ?? [], next: nextToken(out.NextToken) };
    });
  }

  /** Every permission set with its name and description; DescribePermissionSet once per set per sync. */
  permissionSets(call: CallContext): Promise<PermissionSetCatalog> {
    const { aws, cache } = this.ctx;
    return cache.getOrLoad(call.syncId, "sso:catalog", async () => {
      const { instanceArn } = await this.instance(call);
      const arns = await this.permissionSetArns(call);
      const limit = pLimit(this.#concurrency());
      const described = await Promise.all(
        arns.map((arn) =>
          limit(() =>
            // Each description is its own cache entry: a retry after one failure re-asks only the failed ones.
            cache.getOrLoad(call.syncId, `sso:DescribePermissionSet:${arn}`, async () => {
              try {
                const out = await aws
                  .ssoAdmin()
                  .send(new DescribePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn }), {
                    abortSignal: call.signal,
                  });
                return toInfo(arn, out.PermissionSet);
              } catch (error) {
                // Deleted between the listing and now: it no longer exists, so it is not synced.
                if (isNotFound(error)) return undefined;
                throw error;
              }
            }),
          ),
        ),
      );
      const list = described.filter((info): info is PermissionSetInfo => info !== undefined);
      return { list, byArn: new Map(list.map((info) => [info.arn, info])) };
    });
  }

  /**
   * Provisioned (account, permission set) pairs. `accountIds` are the accounts Organizations
   * lists; without them (Organizations off) discovery must go per permission set, which also
   * tells which accounts exist.
   */
  provisionedPairs(call: CallContext, accountIds?: readonly string[]): Promise<ProvisionedPairs> {
    const { aws, cache } = this.ctx;
    return cache.getOrLoad(call.syncId, "sso:pairs", async () => {
      const { instanceArn } = await this.instance(call);
      const permissionSetArns = await this.permissionSetArns(call);
      const strategy =
        accountIds === undefined ? "per-permission-set" : choosePairDiscovery(accountIds.length, permissionSetArns.length);
      const limit = pLimit(this.#concurrency());
      const byAccount = new Map<string, string[]>();
      const add = (accountId: string, permissionSetArn: string) => {
        let list = byAccount.get(accountId);
        if (!list) byAccount.set(accountId, (list = []));
        list.push(permissionSetArn);
      };
      if (strategy === "per-permission-set") {
        const accountsPerSet = await Promise.all(
          permissionSetArns.map((arn) =>
            limit(() =>
              emptyIfGone(() =>
                cachedDrain(cache, call.syncId, `sso:ListAccountsForProvisionedPermissionSet:${arn}`, async (token) => {
                  const out = await aws.ssoAdmin().send(
                    new ListAccountsForProvisionedPermissionSetCommand({
                      InstanceArn: instanceArn,
                      PermissionSetArn: arn,
                      NextToken: token,
                      MaxResults: SSO_PAGE_SIZE,
                    }),
                    { abortSignal: call.signal },
                  );
                  return { items: out.AccountIds ?? [], next: nextToken(out.NextToken) };
                }),
              ),
            ),
          ),
        );
        permissionSetArns.forEach((arn, i) => {
          for (const accountId of accountsPerSet[i]!) add(accountId, arn);
        });
      } else {
        const setsPerAccount = await Promise.all(
          accountIds!.map((accountId) =>
            limit(() =>
              emptyIfGone(() =>
                cachedDrain(cache, call.syncId, `sso:ListPermissionSetsProvisionedToAccount:${accountId}`, async (token) => {
                  const out = await aws.ssoAdmin().send(
                    new ListPermissionSetsProvisionedToAccountCommand({
                      InstanceArn: instanceArn,
                      AccountId: accountId,
                      NextToken: token,
                      MaxResults: SSO_PAGE_SIZE,
                    }),
                    { abortSignal: call.signal },
                  );
                  return { items: out.PermissionSets ?? [], next: nextToken(out.NextToken) };
                }),
              ),
            ),
          ),
        );
        accountIds!.forEach((accountId, i) => {
          for (const arn of setsPerAccount[i]!) add(accountId, arn);
        });
      }
      return { strategy, byAccount };
    });
  }

  /** Requests in flight inside one call; the shared rate limiter still paces them to the quota. */
  #concurrency(): number {
    return Math.max(1, this.ctx.config.rateLimits.maxConcurrency);
  }
}

function toInfo(arn: string, ps: { Name?: string; Description?: string; SessionDuration?: string; RelayState?: string; CreatedDate?: Date } | undefined): PermissionSetInfo {
  return {
    arn,
    name: ps?.Name ?? arn.slice(arn.lastIndexOf("/") + 1),
    description: ps?.Description,
    sessionDuration: ps?.SessionDuration,
    relayState: ps?.RelayState,
    createdAt: epochMs(ps?.CreatedDate),
  };
}
