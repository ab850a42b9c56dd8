import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { C1zReader } from "../../src/c1z/reader.js";
import { silentLogger } from "../../src/log.js";
import { defaultConfig } from "../../src/config/config.js";
import { startDemoConnector } from "../../src/sync/demo.js";
import { runSync } from "../../src/sync/engine.js";
import { batonJson, findBaton, isUnavailable, skipOrFail, type Unavailable } from "./go-tools.js";
import { JsonPathTap, tapCommand } from "./json-stream.js";

/**
 * The official reader — the `baton` command of github.com/conductorone/baton-sdk v0.25.0 — opens
 * the files `connector sync` writes, and its stats, resources, entitlements and grants agree with
 * our own reader's counts and ids.
 */
let baton: string | Unavailable;
beforeAll(() => {
  baton = findBaton();
}, 900_000);

const dir = mkdtempSync(join(tmpdir(), "interop-reader-"));
const opened: C1zReader[] = [];
afterAll(() => opened.forEach((r) => r.close()));

interface Id {
  resourceType: string;
  resource: string;
}
type Json = Record<string, unknown>;

async function syncProfile(profile: string): Promise<string> {
  const demo = await startDemoConnector(defaultConfig({ stateDir: dir }), { profile, log: silentLogger });
  const target = join(dir, `${profile}.c1z`);
  try {
    await runSync({ target, api: demo.connector.api });
  } finally {
    await demo.close();
  }
  return target;
}

describe.each(["demo", "medium"])("baton reader on our %s file", (profile) => {
  let file: string;
  let ours: C1zReader;
  let syncId: string;
  beforeAll(async () => {
    if (isUnavailable(baton)) return;
    file = await syncProfile(profile);
    ours = await C1zReader.open(file);
    opened.push(ours);
    syncId = ours.resolveSync().syncId;
  }, 900_000);

  test("stats", (ctx) => {
    if (isUnavailable(baton)) return skipOrFail(ctx.skip, baton);
    const run = batonJson<Json>(baton, file, ["stats"]);
    const stats = run.stats as Json;
    const mine = ours.stats(syncId);
    expect(run.id).toBe(syncId);
    expect(run.syncType).toBe("full");
    // protojson writes int64 as strings.
    expect(Number(stats.resourceTypes)).toBe(mine.resourceTypes);
    expect(Number(stats.resources)).toBe(mine.resources);
    expect(Number(stats.entitlements)).toBe(mine.entitlements);
    expect(Number(stats.grants)).toBe(mine.grants);
    const numbers = (m: unknown) => Object.fromEntries(Object.entries((m ?? {}) as Json).map(([k, v]) => [k, Number(v)]));
    expect(numbers(stats.grantsByResourceType)).toEqual(mine.grantsByResourceType);
    expect(numbers(stats.resourcesByResourceType)).toEqual(mine.resourcesByResourceType);
    // And the counts are the rows themselves.
    expect(mine.grants).toBe([...ours.grantSources(syncId)].length);
  });

  test("resources", (ctx) => {
    if (isUnavailable(baton)) return skipOrFail(ctx.skip, baton);
    const listed = batonJson<{ resources: Array<{ resource: { id: Id; parentResourceId?: Id } }> }>(baton, file, ["resources"]).resources;
    const key = (id?: Id) => (id ? `${id.resourceType}:${id.resource}` : "");
    expect(listed.map((r) => `${key(r.resource.id)}<${key(r.resource.parentResourceId)}`).sort()).toEqual(
      ours.resources(syncId).map((r) => `${key(r.id)}<${key(r.parentResourceId)}`).sort(),
    );
  });

  test("entitlements", (ctx) => {
    if (isUnavailable(baton)) return skipOrFail(ctx.skip, baton);
    const listed = batonJson<{ entitlements: Array<{ entitlement: { id: string } }> }>(baton, file, ["entitlements"]).entitlements;
    expect(listed.map((e) => e.entitlement.id).sort()).toEqual(ours.entitlements(syncId).map((e) => e.id).sort());
  });

  test("grants, expanded ones included", async (ctx) => {
    if (isUnavailable(baton)) return skipOrFail(ctx.skip, baton);
    // Streamed: on the medium organisation baton prints over 2 GB of JSON for its grants.
    const ids: string[] = [];
    const withSources = new Set<number>();
    const tap = new JsonPathTap(
      (path, value) => {
        if (path.length === 4 && path[0] === "grants" && path[2] === "grant" && path[3] === "id") ids.push(value);
      },
      (path) => {
        if (path.length === 4 && path[0] === "grants" && path[2] === "grant" && path[3] === "sources") withSources.add(path[1] as number);
      },
    );
    await tapCommand(baton as string, ["-f", file, "grants", "-o", "json"], tap);
    const mine = [...ours.grantSources(syncId)];
    expect(ids.length).toBe(mine.length);
    expect([...ids].sort()).toEqual(mine.map((g) => g.id).sort());
    const expandedTheirs = [...withSources].map((i) => ids[i]!).sort();
    expect(expandedTheirs).toEqual(mine.filter((g) => g.sources).map((g) => g.id).sort());
    expect(expandedTheirs.length).toBeGreaterThan(0);
  }, 900_000);
});
