/** What every scenario hands back: checks against targets, tables for RESULTS.md, raw figures for the JSON file. */
import type { MachineInfo } from "./machine.js";

/** One figure held against its bound or target. */
export interface Check {
  /** What is checked, e.g. "wall time, medium". */
  name: string;
  value: number;
  unit: string;
  /** The target in words, with the figure it derives from: "≤ 1.10 × bound (43.5 s)". */
  target: string;
  /** value ÷ the bound when the target is relative to one, else value ÷ the target. */
  ratio?: number;
  /** The limit itself, and the ratio it stands for (so a near miss is not rounded onto it). */
  limit?: number;
  limitRatio?: number;
  met: boolean;
}

export interface Table {
  title?: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

export interface ScenarioOutput {
  /** How it was run: quotas, latency, sizes, runs — everything needed to reproduce a figure. */
  settings: Record<string, unknown>;
  checks: Check[];
  tables: Table[];
  /** Plain-language remarks: assumptions, causes of missed targets. */
  notes: string[];
  /** Every measured figure (each run), for bench/results/<scenario>.json. */
  data: unknown;
}

export interface ScenarioResult extends ScenarioOutput {
  scenario: string;
  title: string;
  quick: boolean;
  machine: MachineInfo;
  durationMs: number;
}

export interface RunOptions {
  quick: boolean;
  /** Progress lines (stderr). */
  log(line: string): void;
  /** Write V8 CPU profiles of the benchmark's worker processes here. */
  cpuProfDir?: string;
}

export interface Scenario {
  name: string;
  title: string;
  run(options: RunOptions): Promise<ScenarioOutput>;
}

const ratioOf = (value: number, reference: number) => (reference > 0 ? value / reference : undefined);

/** value ≤ limit (e.g. wall ≤ 1.10 × bound); the ratio is value ÷ `bound` when given, else value ÷ limit. */
export function atMost(name: string, value: number, limit: number, unit: string, target: string, bound?: number): Check {
  return { name, value, unit, target, met: value <= limit, ratio: ratioOf(value, bound ?? limit), limit, limitRatio: ratioOf(limit, bound ?? limit) };
}

export function atLeast(name: string, value: number, limit: number, unit: string, target: string): Check {
  return { name, value, unit, target, met: value >= limit, ratio: ratioOf(value, limit), limit, limitRatio: 1 };
}

export function exactly(name: string, value: number, expected: number, unit: string, target: string): Check {
  return { name, value, unit, target, met: value === expected, ratio: ratioOf(value, expected) };
}

/** The marker printed beside a figure. */
export const verdict = (check: Pick<Check, "met">): string => (check.met ? "met" : "**MISSED**");
