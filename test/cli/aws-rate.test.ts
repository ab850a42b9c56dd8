/**
 * `connector sync --aws-rate …` as a process against the simulator: an operator's cap is never
 * exceeded in any second the simulator counts, although AWS (the simulator's quotas) would allow
 * ten times more; and what pacing learned is kept in the state directory.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, SIM_CREDENTIALS, type Simulator } from "../../src/simulator/index.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = join(ROOT, "src/cli/main.ts");
const TSX = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;

const CAPS = { "sso-admin": 4, identitystore: 2 } as const;
/** What the simulator allows per service: far above the caps. */
const AWS_QUOTA = 50;

let sim: Simulator;
let dir: string;

beforeAll(async () => {
  const services = Object.fromEntries(["sso-admin", "identitystore", "iam", "sts", "organizations"].map((s) => [s, { rate: AWS_QUOTA, burst: AWS_QUOTA }]));
  sim = await startSimulator({ profile: "demo", seed: 3, knobs: { quotas: { enabled: true, services } } });
  dir = mkdtempSync(join(tmpdir(), "connector-aws-rate-"));
});
afterAll(async () => {
  await sim.stop();
});

function sync(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--import", TSX, MAIN, "sync", "--no-progress", ...args], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      BATON_GLOBAL_ACCESS_KEY_ID: SIM_CREDENTIALS.management.accessKeyId,
      BATON_GLOBAL_SECRET_ACCESS_KEY: SIM_CREDENTIALS.management.secretAccessKey,
      BATON_GLOBAL_REGION: sim.region,
      BATON_GLOBAL_AWS_SSO_REGION: sim.region,
      AWS_ENDPOINT_URL: sim.endpoint,
      BATON_STATE_DIR: join(dir, "state"),
      BATON_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}

describe("connector sync --aws-rate", () => {
  it("never exceeds an operator's cap in any second, although AWS would allow more, and uses it", async () => {
    sim.counters.reset();
    const result = await sync(["--file", join(dir, "capped.c1z"), "--aws-rate", `sso=${CAPS["sso-admin"]},identitystore=${CAPS.identitystore}`]);
    expect(result.code, result.output).toBe(0);
    for (const [service, cap] of Object.entries(CAPS) as Array<[keyof typeof CAPS, number]>) {
      const perSecond = sim.counters.perSecond(service);
      // Enough calls to be held by the cap for several seconds…
      expect(sim.counters.calls(service)).toBeGreaterThanOrEqual(3 * cap);
      // …never more than the cap in a second, and the cap reached (it was what held the sync back).
      expect(perSecond.peak, JSON.stringify(perSecond.buckets)).toBe(cap);
    }
    expect(sim.counters.snapshot().totals.throttles).toBe(0);
  }, 120_000);

  it("keeps what pacing learned in the state directory, readable by its owner only", () => {
    const path = join(dir, "state", "pacing.json");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(path, "utf8")) as { version: number; scopes: Record<string, { rates: Record<string, { rate: number }> }> };
    expect(saved.version).toBe(1);
    const [scope] = Object.values(saved.scopes);
    expect(scope!.rates.sso!.rate).toBeLessThanOrEqual(CAPS["sso-admin"]);
    expect(scope!.rates.identitystore!.rate).toBeLessThanOrEqual(CAPS.identitystore);
    expect(readFileSync(path, "utf8")).not.toContain(SIM_CREDENTIALS.management.secretAccessKey);
  });
});
