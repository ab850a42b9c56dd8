import { C1zReader } from "../../../src/c1z/reader.js";

/**
 * What a reader sees of a file's default sync, keyed by external id and independent of row order,
 * row ids and write times: every resource type, resource (with its parent columns), entitlement
 * and grant (with its expansion columns), as stored bytes. Two syncs with equal content show a
 * reader the same resources, entitlements, grants and grant sources.
 */
export interface SyncContent {
  syncId: string;
  syncType: string;
  resourceTypes: Map<string, string>;
  resources: Map<string, string>;
  entitlements: Map<string, string>;
  grants: Map<string, string>;
  stats: { resources: number; entitlements: number; grants: number; byType: Record<string, number> };
}

export async function syncContent(path: string, syncId?: string): Promise<SyncContent> {
  const reader = await C1zReader.open(path);
  try {
    const run = syncId ? reader.syncs().find((s) => s.syncId === syncId)! : reader.resolveSync();
    const db = reader.database;
    const map = (sql: string) =>
      new Map(
        (db.prepare(sql).all(run.syncId) as Array<Record<string, unknown>>).map((row) => [
          String(row.external_id),
          JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString("base64") : v]))),
        ]),
      );
    const stats = reader.stats(run.syncId);
    return {
      syncId: run.syncId,
      syncType: run.syncType,
      resourceTypes: map(`select external_id, data from v1_resource_types where sync_id = ?`),
      resources: map(`select external_id, resource_type_id, parent_resource_type_id, parent_resource_id, data from v1_resources where sync_id = ?`),
      entitlements: map(`select external_id, resource_type_id, resource_id, data from v1_entitlements where sync_id = ?`),
      grants: map(
        `select external_id, resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id, expansion, needs_expansion, data from v1_grants where sync_id = ?`,
      ),
      stats: { resources: stats.resources, entitlements: stats.entitlements, grants: stats.grants, byType: stats.grantsByResourceType },
    };
  } finally {
    reader.close();
  }
}

/** The differences between two syncs' contents, a few per table (empty when equal). */
export function contentDifferences(actual: SyncContent, expected: SyncContent, limit = 5): string[] {
  const out: string[] = [];
  for (const table of ["resourceTypes", "resources", "entitlements", "grants"] as const) {
    const a = actual[table];
    const e = expected[table];
    let n = 0;
    for (const [id, value] of e) {
      if (n >= limit) break;
      if (!a.has(id)) (out.push(`${table}: missing ${id}`), n++);
      else if (a.get(id) !== value) (out.push(`${table}: differs ${id}\n   actual   ${a.get(id)!.slice(0, 400)}\n   expected ${value.slice(0, 400)}`), n++);
    }
    for (const id of a.keys()) {
      if (n >= limit) break;
      if (!e.has(id)) (out.push(`${table}: extra ${id}`), n++);
    }
  }
  if (out.length === 0 && JSON.stringify(actual.stats) !== JSON.stringify(expected.stats)) out.push(`stats differ: ${JSON.stringify(actual.stats)} vs ${JSON.stringify(expected.stats)}`);
  return out;
}
