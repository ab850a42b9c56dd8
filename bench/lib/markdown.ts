/** Markdown rendering of scenario results: for RESULTS.md and, as is, for the console. */
import { duration, formatFigure, ratio } from "./format.js";
import type { MachineInfo } from "./machine.js";
import type { Check, ScenarioResult, Table } from "./result.js";
import { verdict } from "./result.js";

const cell = (value: string | number) => String(value).replaceAll("|", "\\|").replaceAll("\n", " ");

export function renderTable(table: Table): string {
  const lines: string[] = [];
  if (table.title) lines.push(`**${table.title}**`, "");
  lines.push(`| ${table.columns.map(cell).join(" | ")} |`);
  lines.push(`|${table.columns.map(() => "---").join("|")}|`);
  for (const row of table.rows) lines.push(`| ${row.map(cell).join(" | ")} |`);
  return lines.join("\n");
}

/**
 * A figure and its ratio as printed; a miss that rounds onto its limit (108 s against 107.8 s)
 * gets more digits, so that the table never shows a missed figure equal to its target.
 */
export function formatCheck(check: Check): { value: string; ratio: string } {
  const roundsOntoLimit =
    !check.met &&
    check.limit !== undefined &&
    (formatFigure(check.value) === formatFigure(check.limit) || ratio(check.ratio) === ratio(check.limitRatio));
  if (!roundsOntoLimit) return { value: `${formatFigure(check.value)} ${check.unit}`, ratio: ratio(check.ratio) };
  const limit = check.limit!;
  let digits = 1;
  while (digits < 6 && check.value.toFixed(digits) === limit.toFixed(digits)) digits++;
  return {
    value: `${check.value.toFixed(digits)} ${check.unit} (limit ${limit.toFixed(digits)})`,
    ratio: check.ratio === undefined ? ratio(undefined) : `${check.ratio.toFixed(3)}×`,
  };
}

export function renderChecks(checks: Check[]): string {
  return renderTable({
    title: "Targets",
    columns: ["figure", "measured", "target", "ratio (÷ bound, or ÷ target)", "verdict"],
    rows: checks.map((c) => {
      const shown = formatCheck(c);
      return [c.name, shown.value, c.target, shown.ratio, verdict(c)];
    }),
  });
}

export function machineLine(m: MachineInfo): string {
  return `${m.nproc} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, Node ${m.node} (${m.platform}), commit ${m.gitCommit}${m.gitDirty ? " + uncommitted changes" : ""}, ${m.date.replace("T", " ").slice(0, 16)} UTC, load average ${m.loadAverage1m} at start`;
}

export function renderScenario(result: ScenarioResult, level = 2): string {
  const h = "#".repeat(level);
  const parts = [
    `${h} ${result.title}`,
    `_Scenario \`${result.scenario}\`${result.quick ? " (quick mode: one run at small size)" : ""}, took ${duration(result.durationMs)}; ${machineLine(result.machine)}._`,
  ];
  if (result.checks.length > 0) parts.push(renderChecks(result.checks));
  for (const table of result.tables) parts.push(renderTable(table));
  if (result.notes.length > 0) parts.push(result.notes.map((n) => `- ${n}`).join("\n"));
  return parts.join("\n\n");
}

export function renderMachine(m: MachineInfo): string {
  return renderTable({
    columns: ["nproc", "CPU", "memory", "node", "platform", "git commit"],
    rows: [[m.nproc, m.cpuModel, `${m.memoryGiB} GiB`, m.node, m.platform, `${m.gitCommit}${m.gitDirty ? " (+ uncommitted changes)" : ""}`]],
  });
}
