import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { runSync, type SyncOptions } from "../../src/sync/engine.js";
import { dumpC1z } from "./dump.js";
import { createFakeConnector, demoOrg, type FakeOptions, type FakeOrg } from "./fake-connector.js";

/**
 * Expansion steps run during the grants phase (src/sync/early-expansion.ts) must leave exactly
 * the grants the final pass alone leaves: same rows, same bytes (row ids aside, as the steps run
 * at other points of the commit order).
 */
async function sync(org: FakeOrg, fake: FakeOptions, options: Partial<SyncOptions>) {
  const target = join(mkdtempSync(join(tmpdir(), "early-")), "sync.c1z");
  const { api } = createFakeConnector(org, fake);
  let finalPassSteps = 0;
  const result = await runSync({
    target,
    api,
    workers: 4,
    observer: { phase: (phase, info) => void (phase === "expansion" && (finalPassSteps = (info as { jobs: number }).jobs)) },
    ...options,
  });
  return { result, rows: withoutRowIds(await dumpC1z(target)), finalPassSteps };
}

function withoutRowIds(dump: Record<string, unknown[]>) {
  return Object.fromEntries(
    Object.entries(dump).map(([table, rows]) => [
      table,
      (rows as Array<Record<string, unknown>>)
        .map(({ id: _id, ...rest }) => rest)
        .sort((a, b) => String(a.external_id ?? "").localeCompare(String(b.external_id ?? ""))),
    ]),
  );
}

/** Groups nested in chains and in a cycle, assigned to roles directly and through the chain. */
function nestedOrg(): FakeOrg {
  const org = demoOrg(2);
  const [g0, g1, g2, g3] = org.groups;
  g3!.subgroups = [g2!.id]; // g2 ⊂ g3 ⊂ g2 … with g2 ⊂ g3 below: a cycle
  g2!.subgroups = [g3!.id];
  g0!.shallowSubgroups = [g1!.id];
  org.assignments.push({ role: `${org.accounts[0]!.id}/read`, groups: [g3!.id, g1!.id], users: [org.users[3]!] });
  return org;
}

describe("grant expansion during the grants phase", () => {
  test("gives the rows of the final pass alone, for chains, shallow edges and cycles", async () => {
    for (const org of [demoOrg(), demoOrg(3), nestedOrg()]) {
      const early = await sync(org, { maxLatencyMs: 2, seed: 3 }, {});
      const late = await sync(org, { maxLatencyMs: 2, seed: 4 }, { expandEarly: false });
      expect(early.rows).toEqual(late.rows);
      expect(early.result.expandedGrants).toBe(late.result.expandedGrants);
      // Work did move out of the final pass.
      expect(early.finalPassSteps).toBeLessThan(late.finalPassSteps);
    }
  });

  test("chains run early link by link: without a cycle nothing is left for the final pass", async () => {
    // demoOrg nests every odd group in the even one before it (g1 ⊂ g0 …) and assigns roles to
    // groups: member → member → role steps, the second of each chain from a source that is no root.
    for (const org of [demoOrg(), demoOrg(3)]) {
      expect(org.groups.some((g) => g.subgroups.length > 0)).toBe(true);
      const early = await sync(org, { maxLatencyMs: 2, seed: 5 }, {});
      const late = await sync(org, { maxLatencyMs: 2, seed: 6 }, { expandEarly: false });
      expect(early.rows).toEqual(late.rows);
      expect(late.finalPassSteps).toBeGreaterThan(0);
      expect(early.finalPassSteps).toBe(0);
    }
    // A cycle's steps never run early (each waits for the other); the rest still may.
    const cyclic = await sync(nestedOrg(), { maxLatencyMs: 2, seed: 7 }, {});
    expect(cyclic.finalPassSteps).toBeGreaterThan(0);
  });

  test("an early step whose spec the final plan merges with a cycle's is undone: the final pass does it all", async () => {
    const org = demoOrg(2);
    const [root, a, b] = [org.groups[8]!, org.groups[6]!, org.groups[7]!];
    root.subgroups = [];
    // a and b form a cycle; root reaches a shallowly and b deeply, so the collapsed pair gets a deep edge.
    a.subgroups = [b.id];
    a.shallowSubgroups = [root.id];
    b.subgroups = [a.id, root.id];
    const early = await sync(org, {}, {});
    const late = await sync(org, {}, { expandEarly: false });
    expect(early.rows).toEqual(late.rows);
    expect(early.finalPassSteps).toBe(late.finalPassSteps);
  });

  test("a grant on another resource's entitlement undoes every early step: the final pass does it all", async () => {
    const org = demoOrg(2);
    // A user of no group, given membership of a root group by the last role's listing.
    const foreignGrant = { role: org.accounts.at(-1)!.id + "/read", group: org.groups.at(-1)!.id, user: "outsider" };
    org.users.push("outsider");
    const early = await sync(org, { foreignGrant }, {});
    const late = await sync(org, { foreignGrant }, { expandEarly: false });
    expect(early.rows).toEqual(late.rows);
    expect(early.finalPassSteps).toBe(late.finalPassSteps);
    expect(early.result.expandedGrants).toBe(late.result.expandedGrants);
  });
});
