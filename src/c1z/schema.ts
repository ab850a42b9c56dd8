import type { Database } from "better-sqlite3";

/**
 * The baton c1z v1 SQLite schema: tables, columns, defaults and index names exactly as baton-sdk
 * creates them (checked against pkg/dotc1z at v0.25.0). Note that two index names of
 * v1_resources do not describe their columns; real files are like that, and so are ours.
 */
export const TABLES = {
  resourceTypes: "v1_resource_types",
  resources: "v1_resources",
  entitlements: "v1_entitlements",
  syncRuns: "v1_sync_runs",
  grants: "v1_grants",
  assets: "v1_assets",
  sessions: "v1_connector_sessions",
} as const;

/** Tables holding per-sync records (every one has a sync_id column). */
export const RECORD_TABLES = [
  TABLES.resourceTypes,
  TABLES.resources,
  TABLES.entitlements,
  TABLES.grants,
  TABLES.assets,
  TABLES.sessions,
] as const;

interface TableDdl {
  table: string;
  create: string;
  indexes: string[];
}

// Creation order matters to baton (sync_runs before grants); keep it.
const DDL: TableDdl[] = [
  {
    table: TABLES.resourceTypes,
    create: `create table if not exists v1_resource_types (
    id integer primary key,
    external_id text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
)`,
    indexes: ["create unique index if not exists idx_resource_types_external_sync_v1 on v1_resource_types (external_id, sync_id)"],
  },
  {
    table: TABLES.resources,
    create: `create table if not exists v1_resources (
    id integer primary key,
    resource_type_id text not null,
    external_id text not null,
    parent_resource_type_id text,
    parent_resource_id text,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
)`,
    indexes: [
      "create index if not exists idx_resources_resource_type_id_v1 on v1_resources (resource_type_id)",
      "create index if not exists idx_resources_external_sync_v1 on v1_resources (parent_resource_type_id, parent_resource_id)",
      "create unique index if not exists idx_resources_parent_resource_id_v1 on v1_resources (external_id, sync_id)",
    ],
  },
  {
    table: TABLES.entitlements,
    create: `create table if not exists v1_entitlements (
    id integer primary key,
    resource_type_id text not null,
    resource_id text not null,
    external_id text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
)`,
    indexes: [
      "create index if not exists idx_entitlements_resource_id_v1 on v1_entitlements (resource_type_id, resource_id)",
      "create unique index if not exists idx_entitlements_external_sync_v1 on v1_entitlements (external_id, sync_id)",
    ],
  },
  {
    table: TABLES.syncRuns,
    create: `create table if not exists v1_sync_runs (
    id integer primary key,
    sync_id text not null,
    started_at datetime not null,
    ended_at datetime,
    sync_token text not null,
    sync_type text not null default 'full',
    parent_sync_id text not null default '',
    linked_sync_id text not null default '',
    supports_diff integer not null default 0,
    grants_backfilled integer not null default 0,
    stats text,
    ingest_invariant_generation text not null default '',
    ingest_invariant_coverage text not null default '',
    ingest_invariant_mode text not null default ''
)`,
    indexes: ["create unique index if not exists idx_sync_runs_sync_id_v1 on v1_sync_runs (sync_id)"],
  },
  {
    table: TABLES.grants,
    create: `create table if not exists v1_grants (
    id integer primary key,
    resource_type_id text not null,
    resource_id text not null,
    entitlement_id text not null,
    principal_resource_type_id text not null,
    principal_resource_id text not null,
    external_id text not null,
    expansion blob,
    needs_expansion integer not null default 0,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
)`,
    indexes: [
      "create index if not exists idx_grants_resource_type_id_resource_id_v1 on v1_grants (resource_type_id, resource_id)",
      "create index if not exists idx_grants_principal_id_v1 on v1_grants (principal_resource_type_id, principal_resource_id)",
      "create index if not exists idx_grants_entitlement_id_principal_id_v1 on v1_grants (entitlement_id, principal_resource_type_id, principal_resource_id)",
      "create unique index if not exists idx_grants_external_sync_v1 on v1_grants (external_id, sync_id)",
      "create index if not exists idx_grants_entitlement_sync_grant_v1 on v1_grants (entitlement_id, sync_id, id)",
      "create index if not exists idx_grants_sync_expansion_v1 on v1_grants (sync_id) where expansion is not null",
      "create index if not exists idx_grants_sync_needs_expansion_v1 on v1_grants (sync_id) where needs_expansion = 1",
    ],
  },
  {
    table: TABLES.assets,
    create: `create table if not exists v1_assets (
    id integer primary key,
    external_id text not null,
    content_type text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
)`,
    indexes: ["create unique index if not exists idx_assets_external_sync_v1 on v1_assets (external_id, sync_id)"],
  },
  {
    table: TABLES.sessions,
    create: `create table if not exists v1_connector_sessions (
    id integer primary key,
    sync_id text not null,
    key text not null,
    value blob not null
)`,
    indexes: ["create unique index if not exists idx_session_store_sync_key_v1 on v1_connector_sessions (sync_id, key)"],
  },
];

/** Columns newer baton versions added by migration; older files lack them. */
const MIGRATED_COLUMNS: Array<{ table: string; column: string; ddl: string }> = [
  { table: TABLES.syncRuns, column: "sync_type", ddl: "text not null default 'full'" },
  { table: TABLES.syncRuns, column: "parent_sync_id", ddl: "text not null default ''" },
  { table: TABLES.syncRuns, column: "linked_sync_id", ddl: "text not null default ''" },
  { table: TABLES.syncRuns, column: "supports_diff", ddl: "integer not null default 0" },
  { table: TABLES.syncRuns, column: "grants_backfilled", ddl: "integer not null default 0" },
  { table: TABLES.syncRuns, column: "stats", ddl: "text" },
  { table: TABLES.syncRuns, column: "ingest_invariant_generation", ddl: "text not null default ''" },
  { table: TABLES.syncRuns, column: "ingest_invariant_coverage", ddl: "text not null default ''" },
  { table: TABLES.syncRuns, column: "ingest_invariant_mode", ddl: "text not null default ''" },
  { table: TABLES.grants, column: "expansion", ddl: "blob" },
  { table: TABLES.grants, column: "needs_expansion", ddl: "integer not null default 0" },
];

/**
 * Indexes grant expansion reads grants through: built when expansion first needs them
 * (early-expansion.ts, store-core.ts' startExpansion), otherwise when the sync is sealed.
 */
export const EXPANSION_INDEXES = ["idx_grants_entitlement_id_principal_id_v1", "idx_grants_entitlement_sync_grant_v1"];

/**
 * Non-unique secondary indexes a sync may build once at the end instead of maintaining row by row
 * (baton's bulk-load mode does the same), and when. Unique indexes always stay: upserts need them.
 *
 * - `always`: a grant's principal has nothing to do with listing order, so every insert into the
 *   principal index lands somewhere else in it.
 * - `deleting`: grants are written listing by listing, each listing's grants sharing an entitlement
 *   and its resource, so inserts into the indexes that start with those columns stay on a page or
 *   two per listing and upkeep costs less than a rebuild — unless the sync starts by deleting the
 *   oldest sync (every sync after the second one, with --keep-syncs 2): upkeep then costs a delete
 *   per grant per index first. Engine benchmark into a file holding two syncs (1M grants each, AMD
 *   EPYC, four interleaved pairs): 52.9 → 43.5 s with these deferred, the deletion alone 10.0 →
 *   5.2 s; a medium simulator sync into a file holding two: 104.6 / 105.4 → 95.0 / 100.5 s (two
 *   pairs). Into a file holding one sync (nothing deleted) the medium sync was slower with them
 *   deferred (83.0 → 91.5 s, medians of three pairs): there they stay. Nothing a full sync reads
 *   goes through them before expansion, which builds its own first (early-expansion.ts,
 *   store-core.ts).
 * - `empty`: the small resource and entitlement indexes, while their tables hold no rows.
 */
const DEFERRED_INDEXES: Array<{ table: string; names: string[]; when: "always" | "deleting" | "empty" }> = [
  { table: TABLES.grants, names: ["idx_grants_principal_id_v1"], when: "always" },
  { table: TABLES.grants, names: ["idx_grants_resource_type_id_resource_id_v1", ...EXPANSION_INDEXES], when: "deleting" },
  { table: TABLES.resources, names: ["idx_resources_resource_type_id_v1", "idx_resources_external_sync_v1"], when: "empty" },
  { table: TABLES.entitlements, names: ["idx_entitlements_resource_id_v1"], when: "empty" },
];

export function columnNames(db: Database, table: string): Set<string> {
  const rows = db.prepare(`select name from pragma_table_info(?)`).all(table) as Array<{ name: string }>;
  return new Set(rows.map((r) => r.name));
}

/**
 * Creates missing tables, adds columns missing from files written by older baton versions and
 * (re)creates every index. Idempotent; run inside the caller's write transaction or alone.
 */
export function ensureSchema(db: Database): void {
  for (const { create, table } of DDL) {
    db.exec(create);
    for (const migration of MIGRATED_COLUMNS.filter((m) => m.table === table)) {
      if (!columnNames(db, table).has(migration.column)) {
        db.exec(`alter table ${table} add column ${migration.column} ${migration.ddl}`);
      }
    }
  }
  createIndexes(db);
}

/** Creates every baton index that does not exist yet (after a bulk load, or on an older file), or only the named ones. */
export function createIndexes(db: Database, only?: readonly string[]): void {
  for (const { indexes } of DDL) {
    for (const index of indexes) if (!only || only.includes(indexName(index))) db.exec(index);
  }
}

const indexName = (ddl: string) => /index if not exists (\w+)/.exec(ddl)![1]!;

/**
 * Drops the indexes a sync builds at the end (DEFERRED_INDEXES); createIndexes puts them back.
 * `deleting`: the sync is about to delete older syncs' rows (retention, at its start). Returns
 * whether any were dropped.
 */
export function deferIndexes(db: Database, options: { deleting?: boolean } = {}): boolean {
  let dropped = false;
  for (const { table, names, when } of DEFERRED_INDEXES) {
    if (when === "deleting" && !options.deleting) continue;
    if (when === "empty" && db.prepare(`select 1 from ${table} limit 1`).get() !== undefined) continue;
    for (const name of names) db.exec(`drop index if exists ${name}`);
    dropped = true;
  }
  return dropped;
}
