import { C1zReader } from "../../src/c1z/reader.js";

const TABLES = ["v1_resource_types", "v1_resources", "v1_entitlements", "v1_grants", "v1_assets", "v1_connector_sessions"];

/**
 * Every row of every record table of the file's default sync, all columns but the volatile ones
 * (discovered_at, sync_id), in row-id order; plus the sync run's counts. Two files with equal
 * dumps hold the same data in the same order.
 */
export async function dumpC1z(path: string, options: { without?: readonly string[] } = {}): Promise<Record<string, unknown[]>> {
  const reader = await C1zReader.open(path);
  try {
    const run = reader.resolveSync();
    const out: Record<string, unknown[]> = {};
    for (const table of TABLES.filter((t) => !options.without?.includes(t))) {
      const rows = reader.database.prepare(`select * from ${table} where sync_id = ? order by id`).all(run.syncId) as Array<Record<string, unknown>>;
      out[table] = rows.map(({ discovered_at: _d, sync_id: _s, ...rest }) => normalise(rest));
    }
    const stats = reader.stats(run.syncId);
    out.sync = [{ syncType: run.syncType, ended: run.endedAt !== null, ...stats, stepDurationsMs: undefined, connectorCallStats: undefined }];
    out.syncCount = [reader.syncs().length];
    return out;
  } finally {
    reader.close();
  }
}

function normalise(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString("base64") : v]));
}
