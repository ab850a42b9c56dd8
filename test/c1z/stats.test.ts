import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { ensureSchema } from "../../src/c1z/schema.js";
import { computeSyncStats } from "../../src/c1z/stats.js";
import { insertSyncRun } from "../../src/c1z/sync-runs.js";

const at = "2026-01-01 00:00:00";

function addRows(db: BetterSqlite3.Database, syncId: string, counts: { users: number; groupGrants: number }): void {
  insertSyncRun(db, { syncId, startedAt: new Date(0), syncToken: "{}" });
  db.prepare(`insert into v1_resource_types (external_id, data, sync_id, discovered_at) values (?, x'', ?, ?)`).run("user", syncId, at);
  db.prepare(`insert into v1_resource_types (external_id, data, sync_id, discovered_at) values (?, x'', ?, ?)`).run("group", syncId, at);
  for (let i = 0; i < counts.users; i++) {
    db.prepare(`insert into v1_resources (resource_type_id, external_id, data, sync_id, discovered_at) values ('user', ?, x'', ?, ?)`).run(`user:u${i}`, syncId, at);
  }
  for (let i = 0; i < counts.groupGrants; i++) {
    db.prepare(
      `insert into v1_grants (resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id, external_id, data, sync_id, discovered_at)
       values ('group', 'g', 'group:g:member', 'user', ?, ?, x'', ?, ?)`,
    ).run(`u${i}`, `grant-${i}`, syncId, at);
  }
}

describe("computeSyncStats", () => {
  it("counts only the given sync's rows, whether or not the file holds other syncs", () => {
    const db = new BetterSqlite3(":memory:");
    ensureSchema(db);
    addRows(db, "sync-a", { users: 3, groupGrants: 5 });
    // Alone in the file: every row is sync-a's.
    expect(computeSyncStats(db, "sync-a")).toMatchObject({ resources: 3, grants: 5, resourcesByResourceType: { user: 3, group: 0 }, grantsByResourceType: { group: 5 } });
    addRows(db, "sync-b", { users: 2, groupGrants: 7 });
    expect(computeSyncStats(db, "sync-a")).toMatchObject({ resources: 3, grants: 5, grantsByResourceType: { group: 5 } });
    expect(computeSyncStats(db, "sync-b")).toMatchObject({ resources: 2, grants: 7, resourcesByResourceType: { user: 2, group: 0 }, grantsByResourceType: { group: 7 } });
  });
});
