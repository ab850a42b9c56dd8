import {
  DescribeOrganizationalUnitCommand,
  ListChildrenCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListRootsCommand,
  type OrganizationalUnit,
  type Root,
} from "@aws-sdk/client-organizations";
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
    return (await this.#roots(call)) ?? [];
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

  /** The ids of the accounts directly in a root or unit; undefined when denied. */
  accountsIn(parentId: string, call: CallContext): Promise<string[] | undefined> {
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

  /**
   * The tree's nodes in breadth-first order (the roots first): the one at `index`, undefined past
   * the last, "denied" when the tree cannot be read that far. Levels are read whole, each node's
   * units and accounts at once, within this call (a read left running after it would be cut off
   * with the call).
   */
  async nodeAt(index: number, call: CallContext): Promise<TreeNodeRef | undefined | "denied"> {
    const roots = await this.#roots(call);
    if (roots === undefined) return "denied";
    let level: TreeNodeRef[] = roots.map((r) => ({ resourceType: ResourceTypeIds.organization, resource: r.Id! }));
    const nodes = [...level];
    while (nodes.length <= index) {
      if (level.length === 0) return undefined;
      const [units] = await Promise.all([
        Promise.all(level.map((node) => this.units(node.resource, call))),
        Promise.all(level.map((node) => this.accountsIn(node.resource, call))),
      ]);
      if (units.some((u) => u === undefined)) return "denied";
      level = units.flatMap((u) => u!.map((unit): TreeNodeRef => ({ resourceType: ResourceTypeIds.organizationalUnit, resource: unit.Id! })));
      nodes.push(...level);
    }
    return nodes[index];
  }

  /** Account id → the root or unit it sits in; undefined when some part of the tree could not be read. */
  accountParents(call: CallContext): Promise<Map<string, TreeNodeRef> | undefined> {
    return this.ctx.cache.getOrLoad(call.syncId, "org:account-parents", async () => {
      const parents = new Map<string, TreeNodeRef>();
      for (let index = 0; ; index++) {
        const node = await this.nodeAt(index, call);
        if (node === undefined) return parents;
        const accounts = node === "denied" ? undefined : await this.accountsIn(node.resource, call);
        if (accounts === undefined) return undefined;
        for (const id of accounts) parents.set(id, node as TreeNodeRef);
      }
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

  #roots(call: CallContext): Promise<Root[] | undefined> {
    return this.#orDenied(call, "organizations:ListRoots", () =>
      cachedDrain(this.ctx.cache, call.syncId, "org:ListRoots", async (token) => {
        const out = await this.ctx.aws.organizations().send(new ListRootsCommand({ NextToken: token, MaxResults: ORGANIZATIONS_PAGE_SIZE }), { abortSignal: call.signal });
        return { items: (out.Roots ?? []).filter((r) => r.Id), next: nextToken(out.NextToken) };
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
