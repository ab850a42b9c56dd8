import { create } from "@bufbuild/protobuf";
import BetterSqlite3 from "better-sqlite3";
import { describe, expect, test } from "vitest";
import { RowEncoder } from "../../src/c1z/rows.js";
import { ensureSchema } from "../../src/c1z/schema.js";
import { C1zWriter } from "../../src/c1z/writer.js";
import { annotation } from "../../src/connector/annotations.js";
import { GrantExpandableSchema } from "../../src/gen/c1/connector/v2/annotation_grant_pb.js";
import { EntitlementSchema, type Entitlement } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema, type Grant } from "../../src/gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { applyExpansion, loadExpansionGraph } from "../../src/sync/expansion.js";
import { IncrementalSession } from "../../src/sync/incremental-store.js";

const res = (type: string, id: string) => create(ResourceSchema, { id: { resourceType: type, resource: id }, displayName: `${type} ${id}` });
const ent = (type: string, id: string, description = "") => create(EntitlementSchema, { id: `${type}:${id}:member`, resource: res(type, id), slug: "member", description });
const grant = (e: Entitlement, principalType: string, principalId: string, expand?: string[]): Grant =>
  create(GrantSchema, {
    id: `${e.id}:${principalType}:${principalId}`,
    entitlement: e,
    principal: res(principalType, principalId),
    annotations: expand ? [annotation(GrantExpandableSchema, { entitlementIds: expand, shallow: false, resourceTypeIds: [] })] : [],
  });

/** An organisation: alice in g2, g2 and bob in g1, g1 assigned the role; `g2` may be described, and carol added to it. */
function org(options: { g2Description?: string; carol?: boolean } = {}) {
  const g1 = ent("group", "g1");
  const g2 = ent("group", "g2", options.g2Description);
  const role = ent("role", "admin");
  const grants = {
    g2: [grant(g2, "user", "alice"), ...(options.carol ? [grant(g2, "user", "carol")] : [])],
    g1: [grant(g1, "user", "bob"), grant(g1, "group", "g2", [g2.id])],
    role: [grant(role, "group", "g1", [g1.id])],
  };
  return { entitlements: { g1, g2, role }, grants };
}

/** A sync's rows in an in-memory c1z, expanded in full. */
function expandedStore(o: ReturnType<typeof org>) {
  const db = new BetterSqlite3(":memory:");
  ensureSchema(db);
  const writer = new C1zWriter(db, "S");
  writer.putEntitlements(Object.values(o.entitlements));
  writer.putGrants(Object.values(o.grants).flat());
  const store = { db, writer, syncId: "S" };
  applyExpansion(store, loadExpansionGraph(store).graph.rounds(), { round: 0, edge: 0 }, () => undefined);
  return { db, writer };
}

const rowsOf = (db: BetterSqlite3.Database) => db.prepare(`select external_id, entitlement_id, expansion, needs_expansion, data from v1_grants order by external_id`).all();

describe("incremental replacement of a resource's entitlements and grants", () => {
  const rows = new RowEncoder();

  test("a listing that did not change leaves every row as it was, derived grants and merged sources included", () => {
    const o = org();
    const { db, writer } = expandedStore(o);
    const before = rowsOf(db);
    const session = new IncrementalSession(db, writer, "S");
    expect(session.replaceEntitlements("group", "g1", rows.entitlements([o.entitlements.g1]))).toEqual([]);
    expect(session.replaceGrants("group", "g1", rows.grants(o.grants.g1))).toEqual([]);
    expect(session.replaceGrants("role", "admin", rows.grants(o.grants.role))).toEqual([]);
    expect(session.reexpand([])).toEqual({ destinations: 0, created: 0 });
    expect(rowsOf(db)).toEqual(before);
  });

  test("an entitlement whose own bytes changed is re-expanded alone, and the rows equal a full expansion", () => {
    const changed = org({ g2Description: "now described" });
    const { db, writer } = expandedStore(org());
    const session = new IncrementalSession(db, writer, "S");
    const seeds = [
      ...session.replaceEntitlements("group", "g2", rows.entitlements([changed.entitlements.g2])),
      ...session.replaceGrants("group", "g2", rows.grants(changed.grants.g2)),
    ];
    expect(new Set(seeds)).toEqual(new Set([changed.entitlements.g2.id]));
    // g2 is no destination, and its members are who they were: g1 and the role keep their rows.
    expect(session.reexpand(seeds).destinations).toBe(0);
    expect(rowsOf(db)).toEqual(rowsOf(expandedStore(changed).db));
  });

  test("a new member reaches every destination downstream, and the rows equal a full expansion", () => {
    const changed = org({ carol: true });
    const { db, writer } = expandedStore(org());
    const session = new IncrementalSession(db, writer, "S");
    const seeds = session.replaceGrants("group", "g2", rows.grants(changed.grants.g2));
    expect(seeds).toEqual([changed.entitlements.g2.id]);
    expect(session.reexpand(seeds).destinations).toBe(2);
    expect(rowsOf(db)).toEqual(rowsOf(expandedStore(changed).db));
  });
});
