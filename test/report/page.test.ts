/**
 * The review page in headless Chromium, as a reviewer uses it: opened from disk with no network,
 * the privileged view first, filters, drop-downs, sorting, the account matrix, a person's access,
 * stale access, changes, access outside the process, row details and the CSV download. One browser
 * for the file; the page is the one `connector report` writes for the baton-aws-shaped organisation
 * (two syncs, provisioning records).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AuditLog } from "../../src/provisioning/audit-log.js";
import { openStateDb } from "../../src/provisioning/state-db.js";
import { renderHtml } from "../../src/report/html.js";
import { buildReport, type Report } from "../../src/report/report.js";
import { reportViews } from "../../src/report/views.js";
import { skipOrFail } from "../interop/go-tools.js";
import { AFTER, BEFORE, PROD, psArn, ssoUserArn, syncOrg } from "./baton-aws-org.js";
import { chromiumMissing, launchChromium, type Browser } from "./browser.js";

const dir = mkdtempSync(join(tmpdir(), "report-page-"));
const missing = chromiumMissing();
let browser: Browser | undefined;
let page: Page;
let report: Report;
let url: string;
const requests: string[] = [];

beforeAll(async () => {
  const file = join(dir, "org.c1z");
  const stateDir = join(dir, "state");
  const db = openStateDb(stateDir);
  const audit = new AuditLog(db, () => Date.now() - 60_000);
  audit.finish(audit.start({ action: "grant", requester: "cli:reviewer", entitlementId: `${PROD}|${psArn("ps-bbbbbbbbbbbbbbbb")}`, principal: `sso_user:${ssoUserArn("erin")}` }), { outcome: "granted", awsRequestIds: [] });
  db.close();
  await syncOrg(BEFORE, file);
  await syncOrg(AFTER, file);
  report = await buildReport({ file, stateDir, staleDays: 90 });
  const html = join(dir, "review.html");
  writeFileSync(html, renderHtml(report, reportViews(report)));
  url = pathToFileURL(html).href;
  if (missing) return;
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on("request", (request) => requests.push(request.url()));
  page.on("pageerror", (error) => requests.push(`pageerror: ${error.message}`));
}, 120_000);
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a view and waits until its rows are filtered and shown. */
async function open(view: string): Promise<void> {
  await page.goto("about:blank"); // a fresh page: no filters left from an earlier test
  await page.goto(`${url}#${view}`);
  await page.waitForSelector("body[data-ready=true]");
  await ready(view);
}

async function ready(view: string): Promise<void> {
  await page.waitForSelector(`section[data-view="${view}"]:not([hidden])[data-state=ready]`);
}

const pane = (view: string) => page.locator(`section[data-view="${view}"]`);

/** What page callbacks see of an element (the tests are compiled without the DOM's types). */
type Node = { dataset: Record<string, string | undefined>; textContent: string | null; children: ArrayLike<Node>; classList: { contains(c: string): boolean }; querySelector(s: string): Node | null; nextElementSibling: Node | null };

/** The visible table's rows, as the texts of the named columns. */
async function visibleRows(view: string, columns: string[]): Promise<string[][]> {
  const keys: string[] = await pane(view).locator(".vt-head .vt-h").evaluateAll((heads) => (heads as unknown as Node[]).map((h) => h.dataset.key!));
  const rows: string[][] = await pane(view).locator(".vt-row:not([hidden])").evaluateAll((rows) => (rows as unknown as Node[]).map((row) => Array.from(row.children, (c) => c.textContent ?? "")));
  return rows.map((cells) => columns.map((c) => cells[keys.indexOf(c)] ?? "?"));
}

const status = (view: string) => pane(view).locator(".status").textContent();

async function filter(view: string, text: string): Promise<void> {
  await pane(view).locator("input.search").fill(text);
  await ready(view);
}

describe("the review page", () => {
  test("opens from disk with no network, privileged access first, numbers as the report counted them", async (ctx) => {
    if (missing) return skipOrFail(ctx.skip, { reason: missing });
    await page.goto(url);
    await page.waitForSelector("body[data-ready=true]");
    await ready("privileged");
    expect(requests.filter((r) => r !== url)).toEqual([]);
    expect(await page.locator(".tab").first().textContent()).toMatch(/^Privileged access\d+/);
    expect(await page.locator('.tab[aria-selected="true"]').getAttribute("data-tab")).toBe("privileged");
    const cards = await page.locator(".summary .card").evaluateAll((cs) => (cs as unknown as Node[]).map((c) => [c.dataset.summary, c.querySelector(".value")!.textContent]));
    expect(Object.fromEntries(cards)).toEqual(Object.fromEntries(report.summary.map((s) => [s.key, s.value.toLocaleString("en")])));
    expect(await status("privileged")).toBe("14 rows");
    const rows = await visibleRows("privileged", ["privilege", "principal", "access"]);
    expect(rows[0]).toEqual(["Administrator", "auditor", "BreakGlass"]);
    expect(rows.at(-1)).toEqual(["Identity Center write", "carol@example.com", "IdentityOps"]);
  });

  test("filters by words and drop-downs, sorts by a column", async (ctx) => {
    if (missing) return skipOrFail(ctx.skip, { reason: missing });
    await open("privileged");
    await filter("privileged", "platform");
    expect(await status("privileged")).toBe("Showing 4 of 14 rows");
    expect((await visibleRows("privileged", ["principal", "path"])).map((r) => r.join(" | "))).toEqual([
      "alice@example.com | SSO group Platform",
      "dave@example.com | SSO group Platform",
      "frank@example.com | SSO group Platform",
      "Platform | direct",
    ]);
    await filter("privileged", "");
    await pane("privileged").locator('select[data-facet="privilege"]').selectOption("IAM write");
    await ready("privileged");
    expect(await status("privileged")).toBe("Showing 7 of 14 rows");
    expect(new Set((await visibleRows("privileged", ["privilege"])).flat())).toEqual(new Set(["IAM write"]));
    await pane("privileged").locator('.vt-h[data-key="principal"]').click();
    await ready("privileged");
    expect((await visibleRows("privileged", ["principal"])).flat()).toEqual(["auditor", "ci", "Deployers", "Jump", "Ops", "ops-bot", "Target"]);
    expect(await pane("privileged").locator('.vt-h[data-key="principal"]').getAttribute("aria-sort")).toBe("ascending");
    await pane("privileged").locator('.vt-h[data-key="principal"]').click();
    await ready("privileged");
    expect((await visibleRows("privileged", ["principal"])).flat()[0]).toBe("Target");
  });

  test("by account: the account's people × permission sets matrix", async (ctx) => {
    if (missing) return skipOrFail(ctx.skip, { reason: missing });
    await open("by-account");
    expect(await status("by-account")).toBe(`${report.access.count} rows`);
    await pane("by-account").locator("select.account-select").selectOption(PROD);
    await ready("by-account");
    const matrix = pane("by-account").locator(".matrix-area");
    expect(await matrix.locator("h3").textContent()).toBe(`Who holds what in prod (${PROD})`);
    const columns = await matrix.locator(".mx-col").evaluateAll((cs) => (cs as unknown as Node[]).map((c) => [c.textContent, c.classList.contains("privileged")]));
    expect(columns).toEqual([
      ["Deployers", true],
      ["Ops", true],
      ["BreakGlass", true],
      ["Jump", false],
      ["Target", true],
      ["AdminAccess", true],
      ["ReadOnly", false],
    ]);
    const cell = (person: string, access: string) =>
      matrix.locator(".mx-row", { has: page.locator(".mx-name", { hasText: person }) }).locator(`.mx-cell[title*="— ${access}:"]`).getAttribute("class");
    expect(await cell("alice@example.com", "AdminAccess")).toBe("mx-cell indirect privileged");
    expect(await cell("erin@example.com", "ReadOnly")).toBe("mx-cell direct");
    expect(await cell("auditor", "Target")).toBe("mx-cell indirect privileged");
    expect(await matrix.locator(".mx-name").allTextContents()).toEqual(["alice@example.com", "auditor", "carol@example.com", "ci", "dave@example.com", "erin@example.com", "frank@example.com", "ops-bot"]);
    expect(new Set((await visibleRows("by-account", ["account"])).flat())).toEqual(new Set(["prod"]));
  });

  test("by person: everything one person holds, how, and when they last signed in", async (ctx) => {
    if (missing) return skipOrFail(ctx.skip, { reason: missing });
    await open("by-person");
    await pane("by-person").locator("input.person-input").fill("erin@example.com");
    await ready("by-person");
    const card = pane("by-person").locator(".person-card");
    expect(await card.locator("h3").textContent()).toBe("erin@example.com");
    const fields = Object.fromEntries(await card.locator("dt").evaluateAll((dts) => (dts as unknown as Node[]).map((dt) => [dt.textContent, dt.nextElementSibling!.textContent])));
    expect(fields).toMatchObject({ Type: "SSO user", Status: "enabled", Grants: "2", Accounts: "1", "Privileged grants": "0" });
    expect(fields["Last sign-in"]).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(await visibleRows("by-person", ["account", "access", "path"])).toEqual([
      ["prod", "ReadOnly", "direct; SSO group Readers"],
      ["", "Readers", "direct"],
    ]);
    // A row's details, and from there another view.
    await pane("by-person").locator(".vt-row").first().click();
    const details = pane("by-person").locator("aside.details");
    expect(await details.locator("dt", { hasText: "Entitlement id" }).locator("xpath=following-sibling::dd[1]").textContent()).toMatch(/ReadOnly|ps-bbbbbbbbbbbbbbbb/);
    await details.getByRole("button", { name: "This account" }).click();
    await ready("by-account");
    expect(await pane("by-account").locator("select.account-select").inputValue()).toBe(PROD);
  });

  test("stale access, changes, and access outside the process", async (ctx) => {
    if (missing) return skipOrFail(ctx.skip, { reason: missing });
    await open("stale");
    expect(await visibleRows("stale", ["principal", "reason"])).toEqual([
      ["auditor", "No sign-in for the period"],
      ["carol@example.com", "Never signed in"],
      ["dave@example.com", "Disabled, still holds access"],
      ["erin@example.com", "No sign-in for the period"],
    ]);
    await open("changes");
    expect((await visibleRows("changes", ["change", "principal", "access"])).map((r) => r.join(" "))).toEqual([
      "Granted Deployers IAMFullAccess",
      "Granted frank@example.com AdminAccess",
      "Granted frank@example.com Platform",
      "Privilege raised ci Deployers",
      "Removed bob@example.com AdminAccess",
    ]);
    await open("outside");
    await pane("outside").locator('select[data-facet="finding"]').selectOption("In AWS, never granted through the connector");
    await ready("outside");
    const drift = await visibleRows("outside", ["principal", "access", "inEarlierSync"]);
    expect(drift.filter((r) => r[2] === "no").map((r) => `${r[0]} ${r[1]}`)).toEqual(["frank@example.com Platform"]);
    expect(drift.some((r) => r[0] === "erin@example.com" && r[1] === "ReadOnly")).toBe(false);
  });

  test("downloads the rows shown as CSV", async (ctx) => {
    if (missing) return skipOrFail(ctx.skip, { reason: missing });
    await open("privileged");
    await filter("privileged", "carol");
    const [download] = await Promise.all([page.waitForEvent("download"), pane("privileged").getByRole("button", { name: "Download CSV" }).click()]);
    const path = join(dir, "download.csv");
    await download.saveAs(path);
    const lines = readFileSync(path, "utf8").trimEnd().split("\r\n");
    expect(lines[0]).toMatch(/^Account id,Account,Principal type,Principal,/);
    expect(lines.slice(1).map((l) => l.split(",")[3])).toEqual(["carol@example.com"]);
    expect(requests.filter((r) => !r.startsWith("file:") && !r.startsWith("blob:"))).toEqual([]);
  });
});
