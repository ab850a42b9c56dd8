import type { Database, Statement } from "better-sqlite3";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Grant } from "../gen/c1/connector/v2/grant_pb.js";
import { ResourceTypeSchema, type Resource, type ResourceType } from "../gen/c1/connector/v2/resource_pb.js";
import { BatchInsert, type ColumnSource } from "./batch-insert.js";
import { deterministicBinary } from "./proto-bytes.js";
import { blobAt, rowCount, RowEncoder, type EntitlementRows, type GrantRows, type ResourceRows, type TextColumn } from "./rows.js";
import { formatC1zTime } from "./timestamps.js";

/**
 * Writes one sync's records into an open c1z v1 database with baton's column rules:
 * external_id per table, parent columns of resources, GrantExpandable moved out of the grant into
 * `expansion`/`needs_expansion`, deterministic `data` bytes, and baton's upsert semantics on
 * (external_id, sync_id). Records go in by the batch (batch-insert.ts); callers batch writes in
 * transactions.
 *
 * Records are written from rows (rows.ts), which may have been encoded on another thread; the
 * put* methods taking messages encode them here first.
 */
export class C1zWriter {
  readonly #putResourceType: Statement;
  readonly #resources: BatchInsert;
  readonly #entitlements: BatchInsert;
  readonly #grants: BatchInsert;
  readonly #putExpandedGrant: Statement;
  readonly #addExpandedGrant: Statement;
  readonly #encoder = new RowEncoder();

  constructor(
    db: Database,
    readonly syncId: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#putResourceType = db.prepare(
      `insert into v1_resource_types (external_id, data, sync_id, discovered_at) values (?, ?, ?, ?)
       on conflict (external_id, sync_id) do update set data = excluded.data`,
    );
    this.#resources = new BatchInsert(db, {
      table: "v1_resources",
      columns: ["resource_type_id", "external_id", "parent_resource_type_id", "parent_resource_id", "data", "sync_id", "discovered_at"],
      conflict: "on conflict (external_id, sync_id) do update set data = excluded.data",
    });
    this.#entitlements = new BatchInsert(db, {
      table: "v1_entitlements",
      columns: ["resource_type_id", "resource_id", "external_id", "data", "sync_id", "discovered_at"],
      conflict: "on conflict (external_id, sync_id) do update set data = excluded.data",
    });
    // Same conflict rule as baton's PutGrants: the new expansion wins, and needs_expansion is
    // raised only when the expansion appeared or changed.
    this.#grants = new BatchInsert(db, {
      table: "v1_grants",
      columns: GRANT_COLUMNS,
      conflict: `on conflict (external_id, sync_id) do update set
        data = excluded.data,
        expansion = excluded.expansion,
        needs_expansion = case
          when excluded.expansion is null or excluded.expansion = x'' then 0
          when v1_grants.expansion is null and excluded.expansion is not null then 1
          when v1_grants.expansion is not null and excluded.expansion is not null and v1_grants.expansion != excluded.expansion then 1
          else v1_grants.needs_expansion
        end`,
    });
    // Grants derived by expansion keep whatever expansion their row already has.
    const insertExpanded = `insert into v1_grants (resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id,
         external_id, expansion, needs_expansion, data, sync_id, discovered_at)
       values (?, ?, ?, ?, ?, ?, null, 0, ?, ?, ?)`;
    this.#putExpandedGrant = db.prepare(`${insertExpanded} on conflict (external_id, sync_id) do update set data = excluded.data`);
    this.#addExpandedGrant = db.prepare(`${insertExpanded} on conflict (external_id, sync_id) do nothing`);
  }

  putResourceTypes(list: readonly ResourceType[]): void {
    const at = formatC1zTime(this.now());
    for (const rt of list) this.#putResourceType.run(rt.id, deterministicBinary(ResourceTypeSchema, rt), this.syncId, at);
  }

  putResources(list: readonly Resource[]): void {
    this.writeResources(this.#encoder.resources(list));
  }

  /** putResources, returning each resource's row id (an upsert keeps the existing row's id). */
  putResourcesReturningIds(list: readonly Resource[]): number[] {
    return this.writeResourcesReturningIds(this.#encoder.resources(list));
  }

  putEntitlements(list: readonly Entitlement[]): void {
    this.writeEntitlements(this.#encoder.entitlements(list));
  }

  /** Returns how many of the grants carried a usable GrantExpandable (they need expansion). */
  putGrants(list: readonly Grant[]): number {
    return this.writeGrants(this.#encoder.grants(list));
  }

  writeResources(rows: ResourceRows): void {
    this.#resources.run(rowCount(rows), this.#resourceSources(rows));
  }

  writeResourcesReturningIds(rows: ResourceRows): number[] {
    const written = this.#resources.returning<{ id: number; external_id: string }>(rowCount(rows), this.#resourceSources(rows), "id, external_id");
    // RETURNING comes in no defined order; a resource listed twice in the batch is one row.
    const ids = new Map(written.map((r) => [r.external_id, r.id]));
    return rows.externalIds.map((externalId) => ids.get(externalId)!);
  }

  #resourceSources(rows: ResourceRows): Record<string, ColumnSource> {
    return {
      resource_type_id: column(rows.resourceTypeIds),
      external_id: { values: rows.externalIds },
      parent_resource_type_id: column(rows.parentTypeIds),
      parent_resource_id: column(rows.parentIds),
      data: { each: (i) => blobAt(rows, i) },
      ...this.#syncColumns(),
    };
  }

  writeEntitlements(rows: EntitlementRows): void {
    this.#entitlements.run(rowCount(rows), {
      resource_type_id: column(rows.resourceTypeIds),
      resource_id: column(rows.resourceIds),
      external_id: { values: rows.ids },
      data: { each: (i) => blobAt(rows, i) },
      ...this.#syncColumns(),
    });
  }

  /** Returns how many rows carry an expansion (they need expansion). */
  writeGrants(rows: GrantRows): number {
    const { expansions } = rows;
    this.#grants.run(rowCount(rows), {
      resource_type_id: textColumn(rows.resourceTypeIds),
      resource_id: textColumn(rows.resourceIds),
      entitlement_id: textColumn(rows.entitlementIds),
      principal_resource_type_id: textColumn(rows.principalTypeIds),
      principal_resource_id: { values: rows.principalIds },
      // Nearly always baton's conventional id: SQLite builds it from the columns instead of binding it.
      external_id: rows.ids ? { values: rows.ids } : { sql: "{entitlement_id} || ':' || {principal_resource_type_id} || ':' || {principal_resource_id}" },
      expansion: expansions ? { each: (i) => expansions[i] ?? null } : { value: null },
      needs_expansion: expansions ? { sql: "{expansion} is not null" } : { value: 0 },
      data: { each: (i) => blobAt(rows, i) },
      ...this.#syncColumns(),
    });
    return expansions ? expansions.filter((e) => e).length : 0;
  }

  #syncColumns(): Record<string, ColumnSource> {
    return { sync_id: { value: this.syncId }, discovered_at: { value: formatC1zTime(this.now()) } };
  }

  /** Writes each grant only if no row has its external id; returns each new row's id, or undefined where one existed. */
  addExpandedGrants(list: readonly ExpandedGrantRow[]): Array<number | undefined> {
    const at = formatC1zTime(this.now());
    return list.map((g) => {
      const info = this.#addExpandedGrant.run(g.resourceTypeId, g.resourceId, g.entitlementId, g.principalTypeId, g.principalId, g.id, g.data, this.syncId, at);
      return info.changes === 1 ? Number(info.lastInsertRowid) : undefined;
    });
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

const GRANT_COLUMNS = [
  "resource_type_id",
  "resource_id",
  "entitlement_id",
  "principal_resource_type_id",
  "principal_resource_id",
  "external_id",
  "expansion",
  "needs_expansion",
  "data",
  "sync_id",
  "discovered_at",
];

function textColumn(column: TextColumn): ColumnSource {
  return typeof column === "string" ? { value: column } : { values: column };
}

/** A column whose values are all the same is bound once. */
function column(values: ReadonlyArray<string | null>): ColumnSource {
  const first = values[0];
  for (let i = 1; i < values.length; i++) if (values[i] !== first) return { values };
  return { value: first ?? null };
}
