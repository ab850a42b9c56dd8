import {
  DescribeOrganizationalUnitCommand,
  ListChildrenCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListRootsCommand,
  type OrganizationalUnit,
  type Root,
} from "@aws-sdk/client-organizations";
import pLimit from "p-limit";
import { isAccessDenied, orNotFound } from "../aws/errors.js";
import type { CallContext } from "../connector/resource-syncer.js";
import { ORGANIZATIONS_PAGE_SIZE } from "./account-directory.js";
import { ResourceTypeIds } from "./ids.js";
import type { ResourceContext } from "./index.js";
import { describeError } from "./member-accounts.js";
import { cachedDrain, nextToken } from "./paging.js";

/**
 * The Organizations tree (`sync-org-tree`): the root, the nested organizational units, and which
 * node each account sits in. Each node's units (ListOrganizationalUnitsForParent) and accounts
 * (ListChildren, ChildType ACCOUNT) are read once per sync, 20 per page, shared by the
 * `organizational_unit` listings and the accounts' parents — one or two calls per node instead of
 * baton-aws's ListParents per account. The account data itself still comes from ListAccounts.
 *
 * Access denied on any of these calls is not a failed sync: the readable part of the tree is
 * listed, accounts stay flat (no parent), and a warning says what is missing (once per sync, also
 * in the sync summary).
 */
export interface TreeNodeRef {
  resourceType: typeof ResourceTypeIds.organization | typeof ResourceTypeIds.organizationalUnit;
  resource: string;
}

export class OrganizationTree {
  constructor(private readonly ctx: ResourceContext) {}

  /** The roots; [] when ListRoots is denied. */
  async roots(call: CallContext): Promise<Root[]> {
    return (await this.#orDenied(call, "organizations:ListRoots", () =>
      cachedDrain(this.ctx.cache, call.syncId, "org:ListRoots", async (token) => {
        const out = await this.ctx.aws.organizations().send(new ListRootsCommand({ NextToken: token, MaxResults: ORGANIZATIONS_PAGE_SIZE }), { abortSignal: call.signal });
        return { items: (out.Roots ?? []).filter((r) => r.Id), next: nextToken(out.NextToken) };
      }),
    )) ?? [];
  }

  /** The organizational units directly under a root or unit; undefined when denied. */
  units(parentId: string, call: CallContext): Promise<OrganizationalUnit[] | undefined> {
    return this.#orDenied(call, "organizations:ListOrganizationalUnitsForParent", () =>
      cachedDrain(this.ctx.cache, call.syncId, `org:ListOrganizationalUnitsForParent:${parentId}`, async (token) => {
        const out = await this.ctx.aws
          .organizations()
          .send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, NextToken: token, MaxResults: ORGANIZATIONS_PAGE_SIZE }), {
            abortSignal: call.signal,
          });
        return { items: (out.OrganizationalUnits ?? []).filter((u) => u.Id), next: nextToken(out.NextToken) };
      }),
    );
  }

  /** Account id → the root or unit it sits in; undefined when some part of the tree could not be read. */
  accountParents(call: CallContext): Promise<Map<string, TreeNodeRef> | undefined> {
    return this.ctx.cache.getOrLoad(call.syncId, "org:account-parents", async () => {
      const parents = new Map<string, TreeNodeRef>();
      const limit = pLimit(Math.max(1, this.ctx.config.rateLimits.maxConcurrency));
      let level: TreeNodeRef[] = (await this.roots(call)).map((r) => ({ resourceType: ResourceTypeIds.organization, resource: r.Id! }));
      if (level.length === 0) return undefined;
      while (level.length > 0) {
        const read = await Promise.all(
          level.map((node) =>
            limit(async () => {
              const [units, accounts] = await Promise.all([this.units(node.resource, call), this.#accountsIn(node.resource, call)]);
              return { node, units, accounts };
            }),
          ),
        );
        if (read.some((r) => r.units === undefined || r.accounts === undefined)) return undefined;
        for (const { node, accounts } of read) for (const id of accounts!) parents.set(id, node);
        level = read.flatMap((r) => r.units!.map((u): TreeNodeRef => ({ resourceType: ResourceTypeIds.organizationalUnit, resource: u.Id! })));
      }
      return parents;
    });
  }

  /** One organizational unit and the node above it (a targeted read); undefined when it does not exist. */
  async unit(id: string, call: CallContext): Promise<{ unit: OrganizationalUnit; parent?: TreeNodeRef } | undefined> {
    const orgs = this.ctx.aws.organizations();
    const [described, parents] = await Promise.all([
      orNotFound(() => orgs.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: id }), { abortSignal: call.signal })),
      orNotFound(() => orgs.send(new ListParentsCommand({ ChildId: id }), { abortSignal: call.signal })),
    ]);
    const unit = described?.OrganizationalUnit;
    if (!unit?.Id) return undefined;
    const parent = parents?.Parents?.[0];
    return {
      unit,
      parent: parent?.Id ? { resourceType: parent.Type === "ROOT" ? ResourceTypeIds.organization : ResourceTypeIds.organizationalUnit, resource: parent.Id } : undefined,
    };
  }

  #accountsIn(parentId: string, call: CallContext): Promise<string[] | undefined> {
    return this.#orDenied(call, "organizations:ListChildren", () =>
      cachedDrain(this.ctx.cache, call.syncId, `org:ListChildren:ACCOUNT:${parentId}`, async (token) => {
        const out = await this.ctx.aws
          .organizations()
          .send(new ListChildrenCommand({ ParentId: parentId, ChildType: "ACCOUNT", NextToken: token, MaxResults: ORGANIZATIONS_PAGE_SIZE }), {
            abortSignal: call.signal,
          });
        return { items: (out.Children ?? []).map((c) => c.Id ?? "").filter((id) => id !== ""), next: nextToken(out.NextToken) };
      }),
    );
  }

  /** Runs a tree read; access denied is warned about (once per sync) and answers undefined. */
  async #orDenied<T>(call: CallContext, action: string, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      if (!isAccessDenied(error)) throw error;
      await this.ctx.cache.getOrLoad(call.syncId, `org:denied:${action}`, async () => {
        const message = `cannot read the organization tree (${action}): ${describeError(error)}; accounts are synced without their organizational unit`;
        this.ctx.log.warn({ action, problem: "organization-tree-unreadable" }, message);
        this.ctx.problems?.add(call.syncId, { kind: "organization-tree-unreadable", message });
      });
      return undefined;
    }
  }
}
