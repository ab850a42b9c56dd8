import { Command, Option } from "commander";
import { createWriteStream, existsSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { C1zFormatError } from "../../c1z/container.js";
import { STATE_DB_FILE } from "../../provisioning/state-db.js";
import { writeCsv, writeJson } from "../../report/export.js";
import { renderHtml } from "../../report/html.js";
import { buildReport, type Report, type ViewName } from "../../report/report.js";
import { reportViews, type View } from "../../report/views.js";
import { UserError } from "../fatal.js";

type Format = "html" | "csv" | "json";

interface ReportFlags {
  file: string;
  out?: string;
  format: Format;
  syncId?: string;
  since?: string;
  stateDir?: string;
  staleDays: string;
  view?: ViewName;
  c1zTempDir?: string;
}

const VIEW_NAMES: ViewName[] = ["privileged", "by-account", "by-person", "stale", "changes", "outside"];
const DEFAULT_STATE_DIR = ".connector-state";

/** `connector report`: the access review of a .c1z (ours or any baton connector's for AWS), offline. */
export function reportCommand(): Command {
  return new Command("report")
    .description("Write an access review of a .c1z file: one self-contained HTML page (or CSV / JSON) — by account, by person, privileged, stale, changes, outside the process (no AWS calls)")
    .option("-f, --file <path>", "the .c1z file to review (ours or any baton connector's for AWS)", "sync.c1z")
    .option("--out <path>", "where to write (default review.html / review.json / review-<view>.csv; - for standard output with json, or csv with --view)")
    .addOption(new Option("--format <format>", "html, csv or json").choices(["html", "csv", "json"]).default("html"))
    .option("--sync-id <id>", "review this sync of the file instead of its latest finished full sync")
    .option("--since <file-or-sync-id>", "compare with this .c1z (or this sync of the same file); default: the file's previous sync, if any")
    .option("--state-dir <dir>", `the connector's provisioning state (audit log, JIT ledger) for the outside-the-process view [env: BATON_STATE_DIR] (default: ./${DEFAULT_STATE_DIR} when it holds state)`)
    .option("--stale-days <n>", "access of users without a sign-in for this many days is stale", "90")
    .addOption(new Option("--view <name>", "csv/json: only this view").choices(VIEW_NAMES))
    .option("--c1z-temp-dir <dir>", "where to decompress the .c1z (needs room for its database)")
    .action(async (flags: ReportFlags) => {
      const staleDays = Number(flags.staleDays);
      if (!Number.isInteger(staleDays) || staleDays < 1) throw new UserError(`--stale-days must be a positive whole number of days, got "${flags.staleDays}"`);
      if (flags.view && flags.format === "html") throw new UserError("--view applies to --format csv or json; the HTML page has every view");
      if (flags.out === "-" && flags.format !== "json" && !(flags.format === "csv" && flags.view)) {
        throw new UserError("--out - (standard output) needs --format json, or --format csv with --view");
      }
      const stateDir = resolveStateDir(flags.stateDir);
      let report: Report;
      try {
        report = await buildReport({ file: flags.file, syncId: flags.syncId, since: flags.since, stateDir, staleDays, tmpDir: flags.c1zTempDir });
      } catch (error) {
        if (error instanceof C1zFormatError) throw new UserError(error.message, 1);
        throw error;
      }
      const views = reportViews(report).filter((v) => !flags.view || v.name === flags.view);
      if (flags.view && views.length === 0) {
        throw new UserError(`the ${flags.view} view needs ${flags.view === "changes" ? "an earlier sync (--since)" : "the provisioning state (--state-dir)"}`, 1);
      }
      const written = await write(report, views, flags);
      if (flags.out !== "-") {
        const headline = ["grants", "privilegedGrants", "staleUsers"]
          .map((key) => report.summary.find((s) => s.key === key)!)
          .map((s) => `${s.value.toLocaleString("en")} ${s.label.toLowerCase()}`);
        for (const path of written) process.stdout.write(`wrote ${path} (${sizeText(statSync(path).size)})\n`);
        process.stdout.write(`${headline.join(", ")}\n`);
      }
    });
}

/** --state-dir, else BATON_STATE_DIR, else ./.connector-state when it holds provisioning state. */
function resolveStateDir(flag: string | undefined): string | undefined {
  const given = flag ?? process.env.BATON_STATE_DIR;
  if (given !== undefined && given !== "") {
    if (!existsSync(join(given, STATE_DB_FILE))) throw new UserError(`${given} holds no provisioning state (no ${STATE_DB_FILE}); give the state directory the connector granted with`, 1);
    return given;
  }
  return existsSync(join(DEFAULT_STATE_DIR, STATE_DB_FILE)) ? DEFAULT_STATE_DIR : undefined;
}

async function write(report: Report, views: View[], flags: ReportFlags): Promise<string[]> {
  if (flags.format === "html") {
    const out = flags.out ?? "review.html";
    atomically(out, (tmp) => writeFileSync(tmp, renderHtml(report, views)));
    return [out];
  }
  if (flags.out === "-") {
    if (flags.format === "json") await writeJson(report, views, process.stdout);
    else await writeCsv(report, views[0]!, process.stdout);
    return [];
  }
  if (flags.format === "json") {
    const out = flags.out ?? "review.json";
    await streamAtomically(out, (stream) => writeJson(report, views, stream));
    return [out];
  }
  // CSV: one file per view, named after --out (review.csv → review-privileged.csv, …); --view writes --out itself.
  const base = flags.out ?? "review.csv";
  const written: string[] = [];
  for (const view of views) {
    const out = flags.view ? base : join(dirname(base), `${basename(base, extname(base))}-${view.name}.csv`);
    await streamAtomically(out, (stream) => writeCsv(report, view, stream));
    written.push(out);
  }
  return written;
}

/** Writes next to `out`, then renames: a failed run never leaves half a review behind. */
function atomically(out: string, fill: (tmp: string) => void): void {
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    fill(tmp);
    renameSync(tmp, out);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw asWriteError(error, out);
  }
}

async function streamAtomically(out: string, fill: (stream: Writable) => Promise<void>): Promise<void> {
  const tmp = `${out}.tmp-${process.pid}`;
  const stream = createWriteStream(tmp);
  try {
    await fill(stream);
    stream.end();
    await finished(stream);
    renameSync(tmp, out);
  } catch (error) {
    stream.destroy();
    rmSync(tmp, { force: true });
    throw asWriteError(error, out);
  }
}

function asWriteError(error: unknown, out: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? new UserError(`cannot write ${out}: ${(error as Error).message}`, 1) : error;
}

function sizeText(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${Math.max(1, Math.round(bytes / 1024))} KiB`;
}
