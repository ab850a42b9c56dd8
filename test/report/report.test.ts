/**
 * The review of a baton-aws-shaped organisation (test/report/baton-aws-org.ts): privileged access
 * against the admins built into it, one row per AWS fact with every path, stale access, changes
 * between two syncs, and every number against the official reader (`baton grants`, `baton access`).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { UserError } from "../../src/cli/fatal.js";
import { reportCommand } from "../../src/cli/commands/report.js";
import { C1zReader } from "../../src/c1z/reader.js";
import { buildReport, type Report } from "../../src/report/report.js";
import { cell, reportViews, type View } from "../../src/report/views.js";
import { batonJson, findBaton, isUnavailable, skipOrFail, type Unavailable } from "../interop/go-tools.js";
import { ADMINS, AFTER, BEFORE, DEV, IAM_WRITERS, PROD, SSO_WRITERS, syncOrg } from "./baton-aws-org.js";

const run = promisify(execFile);
const ROOT = new URL("../..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "report-"));
const twoSyncs = join(dir, "org.c1z");
const beforeOnly = join(dir, "before.c1z");
let before: Report;
let after: Report;
let beforeSyncId: string;

beforeAll(async () => {
  await syncOrg(BEFORE, beforeOnly);
  await syncOrg(BEFORE, twoSyncs);
  await syncOrg(AFTER, twoSyncs);
  const reader = await C1zReader.open(twoSyncs);
  beforeSyncId = reader.syncs()[0]!.syncId;
  reader.close();
  before = await buildReport({ file: twoSyncs, syncId: beforeSyncId, staleDays: 90 });
  after = await buildReport({ file: twoSyncs, staleDays: 90 });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A view's rows as objects keyed by column key. */
function rows(report: Report, name: string): Array<Record<string, string | number | null>> {
  const view = reportViews(report).find((v) => v.name === name) as View | undefined;
  if (!view) return [];
  return [...view.rows()].map((row) => Object.fromEntries(view.columns.map((c) => [c.key, cell(report.tables, view, row, c)])));
}

const principalKey = (report: Report, r: Record<string, unknown>) => report.tables.principals.find((p) => p.id === r.principalId && p.name === r.principal)!.key;

describe("privileged access, decided from the policy documents in the sync", () => {
  test("exactly the organisation's administrators, IAM writers and Identity Center writers", () => {
    const privileged = rows(before, "privileged");
    const holders = (label: string) => [...new Set(privileged.filter((r) => r.privilege === label).map((r) => principalKey(before, r)))].sort();
    expect(holders("Administrator")).toEqual([...ADMINS].sort());
    expect(holders("IAM write")).toEqual([...IAM_WRITERS].sort());
    expect(holders("Identity Center write")).toEqual([...SSO_WRITERS].sort());
    // Most powerful first, and every privileged row says why.
    expect(privileged.map((r) => r.privilege)).toEqual([...privileged.map((r) => r.privilege)].sort((a, b) => ["Administrator", "IAM write", "Identity Center write"].indexOf(String(a)) - ["Administrator", "IAM write", "Identity Center write"].indexOf(String(b))));
    for (const r of privileged) expect(r.privilegeReason).not.toBe("");
    expect(privileged.find((r) => r.principal === "alice@example.com")).toMatchObject({ access: "AdminAccess", account: "prod", path: "SSO group Platform", privilegeReason: "AdministratorAccess: * on *", policies: "AdministratorAccess" });
    expect(privileged.find((r) => r.principal === "carol@example.com")).toMatchObject({ access: "IdentityOps", account: "dev", privilegeReason: expect.stringContaining("sso:CreateAccountAssignment") });
  });

  test("read-only permission sets, scoped policies and plain role assumption are not privileged", () => {
    const all = rows(before, "by-account");
    const plain = all.filter((r) => r.privilege === "");
    expect(plain.map((r) => `${r.principal} ${r.access}`).sort()).toEqual(
      [
        "auditor Jump",
        "carol@example.com ReadOnly",
        "ci Deployers",
        "Deployers DeployApp",
        "erin@example.com ReadOnly",
        "Readers ReadOnly",
        "alice@example.com Platform",
        "dave@example.com Platform",
        "carol@example.com Readers",
        "erin@example.com Readers",
      ].sort(),
    );
  });
});

describe("access rows", () => {
  test("one row per AWS fact: an assignment seen through the account and the binding entitlement counts once, with both grants' paths", () => {
    const erin = rows(before, "by-person").filter((r) => r.principal === "erin@example.com");
    expect(erin.map((r) => [r.account, r.accessKind, r.access, r.path, r.pathKind])).toEqual([
      ["prod", "Permission set", "ReadOnly", "direct; SSO group Readers", "direct + group"],
      ["", "SSO group", "Readers", "direct", "direct"],
    ]);
    expect(erin[0]!.entitlementId).toMatch(/^(111111111111\||permission_set_assignment:)/);
  });

  test("a role chain shows every hop; policies derived through groups, roles and bindings are their holder's power, not rows", () => {
    const auditor = rows(before, "by-person").filter((r) => r.principal === "auditor");
    expect(auditor.map((r) => `${r.access} via ${r.path}`).sort()).toEqual(["BreakGlass via direct", "Jump via direct", "Target via IAM role Jump"]);
    const all = rows(before, "by-account");
    // ops-bot holds IAMFullAccess only through the Ops group: one row, the membership, privileged by the group's policy.
    expect(all.filter((r) => r.principal === "ops-bot").map((r) => [r.accessKind, r.access, r.privilege])).toEqual([["IAM group", "Ops", "IAM write"]]);
    // The group's own policy is a row of the group's.
    expect(all.filter((r) => r.principal === "Ops").map((r) => [r.principalType, r.accessKind, r.access])).toEqual([["IAM group", "Managed policy", "IAMFullAccess"]]);
    expect(all.some((r) => r.accessKind === "Managed policy" && r.principalType === "SSO user")).toBe(false);
  });

  test("by account: every account's rows with its name; SSO group memberships (no account) last", () => {
    const all = rows(before, "by-account");
    const accounts = all.map((r) => r.account);
    expect([...new Set(accounts)]).toEqual(["dev", "prod", ""]);
    expect(all.filter((r) => r.accountId === DEV).map((r) => `${r.principal} ${r.access}`).sort()).toEqual(["bob@example.com AdminAccess", "carol@example.com IdentityOps"]);
    expect(all.filter((r) => r.accountId === PROD && r.access === "AdminAccess").map((r) => `${r.principalType} ${r.principal} ${r.path}`)).toEqual([
      "SSO user alice@example.com SSO group Platform",
      "SSO user dave@example.com SSO group Platform",
      "SSO group Platform direct",
    ]);
  });
});

describe("stale access", () => {
  test("disabled users, no sign-in for 90 days, never signed in — not recent sign-ins, not users without access", () => {
    const stale = rows(before, "stale");
    expect(stale.map((r) => [r.principal, r.reason, r.days])).toEqual([
      ["auditor", "No sign-in for the period", 120],
      ["carol@example.com", "Never signed in", 400],
      ["dave@example.com", "Disabled, still holds access", 30],
      ["erin@example.com", "No sign-in for the period", 200],
    ]);
    expect(stale.find((r) => r.principal === "dave@example.com")).toMatchObject({ grants: 2, accounts: 1, privilegedGrants: 1 });
  });

  test("the threshold is the caller's", async () => {
    const strict = await buildReport({ file: twoSyncs, syncId: beforeSyncId, staleDays: 7 });
    // alice signed in 5 days ago; bob 10.
    expect(rows(strict, "stale").map((r) => r.principal)).toEqual(["auditor", "bob@example.com", "carol@example.com", "dave@example.com", "erin@example.com"]);
  });
});

describe("changes", () => {
  const expected = [
    ["Granted", "Deployers", "IAMFullAccess", "IAM write"],
    ["Granted", "frank@example.com", "AdminAccess", "Administrator"],
    ["Granted", "frank@example.com", "Platform", ""],
    ["Privilege raised", "ci", "Deployers", "IAM write"],
    ["Removed", "bob@example.com", "AdminAccess", "Administrator"],
  ];

  test("against the earlier sync in the same file, by default", () => {
    expect(after.meta.since?.syncId).toBe(beforeSyncId);
    expect(rows(after, "changes").map((r) => [r.change, r.principal, r.access, r.privilege])).toEqual(expected);
    expect(rows(after, "changes").find((r) => r.change === "Privilege raised")!.privilegeBefore).toBe("");
    expect(rows(after, "changes").find((r) => r.change === "Removed")!.accountId).toBe(DEV);
  });

  test("against another file (--since), the same; a file with one sync has none", async () => {
    const other = await buildReport({ file: twoSyncs, since: beforeOnly, staleDays: 90 });
    expect(rows(other, "changes").map((r) => [r.change, r.principal, r.access, r.privilege])).toEqual(expected);
    expect(before.changes).toBeUndefined();
    expect(before.meta.notes.join(" ")).toMatch(/No earlier sync/);
  });
});

describe("every number agrees with the official reader", () => {
  let baton: string | Unavailable;
  beforeAll(() => {
    baton = findBaton();
  }, 900_000);

  interface BatonGrant {
    grant: { id: string; entitlement: { id: string; resource: { id: { resourceType: string; resource: string } } }; principal: { id: { resourceType: string; resource: string } }; sources?: { sources?: Record<string, unknown> } };
  }

  /** The report's rule for rows (docs/report.md), applied to baton's own listing. */
  function batonFacts(file: string, syncId?: string): Map<string, BatonGrant["grant"]> {
    const grants = batonJson<{ grants: BatonGrant[] }>(baton as string, file, ["grants", ...(syncId ? ["--sync-id", syncId] : [])]).grants.map((g) => g.grant);
    const facts = new Map<string, BatonGrant["grant"]>();
    for (const g of grants) {
      const principal = `${g.principal.id.resourceType}:${g.principal.id.resource}`;
      if (!["sso_user", "iam_user", "sso_group", "group", "role"].includes(g.principal.id.resourceType)) continue;
      const holder = g.entitlement.resource.id.resourceType;
      const sources = Object.keys(g.sources?.sources ?? {});
      if ((holder === "iam_policy" || holder === "inline_policy") && sources.length > 0 && !sources.includes(g.entitlement.id)) continue;
      const account = /^(\d{12})\|(arn:.+)$/.exec(g.entitlement.id);
      const binding = /^permission_set_assignment:(arn:.+)-(\d{12}):assigned$/.exec(g.entitlement.id);
      const fact = account ? `${account[1]}|${account[2]}` : binding ? `${binding[2]}|${binding[1]}` : g.entitlement.id;
      facts.set(`${fact} ${principal}`, g);
    }
    return facts;
  }

  test("grants, users holding access, accounts, and each user's access (baton grants, baton access)", (ctx) => {
    if (isUnavailable(baton)) return skipOrFail(ctx.skip, baton);
    const facts = batonFacts(twoSyncs);
    const summary = Object.fromEntries(after.summary.map((s) => [s.key, s.value]));
    expect(summary.grants).toBe(facts.size);
    const users = new Set([...facts.values()].filter((g) => ["sso_user", "iam_user"].includes(g.principal.id.resourceType)).map((g) => g.principal.id.resource));
    expect(summary.usersWithAccess).toBe(users.size);
    const accountOf = (id: string) => /^(\d{12})\|/.exec(id)?.[1] ?? /-(\d{12}):assigned$/.exec(id)?.[1] ?? /^[a-z_]+:arn:aws:iam::(\d{12}):/.exec(id)?.[1];
    expect(summary.accounts).toBe(new Set([...facts.values()].map((g) => accountOf(g.entitlement.id)).filter(Boolean)).size);
    const resources = batonJson<{ resources: Array<{ resource: { id: { resourceType: string } } }> }>(baton as string, twoSyncs, ["resources"]).resources;
    expect(summary.users).toBe(resources.filter((r) => ["sso_user", "iam_user"].includes(r.resource.id.resourceType)).length);

    // Each user's rows = what `baton access` says they hold, policies reached through a holder aside.
    const byPerson = rows(after, "by-person");
    for (const user of users) {
      const type = user.startsWith("arn:aws:identitystore") ? "sso_user" : "iam_user";
      const access = batonJson<{ access: Array<{ entitlements: Array<{ id: string }> }> }>(baton as string, twoSyncs, ["access", "-t", type, "-r", user]).access;
      const theirs = new Set(
        access
          .flatMap((a) => a.entitlements.map((e) => e.id))
          .filter((id) => !id.startsWith("iam_policy:") && !id.startsWith("inline_policy:"))
          .map((id) => /^permission_set_assignment:(arn:.+)-(\d{12}):assigned$/.exec(id)?.slice(1).reverse().join("|") ?? id),
      );
      const ours = byPerson.filter((r) => r.principalId === user).map((r) => String(r.entitlementId).replace(/^permission_set_assignment:(arn:.+)-(\d{12}):assigned$/, "$2|$1"));
      expect(new Set(ours), user).toEqual(theirs);
      expect(ours.length, user).toBe(theirs.size);
    }
  });

  test("changes: the facts only one of the two syncs has", (ctx) => {
    if (isUnavailable(baton)) return skipOrFail(ctx.skip, baton);
    const older = batonFacts(twoSyncs, beforeSyncId);
    const newer = batonFacts(twoSyncs);
    const summary = Object.fromEntries(after.summary.map((s) => [s.key, s.value]));
    expect(summary.granted).toBe([...newer.keys()].filter((k) => !older.has(k)).length);
    expect(summary.removed).toBe([...older.keys()].filter((k) => !newer.has(k)).length);
  });
});

describe("connector report, as a user runs it", () => {
  // Run from the scratch directory (no ./.connector-state there); tsx resolved from the repository.
  const tsx = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
  const processCli = (args: string[]) => run(process.execPath, ["--import", tsx, join(ROOT, "src/cli/main.ts"), "report", ...args], { cwd: dir, maxBuffer: 1 << 26 });

  /** The command in-process (a child process per case would cost seconds each); returns its stdout. */
  async function cli(args: string[]): Promise<string> {
    const chunks: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await reportCommand().exitOverride().parseAsync(args, { from: "user" });
    } finally {
      process.chdir(cwd);
      spy.mockRestore();
    }
    return chunks.join("");
  }

  test("the real process: an HTML page, and a clear failure", async () => {
    const html = await processCli(["-f", twoSyncs, "--out", join(dir, "review.html")]);
    expect(html.stdout).toMatch(/^wrote .*review\.html \(\d+ KiB\)\n\d+ grants/);
    const page = readFileSync(join(dir, "review.html"), "utf8");
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain("default-src 'none'");
    expect(page).not.toMatch(/<(link|img|iframe)\b|src=["']http|https?:\/\/(?!www\.w3\.org)/);

    const missing = await processCli(["-f", join(dir, "nope.c1z"), "--out", join(dir, "x.html")]).then(
      () => expect.fail("should have failed"),
      (e: { code: number; stderr: string }) => e,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^connector: .*nope\.c1z does not exist\n$/);
    expect(readdirSync(dir).filter((f) => f.startsWith("x.html"))).toEqual([]);
  });

  test("JSON and CSV of the same rows", async () => {
    const json = JSON.parse(await cli(["-f", twoSyncs, "--format", "json", "--out", "-"]));
    expect(Object.keys(json.views)).toEqual(["privileged", "by-account", "by-person", "stale", "changes"]);
    expect(json.summary).toEqual(after.summary);
    expect(json.views["by-account"].rows.length).toBe(rows(after, "by-account").length);
    expect(json.views.privileged.rows[0]).toMatchObject({ privilege: "Administrator", account: "prod" });
    expect(json.views.stale.rows.find((r: { principal: string }) => r.principal === "erin@example.com").lastSignIn).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    mkdirSync(join(dir, "csv"));
    expect(await cli(["-f", twoSyncs, "--format", "csv", "--out", join(dir, "csv", "review.csv")])).toMatch(/wrote .*review-privileged\.csv/);
    expect(readdirSync(join(dir, "csv")).sort()).toEqual(["review-by-account.csv", "review-by-person.csv", "review-changes.csv", "review-privileged.csv", "review-stale.csv"]);
    const csv = readFileSync(join(dir, "csv", "review-by-person.csv"), "utf8").trimEnd().split("\r\n");
    expect(csv[0]).toBe("Account id,Account,Principal type,Principal,E-mail,Status,Last sign-in,Access kind,Access,Privilege,Why privileged,Policies,Path,Path kind,Entitlement id,Principal id");
    expect(csv.length - 1).toBe(json.views["by-person"].rows.length);
    const single = await cli(["-f", twoSyncs, "--format", "csv", "--view", "stale", "--out", "-"]);
    expect(single.trimEnd().split("\r\n").length).toBe(1 + json.views.stale.rows.length);
  });

  test("bad input: a one-line error with its exit code", async () => {
    const failure = (args: string[]) => cli(args).then(() => expect.fail("should have failed"), (e: unknown) => e as UserError);
    expect(await failure(["-f", twoSyncs, "--stale-days", "0"])).toMatchObject({ exitCode: 2, message: '--stale-days must be a positive whole number of days, got "0"' });
    expect(await failure(["-f", twoSyncs, "--state-dir", dir])).toMatchObject({ exitCode: 1, message: expect.stringMatching(/holds no provisioning state/) });
    expect(await failure(["-f", twoSyncs, "--view", "stale"])).toMatchObject({ message: expect.stringMatching(/--view applies to --format csv or json/) });
    expect(await failure(["-f", twoSyncs, "--format", "html", "--out", "-"])).toMatchObject({ message: expect.stringMatching(/--out - \(standard output\) needs/) });
    expect(await failure(["-f", twoSyncs, "--format", "json", "--view", "outside", "--out", "-"])).toMatchObject({ exitCode: 1, message: expect.stringMatching(/needs the provisioning state/) });
    expect(await failure(["-f", twoSyncs, "--since", "NOSUCHSYNC"])).toMatchObject({ exitCode: 1, message: expect.stringMatching(/has no sync with id NOSUCHSYNC/) });
    expect(await failure(["-f", twoSyncs, "--out", join(dir, "no", "such", "dir", "r.html")])).toMatchObject({ exitCode: 1, message: expect.stringMatching(/^cannot write/) });
  });
});
