/**
 * Drives a connector the way a baton host's syncer does (baton-contract.md §6): Validate,
 * ListResourceTypes, ListResources per type (no parent) and per (child type, parent) discovered
 * through ChildResourceType, ListEntitlements and ListGrants per stored resource unless a Skip*
 * annotation says otherwise, every listing followed to its last page, all with one
 * active_sync_id, then Cleanup. Unavailable/DeadlineExceeded are retried like the host does.
 * It also enforces the host's trait rule (a USER/GROUP/ROLE/APP type's resources carry the trait).
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { anyIs, anyUnpack, type Any } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ConnectorApi } from "../../../src/connector/direct-client.js";
import {
  ChildResourceTypeSchema,
  SkipEntitlementsAndGrantsSchema,
  SkipEntitlementsSchema,
  SkipGrantsSchema,
} from "../../../src/gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { AppTraitSchema, GroupTraitSchema, RoleTraitSchema, UserTraitSchema } from "../../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import type { Entitlement } from "../../../src/gen/c1/connector/v2/entitlement_pb.js";
import type { Grant } from "../../../src/gen/c1/connector/v2/grant_pb.js";
import { ResourceType_Trait, type Resource, type ResourceId, type ResourceType } from "../../../src/gen/c1/connector/v2/resource_pb.js";

export interface TraversalResult {
  sdkVersion: string;
  resourceTypes: ResourceType[];
  /** Keyed "<type>:<id>" like a c1z's external_id; a resource listed twice keeps the last copy. */
  resources: Map<string, Resource>;
  entitlements: Map<string, Entitlement>;
  grants: Map<string, Grant>;
  /** Ids returned more than once (a connector bug: hosts would overwrite silently). */
  duplicates: { entitlements: string[]; grants: string[] };
  /** RPCs made, by method, retries included. */
  rpcs: Record<string, number>;
  /** Host-level retries after Unavailable/DeadlineExceeded. */
  retries: number;
}

export interface TraversalOptions {
  syncId?: string;
  /** Host-level attempts per RPC (baton retries Unavailable/DeadlineExceeded). */
  attempts?: number;
  cleanup?: boolean;
  /** Called right after Validate (e.g. to snapshot AWS call counters). */
  onValidated?: () => void;
}

const TRAIT_SCHEMA: Partial<Record<ResourceType_Trait, DescMessage>> = {
  [ResourceType_Trait.USER]: UserTraitSchema,
  [ResourceType_Trait.GROUP]: GroupTraitSchema,
  [ResourceType_Trait.ROLE]: RoleTraitSchema,
  [ResourceType_Trait.APP]: AppTraitSchema,
};

export const has = (annotations: readonly Any[], schema: DescMessage) => annotations.some((a) => anyIs(a, schema));

export async function traverse(api: ConnectorApi, options: TraversalOptions = {}): Promise<TraversalResult> {
  const activeSyncId = options.syncId ?? "2bTestSyncIdKsuid00000000001";
  const attempts = options.attempts ?? 10;
  const rpcs: Record<string, number> = {};
  let retries = 0;

  async function rpc<T>(name: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      rpcs[name] = (rpcs[name] ?? 0) + 1;
      try {
        return await call();
      } catch (error) {
        const code = error instanceof ConnectError ? error.code : undefined;
        const retryable = code === Code.Unavailable || code === Code.DeadlineExceeded;
        if (!retryable || attempt >= attempts) throw error;
        retries++;
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt));
      }
    }
  }

  async function pages<T>(name: string, fetch: (pageToken: string) => Promise<{ list: T[]; nextPageToken: string }>): Promise<T[]> {
    const out: T[] = [];
    let token = "";
    const seen = new Set<string>();
    do {
      const response = await rpc(name, () => fetch(token));
      out.push(...response.list);
      if (response.nextPageToken !== "" && seen.has(response.nextPageToken)) throw new Error(`${name}: page token repeated`);
      seen.add(response.nextPageToken);
      token = response.nextPageToken;
    } while (token !== "");
    return out;
  }

  const validated = await rpc("Validate", () => api.connector.validate({}));
  options.onValidated?.();
  const resourceTypes = await pages("ListResourceTypes", async (pageToken) => {
    const r = await api.resourceTypes.listResourceTypes({ pageToken });
    return { list: r.list, nextPageToken: r.nextPageToken };
  });
  const typesById = new Map(resourceTypes.map((t) => [t.id, t]));

  const resources = new Map<string, Resource>();
  const queue: Array<{ type: string; parent?: ResourceId }> = resourceTypes.map((t) => ({ type: t.id }));
  const scheduled = new Set<string>();
  while (queue.length > 0) {
    const { type, parent } = queue.shift()!;
    const listed = await pages("ListResources", async (pageToken) => {
      const r = await api.resources.listResources({ resourceTypeId: type, parentResourceId: parent, pageToken, activeSyncId });
      return { list: r.list, nextPageToken: r.nextPageToken };
    });
    for (const resource of listed) {
      const id = resource.id!;
      const descriptor = typesById.get(id.resourceType);
      if (!descriptor) throw new Error(`resource of unknown type ${id.resourceType}`);
      for (const trait of descriptor.traits) {
        const schema = TRAIT_SCHEMA[trait];
        if (schema && !has(resource.annotations, schema)) throw new Error(`${id.resourceType}:${id.resource} lacks its ${schema.typeName}`);
      }
      resources.set(`${id.resourceType}:${id.resource}`, resource);
      for (const annotation of resource.annotations) {
        if (!anyIs(annotation, ChildResourceTypeSchema)) continue;
        const child = anyUnpack(annotation, ChildResourceTypeSchema)!.resourceTypeId;
        const key = `${child}|${id.resourceType}:${id.resource}`;
        if (!scheduled.has(key)) {
          scheduled.add(key);
          queue.push({ type: child, parent: { ...id } as ResourceId });
        }
      }
    }
  }

  const entitlements = new Map<string, Entitlement>();
  const grants = new Map<string, Grant>();
  const duplicates = { entitlements: [] as string[], grants: [] as string[] };
  const skips = (resource: Resource, schemas: DescMessage[]) => {
    const type = typesById.get(resource.id!.resourceType)!;
    return schemas.some((s) => has(resource.annotations, s) || has(type.annotations, s));
  };
  for (const resource of resources.values()) {
    if (!skips(resource, [SkipEntitlementsAndGrantsSchema, SkipEntitlementsSchema])) {
      const list = await pages("ListEntitlements", async (pageToken) => {
        const r = await api.entitlements.listEntitlements({ resource, pageToken, activeSyncId });
        return { list: r.list, nextPageToken: r.nextPageToken };
      });
      for (const e of list) {
        if (entitlements.has(e.id)) duplicates.entitlements.push(e.id);
        entitlements.set(e.id, e);
      }
    }
    if (!skips(resource, [SkipEntitlementsAndGrantsSchema, SkipGrantsSchema])) {
      const list = await pages("ListGrants", async (pageToken) => {
        const r = await api.grants.listGrants({ resource, pageToken, activeSyncId });
        return { list: r.list, nextPageToken: r.nextPageToken };
      });
      for (const g of list) {
        if (grants.has(g.id)) duplicates.grants.push(g.id);
        grants.set(g.id, g);
      }
    }
  }
  if (options.cleanup !== false) await rpc("Cleanup", () => api.connector.cleanup({ activeSyncId }));
  return { sdkVersion: validated.sdkVersion, resourceTypes, resources, entitlements, grants, duplicates, rpcs, retries };
}
