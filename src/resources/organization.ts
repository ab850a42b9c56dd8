import type { OrganizationalUnit, Root } from "@aws-sdk/client-organizations";
import { Code, ConnectError } from "@connectrpc/connect";
import { annotation } from "../connector/annotations.js";
import type { ResourceSyncer } from "../connector/resource-syncer.js";
import { ChildResourceTypeSchema } from "../gen/c1/connector/v2/annotation_resource_tree_pb.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { plainResource, type ResourceRef } from "./baton-shapes.js";
import { ResourceTypeIds } from "./ids.js";
import type { SyncerDeps } from "./index.js";
import { MEMORY_PAGE_SIZE, offsetPage } from "./paging.js";
import type { ResourceTypes } from "./resource-types.js";

/**
 * `organization` and `organizational_unit` (`sync-org-tree`): the Organizations root and the
 * nested units beneath it, each resource naming `organizational_unit` as its child type so the
 * host walks the tree; accounts sit under their unit (see account.ts). Review context only: no
 * entitlements or grants (AWS has no root- or unit-level assignment). Access denied on the tree
 * calls leaves them out with a warning (organization-tree.ts).
 */
export function createOrganizationSyncer({ types, tree }: SyncerDeps): ResourceSyncer {
  return {
    resourceType: types.organization,
    async listResources(parent, state, call) {
      // The root is the top of the tree; never anyone's child.
      if (parent || !tree) return { items: [] };
      return offsetPage(await tree.roots(call), state, MEMORY_PAGE_SIZE, (root) => organizationResource(types, root));
    },
    listEntitlements: async () => ({ items: [] }),
    listGrants: async () => ({ items: [] }),
    async getResource(id, _parent, call) {
      const root = tree && (await tree.roots(call)).find((r) => r.Id === id.resource);
      return root && organizationResource(types, root);
    },
  };
}

export function createOrganizationalUnitSyncer({ types, tree }: SyncerDeps): ResourceSyncer {
  return {
    resourceType: types.organizationalUnit,
    async listResources(parent, state, call) {
      if (!parent || !tree) return { items: [] };
      if (parent.resourceType !== ResourceTypeIds.organization && parent.resourceType !== ResourceTypeIds.organizationalUnit) {
        throw new ConnectError(`organizational units are listed under an organization or organizational_unit, not ${parent.resourceType}`, Code.InvalidArgument);
      }
      const units = (await tree.units(parent.resource, call)) ?? [];
      return offsetPage(units, state, MEMORY_PAGE_SIZE, (unit) => organizationalUnitResource(types, unit, parent));
    },
    listEntitlements: async () => ({ items: [] }),
    listGrants: async () => ({ items: [] }),
    async getResource(id, _parent, call) {
      const found = tree && (await tree.unit(id.resource, call));
      return found && organizationalUnitResource(types, found.unit, found.parent);
    },
  };
}

const walksUnits = () => annotation(ChildResourceTypeSchema, { resourceTypeId: ResourceTypeIds.organizationalUnit });

export function organizationResource(types: ResourceTypes, root: Root): Resource {
  return plainResource({
    type: types.organization,
    id: root.Id!,
    displayName: root.Name || root.Id!,
    profile: { aws_root_id: root.Id!, ...(root.Arn ? { aws_arn: root.Arn } : {}) },
    annotations: [walksUnits()],
  });
}

export function organizationalUnitResource(types: ResourceTypes, unit: OrganizationalUnit, parent: ResourceRef | undefined): Resource {
  return plainResource({
    type: types.organizationalUnit,
    id: unit.Id!,
    displayName: unit.Name || unit.Id!,
    parent,
    profile: { aws_ou_id: unit.Id!, ...(unit.Arn ? { aws_arn: unit.Arn } : {}) },
    annotations: [walksUnits()],
  });
}
