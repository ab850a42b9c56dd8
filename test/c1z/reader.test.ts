import { create, toBinary } from "@bufbuild/protobuf";
import BetterSqlite3 from "better-sqlite3";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { C1zFormatError, readC1zToDb, writeC1z } from "../../src/c1z/container.js";
import { C1zReader } from "../../src/c1z/reader.js";
import { defaultSync, type SyncRun } from "../../src/c1z/sync-runs.js";
import { annotation } from "../../src/connector/annotations.js";
import { GrantExpandableSchema } from "../../src/gen/c1/connector/v2/annotation_grant_pb.js";
import { EntitlementSchema } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema } from "../../src/gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, ResourceTypeSchema } from "../../src/gen/c1/connector/v2/resource_pb.js";

const dir = mkdtempSync(join(tmpdir(), "c1z-r-"));

/** A file with the original, minimal v1 schema (before expansion columns and sync-run extras). */
async function minimalSchemaFile(): Promise<string> {
  const dbPath = join(dir, `old-${Math.random()}.db`);
  const db = new BetterSqlite3(dbPath);
  db.exec(`
    create table v1_resource_types (id integer primary key, external_id text not null, data blob not null, sync_id text not null, discovered_at datetime not null);
    create table v1_resources (id integer primary key, resource_type_id text not null, external_id text not null, parent_resource_type_id text, parent_resource_id text, data blob not null, sync_id text not null, discovered_at datetime not null);
    create table v1_entitlements (id integer primary key, resource_type_id text not null, resource_id text not null, external_id text not null, data blob not null, sync_id text not null, discovered_at datetime not null);
    create table v1_sync_runs (id integer primary key, sync_id text not null, started_at datetime not null, ended_at datetime, sync_token text not null, sync_type text not null default 'full', parent_sync_id text not null default '');
    create table v1_grants (id integer primary key, resource_type_id text not null, resource_id text not null, entitlement_id text not null, principal_resource_type_id text not null, principal_resource_id text not null, external_id text not null, data blob not null, sync_id text not null, discovered_at datetime not null);
  `);
  const at = "2025-12-17 16:31:25.057185";
  const group = create(ResourceSchema, { id: { resourceType: "group", resource: "g1" } });
  const user = create(ResourceSchema, { id: { resourceType: "user", resource: "u1" } });
  const ent = create(EntitlementSchema, { id: "group:g1:member", resource: group });
  // Old writers kept GrantExpandable inside the grant itself.
  const grant = create(GrantSchema, { id: "group:g1:member:user:u1", entitlement: ent, principal: user, annotations: [annotation(GrantExpandableSchema, { entitlementIds: ["x"] })] });
  for (const [sync, ended] of [
    ["36zfOAoWMxQdISbixanQCRBiX7E", "2025-12-17 16:33:36.381422"],
    ["36zfOAoWMxQdISbixanQCRBiX7F", null],
  ] as const) {
    db.prepare(`insert into v1_sync_runs (sync_id, started_at, ended_at, sync_token) values (?, ?, ?, '{"needs_expansion":true}')`).run(sync, at, ended);
    db.prepare(`insert into v1_resource_types (external_id, data, sync_id, discovered_at) values ('group', ?, ?, ?)`).run(toBinary(ResourceTypeSchema, create(ResourceTypeSchema, { id: "group" })), sync, at);
    db.prepare(`insert into v1_resources (resource_type_id, external_id, data, sync_id, discovered_at) values ('group', 'group:g1', ?, ?, ?)`).run(toBinary(ResourceSchema, group), sync, at);
    db.prepare(`insert into v1_entitlements (resource_type_id, resource_id, external_id, data, sync_id, discovered_at) values ('group', 'g1', ?, ?, ?, ?)`).run(ent.id, toBinary(EntitlementSchema, ent), sync, at);
    db.prepare(
      `insert into v1_grants (resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id, external_id, data, sync_id, discovered_at) values ('group', 'g1', ?, 'user', 'u1', ?, ?, ?, ?)`,
    ).run(ent.id, grant.id, toBinary(GrantSchema, grant), sync, at);
  }
  db.close();
  const out = join(dir, `old-${Math.random()}.c1z`);
  await writeC1z(dbPath, out);
  return out;
}

describe("reader", () => {
  test("opens a file with the original minimal schema and picks the finished full sync", async () => {
    const reader = await C1zReader.open(await minimalSchemaFile());
    try {
      const syncs = reader.syncs();
      expect(syncs.map((s) => s.syncId)).toEqual(["36zfOAoWMxQdISbixanQCRBiX7E", "36zfOAoWMxQdISbixanQCRBiX7F"]);
      const run = reader.resolveSync();
      expect(run.syncId).toBe("36zfOAoWMxQdISbixanQCRBiX7E");
      expect(reader.resourceTypes(run.syncId).map((t) => t.id)).toEqual(["group"]);
      expect([...reader.grants(run.syncId)].map((g) => g.id)).toEqual(["group:g1:member:user:u1"]);
      // No cached stats in old files: counted from the rows.
      expect(reader.stats(run.syncId)).toMatchObject({ resourceTypes: 1, resources: 1, entitlements: 1, grants: 1, grantsByResourceType: { group: 1 } });
    } finally {
      reader.close();
    }
  });

  test("default sync: latest finished full sync, else the latest unfinished one", () => {
    const run = (syncId: string, startedAt: string, endedAt: string | null, syncType = "full"): SyncRun => ({
      syncId,
      startedAt,
      endedAt,
      syncType,
      syncToken: "",
      parentSyncId: "",
      stats: null,
    });
    expect(defaultSync([run("a", "2025-01-01 00:00:00", "2025-01-01 01:00:00"), run("b", "2025-01-02 00:00:00", "2025-01-02 01:00:00"), run("c", "2025-01-03 00:00:00", null)])?.syncId).toBe("b");
    expect(defaultSync([run("a", "2025-01-01 00:00:00", "2025-01-05 00:00:00", "partial"), run("c", "2025-01-03 00:00:00", null), run("d", "2025-01-04 00:00:00", null)])?.syncId).toBe("d");
  });
});

/** A database of `rows` random blobs (incompressible), row i of `size(i)` bytes. */
function blobDatabase(name: string, rows: number, size: (i: number) => number): string {
  const dbPath = join(dir, name);
  const db = new BetterSqlite3(dbPath);
  db.exec(`create table t (id integer primary key, v blob)`);
  const insert = db.prepare(`insert into t (v) values (randomblob(?))`);
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(size(i));
  })();
  db.close();
  return dbPath;
}

describe("decompression", () => {
  test("a database larger than the decompression buffer comes back byte for byte, durable or not", async () => {
    // Several 4 MiB output chunks, and an end that is no multiple of one.
    const dbPath = blobDatabase("big.db", 1300, (i) => 10_000 + i);
    const original = readFileSync(dbPath);
    expect(original.length).toBeGreaterThan(3 * 4 * 1024 * 1024);
    expect(original.length % (4 * 1024 * 1024)).not.toBe(0);
    const c1z = join(dir, "big.c1z");
    await writeC1z(dbPath, c1z);
    for (const durable of [true, false]) {
      const back = join(dir, `big-back-${durable}.db`);
      await readC1zToDb(c1z, back, { durable });
      expect(readFileSync(back).equals(original)).toBe(true);
    }
  });

  // /dev/full (Linux) fails every write with ENOSPC, as a full disk does.
  test.runIf(existsSync("/dev/full"))("a write that fails (a full disk) is the error reported, not an unhandled rejection", async () => {
    const dbPath = blobDatabase("full.db", 200, () => 100_000);
    const c1z = join(dir, "full.c1z");
    await writeC1z(dbPath, c1z);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      await expect(readC1zToDb(c1z, "/dev/full", { durable: false })).rejects.toMatchObject({ code: "ENOSPC" });
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});

describe("damaged files", () => {
  const open = (bytes: Uint8Array) => {
    const path = join(dir, `bad-${Math.random()}.c1z`);
    writeFileSync(path, bytes);
    return C1zReader.open(path);
  };

  test.each([
    ["truncated in the middle", (good: Buffer) => good.subarray(0, Math.floor(good.length / 2)), /truncated/],
    ["truncated to its header", (good: Buffer) => good.subarray(0, 3), /truncated/],
    ["a byte flipped inside the frame", (good: Buffer) => flip(good, Math.floor(good.length * 0.6)), /corrupted/],
    ["garbage after the frame", (good: Buffer) => Buffer.concat([good, Buffer.from("trailing")]), /corrupted/],
    ["not a c1z at all", () => Buffer.from("hello world, this is not a c1z"), /not a c1z file/],
    ["a c1z v3 (Pebble) file", () => Buffer.concat([Buffer.from("C1Z3\0", "latin1"), Buffer.alloc(64)]), /v3/],
  ])("%s → a one-line C1zFormatError", async (_name, damage, message) => {
    const good = readFileSync(await minimalSchemaFile());
    const error = await open(damage(good)).then(
      (r) => {
        r.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(C1zFormatError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("\n");
  });

  test("a well-formed frame whose content is not a c1z database", async () => {
    const dbPath = join(dir, "not-c1z.db");
    new BetterSqlite3(dbPath).exec("create table t (x)");
    const path = join(dir, "not-c1z.c1z");
    await writeC1z(dbPath, path);
    await expect(C1zReader.open(path)).rejects.toThrow(/not a baton c1z v1 database/);
  });

  test("inspect on a damaged file: one line on stderr, exit code 1", async () => {
    const good = readFileSync(await minimalSchemaFile());
    const path = join(dir, "cut.c1z");
    writeFileSync(path, good.subarray(0, good.length - 40));
    const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "inspect", "stats", "--file", path], { encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/^connector: .*cut\.c1z is truncated/);
  });
});

function flip(buf: Buffer, at: number): Buffer {
  const copy = Buffer.from(buf);
  copy[at] = copy[at]! ^ 0xff;
  return copy;
}
