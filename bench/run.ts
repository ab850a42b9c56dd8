/**
 * `npm run bench`: every benchmark scenario against the local AWS simulator with AWS-like latency
 * and quotas; prints each scenario's figures and writes bench/results/<scenario>.json,
 * bench/RESULTS.md and bench/chart.svg.
 *
 *   npm run bench                          # everything, several runs each (tens of minutes)
 *   npm run bench -- --quick               # each scenario once at small size (CI; a few minutes)
 *   npm run bench -- --only sync,jit       # some scenarios; RESULTS.md keeps the others' last figures
 *   npm run bench -- --cpu-prof /tmp/prof  # V8 CPU profiles of the worker processes
 *   npm run bench -- --report-only         # re-render RESULTS.md and chart.svg from results/*.json
 *
 * Exits non-zero when a scenario crashes — not when a target is missed (that is a finding, marked
 * MISSED in the output).
 */
import { Command } from "commander";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { duration } from "./lib/format.js";
import { machineInfo } from "./lib/machine.js";
import { renderScenario } from "./lib/markdown.js";
import { readScenarioResults, writeReport, writeScenarioResult, type ReportPaths } from "./lib/report.js";
import type { Scenario, ScenarioResult } from "./lib/result.js";
import { buildWorkers } from "./lib/worker.js";
import { engineScenario } from "./scenarios/engine.js";
import { grpcServingScenario } from "./scenarios/grpc-serving.js";
import { incrementalScenario } from "./scenarios/incremental.js";
import { inspectScenario } from "./scenarios/inspect.js";
import { jitScenario } from "./scenarios/jit.js";
import { pacingScenario } from "./scenarios/pacing.js";
import { paperScaleScenario } from "./scenarios/paper-scale.js";
import { reportScenario } from "./scenarios/report.js";
import { simulatorScenario } from "./scenarios/simulator.js";
import { chartPoints, syncScenario } from "./scenarios/sync.js";

// The SDK's notice about Node 20 would be printed once per worker process.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const SCENARIOS: Scenario[] = [paperScaleScenario, syncScenario, incrementalScenario, pacingScenario, engineScenario, inspectScenario, jitScenario, grpcServingScenario, simulatorScenario, reportScenario];

interface Flags {
  quick: boolean;
  reportOnly: boolean;
  only?: string[];
  out?: string;
  cpuProf?: string;
}

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));

function outputPaths(flags: Flags): ReportPaths {
  // Quick runs are smoke tests: they must not overwrite the figures of the last full run.
  const dir = flags.out ? resolve(flags.out) : flags.quick ? mkdtempSync(join(tmpdir(), "bench-quick-")) : BENCH_DIR;
  return { dir, resultsDir: join(dir, "results") };
}

function selected(only: string[] | undefined): Scenario[] {
  if (!only) return SCENARIOS;
  const names = only.flatMap((o) => o.split(",")).map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}`);
  return SCENARIOS.filter((s) => names.includes(s.name));
}

async function main(flags: Flags): Promise<number> {
  const scenarios = flags.reportOnly ? [] : selected(flags.only);
  const paths = outputPaths(flags);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (flags.cpuProf) mkdirSync(flags.cpuProf, { recursive: true });
  const started = performance.now();
  if (scenarios.length > 0) {
    log("compiling the benchmark workers (tsc -p tsconfig.bench.json)");
    buildWorkers();
  }
  const crashed: string[] = [];
  for (const scenario of scenarios) {
    log(`\n=== ${scenario.name}: ${scenario.title}${flags.quick ? " (quick)" : ""}`);
    const machine = machineInfo();
    const scenarioStarted = performance.now();
    try {
      const output = await scenario.run({ quick: flags.quick, log, cpuProfDir: flags.cpuProf });
      const result: ScenarioResult = { scenario: scenario.name, title: scenario.title, quick: flags.quick, machine, durationMs: Math.round(performance.now() - scenarioStarted), ...output };
      writeScenarioResult(paths, result);
      process.stdout.write(`\n${renderScenario(result)}\n`);
    } catch (error) {
      crashed.push(scenario.name);
      log(`scenario ${scenario.name} CRASHED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }
  const results = readScenarioResults(paths, SCENARIOS.map((s) => s.name));
  const sync = results.find((r) => r.scenario === "sync");
  writeReport(paths, results, sync ? chartPoints(sync.data) : undefined);
  log(`\nbenchmarks took ${duration(performance.now() - started)}; report: ${join(paths.dir, "RESULTS.md")}, figures: ${paths.resultsDir}`);
  if (crashed.length > 0) log(`crashed: ${crashed.join(", ")}`);
  return crashed.length > 0 ? 1 : 0;
}

const program = new Command("bench")
  .description("Benchmarks against the local AWS simulator with AWS-like latency and quotas")
  .option("--quick", "each scenario once at small size (smoke test; results go to a temporary directory unless --out)", false)
  .option("--only <scenarios...>", `run only these (comma- or space-separated): ${SCENARIOS.map((s) => s.name).join(", ")}`)
  .option("--out <dir>", "write RESULTS.md, chart.svg and results/*.json here instead of bench/")
  .option("--cpu-prof <dir>", "write V8 CPU profiles of the worker processes into this directory")
  .option("--report-only", "run nothing: re-render RESULTS.md and chart.svg from the results/*.json present", false)
  .action(async (flags: Flags) => {
    process.exitCode = await main(flags);
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
