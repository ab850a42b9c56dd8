import type { AccountAssignment } from "@aws-sdk/client-sso-admin";
import type { Any } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import pLimit from "p-limit";
import { isNotFound } from "../aws/errors.js";
import { annotation } from "../connector/annotations.js";
import type { CallContext, Page, PageState, ResourceSyncer } from "../connector/resource-syncer.js";
import { GrantExpandableSchema } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import { ChildResourceTypeSchema } from "../gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { V1IdentifierSchema } from "../gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Grant } from "../gen/c1/connector/v2/grant_pb.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { accountDisplayName, accountProfile, accountStatus, type AccountInfo } from "./account-directory.js";
import { appResource, assignmentEntitlement, newGrant, principalRef, type ResourceRef } from "./baton-shapes.js";
import type { PermissionSetInfo } from "./identity-center.js";
import {
  MEMBER_SLUG,
  ResourceTypeIds,
  accountEntitlementDisplayName,
  accountEntitlementId,
  accountEntitlementSlug,
  accountGrantId,
  entitlementId,
  ssoGroupArn,
  ssoUserArn,
  v1GrantId,
} from "./ids.js";
import type { SyncerDeps } from "./index.js";
import type { OrganizationTree } from "./organization-tree.js";
import { isRetryable } from "./member-accounts.js";
import { MEMORY_PAGE_SIZE, badState, offsetPage, stateOffset } from "./paging.js";
import type { ResourceTypes } from "./resource-types.js";

/**
 * `account`: the AWS accounts (from Organizations, or discovered from Identity Center when
 * Organizations is off), suspended and closed ones marked disabled rather than dropped. One
 * entitlement per permission set of the instance (`<accountId>|<permissionSetArn>`, as
 * baton-aws), so any set can be requested on any account. Grants are the account assignments:
 * ListAccountAssignments on the account's provisioned pairs only, several pairs concurrently per
 * connector page so the sync runs at the SSO Admin quota (each page read once for this listing
 * and the pair's `permission_set_assignment` together, assignment-pages.ts). Users get direct
 * grants; groups get a grant marked expandable to the group's `member` entitlement (baton expands
 * it to the members). Each account names `permission_set_assignment` as its child type, and with
 * the organization tree it sits under its root or organizational unit. An account id the sync
 * does not list is refused (NotFound) before anything else is read.
 */
export function createAccountSyncer({ types, identityCenter, accounts, assignmentPages, tree, ctx }: SyncerDeps): ResourceSyncer {
  const region = ctx.config.aws.ssoRegion;
  const concurrency = Math.max(1, ctx.config.rateLimits.maxConcurrency);
  /** Pairs started per connector page: enough to keep `concurrency` requests in flight. */
  const batch = concurrency * 2;

  return {
    resourceType: types.account,
    async listResources(_parent, state, call) {
      const list = await accounts.list(call);
      if (!tree) return offsetPage(list, state, MEMORY_PAGE_SIZE, (account) => accountResource(types, account));
      return treePage(tree, list, state, call);
    },
    async listEntitlements(resource, state, call) {
      await requireKnown(resource.id!.resource, call);
      const catalog = await identityCenter.permissionSets(call);
      return offsetPage(catalog.list, state, MEMORY_PAGE_SIZE, (ps) => accountEntitlement(types, resource, ps));
    },
    async listGrants(resource, state, call) {
      const accountId = resource.id!.resource;
      await requireKnown(accountId, call);
      const [{ identityStoreId }, catalog, pairs] = await Promise.all([
        identityCenter.instance(call),
        identityCenter.permissionSets(call),
        accounts.provisionedPairs(call),
      ]);
      // Sets created after the catalog was read have no entitlement in this sync; they are left for the next one.
      const sets = (pairs.byAccount.get(accountId) ?? []).filter((arn) => catalog.byArn.has(arn));
      const { next, pending, startedAt } = readGrantState(state, sets.length);

      const work: Array<{ index: number; token: string | undefined }> = pending.map(([index, token]) => ({ index, token }));
      let nextIndex = next;
      while (work.length < batch && nextIndex < sets.length) work.push({ index: nextIndex++, token: undefined });

      const limit = pLimit(concurrency);
      const results = await Promise.allSettled(
        work.map(({ index, token }) =>
          limit(() => assignmentPages.page("account", { accountId, permissionSetArn: sets[index]! }, token, call, startedAt)),
        ),
      );

      const grants: Grant[] = [];
      const stillPending: Array<[number, string | null]> = [];
      let progressed = false;
      let retryable: unknown;
      results.forEach((result, i) => {
        const { index, token } = work[i]!;
        if (result.status === "fulfilled") {
          progressed = true;
          const entitlement = accountEntitlement(types, resource, catalog.byArn.get(sets[index]!)!);
          for (const assignment of result.value.assignments) {
            const grant = assignmentGrant(types, region, identityStoreId, entitlement, assignment);
            if (grant) grants.push(grant);
          }
          if (result.value.next !== undefined) stillPending.push([index, result.value.next]);
        } else if (isNotFound(result.reason)) {
          // The permission set was deleted mid-sync: its assignments are gone with it.
          progressed = true;
          ctx.log.warn({ accountId, permissionSetArn: sets[index] }, "permission set not found while listing assignments; skipped");
        } else if (isRetryable(result.reason, call)) {
          retryable ??= result.reason;
          stillPending.push([index, token ?? null]);
        } else {
          throw result.reason;
        }
      });
      // Nothing succeeded: fail the call so the host retries it (with the same page state).
      if (!progressed && retryable !== undefined) throw retryable;
      // Some pairs failed transiently: hand back what was read and retry the rest on the next page.
      const page: Page<Grant> = { items: grants };
      if (nextIndex < sets.length || stillPending.length > 0) page.next = { n: nextIndex, p: stillPending, s: startedAt };
      return page;
    },
    async getResource(id, _parent, call) {
      const account = await accounts.find(id.resource, call);
      if (!account) return undefined;
      return accountResource(types, account, (await tree?.accountParents(call))?.get(account.id));
    },
  };

  /**
   * With the organization tree: the accounts node by node (breadth-first, `n`), each under its
   * node, so the first accounts — and their grants — need not wait for the whole tree to be read;
   * then (`r`: nodes placed) the accounts no node placed, without a parent: none normally, all the
   * rest when the tree could not be read further.
   */
  async function treePage(tree: OrganizationTree, list: AccountInfo[], state: PageState | undefined, call: CallContext): Promise<Page<Resource>> {
    const byId = new Map(list.map((a) => [a.id, a]));
    if (state?.r === undefined) {
      const index = stateOffset(state, "n");
      const node = await tree.nodeAt(index, call);
      const ids = node === undefined || node === "denied" ? undefined : await tree.accountsIn(node.resource, call);
      if (node !== undefined && node !== "denied" && ids !== undefined) {
        const here = ids.flatMap((id) => byId.get(id) ?? []);
        const page = offsetPage(here, state, MEMORY_PAGE_SIZE, (account) => accountResource(types, account, node));
        page.next = page.next ? { n: index, o: stateOffset(page.next) } : { n: index + 1 };
        return page;
      }
      state = { r: index };
    }
    const placedNodes = stateOffset(state, "r");
    const placed = new Set<string>();
    for (let i = 0; i < placedNodes; i++) {
      const node = await tree.nodeAt(i, call);
      if (node === undefined || node === "denied") throw badState("node index past the tree");
      for (const id of (await tree.accountsIn(node.resource, call)) ?? []) placed.add(id);
    }
    const page = offsetPage(
      list.filter((a) => !placed.has(a.id)),
      state,
      MEMORY_PAGE_SIZE,
      (account) => accountResource(types, account),
    );
    if (page.next) page.next = { r: placedNodes, o: stateOffset(page.next) };
    return page;
  }

  /** Made-up account ids get NotFound, not invented entitlements (and no AWS call beyond the cached account list). */
  async function requireKnown(accountId: string, call: CallContext): Promise<void> {
    if (!(await accounts.find(accountId, call))) throw new ConnectError(`account ${accountId} is not in this sync`, Code.NotFound);
  }
}

/**
 * Grant page state: `n` = next pair not yet started, `p` = started pairs with their AWS token
 * (null: restart), `s` = when the account's listing started (ms), so that its later pages keep
 * their place at the rate limiter (see rate-limiter.ts). Tokens without `s` start now.
 */
function readGrantState(state: PageState | undefined, pairs: number): { next: number; pending: Array<[number, string | undefined]>; startedAt: number } {
  const next = stateOffset(state, "n");
  if (next > pairs) throw badState("pair index past the end");
  const raw = state?.p ?? [];
  if (!Array.isArray(raw)) throw badState("p is not a list");
  const pending = raw.map((entry): [number, string | undefined] => {
    if (!Array.isArray(entry) || typeof entry[0] !== "number" || entry[0] < 0 || entry[0] >= next) throw badState("bad pending pair");
    const token = entry[1];
    if (token !== null && typeof token !== "string") throw badState("bad pending token");
    return [entry[0], token ?? undefined];
  });
  const startedAt = state?.s ?? Date.now();
  if (typeof startedAt !== "number" || !Number.isSafeInteger(startedAt) || startedAt < 0) throw badState("s is not a time");
  return { next, pending, startedAt };
}

export function accountResource(types: ResourceTypes, account: AccountInfo, parent?: ResourceRef): Resource {
  const { status, flags } = accountStatus(account);
  return appResource(
    {
      type: types.account,
      id: account.id,
      displayName: accountDisplayName(account),
      parent,
      description:
        account.source === "identity-center"
          ? "Discovered from IAM Identity Center (Organizations is not synced, so its name and state are unknown)."
          : "",
      profile: accountProfile(account),
      status,
      annotations: [
        annotation(V1IdentifierSchema, { id: account.id }),
        annotation(ChildResourceTypeSchema, { resourceTypeId: ResourceTypeIds.permissionSetAssignment }),
      ],
    },
    flags,
  );
}

export function accountEntitlement(types: ResourceTypes, account: Resource, ps: PermissionSetInfo): Entitlement {
  const id = accountEntitlementId(account.id!.resource, ps.arn);
  return assignmentEntitlement({
    resource: account,
    id,
    slug: accountEntitlementSlug(ps.name),
    displayName: accountEntitlementDisplayName(ps.name),
    description: ps.description ?? "",
    grantableTo: [types.ssoUser, types.ssoGroup],
    annotations: [annotation(V1IdentifierSchema, { id })],
  });
}

/** An account assignment as a grant of `entitlement` (an account's flat one, or a binding's `assigned`). */
export function assignmentGrant(
  types: ResourceTypes,
  region: string,
  identityStoreId: string,
  entitlement: Entitlement,
  assignment: AccountAssignment,
): Grant | undefined {
  const principalId = assignment.PrincipalId;
  if (!principalId) return undefined;
  let type;
  let arn: string;
  const annotations: Any[] = [];
  if (assignment.PrincipalType === "USER") {
    type = types.ssoUser;
    arn = ssoUserArn(region, identityStoreId, principalId);
    annotations.push(annotation(V1IdentifierSchema, { id: v1GrantId(entitlement.id, arn) }));
  } else if (assignment.PrincipalType === "GROUP") {
    type = types.ssoGroup;
    arn = ssoGroupArn(region, identityStoreId, principalId);
    annotations.push(
      annotation(V1IdentifierSchema, { id: v1GrantId(entitlement.id, arn) }),
      annotation(GrantExpandableSchema, { entitlementIds: [entitlementId(ResourceTypeIds.ssoGroup, arn, MEMBER_SLUG)] }),
    );
  } else {
    return undefined;
  }
  return newGrant({
    entitlement,
    principal: principalRef(type, arn),
    id: accountGrantId(type.id, arn, entitlement.id),
    annotations,
  });
}

