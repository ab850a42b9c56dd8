/** What a figure was measured on: hardware, Node, date, the code's commit, and how busy the machine was. */
import { execFileSync } from "node:child_process";
import { cpus, freemem, loadavg, totalmem } from "node:os";

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  /** ISO time the measurement started. */
  date: string;
  gitCommit: string;
  /** Uncommitted changes were present (figures are for the working tree, not exactly the commit). */
  gitDirty: boolean;
  /** 1-minute load average when the scenario started: figures are only comparable on an idle machine. */
  loadAverage1m: number;
  freeMemoryGiB: number;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

const BENCH_OUTPUTS = ["bench/RESULTS.md", "bench/chart.svg", "bench/results"];

export function machineInfo(): MachineInfo {
  const gib = (bytes: number) => Math.round((bytes / 1024 ** 3) * 10) / 10;
  return {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: gib(totalmem()),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
    gitCommit: git(["rev-parse", "--short=12", "HEAD"]) ?? "unknown",
    // The benchmark's own outputs, rewritten as scenarios finish, do not make the code under test dirty.
    gitDirty: (git(["status", "--porcelain", "--untracked-files=no", "--", ".", ...BENCH_OUTPUTS.map((p) => `:!${p}`)]) ?? "") !== "",
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    freeMemoryGiB: gib(freemem()),
  };
}
