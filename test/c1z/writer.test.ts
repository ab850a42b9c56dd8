import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import BetterSqlite3 from "better-sqlite3";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { BATON_READER_MAX_DECODED_BYTES, C1Z_V1_MAGIC, decodedSizeWarning, MAX_WINDOW_BYTES, parseFrameHeader, writeC1z } from "../../src/c1z/container.js";
import { deterministicBinary } from "../../src/c1z/proto-bytes.js";
import { splitExpansion } from "../../src/c1z/rows.js";
import { createIndexes, deferIndexes, ensureSchema } from "../../src/c1z/schema.js";
import { computeSyncStats, syncStatsJson } from "../../src/c1z/stats.js";
import { insertSyncRun } from "../../src/c1z/sync-runs.js";
import { formatC1zTime } from "../../src/c1z/timestamps.js";
import { C1zWriter } from "../../src/c1z/writer.js";
import { annotation } from "../../src/connector/annotations.js";
import { GrantExpandableSchema, GrantImmutableSchema } from "../../src/gen/c1/connector/v2/annotation_grant_pb.js";
import { EntitlementSchema } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema } from "../../src/gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, ResourceTypeSchema } from "../../src/gen/c1/connector/v2/resource_pb.js";

function newDb() {
  const db = new BetterSqlite3(":memory:");
  ensureSchema(db);
  insertSyncRun(db, { syncId: "S1", startedAt: new Date(2025, 11, 17, 16, 31, 25, 57), syncToken: "{}" });
  return db;
}

const res = (type: string, id: string, parent?: [string, string]) =>
  create(ResourceSchema, { id: { resourceType: type, resource: id }, displayName: id, parentResourceId: parent ? { resourceType: parent[0], resource: parent[1] } : undefined });

describe("schema", () => {
  test("a sync defers the listing-ordered grant indexes only when it starts by deleting older syncs; the principal index always", () => {
    const grantIndexes = (db: BetterSqlite3.Database) =>
      db.prepare(`select name from sqlite_master where type = 'index' and tbl_name = 'v1_grants' and sql is not null order by name`).pluck().all();
    const listingOrdered = ["idx_grants_entitlement_id_principal_id_v1", "idx_grants_entitlement_sync_grant_v1", "idx_grants_resource_type_id_resource_id_v1"];
    const staying = ["idx_grants_external_sync_v1", "idx_grants_sync_expansion_v1", "idx_grants_sync_needs_expansion_v1"];
    const kept = newDb();
    expect(deferIndexes(kept)).toBe(true);
    expect(grantIndexes(kept)).toEqual([...listingOrdered, ...staying].sort());
    const deleting = newDb();
    deferIndexes(deleting, { deleting: true });
    expect(grantIndexes(deleting)).toEqual(staying);
    createIndexes(deleting);
    expect(grantIndexes(deleting)).toHaveLength(7);
  });

  test("tables, columns and index names are baton's v1 ones (including the swapped resource index names)", () => {
    const db = newDb();
    const indexes = db.prepare(`select name, tbl_name, sql from sqlite_master where type = 'index' and sql is not null order by name`).all() as Array<{ name: string; tbl_name: string; sql: string }>;
    const byName = Object.fromEntries(indexes.map((i) => [i.name, i.sql.replace(/\s+/g, " ")]));
    // Names and columns as they exist in real baton files (baton-contract.md §5.3).
    expect(byName.idx_resources_resource_type_id_v1).toMatch(/on v1_resources \(resource_type_id\)$/);
    expect(byName.idx_resources_external_sync_v1).toMatch(/on v1_resources \(parent_resource_type_id, parent_resource_id\)$/);
    expect(byName.idx_resources_parent_resource_id_v1).toMatch(/^create unique index .* on v1_resources \(external_id, sync_id\)$/i);
    expect(byName.idx_grants_sync_expansion_v1).toMatch(/\(sync_id\) where expansion is not null$/);
    expect(byName.idx_grants_sync_needs_expansion_v1).toMatch(/\(sync_id\) where needs_expansion = 1$/);
    expect(Object.keys(byName).sort()).toEqual(
      [
        "idx_assets_external_sync_v1",
        "idx_entitlements_external_sync_v1",
        "idx_entitlements_resource_id_v1",
        "idx_grants_entitlement_id_principal_id_v1",
        "idx_grants_entitlement_sync_grant_v1",
        "idx_grants_external_sync_v1",
        "idx_grants_principal_id_v1",
        "idx_grants_resource_type_id_resource_id_v1",
        "idx_grants_sync_expansion_v1",
        "idx_grants_sync_needs_expansion_v1",
        "idx_resource_types_external_sync_v1",
        "idx_resources_external_sync_v1",
        "idx_resources_parent_resource_id_v1",
        "idx_resources_resource_type_id_v1",
        "idx_session_store_sync_key_v1",
        "idx_sync_runs_sync_id_v1",
      ].sort(),
    );
    const columns = (table: string) => (db.prepare(`select name from pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((c) => c.name);
    expect(columns("v1_grants")).toEqual([
      "id",
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
    ]);
    expect(columns("v1_sync_runs")).toEqual([
      "id",
      "sync_id",
      "started_at",
      "ended_at",
      "sync_token",
      "sync_type",
      "parent_sync_id",
      "linked_sync_id",
      "supports_diff",
      "grants_backfilled",
      "stats",
      "ingest_invariant_generation",
      "ingest_invariant_coverage",
      "ingest_invariant_mode",
    ]);
    expect(columns("v1_resources")).toEqual(["id", "resource_type_id", "external_id", "parent_resource_type_id", "parent_resource_id", "data", "sync_id", "discovered_at"]);
    expect(columns("v1_entitlements")).toEqual(["id", "resource_type_id", "resource_id", "external_id", "data", "sync_id", "discovered_at"]);
    expect(columns("v1_resource_types")).toEqual(["id", "external_id", "data", "sync_id", "discovered_at"]);
  });

  test("the sync run row: KSUID-free id kept as given, baton time format, full type, grants_backfilled = 1", () => {
    const db = newDb();
    const row = db.prepare(`select * from v1_sync_runs`).get() as Record<string, unknown>;
    expect(row).toMatchObject({ sync_id: "S1", started_at: "2025-12-17 16:31:25.057", ended_at: null, sync_type: "full", grants_backfilled: 1, parent_sync_id: "" });
  });
});

describe("writer", () => {
  test("external ids and parent columns per table", () => {
    const db = newDb();
    const w = new C1zWriter(db, "S1");
    w.putResourceTypes([create(ResourceTypeSchema, { id: "role" })]);
    w.putResources([res("account", "a1"), res("role", "a1/admin", ["account", "a1"])]);
    const ent = create(EntitlementSchema, { id: "role:a1/admin:assignment", resource: res("role", "a1/admin", ["account", "a1"]) });
    w.putEntitlements([ent]);
    w.putGrants([create(GrantSchema, { id: "g-1", entitlement: ent, principal: res("user", "u1") })]);
    expect(db.prepare(`select external_id from v1_resource_types`).all()).toEqual([{ external_id: "role" }]);
    expect(db.prepare(`select resource_type_id, external_id, parent_resource_type_id, parent_resource_id from v1_resources order by id`).all()).toEqual([
      { resource_type_id: "account", external_id: "account:a1", parent_resource_type_id: null, parent_resource_id: null },
      { resource_type_id: "role", external_id: "role:a1/admin", parent_resource_type_id: "account", parent_resource_id: "a1" },
    ]);
    expect(db.prepare(`select resource_type_id, resource_id, external_id from v1_entitlements`).get()).toEqual({
      resource_type_id: "role",
      resource_id: "a1/admin",
      external_id: "role:a1/admin:assignment",
    });
    expect(db.prepare(`select resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id, external_id, expansion, needs_expansion from v1_grants`).get()).toEqual({
      resource_type_id: "role",
      resource_id: "a1/admin",
      entitlement_id: "role:a1/admin:assignment",
      principal_resource_type_id: "user",
      principal_resource_id: "u1",
      external_id: "g-1",
      expansion: null,
      needs_expansion: 0,
    });
  });

  test("GrantExpandable moves into the expansion column; blank ids do not need expansion", () => {
    const db = newDb();
    const w = new C1zWriter(db, "S1");
    const ent = create(EntitlementSchema, { id: "group:g1:member", resource: res("group", "g1") });
    const other = annotation(GrantImmutableSchema, { sourceId: "x" });
    const expandable = create(GrantExpandableSchema, { entitlementIds: ["group:g2:member"], shallow: true, resourceTypeIds: ["user"] });
    const n = w.putGrants([
      create(GrantSchema, { id: "a", entitlement: ent, principal: res("group", "g2"), annotations: [other, annotation(GrantExpandableSchema, expandable)] }),
      create(GrantSchema, { id: "b", entitlement: ent, principal: res("group", "g3"), annotations: [annotation(GrantExpandableSchema, { entitlementIds: ["  "] })] }),
    ]);
    expect(n).toBe(1);
    const rows = db.prepare(`select external_id, expansion, needs_expansion, data from v1_grants order by id`).all() as Array<{ external_id: string; expansion: Buffer | null; needs_expansion: number; data: Buffer }>;
    expect(fromBinary(GrantExpandableSchema, rows[0]!.expansion!)).toEqual(expandable);
    expect(rows[0]!.needs_expansion).toBe(1);
    expect(fromBinary(GrantSchema, rows[0]!.data).annotations.map((a) => a.typeUrl)).toEqual(["type.googleapis.com/c1.connector.v2.GrantImmutable"]);
    expect(rows[1]).toMatchObject({ expansion: null, needs_expansion: 0 });
    expect(fromBinary(GrantSchema, rows[1]!.data).annotations).toEqual([]);
  });

  test("a page of grants written at once gives the rows of writing them one by one, whatever it shares", () => {
    const entA = create(EntitlementSchema, { id: "group:g1:member", resource: res("group", "g1") });
    const entB = create(EntitlementSchema, { id: "role:r1:assignment", resource: res("role", "r1") });
    const expandable = annotation(GrantExpandableSchema, { entitlementIds: ["group:g2:member"] });
    const grant = (ent: typeof entA, type: string, id: string, extra: { grantId?: string; annotations?: (typeof expandable)[] } = {}) =>
      create(GrantSchema, { id: extra.grantId ?? `${ent.id}:${type}:${id}`, entitlement: ent, principal: res(type, id), annotations: extra.annotations ?? [] });
    const pages = {
      // One entitlement, principal type and conventional ids: every shared column bound once.
      uniform: Array.from({ length: 70 }, (_, i) => grant(entA, "user", `u${i}`)),
      // The same grant twice in one statement: the second is an upsert of the first.
      duplicate: [grant(entA, "user", "u1"), grant(entA, "user", "u2"), grant(entA, "user", "u1", { annotations: [expandable] })],
      mixed: [grant(entA, "user", "u1"), grant(entB, "group", "g2", { annotations: [expandable] }), grant(entA, "user", "u3", { grantId: "custom" })],
    };
    for (const [name, page] of Object.entries(pages)) {
      const dump = (write: (w: C1zWriter) => void) => {
        const db = newDb();
        write(new C1zWriter(db, "S1", () => new Date(2025, 0, 1)));
        return db.prepare(`select * from v1_grants order by id`).all();
      };
      // The reference: baton's PutGrants, one statement per grant.
      const db = newDb();
      const insert = db.prepare(
        `insert into v1_grants (resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id,
           external_id, expansion, needs_expansion, data, sync_id, discovered_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'S1', ?)
         on conflict (external_id, sync_id) do update set data = excluded.data, expansion = excluded.expansion,
           needs_expansion = case
             when excluded.expansion is null or excluded.expansion = x'' then 0
             when v1_grants.expansion is null and excluded.expansion is not null then 1
             when v1_grants.expansion is not null and excluded.expansion is not null and v1_grants.expansion != excluded.expansion then 1
             else v1_grants.needs_expansion end`,
      );
      for (const g of page) {
        const { stored, expansion } = splitExpansion(g);
        const r = g.entitlement!.resource!.id!;
        const p = g.principal!.id!;
        insert.run(r.resourceType, r.resource, g.entitlement!.id, p.resourceType, p.resource, g.id, expansion ?? null, expansion ? 1 : 0, deterministicBinary(GrantSchema, stored), formatC1zTime(new Date(2025, 0, 1)));
      }
      const reference = db.prepare(`select * from v1_grants order by id`).all();
      expect(dump((w) => w.putGrants(page)), name).toEqual(reference);
      expect(dump((w) => page.forEach((g) => w.putGrants([g]))), name).toEqual(reference);
    }
  });

  test("a page of resources written at once: the rows and row ids of one statement per resource", () => {
    const renamed = (type: string, id: string, parent?: [string, string]) => create(ResourceSchema, { ...res(type, id, parent), displayName: "renamed" });
    const earlier = [res("account", "a1"), res("role", "r0", ["account", "a1"])];
    // Shared and differing parents, a resource repeated within the page, one from an earlier page.
    const page = [res("role", "r1", ["account", "a1"]), res("role", "r2", ["account", "a2"]), renamed("role", "r1", ["account", "a1"]), renamed("account", "a1"), res("user", "u1")];
    const reference = () => {
      const db = newDb();
      const insert = db.prepare(
        `insert into v1_resources (resource_type_id, external_id, parent_resource_type_id, parent_resource_id, data, sync_id, discovered_at)
         values (?, ?, ?, ?, ?, 'S1', ?) on conflict (external_id, sync_id) do update set data = excluded.data returning id`,
      );
      const ids = [...earlier, ...page].map((r) => {
        const p = r.parentResourceId;
        return (insert.get(r.id!.resourceType, `${r.id!.resourceType}:${r.id!.resource}`, p?.resourceType ?? null, p?.resource ?? null, deterministicBinary(ResourceSchema, r), formatC1zTime(new Date(2025, 0, 1))) as { id: number }).id;
      });
      return { ids: ids.slice(earlier.length), rows: db.prepare(`select * from v1_resources order by id`).all() };
    };
    const db = newDb();
    const w = new C1zWriter(db, "S1", () => new Date(2025, 0, 1));
    w.putResources(earlier);
    const ids = w.putResourcesReturningIds(page);
    expect({ ids, rows: db.prepare(`select * from v1_resources order by id`).all() }).toEqual(reference());
  });

  test("upserts keep the first row's id and parent columns and replace data, as baton does", () => {
    const db = newDb();
    const w = new C1zWriter(db, "S1");
    w.putResources([res("role", "r1", ["account", "a1"])]);
    w.putResources([create(ResourceSchema, { id: { resourceType: "role", resource: "r1" }, displayName: "renamed" })]);
    const rows = db.prepare(`select id, parent_resource_id, data from v1_resources`).all() as Array<{ id: number; parent_resource_id: string; data: Buffer }>;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.parent_resource_id).toBe("a1");
    expect(fromBinary(ResourceSchema, rows[0]!.data).displayName).toBe("renamed");
  });

  test("stats JSON uses baton's snake_case keys, omits zeros, sorts keys and lists every resource type", () => {
    const db = newDb();
    const w = new C1zWriter(db, "S1");
    w.putResourceTypes([create(ResourceTypeSchema, { id: "user" }), create(ResourceTypeSchema, { id: "group" })]);
    w.putResources([res("group", "g1")]);
    w.putEntitlements([create(EntitlementSchema, { id: "group:g1:member", resource: res("group", "g1") })]);
    const json = syncStatsJson({ ...computeSyncStats(db, "S1"), stepDurationsMs: { b: 2, a: 1 }, connectorCallStats: { "list-grants": { count: 3, totalMs: 0, maxMs: 4 } } });
    expect(json).toBe(
      '{"resource_types":2,"resources":1,"entitlements":1,"resources_by_resource_type":{"group":1,"user":0},"entitlements_by_resource_type":{"group":1},"step_durations_ms":{"a":1,"b":2},"connector_call_stats":{"list-grants":{"count":3,"max_ms":4}}}',
    );
  });
});

describe("deterministic bytes", () => {
  test("map entries are written in Go's sorted key order whatever the insertion order", () => {
    const a = create(GrantSchema, { id: "x", sources: { sources: { "z:1": { isDirect: true }, "a:2": {}, "m:3": { isDirect: true } } } });
    const b = create(GrantSchema, { id: "x", sources: { sources: { "m:3": { isDirect: true }, "z:1": { isDirect: true }, "a:2": {} } } });
    const bytesA = deterministicBinary(GrantSchema, a);
    expect(Buffer.from(bytesA)).toEqual(Buffer.from(deterministicBinary(GrantSchema, b)));
    // Sorted: "a:2" first, then "m:3", then "z:1".
    const text = Buffer.from(bytesA).toString("latin1");
    expect(text.indexOf("a:2")).toBeLessThan(text.indexOf("m:3"));
    expect(text.indexOf("m:3")).toBeLessThan(text.indexOf("z:1"));
    expect(fromBinary(GrantSchema, bytesA)).toEqual(fromBinary(GrantSchema, toBinary(GrantSchema, a)));
  });

  test("nested Struct profiles are sorted too", () => {
    const one = create(ResourceSchema, { id: { resourceType: "u", resource: "1" }, profile: { zeta: 1, alpha: { y: 2, b: [1, { d: 1, c: 2 }] } } });
    const two = create(ResourceSchema, { id: { resourceType: "u", resource: "1" }, profile: { alpha: { b: [1, { c: 2, d: 1 }], y: 2 }, zeta: 1 } });
    expect(Buffer.from(deterministicBinary(ResourceSchema, one))).toEqual(Buffer.from(deterministicBinary(ResourceSchema, two)));
  });
});

describe("container", () => {
  test("magic, one zstd frame with content size and checksum, window well under 128 MiB", async () => {
    const dir = mkdtempSync(join(tmpdir(), "c1z-w-"));
    const db = new BetterSqlite3(join(dir, "db"));
    ensureSchema(db);
    const w = new C1zWriter(db, "S1");
    db.transaction(() => w.putResources(Array.from({ length: 5000 }, (_, i) => res("user", `u${i}`))))();
    db.close();
    const size = await writeC1z(join(dir, "db"), join(dir, "out.c1z"));
    const bytes = readFileSync(join(dir, "out.c1z"));
    expect(bytes.length).toBe(size);
    expect(bytes.subarray(0, 5)).toEqual(C1Z_V1_MAGIC);
    const header = parseFrameHeader(bytes.subarray(5));
    expect(header.contentSize).toBe(readFileSync(join(dir, "db")).length);
    expect(header.checksum).toBe(true);
    expect(header.windowSize).toBeGreaterThan(0);
    expect(header.windowSize).toBeLessThanOrEqual(MAX_WINDOW_BYTES);
  });

  test("a database larger than baton's reader opens by default is named, with the setting that lets it through", async () => {
    const dir = mkdtempSync(join(tmpdir(), "c1z-w-"));
    const db = new BetterSqlite3(join(dir, "db"));
    ensureSchema(db);
    db.close();
    await writeC1z(join(dir, "db"), join(dir, "small.c1z"));
    expect(await decodedSizeWarning(join(dir, "small.c1z"))).toBeUndefined();
    // Only the frame header is read: magic, frame header with an 8-byte content size (FCS flag 3), window 128 MiB.
    const frameHeader = (contentSize: bigint) => {
      const fcs = Buffer.alloc(8);
      fcs.writeBigUInt64LE(contentSize);
      return Buffer.concat([C1Z_V1_MAGIC, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xc4, (27 - 10) << 3]), fcs]);
    };
    writeFileSync(join(dir, "at-cap.c1z"), frameHeader(BigInt(BATON_READER_MAX_DECODED_BYTES)));
    expect(await decodedSizeWarning(join(dir, "at-cap.c1z"))).toBeUndefined();
    writeFileSync(join(dir, "large.c1z"), frameHeader(15_720_071_168n));
    const warning = await decodedSizeWarning(join(dir, "large.c1z"));
    expect(warning).toContain("14.6 GiB database");
    expect(warning).toContain("BATON_DECODER_MAX_DECODED_SIZE_MB is set (at least 14992)");
  });

  test("timestamps: Go layout, local time, trailing zeros trimmed", () => {
    expect(formatC1zTime(new Date(2025, 11, 17, 16, 31, 25, 57))).toBe("2025-12-17 16:31:25.057");
    expect(formatC1zTime(new Date(2025, 0, 2, 3, 4, 5, 500))).toBe("2025-01-02 03:04:05.5");
    expect(formatC1zTime(new Date(2025, 0, 2, 3, 4, 5, 0))).toBe("2025-01-02 03:04:05");
  });
});

describe("fast grant encoding", () => {
  test("GrantEncoder and encodeGrantParts produce exactly deterministicBinary's bytes", async () => {
    const { GrantEncoder, encodeGrantParts, lengthDelimitedField } = await import("../../src/c1z/grant-bytes.js");
    const entitlement = create(EntitlementSchema, {
      id: "group:g:member",
      resource: create(ResourceSchema, { id: { resourceType: "group", resource: "g" }, profile: { z: 1, a: "x" } }),
      slug: "member",
    });
    const principal = create(ResourceSchema, { id: { resourceType: "user", resource: "ü-1" }, displayName: "Ünïcödé" });
    const encoder = new GrantEncoder();
    const grants = [
      create(GrantSchema, { id: "a", entitlement, principal }),
      create(GrantSchema, { id: "b", entitlement, principal, annotations: [annotation(GrantImmutableSchema)], sources: { sources: { y: { isDirect: true }, b: {} } } }),
      create(GrantSchema, { id: "", entitlement, principal, sources: {} }),
      create(GrantSchema, { id: "x".repeat(300), entitlement, principal: create(ResourceSchema, { id: { resourceType: "u", resource: "y".repeat(200) } }) }),
    ];
    for (const g of grants) {
      const bytes = encoder.encode(g);
      expect(Buffer.from(bytes)).toEqual(Buffer.from(deterministicBinary(GrantSchema, g)));
      expect(Buffer.from(lengthDelimitedField(bytes, 2)!)).toEqual(Buffer.from(deterministicBinary(ResourceSchema, g.principal!)));
    }
    const parts = encodeGrantParts({
      entitlement: deterministicBinary(EntitlementSchema, entitlement),
      principal: deterministicBinary(ResourceSchema, principal),
      id: "b",
      annotations: [toBinary((await import("@bufbuild/protobuf/wkt")).AnySchema, annotation(GrantImmutableSchema))],
      sources: grants[1]!.sources,
    });
    expect(Buffer.from(parts)).toEqual(Buffer.from(deterministicBinary(GrantSchema, grants[1]!)));
  });
});

test("id-only principals (cached by id) encode exactly like full encoding", async () => {
  const { GrantEncoder, RESOURCE_FIELDS_CHECKED } = await import("../../src/c1z/grant-bytes.js");
  // The id-only check names Resource's fields one by one: a field added to the schema must be added there.
  expect(ResourceSchema.fields.map((f) => f.localName)).toEqual(RESOURCE_FIELDS_CHECKED);
  const encoder = new GrantEncoder();
  const entitlement = create(EntitlementSchema, { id: "e", resource: create(ResourceSchema, { id: { resourceType: "g", resource: "1" } }) });
  for (const principal of [
    create(ResourceSchema, { id: { resourceType: "user", resource: "u1" } }),
    create(ResourceSchema, { id: { resourceType: "user", resource: "u1" }, displayName: "not a stub" }),
    create(ResourceSchema, { id: { resourceType: "user", resource: "u1", batonResource: true } }),
    create(ResourceSchema, { id: { resourceType: "user", resource: "u1" } }),
    // Not ASCII: two- and four-byte characters, and a lone surrogate (written as U+FFFD).
    create(ResourceSchema, { id: { resourceType: "üser", resource: "𝒳-\ud800" } }),
  ]) {
    for (const id of ["x", "grüß 𝒳"]) {
      const grant = create(GrantSchema, { id, entitlement, principal });
      expect(Buffer.from(encoder.encode(grant))).toEqual(Buffer.from(deterministicBinary(GrantSchema, grant)));
    }
  }
});
