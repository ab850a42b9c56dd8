/**
 * Screenshots of each view of the access review for the docs (docs/images/report-*.png):
 *
 *   npx tsx scripts/report-screenshots.ts [out-dir]
 *
 * The simulator's `small` organisation synced twice into one file, with grants through the
 * connector and drift behind its back in between (the benchmark's file, bench/scenarios/report.ts),
 * reviewed with its state directory, and each view opened in headless Chromium.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { buildReviewFile } from "../bench/scenarios/report.js";
import { renderHtml } from "../src/report/html.js";
import { buildReport } from "../src/report/report.js";
import { reportViews } from "../src/report/views.js";
import { PROFILES } from "../src/simulator/index.js";
import { launchChromium } from "../test/report/browser.js";

const out = resolve(process.argv[2] ?? "docs/images");
mkdirSync(out, { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), "report-shots-"));
const browser = await launchChromium({ width: 1440, height: 900 });
try {
  const { file, stateDir } = await buildReviewFile(PROFILES.small, scratch, (line) => process.stderr.write(`${line}\n`));
  // Relative paths: the page names the file as the command was given it.
  process.chdir(scratch);
  const report = await buildReport({ file: relative(scratch, file), stateDir: relative(scratch, stateDir), staleDays: 90 });
  const html = join(scratch, "review.html");
  writeFileSync(html, renderHtml(report, reportViews(report)));
  const page = await browser.context.newPage();
  const ready = (view: string) => page.waitForSelector(`section[data-view="${view}"]:not([hidden])[data-state=ready]`);
  const shoot = async (view: string, prepare?: () => Promise<void>) => {
    await page.goto("about:blank");
    await page.goto(`${pathToFileURL(html).href}#${view}`);
    await ready(view);
    if (prepare) {
      await prepare();
      await ready(view);
    }
    await page.screenshot({ path: join(out, `report-${view}.png`) });
    process.stderr.write(`wrote ${join(out, `report-${view}.png`)}\n`);
  };
  const pane = (view: string) => page.locator(`section[data-view="${view}"]`);
  await shoot("privileged");
  await shoot("by-account", async () => {
    const options = await pane("by-account").locator("select.account-select option").evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
    await pane("by-account").locator("select.account-select").selectOption(options[2]!);
  });
  await shoot("by-person", async () => {
    const name = await pane("by-person").locator(".vt-row .vt-cell").first().textContent();
    await pane("by-person").locator("input.person-input").fill(name ?? "");
  });
  await shoot("stale");
  await shoot("changes");
  await shoot("outside");
} finally {
  await browser.close();
  rmSync(scratch, { recursive: true, force: true });
}
