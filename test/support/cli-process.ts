/**
 * The real CLI as a user runs it: `node dist/src/cli/main.js …` in a child process (the compiled
 * build, not the TypeScript sources). The build is made fresh before the tests when any source is
 * newer than it (test/support/build-dist.ts, vitest globalSetup).
 */
import { spawn, type SpawnOptions } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const DIST_MAIN = join(ROOT, "dist/src/cli/main.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill it after this long (ms) — a hang is a failure too. */
  timeoutMs?: number;
  /** Run as this user (a root test process checks permissions as someone else). */
  uid?: number;
  gid?: number;
  stdio?: SpawnOptions["stdio"];
}

/** A minimal environment: nothing from the developer's shell (AWS profiles, BATON_*) leaks in. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...extra };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DIST_MAIN, ...args], {
      cwd: options.cwd ?? mkdtempSync(join(tmpdir(), "connector-cwd-")),
      env: options.env ?? cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      uid: options.uid,
      gid: options.gid,
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** stderr's non-empty lines. */
export const lines = (text: string): string[] => text.split("\n").filter((l) => l.trim() !== "");
