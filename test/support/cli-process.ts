/**
 * The real CLI as a user runs it: `node dist/src/cli/main.js …` in a child process (the compiled
 * build, not the TypeScript sources). The build is made fresh before the tests when any source is
 * newer than it (test/support/build-dist.ts, vitest globalSetup).
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const DIST_MAIN = join(ROOT, "dist/src/cli/main.js");
const SOURCE_MAIN = join(ROOT, "src/cli/main.ts");
const TSX_LOADER = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;

interface SimulatorAddress {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

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

/** cleanEnv pointing the CLI at a simulator (endpoint, region, its credentials) the way a user's shell would. */
export function simulatorEnv(
  sim: SimulatorAddress,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return cleanEnv({
    AWS_ENDPOINT_URL: sim.endpoint,
    AWS_REGION: sim.region,
    BATON_GLOBAL_AWS_SSO_REGION: sim.region,
    AWS_ACCESS_KEY_ID: sim.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sim.credentials.secretAccessKey,
    ...extra,
  });
}

/** Command-line flags pointing the CLI at a simulator (endpoint, region, its credentials) and a state directory. */
export function simulatorFlags(sim: SimulatorAddress, stateDir: string): string[] {
  return [
    "--aws-endpoint", sim.endpoint,
    "--global-access-key-id", sim.credentials.accessKeyId,
    "--global-secret-access-key", sim.credentials.secretAccessKey,
    "--global-region", sim.region,
    "--global-aws-sso-region", sim.region,
    "--state-dir", stateDir,
  ];
}

/**
 * The CLI from its TypeScript sources (through tsx) as a child the test controls — signals,
 * kills, output read while it runs — in a fresh working directory and a clean environment.
 */
export function spawnSourceCli(args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", TSX_LOADER, SOURCE_MAIN, ...args], {
    cwd: mkdtempSync(join(tmpdir(), "connector-cwd-")),
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
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
