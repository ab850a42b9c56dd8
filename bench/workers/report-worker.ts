/**
 * `connector report` in a fresh process (bench/scenarios/report.ts): build the review of a .c1z,
 * render the HTML page and write it — what the command does — with the wall time of each phase,
 * the CPU time and this process's peak RSS.
 */
import { statSync, writeFileSync } from "node:fs";
import { renderHtml } from "../../src/report/html.js";
import { buildReport } from "../../src/report/report.js";
import { reportViews } from "../../src/report/views.js";
import { workerMain } from "../lib/worker.js";

export interface ReportWorkerInput {
  file: string;
  stateDir?: string;
  out: string;
}

export interface ReportWorkerOutput {
  wallMs: number;
  cpuMs: number;
  phasesMs: Record<string, number>;
  rows: number;
  views: Record<string, number>;
  summary: Record<string, number>;
  /** Access in AWS never granted through the connector that the earlier sync did not have: the drift made behind its back. */
  newDrift: number;
  htmlBytes: number;
  peakRssBytes: number;
  startRssBytes: number;
}

workerMain<ReportWorkerInput, ReportWorkerOutput>(async (input) => {
  const startRssBytes = process.memoryUsage().rss;
  const phasesMs: Record<string, number> = {};
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const report = await buildReport({ file: input.file, stateDir: input.stateDir, staleDays: 90, phases: phasesMs });
  let at = performance.now();
  const views = reportViews(report);
  phasesMs["view orders"] = performance.now() - at;
  at = performance.now();
  writeFileSync(input.out, renderHtml(report, views));
  phasesMs["page (pack, gzip, write)"] = performance.now() - at;
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    phasesMs,
    rows: report.access.count,
    views: Object.fromEntries(views.map((v) => [v.name, v.count])),
    summary: Object.fromEntries(report.summary.map((s) => [s.key, s.value])),
    newDrift: (report.outside ?? []).filter((o) => o.finding === "not-granted-here" && o.inEarlierSync === false).length,
    htmlBytes: statSync(input.out).size,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    startRssBytes,
  };
});
