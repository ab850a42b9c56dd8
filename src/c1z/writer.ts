import type { Database, Statement } from "better-sqlite3";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Grant } from "../gen/c1/connector/v2/grant_pb.js";
import { ResourceTypeSchema, type Resource, type ResourceType } from "../gen/c1/connector/v2/resource_pb.js";
import { deterministicBinary } from "./proto-bytes.js";
import { blobAt, rowCount, RowEncoder, textAt, type EntitlementRows, type GrantRows, type ResourceRows, type TextColumn } from "./rows.js";
import { formatC1zTime } from "./timestamps.js";

/**
 * Writes one sync's records into an open c1z v1 database with baton's column rules:
 * external_id per table, parent columns of resources, GrantExpandable moved out of the grant into
 * `expansion`/`needs_expansion`, deterministic `data` bytes, and baton's upsert semantics on
 * (external_id, sync_id). Statements are prepared once; callers batch writes in transactions.
 *
 * Records are written from rows (rows.ts), which may have been encoded on another thread; the
 * put* methods taking messages encode them here first.
 */
export class C1zWriter {
  readonly #putResourceType: Statement;
  readonly #putResource: Statement;
  readonly #placeResource: Statement;
  readonly #putEntitlement: Statement;
  readonly #db: Database;
  /** Multi-row grant inserts, by shape (GrantBatchShape.key) and row count. */
  readonly #grantInserts = new Map<string, Statement>();
  readonly #putExpandedGrant: Statement;
  readonly #addExpandedGrant: Statement;
  readonly #encoder = new RowEncoder();

  constructor(
    db: Database,
    readonly syncId: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#db = db;
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
    const at = formatC1zTime(this.now());
    for (let i = 0; i < rowCount(rows); i++) this.#putResource.run(...this.#resourceRow(rows, i, at));
  }

  writeResourcesReturningIds(rows: ResourceRows): number[] {
    const at = formatC1zTime(this.now());
    const ids: number[] = [];
    for (let i = 0; i < rowCount(rows); i++) ids.push((this.#placeResource.get(...this.#resourceRow(rows, i, at)) as { id: number }).id);
    return ids;
  }

  #resourceRow(rows: ResourceRows, i: number, at: string): unknown[] {
    return [rows.resourceTypeIds[i], rows.externalIds[i], rows.parentTypeIds[i], rows.parentIds[i], blobAt(rows, i), this.syncId, at];
  }

  writeEntitlements(rows: EntitlementRows): void {
    const at = formatC1zTime(this.now());
    for (let i = 0; i < rowCount(rows); i++) {
      this.#putEntitlement.run(rows.resourceTypeIds[i], rows.resourceIds[i], rows.ids[i], blobAt(rows, i), this.syncId, at);
    }
  }

  /**
   * Returns how many rows carry an expansion (they need expansion). Rows go in by the batch
   * (GRANT_CHUNKS rows per statement), with what they share bound once: binding is most of the
   * cost of an insert, and a page of grants usually differs only in principal and data.
   */
  writeGrants(rows: GrantRows): number {
    const count = rowCount(rows);
    if (count === 0) return 0;
    const shape = grantBatchShape(rows);
    const shared: Record<string, unknown> = { sync: this.syncId, at: formatC1zTime(this.now()) };
    for (const column of GRANT_TEXT_COLUMNS) if (shape.shared.has(column.name)) shared[column.name] = rows[column.field] as string;
    const varying = GRANT_TEXT_COLUMNS.filter((c) => !shape.shared.has(c.name)).map((c) => rows[c.field] as TextColumn);
    const perRow: unknown[] = [];
    let expandable = 0;
    let from = 0;
    while (from < count) {
      const size = GRANT_CHUNKS.find((c) => c <= count - from)!;
      perRow.length = 0;
      for (let i = from; i < from + size; i++) {
        for (const column of varying) perRow.push(textAt(column, i));
        perRow.push(rows.principalIds[i]);
        if (!shape.conventionalIds) perRow.push(rows.ids![i]);
        if (shape.expansions) {
          const expansion = rows.expansions![i] ?? null;
          if (expansion) expandable++;
          perRow.push(expansion);
        }
        perRow.push(blobAt(rows, i));
      }
      this.#grantInsert(shape, size).run(perRow, shared);
      from += size;
    }
    return expandable;
  }

  #grantInsert(shape: GrantBatchShape, size: number): Statement {
    const key = `${shape.key}/${size}`;
    let statement = this.#grantInserts.get(key);
    if (!statement) this.#grantInserts.set(key, (statement = this.#db.prepare(grantInsertSql(shape, size))));
    return statement;
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

/** Grant text columns that a batch may share (TextColumn), with their named parameter. */
const GRANT_TEXT_COLUMNS = [
  { name: "rt", field: "resourceTypeIds", column: "resource_type_id" },
  { name: "rid", field: "resourceIds", column: "resource_id" },
  { name: "ent", field: "entitlementIds", column: "entitlement_id" },
  { name: "pt", field: "principalTypeIds", column: "principal_resource_type_id" },
] as const;

/** Rows per grant insert statement: a batch is cut into these (largest first), so few statements serve every size. */
const GRANT_CHUNKS = [64, 32, 16, 8, 4, 2, 1];

interface GrantBatchShape {
  key: string;
  /** Columns every row shares (bound once, by name). */
  shared: ReadonlySet<string>;
  /** Every id is "<entitlement id>:<principal type>:<principal id>": computed by SQLite, not bound. */
  conventionalIds: boolean;
  /** Some row has an expansion. */
  expansions: boolean;
}

function grantBatchShape(rows: GrantRows): GrantBatchShape {
  const shared = new Set(GRANT_TEXT_COLUMNS.filter((c) => typeof rows[c.field] === "string").map((c) => c.name));
  const conventionalIds = !rows.ids;
  const expansions = !!rows.expansions;
  return { key: `${[...shared].join(",")}|${conventionalIds}|${expansions}`, shared, conventionalIds, expansions };
}

/**
 * INSERT … SELECT from a VALUES list of `size` rows (kept in order: row ids follow the batch),
 * with baton's PutGrants conflict rule: the new expansion wins, and needs_expansion is raised only
 * when the expansion appeared or changed.
 */
function grantInsertSql(shape: GrantBatchShape, size: number): string {
  let n = 0;
  const next = () => `column${++n}`;
  const select: Record<string, string> = {};
  for (const c of GRANT_TEXT_COLUMNS) select[c.column] = shape.shared.has(c.name) ? `@${c.name}` : next();
  select.principal_resource_id = next();
  select.external_id = shape.conventionalIds ? `${select.entitlement_id} || ':' || ${select.principal_resource_type_id} || ':' || ${select.principal_resource_id}` : next();
  if (shape.expansions) {
    select.expansion = next();
    select.needs_expansion = `${select.expansion} is not null`;
  } else {
    select.expansion = "null";
    select.needs_expansion = "0";
  }
  select.data = next();
  select.sync_id = "@sync";
  select.discovered_at = "@at";
  const row = `(${Array.from({ length: n }, () => "?").join(", ")})`;
  const columns = Object.keys(select);
  return `insert into v1_grants (${columns.join(", ")})
    select ${columns.map((c) => select[c]).join(", ")} from (values ${Array.from({ length: size }, () => row).join(", ")}) where true
    on conflict (external_id, sync_id) do update set
      data = excluded.data,
      expansion = excluded.expansion,
      needs_expansion = case
        when excluded.expansion is null or excluded.expansion = x'' then 0
        when v1_grants.expansion is null and excluded.expansion is not null then 1
        when v1_grants.expansion is not null and excluded.expansion is not null and v1_grants.expansion != excluded.expansion then 1
        else v1_grants.needs_expansion
      end`;
}
