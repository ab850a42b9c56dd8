import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { runSync } from "../../src/sync/engine.js";
import { workingPath } from "../../src/sync/working-db.js";
import { dumpC1z } from "./dump.js";
import { createFakeConnector, demoOrg } from "./fake-connector.js";

/**
 * Kills syncs at every checkpoint and at random moments, and checks that the resumed sync ends
 * with exactly the rows of an uninterrupted one (every column of every table but timestamps and
 * sync ids, row ids included), and that the previous .c1z is byte-identical after every crash.
 */
const dir = mkdtempSync(join(tmpdir(), "crash-"));
const CHILD = join(import.meta.dirname, "fixtures", "crash-child.ts");
const CLI = join(import.meta.dirname, "..", "..", "src", "cli", "main.ts");

class Crash extends Error {}

/** One sync of the fake organisation, committing after every page, optionally "crashing" after checkpoint n. */
async function inProcessSync(target: string, crashAt?: number, workers = 4) {
  const { api } = createFakeConnector(demoOrg(), { pageSize: 2 });
  return runSync({
    target,
    api,
    workers,
    checkpoint: { intervalMs: 0, maxRows: 1 },
    onCheckpoint: (n) => {
      // Thrown right after the commit: the process state is lost, the database keeps what was committed.
      if (n === crashAt) throw new Crash(`crash after checkpoint ${n}`);
    },
  });
}

let previous: string;
let previousBytes: Buffer;
let expected: Awaited<ReturnType<typeof dumpC1z>>;
let checkpoints: number;

beforeAll(async () => {
  previous = join(dir, "previous.c1z");
  await inProcessSync(previous);
  previousBytes = readFileSync(previous);
  const reference = join(dir, "reference.c1z");
  copyFileSync(previous, reference);
  checkpoints = (await inProcessSync(reference)).checkpoints;
  expected = await dumpC1z(reference);
});

describe("crash and resume (fault hook at every checkpoint)", () => {
  test("crash after checkpoint N, for every N, then resume: the rows of an uninterrupted sync", async () => {
    expect(checkpoints).toBeGreaterThan(40);
    // checkpoints + 1 is the sealed sync, just before the file is published.
    for (let n = 1; n <= checkpoints + 1; n++) {
      const target = join(dir, `every-${n}.c1z`);
      copyFileSync(previous, target);
      await expect(inProcessSync(target, n, 8)).rejects.toThrow(Crash);
      expect(readFileSync(target).equals(previousBytes), `previous file changed by crash ${n}`).toBe(true);
      const resumed = await inProcessSync(target, undefined, 1 + (n % 5));
      expect(resumed.resumed).toBe(true);
      expect(existsSync(workingPath(target))).toBe(false);
      expect(await dumpC1z(target), `crash after checkpoint ${n}`).toEqual(expected);
    }
  }, 300_000);

  test("crash after the first checkpoint of every run, run after run, until it completes", async () => {
    const target = join(dir, "chained.c1z");
    copyFileSync(previous, target);
    let crashes = 0;
    for (;;) {
      const outcome = await inProcessSync(target, 1).catch((error: unknown) => error);
      if (!(outcome instanceof Crash)) break;
      crashes++;
      expect(readFileSync(target).equals(previousBytes)).toBe(true);
      expect(crashes).toBeLessThan(3 * checkpoints);
    }
    expect(crashes).toBeGreaterThanOrEqual(checkpoints);
    expect(await dumpC1z(target)).toEqual(expected);
  }, 300_000);
});

describe("crash and resume (real SIGKILL)", () => {
  test("the CLI killed by its fault hook (CONNECTOR_SYNC_CRASH_AFTER_CHECKPOINT) resumes to the same file", async () => {
    const cli = (target: string, env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ["--import", "tsx", CLI, "sync", "--demo", "--file", target, "--no-progress", "--log-level", "error", "-o", "json"], {
        encoding: "utf8",
        env: { ...process.env, ...env },
      });
    const base = join(dir, "cli-previous.c1z");
    expect(cli(base).status).toBe(0);
    const baseBytes = readFileSync(base);
    const reference = join(dir, "cli-reference.c1z");
    copyFileSync(base, reference);
    expect(cli(reference).status).toBe(0);
    // The read log (v1_connector_sessions) is written only by a sync that made every listing
    // itself (src/sync/engine.ts): a resumed sync has none, and the next --incremental syncs in full.
    const readLog = { without: ["v1_connector_sessions"] };
    const want = await dumpC1z(reference, readLog);
    expect((await dumpC1z(reference)).v1_connector_sessions!.length).toBeGreaterThan(0);
    for (const n of [1, 4]) {
      const target = join(dir, `cli-${n}.c1z`);
      copyFileSync(base, target);
      const crash = cli(target, { CONNECTOR_SYNC_CRASH_AFTER_CHECKPOINT: String(n) });
      expect(crash.signal, `checkpoint ${n}: ${crash.stderr}`).toBe("SIGKILL");
      expect(readFileSync(target).equals(baseBytes)).toBe(true);
      const resume = cli(target);
      expect(resume.status, resume.stderr).toBe(0);
      expect(await dumpC1z(target, readLog), `CLI killed after checkpoint ${n}`).toEqual(want);
      expect((await dumpC1z(target)).v1_connector_sessions).toEqual([]);
    }
  }, 300_000);

  test("SIGKILL at random moments of a slow sync, then resumed", async () => {
    let seed = 12345;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    let interrupted = 0;
    for (let i = 0; i < 4; i++) {
      const target = join(dir, `random-${i}.c1z`);
      copyFileSync(previous, target);
      const child = spawn(process.execPath, ["--import", "tsx", CHILD, target], { env: { ...process.env, LATENCY_MS: "200" }, stdio: "ignore" });
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      await new Promise((r) => setTimeout(r, 500 + Math.floor(random() * 1500)));
      child.kill("SIGKILL");
      if ((await exited) === 0) {
        // Finished before the signal: nothing to resume.
        expect(await dumpC1z(target)).toEqual(expected);
        continue;
      }
      interrupted++;
      expect(readFileSync(target).equals(previousBytes)).toBe(true);
      const resume = spawnSync(process.execPath, ["--import", "tsx", CHILD, target], { encoding: "utf8" });
      expect(resume.status, resume.stderr).toBe(0);
      expect(await dumpC1z(target)).toEqual(expected);
    }
    expect(interrupted).toBeGreaterThan(0);
  }, 300_000);
});
