import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { C1zReader } from "../../src/c1z/reader.js";
import { silentLogger } from "../../src/log.js";
import { defaultConfig } from "../../src/config/config.js";
import { startDemoConnector } from "../../src/sync/demo.js";
import { runSync } from "../../src/sync/engine.js";
import { EVERY_TYPE } from "../resources/support/expected.js";
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

/** Every type: member accounts' IAM, the organization tree and access keys too. */
const EVERY_FEATURE = { crossAccountIam: true, organizationTree: true, syncSecrets: true };

async function syncProfile(profile: string, name = profile): Promise<string> {
  const demo = await startDemoConnector(defaultConfig({ stateDir: dir, features: EVERY_FEATURE }), { profile, log: silentLogger });
  const target = join(dir, `${name}.c1z`);
  try {
    await runSync({ target, api: demo.connector.api });
  } finally {
    await demo.close();
  }
  return target;
}

/**
 * demo and small, every type: with every type the medium organisation has 718,000 grants (the
 * Identity Center bindings repeat each account assignment, and managed policies reach users through
 * them), and `baton grants` holds them all in memory — 15 GB for its 290,000 grants before, beyond a
 * CI machine now.
 */
describe.each(["demo", "small"])("baton reader on our %s file", (profile) => {
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
    expect(Object.keys(mine.resourcesByResourceType).sort()).toEqual(EVERY_TYPE);
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
    // Streamed: on a medium organisation baton prints gigabytes of JSON for its grants.
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

/** The reader's summaries, on the small demo file (they hold every grant in memory). */
describe("baton access and export on our demo file", () => {
  let file: string;
  let ours: C1zReader;
  let syncId: string;
  beforeAll(async () => {
    if (isUnavailable(baton)) return;
    file = await syncProfile("demo", "demo-summaries");
    ours = await C1zReader.open(file);
    opened.push(ours);
    syncId = ours.resolveSync().syncId;
  }, 900_000);

  test("access: an SSO user's effective access reaches permission-set assignments and, through them, managed policies", (ctx) => {
    if (isUnavailable(baton)) return skipOrFail(ctx.skip, baton);
    // A user holding a binding's `assigned` (directly or through a group) whose permission set carries a policy.
    const user = [...ours.grants(syncId)].find((g) => g.principal!.id!.resourceType === "sso_user" && g.entitlement!.id.startsWith("iam_policy:"))?.principal!.id;
    expect(user).toBeDefined();
    const access = batonJson<{ access: Array<{ resourceType: { id: string }; entitlements: Array<{ id: string }> }> }>(baton as string, file, [
      "access",
      "--resource-type",
      "sso_user",
      "--resource",
      user!.resource,
    ]).access;
    const types = new Set(access.map((a) => a.resourceType.id));
    expect(types).toContain("permission_set_assignment");
    expect(types).toContain("iam_policy");
    expect(access.flatMap((a) => a.entitlements.map((e) => e.id)).some((id) => id.endsWith(":assigned"))).toBe(true);
  });

  test("export csv: identities with their name and id columns filled", (ctx) => {
    if (isUnavailable(baton)) return skipOrFail(ctx.skip, baton);
    const out = join(dir, "demo.csv");
    execFileSync(baton as string, ["-f", file, "export", "csv", "--out", out], { stdio: "ignore" });
    const rows = parse(readFileSync(out, "utf8"));
    const header = rows[0]!;
    const col = (name: string) => header.indexOf(name);
    const identities = rows.slice(1).filter((r) => r[col("Type")] === "Identity");
    expect(identities.length).toBe(ours.resources(syncId).filter((r) => r.id!.resourceType === "sso_user" || r.id!.resourceType === "iam_user").length);
    // Every identity has its id; Identity Center users their first and last names too.
    expect(identities.every((r) => r[col("User ID")] !== "")).toBe(true);
    expect(identities.filter((r) => r[col("First Name")] !== "" && r[col("Last Name")] !== "").length).toBeGreaterThan(0);
    // Grants rows for the new types are exported like the others.
    const grantTypes = new Set(rows.slice(1).filter((r) => r[col("Type")] === "Grant").map((r) => r[col("Resource Type")]));
    expect(grantTypes).toContain("permission_set_assignment");
    expect(grantTypes).toContain("iam_policy");
  });
});

/** A minimal RFC 4180 reader (quoted fields with commas, quotes and newlines). */
function parse(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else if (c !== "\r") field += c;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  return rows;
}
