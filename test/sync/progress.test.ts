/**
 * The sync's progress display (src/sync/progress.ts): what it shows at the end, how its ETA moves,
 * that every line fits the terminal, that a resumed sync starts from what it already has, and that
 * log lines are printed above the bar instead of over it.
 */
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, LogOutput } from "../../src/log.js";
import { runSync } from "../../src/sync/engine.js";
import { createProgress, fit, mainLine, Tally } from "../../src/sync/progress.js";
import { createFakeConnector, demoOrg } from "./fake-connector.js";

/** A clock the test moves. */
function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const noop = () => undefined;

describe("the progress line", () => {
  it("ends at 100% with the elapsed time — never 0% 0/1 or an ETA of NaN/Infinity", () => {
    const c = clock();
    const tally = new Tally(c.now);
    const observer = tally.observer(noop, noop, noop);
    observer.phase!("grants", { jobs: 10 });
    for (let i = 0; i < 10; i++) observer.jobDone!("grants");
    observer.phase!("finalize", {});
    c.advance(12_300);
    observer.phase!("done", {});
    const line = mainLine(tally, c.now, 100);
    expect(line).toMatch(/^ done +\[█+\] 100% \| 12s$/);
    expect(line).not.toMatch(/0\/1|NaN|NF|INF|Infinity|NULL/);
  });

  it("phases without listings show what runs and for how long, not a made-up fraction", () => {
    const c = clock();
    const tally = new Tally(c.now);
    tally.observer(noop, noop, noop).phase!("finalize", {});
    c.advance(4_000);
    expect(mainLine(tally, c.now, 100)).toBe(" writing file        … | 4s");
  });

  it("the ETA follows the phase's own pace: it does not jump when one listing is slow", () => {
    // Listings finish fast, then one takes 20 s, then the rest: the old 10-second window showed
    // 88% "1s" and then 98% "30s".
    const c = clock();
    const tally = new Tally(c.now);
    const observer = tally.observer(noop, noop, noop);
    observer.phase!("grants", { jobs: 100 });
    const etas: Array<{ pct: number; eta: number }> = [];
    const record = () => etas.push({ pct: tally.jobsDone, eta: tally.etaSeconds() ?? Number.NaN });
    for (let i = 0; i < 88; i++) {
      c.advance(100);
      observer.jobDone!("grants");
      record();
    }
    for (let s = 0; s < 20; s++) {
      c.advance(1000); // the slow listing
      record();
    }
    for (let i = 88; i < 98; i++) {
      c.advance(100);
      observer.jobDone!("grants");
      record();
    }
    const at = (pct: number) => etas.filter((e) => e.pct === pct).at(-1)!.eta;
    expect(at(98)).toBeLessThanOrEqual(at(88) * 2);
    expect(at(98)).toBeLessThan(5);
    // From one render to the next it moves by seconds, not by tens of seconds.
    const moves = etas.slice(1).map((e, i) => (Number.isNaN(e.eta) || Number.isNaN(etas[i]!.eta) ? 0 : e.eta - etas[i]!.eta));
    expect(Math.max(...moves)).toBeLessThanOrEqual(2);
  });

  it("every line fits the terminal; the totals stay, the per-type detail goes first", () => {
    const tally = new Tally(() => 0);
    const observer = tally.observer(noop, noop, noop);
    for (const [type, n] of [["sso_group", 8935], ["account", 281706], ["group", 359], ["role", 59]] as const) observer.records!("grants", type, n);
    for (const width of [40, 60, 80, 120]) {
      const line = fit([tally.describe("grants", 3), "280052 by expansion"], width, (n) => [tally.describe("grants", n), "280052 by expansion"]);
      expect(line.length, `width ${width}`).toBeLessThanOrEqual(width - 2);
      expect(line).toContain("grants 291059");
    }
    expect(fit([tally.describe("grants", 3), "x"], 200, (n) => [tally.describe("grants", n), "x"])).toContain("(account 281706, sso_group 8935, group 359, …)");
    expect(mainLine(tally, () => 0, 30).length).toBeLessThanOrEqual(28);
  });
});

describe("a resumed sync", () => {
  it("starts its counts from what the interrupted run stored, and ends with the sync's totals", async () => {
    const dir = mkdtempSync(join(tmpdir(), "progress-resume-"));
    const target = join(dir, "sync.c1z");
    class Stop extends Error {}
    const { api } = createFakeConnector(demoOrg(2), { pageSize: 2 });
    await expect(
      runSync({ target, api, workers: 2, checkpoint: { intervalMs: 0, maxRows: 1 }, onCheckpoint: (n) => {
        if (n === 12) throw new Stop();
      } }),
    ).rejects.toThrow(Stop);

    const tally = new Tally(Date.now);
    const result = await runSync({ target, api: createFakeConnector(demoOrg(2), { pageSize: 2 }).api, workers: 2, observer: tally.observer(noop, noop, noop) });
    expect(result.resumed).toBe(true);
    expect(tally.resumed).toBe(true);
    expect(tally.total("resources")).toBe(result.stats.resources);
    expect(tally.total("entitlements")).toBe(result.stats.entitlements);
    expect(tally.total("grants")).toBe(result.stats.grants);
    expect(mainLine(tally, Date.now, 120)).toMatch(/^ done/);
  });
});

describe("the bar and the log", () => {
  it("log lines written while the bar is shown are printed above it, whole; after stop() they go back to the log's file", () => {
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 80 }) as unknown as NodeJS.WriteStream & PassThrough;
    let screen = "";
    terminal.on("data", (chunk: Buffer) => (screen += chunk.toString()));
    const logFile = join(mkdtempSync(join(tmpdir(), "progress-log-")), "log");
    const fd = openSync(logFile, "w");
    const output = new LogOutput(fd);
    const log = createLogger({ level: "info", format: "json", output });
    const progress = createProgress({ mode: "bar", log, stream: terminal, logOutput: output });
    progress.observer.phase!("resources", { jobs: 4 });
    log.info({ account: "123456789012" }, "member account role could not be assumed");
    progress.stop();
    log.info("after the bar");
    closeSync(fd);
    // eslint-disable-next-line no-control-regex
    const text = screen.replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, "");
    const logLine = text.split(/\r|\n/).find((l) => l.includes("member account role could not be assumed"));
    expect(logLine).toBeDefined();
    expect(JSON.parse(logLine!.trim())).toMatchObject({ msg: "member account role could not be assumed" });
    // The bar was drawn after the line, not over it.
    expect(screen.lastIndexOf("resources")).toBeGreaterThan(screen.indexOf("member account role"));
    expect(readFileSync(logFile, "utf8")).toContain('"msg":"after the bar"');
    expect(screen).not.toContain("after the bar");
  });

  it("mode off writes nothing: no bar and no progress log lines (--no-progress)", () => {
    const logFile = join(mkdtempSync(join(tmpdir(), "progress-off-")), "log");
    const fd = openSync(logFile, "w");
    const log = createLogger({ level: "debug", format: "json", output: new LogOutput(fd) });
    const progress = createProgress({ mode: "off", log, intervalMs: 1 });
    progress.observer.phase!("resources", { jobs: 1 });
    progress.observer.jobDone!("resources");
    progress.observer.phase!("done", {});
    progress.stop();
    closeSync(fd);
    expect(readFileSync(logFile, "utf8")).not.toContain("sync progress");
  });
});
