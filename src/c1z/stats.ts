import type { Database } from "better-sqlite3";
import { compareGoStrings } from "./proto-bytes.js";

/** c1.reader.v2.CallStat */
export interface CallStat {
  count?: number;
  totalMs?: number;
  maxMs?: number;
  errors?: number;
  timeouts?: number;
}

/** c1.reader.v2.SyncStats, as counted from a sync's rows. */
export interface SyncStats {
  resourceTypes: number;
  resources: number;
  entitlements: number;
  grants: number;
  resourcesByResourceType: Record<string, number>;
  entitlementsByResourceType: Record<string, number>;
  grantsByResourceType: Record<string, number>;
  assets: number;
  stepDurationsMs?: Record<string, number>;
  connectorCallStats?: Record<string, CallStat>;
}

/**
 * Rows of `table` by resource type. In a file that holds no other sync every row is this sync's,
 * and counting without the sync_id filter reads only the resource-type index, not every row (for
 * grants, gigabytes).
 */
function countBy(db: Database, table: string, syncId: string, onlySync: boolean): Record<string, number> {
  const rows = (
    onlySync
      ? db.prepare(`select resource_type_id as t, count(*) as n from ${table} group by resource_type_id`).all()
      : db.prepare(`select resource_type_id as t, count(*) as n from ${table} where sync_id = ? group by resource_type_id`).all(syncId)
  ) as Array<{ t: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

/** Counts like baton's stats(): every known resource type appears in resources_by_resource_type. */
export function computeSyncStats(db: Database, syncId: string): SyncStats {
  const typeIds = (db.prepare(`select external_id from v1_resource_types where sync_id = ?`).all(syncId) as Array<{ external_id: string }>).map(
    (r) => r.external_id,
  );
  const onlySync = db.prepare(`select 1 from v1_sync_runs where sync_id != ? limit 1`).get(syncId) === undefined;
  const resourceCounts = countBy(db, "v1_resources", syncId, onlySync);
  const resourcesByResourceType: Record<string, number> = {};
  let resources = 0;
  for (const id of typeIds) {
    resourcesByResourceType[id] = resourceCounts[id] ?? 0;
    resources += resourceCounts[id] ?? 0;
  }
  const entitlementsByResourceType = countBy(db, "v1_entitlements", syncId, onlySync);
  const grantsByResourceType = countBy(db, "v1_grants", syncId, onlySync);
  const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
  // Files from before assets existed have no v1_assets table.
  const hasAssets = db.prepare(`select 1 from sqlite_master where type = 'table' and name = 'v1_assets'`).get() !== undefined;
  const assets = hasAssets ? (db.prepare(`select count(*) as n from v1_assets where sync_id = ?`).get(syncId) as { n: number }).n : 0;
  return {
    resourceTypes: typeIds.length,
    resources,
    entitlements: sum(entitlementsByResourceType),
    grants: sum(grantsByResourceType),
    resourcesByResourceType,
    entitlementsByResourceType,
    grantsByResourceType,
    assets,
  };
}

/**
 * The stats column: Go's encoding/json of SyncStats — snake_case keys in field order, zero values
 * and empty maps omitted (omitempty), map keys sorted, int64 as JSON numbers.
 */
export function syncStatsJson(stats: SyncStats): string {
  const out: Record<string, unknown> = {};
  const put = (key: string, value: number | Record<string, unknown> | undefined) => {
    if (value === undefined || value === 0) return;
    if (typeof value === "object" && Object.keys(value).length === 0) return;
    out[key] = value;
  };
  put("resource_types", stats.resourceTypes);
  put("resources", stats.resources);
  put("entitlements", stats.entitlements);
  put("grants", stats.grants);
  put("resources_by_resource_type", sortedKeys(stats.resourcesByResourceType));
  put("grants_by_resource_type", sortedKeys(stats.grantsByResourceType));
  put("entitlements_by_resource_type", sortedKeys(stats.entitlementsByResourceType));
  put("assets", stats.assets);
  put("step_durations_ms", stats.stepDurationsMs && sortedKeys(stats.stepDurationsMs));
  if (stats.connectorCallStats) {
    const calls: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(sortedKeys(stats.connectorCallStats))) {
      calls[k] = omitZero({ count: v.count, total_ms: v.totalMs, max_ms: v.maxMs, errors: v.errors, timeouts: v.timeouts });
    }
    put("connector_call_stats", calls);
  }
  return JSON.stringify(out);
}

/** Reads a stats column written by baton or by us; undefined when absent or unparsable. */
export function parseSyncStats(json: string | null): SyncStats | undefined {
  if (!json) return undefined;
  try {
    const raw = JSON.parse(json) as Record<string, unknown>;
    const num = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" ? Number(v) : 0);
    const map = (v: unknown) => Object.fromEntries(Object.entries((v ?? {}) as Record<string, unknown>).map(([k, x]) => [k, num(x)]));
    return {
      resourceTypes: num(raw.resource_types),
      resources: num(raw.resources),
      entitlements: num(raw.entitlements),
      grants: num(raw.grants),
      resourcesByResourceType: map(raw.resources_by_resource_type),
      entitlementsByResourceType: map(raw.entitlements_by_resource_type),
      grantsByResourceType: map(raw.grants_by_resource_type),
      assets: num(raw.assets),
      stepDurationsMs: raw.step_durations_ms ? map(raw.step_durations_ms) : undefined,
    };
  } catch {
    return undefined;
  }
}

function sortedKeys<T>(map: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(map).sort(compareGoStrings)) out[k] = map[k]!;
  return out;
}

function omitZero(obj: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== 0)) as Record<string, number>;
}
