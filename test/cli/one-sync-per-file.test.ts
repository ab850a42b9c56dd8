/**
 * Two `connector sync` processes on one file, as two cron jobs that overlap would run them: the
 * second is refused at once with one line while the first still makes its working database or
 * lists, and the first completes untouched. Real CLI processes (dist/) against the simulator.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { C1zReader } from "../../src/c1z/reader.js";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { lockPath, workingPath } from "../../src/sync/working-db.js";
import { lines, runCli, simulatorEnv, simulatorFlags } from "../support/cli-process.js";
import { until } from "../support/until.js";

let sim: Simulator;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({ profile: "demo", seed: 5 });
  dir = mkdtempSync(join(tmpdir(), "connector-one-sync-"));
});
afterAll(async () => {
  await sim.stop();
});

/** An operator's cap of 2 Identity Store and SSO Admin calls a second keeps a sync going for seconds. */
const sync = (file: string, ...extra: string[]) =>
  runCli(["sync", "--no-progress", "--file", file, ...simulatorFlags(sim, join(dir, "state")), ...extra], { env: simulatorEnv(sim), timeoutMs: 120_000 });

describe("one sync per file", () => {
  it("a second connector sync of a file being synced exits non-zero with one line; the first completes", async () => {
    const file = join(dir, "shared.c1z");
    expect((await sync(file)).code).toBe(0);
    const before = readFileSync(file);

    const first = sync(file, "--aws-rate", "sso=2,identitystore=2");
    // The first holds the lock from before it makes its working database until it publishes.
    await until(() => existsSync(lockPath(file)), 60_000);
    const second = await sync(file);
    expect(second.code).not.toBe(0);
    expect(lines(second.stderr)).toHaveLength(1);
    expect(second.stderr).toMatch(/^connector: .*another connector sync is already writing .*shared\.c1z/);
    // Still the first one's: the refused sync changed nothing.
    expect(existsSync(lockPath(file))).toBe(true);

    const done = await first;
    expect(done.code, done.stderr).toBe(0);
    expect(existsSync(lockPath(file))).toBe(false);
    expect(existsSync(workingPath(file))).toBe(false);
    expect(readFileSync(file).equals(before)).toBe(false);
    const reader = await C1zReader.open(file);
    try {
      expect(reader.syncs().filter((s) => s.endedAt)).toHaveLength(2);
    } finally {
      reader.close();
    }
  }, 180_000);
});
