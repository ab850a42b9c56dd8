import { create, fromBinary } from "@bufbuild/protobuf";
import { anyIs } from "@bufbuild/protobuf/wkt";
import BetterSqlite3 from "better-sqlite3";
import { describe, expect, test } from "vitest";
import { ensureSchema } from "../../src/c1z/schema.js";
import { C1zWriter } from "../../src/c1z/writer.js";
import { annotation } from "../../src/connector/annotations.js";
import { GrantExpandableSchema, GrantImmutableSchema } from "../../src/gen/c1/connector/v2/annotation_grant_pb.js";
import { EntitlementSchema, type Entitlement } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema, type Grant } from "../../src/gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { SyncError } from "../../src/sync/context.js";
import { EntitlementGraph, MAX_DEPTH, MaxDepthExceededError } from "../../src/sync/expansion-graph.js";
import { applyExpansion, loadExpansionGraph } from "../../src/sync/expansion.js";

const res = (type: string, id: string) => create(ResourceSchema, { id: { resourceType: type, resource: id }, displayName: `${type} ${id}` });
const ent = (type: string, id: string, slug = "member") => create(EntitlementSchema, { id: `${type}:${id}:${slug}`, resource: res(type, id), slug });

/** A sync's rows in an in-memory c1z, written through the real writer. */
function store() {
  const db = new BetterSqlite3(":memory:");
  ensureSchema(db);
  const writer = new C1zWriter(db, "S");
  const grant = (e: Entitlement, principalType: string, principalId: string, expand?: { ids: string[]; shallow?: boolean; types?: string[] }): Grant =>
    create(GrantSchema, {
      id: `${e.id}:${principalType}:${principalId}`,
      entitlement: e,
      principal: res(principalType, principalId),
      annotations: expand ? [annotation(GrantExpandableSchema, { entitlementIds: expand.ids, shallow: expand.shallow ?? false, resourceTypeIds: expand.types ?? [] })] : [],
    });
  return {
    db,
    writer,
    syncId: "S",
    grant,
    put(entitlements: Entitlement[], grants: Grant[]) {
      writer.putEntitlements(entitlements);
      writer.putGrants(grants);
    },
    async expand() {
      const { graph } = loadExpansionGraph({ db, writer, syncId: "S" });
      return applyExpansion({ db, writer, syncId: "S" }, graph.rounds(), { round: 0, edge: 0 }, () => undefined);
    },
    grants(): Map<string, Grant> {
      const rows = db.prepare(`select data from v1_grants where sync_id = 'S' order by id`).all() as Array<{ data: Buffer }>;
      return new Map(rows.map((r) => fromBinary(GrantSchema, r.data)).map((g) => [g.id, g]));
    },
  };
}

const sources = (g: Grant | undefined) =>
  Object.fromEntries(Object.entries(g?.sources?.sources ?? {}).map(([k, v]) => [k, v.isDirect]));

describe("grant expansion over c1z rows", () => {
  test("nested groups and a role assigned to a group: everyone who can reach it gets a derived grant", async () => {
    const s = store();
    const g1 = ent("group", "g1");
    const g2 = ent("group", "g2");
    const role = ent("role", "admin", "assignment");
    s.put(
      [g1, g2, role],
      [
        s.grant(g2, "user", "alice"),
        s.grant(g1, "user", "bob"),
        s.grant(g1, "group", "g2", { ids: [g2.id] }), // g2 is a member of g1
        s.grant(role, "group", "g1", { ids: [g1.id] }), // g1 is assigned the role
      ],
    );
    const totals = await s.expand();
    const grants = s.grants();
    // alice reaches g1 through g2, and the role through g1.
    const derived = grants.get("group:g1:member:user:alice")!;
    expect(sources(derived)).toEqual({ [g2.id]: true });
    expect(derived.annotations.some((a) => anyIs(a, GrantImmutableSchema))).toBe(true);
    expect(derived.principal?.displayName).toBe("user alice");
    expect(derived.entitlement?.id).toBe(g1.id);
    expect(sources(grants.get("role:admin:assignment:user:bob"))).toEqual({ [g1.id]: true });
    // alice's g1 grant is itself derived, so for the role it is an indirect source.
    expect(sources(grants.get("role:admin:assignment:user:alice"))).toEqual({ [g1.id]: false });
    // g2 is a direct member of g1.
    expect(sources(grants.get("role:admin:assignment:group:g2"))).toEqual({ [g1.id]: true });
    expect(totals.created).toBe(4); // g1 ← alice; role ← bob, alice, g2
    expect([...grants.keys()].sort()).toEqual(
      [
        "group:g2:member:user:alice",
        "group:g1:member:user:bob",
        "group:g1:member:group:g2",
        "role:admin:assignment:group:g1",
        "group:g1:member:user:alice",
        "role:admin:assignment:user:bob",
        "role:admin:assignment:group:g2",
        "role:admin:assignment:user:alice",
      ].sort(),
    );
    // Derived rows keep expansion NULL / needs_expansion 0; sources rows keep their expansion.
    expect(s.db.prepare(`select count(*) as n from v1_grants where needs_expansion = 1`).get()).toEqual({ n: 2 });
  });

  test("shallow: only principals holding the source directly", async () => {
    const s = store();
    const inner = ent("group", "inner");
    const mid = ent("group", "mid");
    const role = ent("role", "r", "assignment");
    s.put(
      [inner, mid, role],
      [
        s.grant(inner, "user", "deep"),
        s.grant(mid, "user", "direct"),
        s.grant(mid, "group", "inner", { ids: [inner.id] }),
        s.grant(role, "group", "mid", { ids: [mid.id], shallow: true }),
      ],
    );
    await s.expand();
    const grants = s.grants();
    expect(grants.has("group:mid:member:user:deep")).toBe(true);
    expect(grants.has("role:r:assignment:user:direct")).toBe(true);
    expect(grants.has("role:r:assignment:group:inner")).toBe(true); // a direct grant of mid
    expect(grants.has("role:r:assignment:user:deep")).toBe(false); // deep holds mid only through inner
  });

  test("resource_type_ids: only principals of the listed types", async () => {
    const s = store();
    const g = ent("group", "g");
    const role = ent("role", "r", "assignment");
    s.put([g, role], [s.grant(g, "user", "u"), s.grant(g, "service", "svc"), s.grant(role, "group", "g", { ids: [g.id], types: ["user"] })]);
    await s.expand();
    const grants = s.grants();
    expect(grants.has("role:r:assignment:user:u")).toBe(true);
    expect(grants.has("role:r:assignment:service:svc")).toBe(false);
  });

  test("a principal that already holds the destination gets the source merged into its grant", async () => {
    const s = store();
    const g = ent("group", "g");
    const role = ent("role", "r", "assignment");
    const existing = s.grant(role, "user", "u");
    s.put([g, role], [s.grant(g, "user", "u"), existing, s.grant(role, "group", "g", { ids: [g.id] })]);
    const before = s.db.prepare(`select id from v1_grants where external_id = ?`).get(existing.id);
    const totals = await s.expand();
    const merged = s.grants().get(existing.id)!;
    expect(sources(merged)).toEqual({ [role.id]: true, [g.id]: true });
    expect(merged.annotations.some((a) => anyIs(a, GrantImmutableSchema))).toBe(false);
    expect(s.db.prepare(`select id from v1_grants where external_id = ?`).get(existing.id)).toEqual(before);
    expect(totals).toMatchObject({ created: 0, updated: 1 });
  });

  test("a destination many principals reach: those holding it already get the source merged, before and after its holders are loaded at once", async () => {
    const s = store();
    const g = ent("group", "g");
    const role = ent("role", "r", "assignment");
    const users = Array.from({ length: 150 }, (_, i) => `u${String(i).padStart(3, "0")}`);
    // Direct holders among the first principals looked up one by one, and among the later ones.
    const direct = new Set(["u003", "u040", "u070", "u149"]);
    s.put(
      [g, role],
      [...users.map((u) => s.grant(g, "user", u)), ...[...direct].map((u) => s.grant(role, "user", u)), s.grant(role, "group", "g", { ids: [g.id] })],
    );
    const totals = await s.expand();
    const grants = s.grants();
    for (const u of users) {
      expect(sources(grants.get(`${role.id}:user:${u}`)), u).toEqual(direct.has(u) ? { [role.id]: true, [g.id]: true } : { [g.id]: true });
    }
    expect(totals).toMatchObject({ created: users.length - direct.size, updated: direct.size });
  });

  test("a run stopped for checkpoints after every step gives the rows of a run in one go, and never stops within a destination's steps", async () => {
    const build = () => {
      const s = store();
      const a = ent("group", "a");
      const b = ent("group", "b");
      const top = ent("group", "top");
      const role = ent("role", "r", "assignment");
      const other = ent("role", "o", "assignment");
      s.put(
        [a, b, top, role, other],
        [
          s.grant(a, "user", "u1"),
          s.grant(a, "user", "u2"),
          s.grant(b, "user", "u2"),
          s.grant(b, "user", "u3"),
          s.grant(top, "group", "a", { ids: [a.id] }),
          s.grant(role, "group", "a", { ids: [a.id] }),
          s.grant(role, "group", "b", { ids: [b.id] }),
          s.grant(role, "user", "u3"),
          s.grant(other, "group", "b", { ids: [b.id] }),
          s.grant(other, "group", "top", { ids: [top.id] }),
        ],
      );
      return s;
    };
    const rows = (s: ReturnType<typeof store>) => s.db.prepare(`select id, external_id, data from v1_grants order by id`).all();
    const whole = build();
    await whole.expand();

    const sliced = build();
    const rounds = loadExpansionGraph(sliced).graph.rounds();
    let start = { round: 0, edge: 0 };
    let slices = 0;
    for (;;) {
      let at = start;
      const totals = applyExpansion(sliced, rounds, start, (round, step) => {
        at = { round, edge: step + 1 };
        return true;
      });
      slices++;
      if (totals.done) break;
      const steps = rounds[at.round]!;
      // Stopped after a destination's last step (or a round's).
      if (at.edge < steps.length) expect(steps[at.edge]!.destination).not.toBe(steps[at.edge - 1]!.destination);
      start = at;
    }
    expect(rounds.flat().filter((step) => step.destination === "role:r:assignment")).toHaveLength(2);
    expect(slices).toBeGreaterThan(1);
    expect(slices).toBeLessThan(rounds.flat().length + 1);
    expect(rows(sliced)).toEqual(rows(whole));
  });

  test("a source entitlement that does not belong to the grant's principal fails the sync, as in baton", async () => {
    const s = store();
    const g = ent("group", "g");
    const other = ent("group", "other");
    const role = ent("role", "r", "assignment");
    s.put([g, other, role], [s.grant(role, "group", "g", { ids: [other.id] })]);
    expect(() => loadExpansionGraph(s)).toThrow(SyncError);
  });

  test("edges naming an unknown source entitlement are skipped", async () => {
    const s = store();
    const role = ent("role", "r", "assignment");
    s.put([role], [s.grant(role, "group", "ghost", { ids: ["group:ghost:member"] })]);
    const { graph, missingSources } = loadExpansionGraph(s);
    expect(missingSources).toBe(1);
    expect(graph.edgeCount).toBe(0);
  });

  test("a cycle of groups collapses; the groups outside it still get everything", async () => {
    const s = store();
    const a = ent("group", "a");
    const b = ent("group", "b");
    const role = ent("role", "r", "assignment");
    s.put(
      [a, b, role],
      [
        s.grant(a, "user", "ua"),
        s.grant(b, "user", "ub"),
        s.grant(a, "group", "b", { ids: [b.id] }),
        s.grant(b, "group", "a", { ids: [a.id] }),
        s.grant(role, "group", "a", { ids: [a.id] }),
      ],
    );
    await s.expand();
    const grants = s.grants();
    // baton drops the edges inside a collapsed cycle: members of a do not become members of b.
    expect(grants.has("group:b:member:user:ua")).toBe(false);
    expect(grants.has("group:a:member:user:ub")).toBe(false);
    // The edge out of the cycle (a → role) expands from every entitlement of the cycle.
    expect(grants.has("role:r:assignment:user:ua")).toBe(true);
    expect(grants.has("role:r:assignment:user:ub")).toBe(true);
    expect(sources(grants.get("role:r:assignment:user:ub"))).toEqual({ [b.id]: true });
  });
});

describe("entitlement graph", () => {
  const spec = (shallow = false, resourceTypeIds: string[] = []) => ({ shallow, resourceTypeIds });

  test("rounds follow depth: a node's edges run after every edge into it", () => {
    const g = new EntitlementGraph();
    g.addEdge("c", "d", spec());
    g.addEdge("a", "b", spec());
    g.addEdge("b", "c", spec());
    g.addEdge("a", "c", spec());
    expect(g.rounds().map((r) => r.map((s) => `${s.source}>${s.destination}`))).toEqual([["a>b", "a>c"], ["b>c"], ["c>d"]]);
  });

  test("duplicate edges merge: deep wins, unfiltered wins, filters union", () => {
    const g = new EntitlementGraph();
    g.addEdge("a", "b", spec(true, ["user"]));
    g.addEdge("a", "b", spec(false, ["group"]));
    g.addEdge("x", "y", spec(true, ["user"]));
    g.addEdge("x", "y", spec(true, []));
    const steps = g.rounds()[0]!;
    expect(steps).toEqual([
      { source: "a", destination: "b", shallow: false, resourceTypeIds: ["group", "user"] },
      { source: "x", destination: "y", shallow: true, resourceTypeIds: [] },
    ]);
  });

  test("cycles and self-loops collapse into one node; edges in and out are kept per neighbour", () => {
    const g = new EntitlementGraph();
    g.addEdge("a", "b", spec());
    g.addEdge("b", "c", spec());
    g.addEdge("c", "a", spec());
    g.addEdge("s", "s", spec());
    g.addEdge("in", "a", spec(true));
    g.addEdge("in", "b", spec(true, ["user"]));
    g.addEdge("c", "out", spec());
    g.collapseCycles();
    expect(g.cycles()).toEqual([["a", "b", "c"]]);
    const rounds = g.rounds().map((r) => r.map((s) => `${s.source}>${s.destination}${s.shallow ? " shallow" : ""}`));
    expect(rounds).toEqual([["in>a shallow", "in>b shallow", "in>c shallow"], ["a>out", "b>out", "c>out"]]);
  });

  test(`depth cap: ${MAX_DEPTH} rounds are fine, one more fails`, () => {
    const chain = (n: number) => {
      const g = new EntitlementGraph();
      for (let i = 0; i < n; i++) g.addEdge(`e${i}`, `e${i + 1}`, spec());
      return g;
    };
    expect(chain(MAX_DEPTH).rounds()).toHaveLength(MAX_DEPTH);
    expect(() => chain(MAX_DEPTH + 1).rounds()).toThrow(MaxDepthExceededError);
  });
});
