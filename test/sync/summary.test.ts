/**
 * The sync summary (`connector sync`, table and -o json) lists every warning the sync raised —
 * grant expansion's included, which once reached the log but not the summary.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSync } from "../../src/sync/engine.js";
import { buildSummary, renderSummary } from "../../src/sync/summary.js";
import { createFakeConnector, type FakeOrg } from "./fake-connector.js";

describe("sync summary warnings", () => {
  it("include grant expansion's: an edge from an entitlement the sync does not have", async () => {
    // g0 nests "ghost", a group the connector never lists: its member entitlement is missing.
    const org: FakeOrg = { users: ["u0", "u1"], groups: [{ id: "g0", members: ["u0"], subgroups: ["ghost"] }], accounts: [], assignments: [] };
    const seen: string[] = [];
    const result = await runSync({
      target: join(mkdtempSync(join(tmpdir(), "summary-")), "sync.c1z"),
      api: createFakeConnector(org).api,
      observer: { warning: (message) => seen.push(message) },
    });
    const expected = "grant expansion: 1 edge(s) name a source entitlement this sync does not have (skipped)";
    expect(seen).toContain(expected);
    const summary = buildSummary(result);
    expect(summary.warnings).toContain(expected);
    expect(summary.warningCount).toBe(summary.warnings.length);
    expect(JSON.parse(JSON.stringify(summary)).warnings).toContain(expected);
    expect(renderSummary(summary)).toContain(`  - ${expected}`);
  });
});
