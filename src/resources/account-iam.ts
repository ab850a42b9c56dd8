import type { Any } from "@bufbuild/protobuf/wkt";
import pLimit from "p-limit";
import { annotation } from "../connector/annotations.js";
import type { CallContext, ResourceSyncer } from "../connector/resource-syncer.js";
import { ChildResourceTypeSchema } from "../gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { V1IdentifierSchema } from "../gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { accountDisplayName, accountProfile, accountStatus, type AccountInfo } from "./account-directory.js";
import { Status_ResourceStatus, appResource, type ResourceStatus } from "./baton-shapes.js";
import type { SyncerDeps } from "./index.js";
import { stateOffset, badState } from "./paging.js";

/** Accounts per page: each may cost an assume-role probe, made concurrently within the page. */
const ACCOUNT_IAM_PAGE_SIZE = 100;

/**
 * `account_iam`: one per account, parent of that account's IAM users, groups, roles and policies
 * (ChildResourceType annotations) when the member-account role can be assumed. The connector's
 * own account has no children here (its IAM is listed at the top level, as baton-aws does);
 * suspended or closed accounts are not entered. An account whose role cannot be assumed is
 * listed without children, its status and description saying why, and reported as a sync problem.
 */
export function createAccountIamSyncer({ types, accounts, members, ctx }: SyncerDeps): ResourceSyncer {
  const concurrency = Math.max(1, ctx.config.rateLimits.maxConcurrency);
  const children = [types.iamUser, types.iamRole, types.iamGroup, types.iamPolicy].map((t) =>
    annotation(ChildResourceTypeSchema, { resourceTypeId: t.id }),
  );

  async function describeAccount(account: AccountInfo, own: string, call: CallContext): Promise<Resource> {
    const base = accountStatus(account);
    let status: ResourceStatus | undefined = base.status;
    let description: string;
    let extra: Any[] = [];
    const profile = accountProfile(account);
    if (account.id === own) {
      description = "The connector's own account: its IAM users, groups and roles are synced at the top level.";
    } else if (!base.active) {
      description = `IAM not synced: the account is ${account.state}.`;
    } else {
      const access = await members.iam(account.id, call, account.name);
      if (access.ok) {
        description = "IAM users, groups, roles and policies synced through the member-account role.";
        extra = children;
      } else {
        description = `IAM not synced: ${access.reason}`;
        status = { status: status?.status ?? Status_ResourceStatus.UNSPECIFIED, details: `IAM not synced: ${access.reason}` };
        profile.aws_iam_sync_error = access.reason;
      }
    }
    return appResource(
      {
        type: types.accountIam,
        id: account.id,
        displayName: accountDisplayName(account),
        description,
        profile,
        status,
        annotations: [annotation(V1IdentifierSchema, { id: account.id }), ...extra],
      },
      base.flags,
    );
  }

  return {
    resourceType: types.accountIam,
    async listResources(_parent, state, call) {
      const list = await accounts.list(call);
      const offset = stateOffset(state);
      if (offset > list.length) throw badState("offset past the end of the listing");
      const end = Math.min(offset + ACCOUNT_IAM_PAGE_SIZE, list.length);
      const own = await members.ownAccountId();
      const limit = pLimit(concurrency);
      const items = await Promise.all(list.slice(offset, end).map((account) => limit(() => describeAccount(account, own, call))));
      return end < list.length ? { items, next: { o: end } } : { items };
    },
    listEntitlements: async () => ({ items: [] }),
    listGrants: async () => ({ items: [] }),
    async getResource(id, _parent, call) {
      const account = await accounts.find(id.resource, call);
      return account && describeAccount(account, await members.ownAccountId(), call);
    },
  };
}
