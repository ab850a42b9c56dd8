import { toBinary } from "@bufbuild/protobuf";
import { anyIs, anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Database, Statement } from "better-sqlite3";
import { GrantExpandableSchema, type GrantExpandable } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import { EntitlementSchema, type Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Grant } from "../gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, ResourceTypeSchema, type Resource, type ResourceType } from "../gen/c1/connector/v2/resource_pb.js";
import { GrantEncoder } from "./grant-bytes.js";
import { deterministicBinary } from "./proto-bytes.js";
import { formatC1zTime } from "./timestamps.js";

/**
 * Writes one sync's records into an open c1z v1 database with baton's column rules:
 * external_id per table, parent columns of resources, GrantExpandable moved out of the grant into
 * `expansion`/`needs_expansion`, deterministic `data` bytes, and baton's upsert semantics on
 * (external_id, sync_id). Statements are prepared once; callers batch writes in transactions.
 */
export class C1zWriter {
  readonly #putResourceType: Statement;
  readonly #putResource: Statement;
  readonly #placeResource: Statement;
  readonly #putEntitlement: Statement;
  readonly #putGrant: Statement;
  readonly #putExpandedGrant: Statement;
  readonly #grants = new GrantEncoder();

  constructor(
    db: Database,
    readonly syncId: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#putResourceType = db.prepare(
      `insert into v1_resource_types (external_id, data, sync_id, discovered_at) values (?, ?, ?, ?)
       on conflict (external_id, sync_id) do update set data = excluded.data`,
    );
    this.#putResource = db.prepare(
      `insert into v1_resources (resource_type_id, external_id, parent_resource_type_id, parent_resource_id, data, sync_id, discovered_at)
       values (?, ?, ?, ?, ?, ?, ?)
       on conflict (external_id, sync_id) do update set data = excluded.data`,
    );
    this.#placeResource = db.prepare(
      `insert into v1_resources (resource_type_id, external_id, parent_resource_type_id, parent_resource_id, data, sync_id, discovered_at)
       values (?, ?, ?, ?, ?, ?, ?)
       on conflict (external_id, sync_id) do update set data = excluded.data
       returning id`,
    );
    this.#putEntitlement = db.prepare(
      `insert into v1_entitlements (resource_type_id, resource_id, external_id, data, sync_id, discovered_at) values (?, ?, ?, ?, ?, ?)
       on conflict (external_id, sync_id) do update set data = excluded.data`,
    );
    // Same conflict rule as baton's PutGrants: the new expansion wins, and needs_expansion is
    // raised only when the expansion appeared or changed.
    this.#putGrant = db.prepare(
      `insert into v1_grants (resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id,
         external_id, expansion, needs_expansion, data, sync_id, discovered_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (external_id, sync_id) do update set
         data = excluded.data,
         expansion = excluded.expansion,
         needs_expansion = case
           when excluded.expansion is null or excluded.expansion = x'' then 0
           when v1_grants.expansion is null and excluded.expansion is not null then 1
           when v1_grants.expansion is not null and excluded.expansion is not null and v1_grants.expansion != excluded.expansion then 1
           else v1_grants.needs_expansion
         end`,
    );
    // Grants derived by expansion keep whatever expansion their row already has.
    this.#putExpandedGrant = db.prepare(
      `insert into v1_grants (resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id,
         external_id, expansion, needs_expansion, data, sync_id, discovered_at)
       values (?, ?, ?, ?, ?, ?, null, 0, ?, ?, ?)
       on conflict (external_id, sync_id) do update set data = excluded.data`,
    );
  }

  putResourceTypes(list: readonly ResourceType[]): void {
    const at = formatC1zTime(this.now());
    for (const rt of list) this.#putResourceType.run(rt.id, deterministicBinary(ResourceTypeSchema, rt), this.syncId, at);
  }

  putResources(list: readonly Resource[]): void {
    const at = formatC1zTime(this.now());
    for (const r of list) this.#putResource.run(...this.#resourceRow(r, at));
  }

  /** putResources, returning each resource's row id (an upsert keeps the existing row's id). */
  putResourcesReturningIds(list: readonly Resource[]): number[] {
    const at = formatC1zTime(this.now());
    return list.map((r) => (this.#placeResource.get(...this.#resourceRow(r, at)) as { id: number }).id);
  }

  #resourceRow(r: Resource, at: string): unknown[] {
    const id = r.id!;
    const parent = r.parentResourceId;
    return [
      id.resourceType,
      resourceExternalId(id.resourceType, id.resource),
      parent ? parent.resourceType : null,
      parent ? parent.resource : null,
      deterministicBinary(ResourceSchema, r),
      this.syncId,
      at,
    ];
  }

  putEntitlements(list: readonly Entitlement[]): void {
    const at = formatC1zTime(this.now());
    for (const e of list) {
      const rid = e.resource!.id!;
      this.#putEntitlement.run(rid.resourceType, rid.resource, e.id, deterministicBinary(EntitlementSchema, e), this.syncId, at);
    }
  }

  /** Returns how many of the grants carried a usable GrantExpandable (they need expansion). */
  putGrants(list: readonly Grant[]): number {
    const at = formatC1zTime(this.now());
    let expandable = 0;
    for (const grant of list) {
      const { stored, expansion } = splitExpansion(grant);
      if (expansion) expandable++;
      const entitlementResource = grant.entitlement!.resource!.id!;
      const principal = grant.principal!.id!;
      this.#putGrant.run(
        entitlementResource.resourceType,
        entitlementResource.resource,
        grant.entitlement!.id,
        principal.resourceType,
        principal.resource,
        grant.id,
        expansion ?? null,
        expansion ? 1 : 0,
        this.#grants.encode(stored),
        this.syncId,
        at,
      );
    }
    return expandable;
  }

  /** Writes grants created or updated by grant expansion (existing rows keep their expansion). */
  putExpandedGrants(list: readonly ExpandedGrantRow[]): void {
    const at = formatC1zTime(this.now());
    for (const g of list) {
      this.#putExpandedGrant.run(g.resourceTypeId, g.resourceId, g.entitlementId, g.principalTypeId, g.principalId, g.id, g.data, this.syncId, at);
    }
  }
}

/** A grant as grant expansion writes it: its columns, and its deterministic encoding. */
export interface ExpandedGrantRow {
  /** The entitlement's resource. */
  resourceTypeId: string;
  resourceId: string;
  entitlementId: string;
  principalTypeId: string;
  principalId: string;
  id: string;
  data: Uint8Array;
}

export function resourceExternalId(resourceType: string, resource: string): string {
  return `${resourceType}:${resource}`;
}

/**
 * baton stores a grant without its GrantExpandable annotation(s); the first one goes, serialized,
 * into the `expansion` column — only when it names at least one non-blank entitlement id.
 */
export function splitExpansion(grant: Grant): { stored: Grant; expansion?: Uint8Array; annotation?: GrantExpandable } {
  const annotations = grant.annotations;
  if (!annotations.some((a) => anyIs(a, GrantExpandableSchema))) return { stored: grant };
  const first = annotations.find((a) => anyIs(a, GrantExpandableSchema))!;
  const stored: Grant = { ...grant, annotations: annotations.filter((a) => !anyIs(a, GrantExpandableSchema)) };
  let annotation: GrantExpandable | undefined;
  try {
    annotation = anyUnpack(first, GrantExpandableSchema);
  } catch {
    return { stored };
  }
  if (!annotation || !annotation.entitlementIds.some((id) => id.trim() !== "")) return { stored };
  return { stored, expansion: toBinary(GrantExpandableSchema, annotation), annotation };
}
