import { create, toBinary } from "@bufbuild/protobuf";
import BetterSqlite3 from "better-sqlite3";
import { describe, expect, test } from "vitest";
import { ensureSchema } from "../../src/c1z/schema.js";
import { insertSyncRun, listSyncRuns } from "../../src/c1z/sync-runs.js";
import { GrantSchema } from "../../src/gen/c1/connector/v2/grant_pb.js";
import { loadSnapshot } from "../../src/report/snapshot.js";

describe("loading a sync", () => {
  test("a sync whose grant rows interleave with another's is read whole, and only its own rows", () => {
    const db = new BetterSqlite3(":memory:");
    ensureSchema(db);
    const syncs = ["3NAAAAAAAAAAAAAAAAAAAAAAAAA", "3NBBBBBBBBBBBBBBBBBBBBBBBBB"];
    for (const [i, syncId] of syncs.entries()) insertSyncRun(db, { syncId, startedAt: new Date(Date.UTC(2026, 0, 1 + i)), syncToken: "{}" });
    const insert = db.prepare(
      `insert into v1_grants (resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id, external_id, data, sync_id, discovered_at)
       values ('group', ?, ?, 'user', ?, ?, ?, ?, '2026-01-01 00:00:00')`,
    );
    // Rows alternate between the syncs, with one sync's rows also before and after all of the other's.
    const expected = new Map<string, string[]>(syncs.map((s) => [s, []]));
    const add = (syncId: string, n: number) => {
      const entitlementId = `group:g${n % 7}:member`;
      const id = `${entitlementId}:user:u${n}`;
      insert.run(`g${n % 7}`, entitlementId, `u${n}`, id, toBinary(GrantSchema, create(GrantSchema, { id })), syncId);
      expected.get(syncId)!.push(`u${n}`);
    };
    add(syncs[0]!, 0);
    for (let n = 1; n < 200; n++) add(syncs[n % 3 === 0 ? 0 : 1]!, n);
    add(syncs[0]!, 200);
    for (const run of listSyncRuns(db)) {
      const snapshot = loadSnapshot(db, run, "test");
      const principals = Array.from(snapshot.grants.principal.subarray(0, snapshot.grants.count), (k) => snapshot.keys.values[k]!);
      expect(principals).toEqual(expected.get(run.syncId)!.map((u) => `user:${u}`));
    }
    db.close();
  });
});
