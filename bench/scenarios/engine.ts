/**
 * Scenario 3 — engine throughput: a zero-latency generated source (1,000,000 grants plus their
 * users, groups and entitlements) synced by the real sync engine into a c1z through the real
 * router and page tokens. Measures grants per second end to end and the worker's peak RSS, into a
 * new file and into a file that already holds two syncs.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { int, mib, pct, seconds } from "../lib/format.js";
import { atLeast, atMost, type Scenario, type ScenarioOutput } from "../lib/result.js";
import { median, medianRun, restSeconds } from "../lib/stats.js";
import { HEAP_GROWING_PERCENT } from "../../src/cli/heap.js";
import { DEFAULT_WORKERS } from "../../src/sync/engine.js";
import { runWorker } from "../lib/worker.js";
import type { EngineWorkerInput, EngineWorkerOutput } from "../workers/engine-worker.js";
import type { SourceSizes } from "../workers/generated-source.js";

const FULL: SourceSizes = { users: 100_000, groups: 10_000, membersPerGroup: 100, resourcePageSize: 250, grantPageSize: 100 };
const QUICK: SourceSizes = { ...FULL, users: 5_000, groups: 500 };
const TARGET_GRANTS_PER_SECOND = 100_000;
const TARGET_RSS_BYTES = 512 * 1024 * 1024;
const WORKER = new URL("../workers/engine-worker.ts", import.meta.url);

export const engineScenario: Scenario = {
  name: "engine",
  title: "Engine throughput: 1M grants from a zero-latency source into a c1z",
  async run(options): Promise<ScenarioOutput> {
    const sizes = options.quick ? QUICK : FULL;
    const runs = options.quick ? 1 : 3;
    const scratch = mkdtempSync(join(tmpdir(), "bench-engine-"));
    const sync = (target: string) => runWorker<EngineWorkerOutput>(WORKER, { sizes, target } satisfies EngineWorkerInput, { cpuProfDir: options.cpuProfDir });
    const fresh: EngineWorkerOutput[] = [];
    const existing: EngineWorkerOutput[] = [];
    try {
      // Into a new file.
      for (let i = 0; i < runs; i++) {
        const out = await sync(join(scratch, `new-${i}.c1z`));
        options.log(`  new file, run ${i + 1}/${runs}: ${describeRun(out)}`);
        fresh.push(out);
      }
      // Into a file that holds two finished syncs of the same source: what every sync after the
      // second one meets (the oldest is dropped, --keep-syncs 2). The file is made once.
      const seed = join(scratch, "new-0.c1z");
      await sync(seed);
      for (let i = 0; i < runs; i++) {
        const target = join(scratch, `existing-${i}.c1z`);
        copyFileSync(seed, target);
        const out = await sync(target);
        rmSync(target, { force: true });
        options.log(`  file holding two syncs, run ${i + 1}/${runs}: ${describeRun(out)}`);
        existing.push(out);
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    const rateOf = (r: EngineWorkerOutput) => r.grants / (r.wallMs / 1000);
    const rate = median(fresh.map(rateOf));
    const existingRate = median(existing.map(rateOf));
    const cores = cpus().length;
    const cpuSeconds = median(fresh.map((r) => r.cpuMs / 1000));
    // At the target rate the run has grants ÷ target seconds, so at most that × cores of CPU time.
    const budgetSeconds = (median(fresh.map((r) => r.grants)) / TARGET_GRANTS_PER_SECOND) * cores;
    const busyShare = median(fresh.map((r) => r.cpuMs / (r.wallMs * cores)));
    const rss = median(fresh.map((r) => r.peakRssBytes));
    const existingRss = median(existing.map((r) => r.peakRssBytes));
    const wallRatio = median(existing.map((r) => r.wallMs)) / median(fresh.map((r) => r.wallMs));
    const medians = [
      { label: "new file", run: medianRun(fresh, (r) => r.wallMs), rate, rss },
      { label: "file holding two syncs", run: medianRun(existing, (r) => r.wallMs), rate: existingRate, rss: existingRss },
    ];
    const steps = [...new Set(medians.flatMap((m) => Object.keys(m.run.stepDurationsMs)))];
    return {
      settings: { sizes, runs, workers: DEFAULT_WORKERS, heapGrowingPercent: HEAP_GROWING_PERCENT, keepSyncs: 2, note: "generated users, groups (one member entitlement each) and one grant per membership; no grant expansion needed (no expandable grants)" },
      checks: [
        atLeast("grants per second, end to end", rate, TARGET_GRANTS_PER_SECOND, "grants/s", `≥ ${int(TARGET_GRANTS_PER_SECOND)} grants/s`),
        atMost("peak RSS", rss / 1024 / 1024, TARGET_RSS_BYTES / 1024 / 1024, "MiB", "≤ 512 MiB"),
        atMost("sync into a file holding two syncs: wall ÷ into a new file", wallRatio, 1, "×", "≤ 1.00 (no slower)"),
        atMost("peak RSS, into a file holding two syncs", existingRss / 1024 / 1024, TARGET_RSS_BYTES / 1024 / 1024, "MiB", "≤ 512 MiB"),
      ],
      tables: [
        {
          title: "Median runs",
          columns: ["into", "grants", "resources", "entitlements", "wall", "grants/s", "opening (until the first listing)", "listings", "sealing (indexes, stats, compression)", "CPU time, all threads", "cores busy on average", "peak RSS", "c1z"],
          rows: medians.map(({ label, run, rate: r, rss: peak }) => [
            label,
            int(run.grants),
            int(run.resources),
            int(run.entitlements),
            seconds(run.wallMs / 1000),
            int(r),
            seconds(run.openMs / 1000),
            seconds((run.wallMs - run.openMs - run.sealMs) / 1000),
            seconds(run.sealMs / 1000),
            seconds(run.cpuMs / 1000),
            `${(run.cpuMs / run.wallMs).toFixed(2)} of ${cores}`,
            mib(peak),
            mib(run.fileBytes),
          ]),
        },
        {
          title: "Sync engine phases (median runs)",
          columns: ["into", ...steps, "rest: open, finalize (indexes, stats) and publish (zstd)"],
          rows: medians.map(({ label, run }) => [label, ...steps.map((s) => seconds((run.stepDurationsMs[s] ?? 0) / 1000)), seconds(restSeconds(run.wallMs, run.stepDurationsMs))]),
        },
      ],
      notes: [
        `Source: ${int(sizes.users)} users, ${int(sizes.groups)} groups × ${sizes.membersPerGroup} members = ${int(sizes.groups * sizes.membersPerGroup)} grants; ${sizes.resourcePageSize} resources and ${sizes.grantPageSize} grants per page, served in-process through createConnectorServices (router, request validation, HMAC page tokens) and runSync (${DEFAULT_WORKERS} workers, checkpoints, zstd level 3 publish).`,
        `The worker process sets V8's heap growth as connector sync does (src/cli/heap.ts: --heap-growing-percent=${HEAP_GROWING_PERCENT}); without it V8 lets the heap reach about 4× its live set.`,
        `CPU budget: at ${int(TARGET_GRANTS_PER_SECOND)} grants/s this run would have to finish in ${seconds(budgetSeconds / cores)}, which on this ${cores}-core machine is at most ${seconds(budgetSeconds)} of CPU time, every core busy throughout. The runs into a new file used ${seconds(cpuSeconds)} (median; every thread of the process: the engine and the connector source on the main thread, SQLite on the database thread, zstd's workers, V8's collector), ${pct(cpuSeconds / budgetSeconds)} of that budget, and kept ${pct(busyShare)} of the cores busy on average. ${rate >= TARGET_GRANTS_PER_SECOND ? "" : cpuSeconds > budgetSeconds ? "So the target is out of reach here until the work itself shrinks, however well the threads overlap." : `So the target needs less work, or threads that keep the cores ${pct(cpuSeconds / budgetSeconds)} busy instead of ${pct(busyShare)}.`}`.trim(),
        "A file holding two syncs is what every sync after the second one meets with --keep-syncs 2: opening decompresses it into the working database and deletes the older sync there (its rows' space is reused); the non-unique grant indexes are dropped first and rebuilt over both syncs' rows when the sync is sealed (src/c1z/schema.ts), and the published file holds both syncs, so sealing (indexes, compression) takes about three times as long as into a new file.",
        "Wall = runSync() from start to the published c1z, in a fresh worker process running the tsc-compiled JavaScript, as `connector` runs (peak RSS = its maxRSS). Opening = start to the first phase (Validate runs meanwhile); a sync starting a new run lists while the database thread makes the working database from the file, so decompressing and deleting the oldest sync show in the listings' time, not here; sealing = finalize to the renamed file.",
      ],
      data: { sizes, runs: fresh, existingRuns: existing, medianGrantsPerSecond: rate, medianPeakRssBytes: rss, existingMedianGrantsPerSecond: existingRate, existingWallRatio: wallRatio },
    };
  },
};

function describeRun(out: EngineWorkerOutput): string {
  return `${int(out.grants)} grants in ${seconds(out.wallMs / 1000)} = ${int(out.grants / (out.wallMs / 1000))} grants/s (opening ${seconds(out.openMs / 1000)}, sealing ${seconds(out.sealMs / 1000)}), CPU ${seconds(out.cpuMs / 1000)}, peak RSS ${mib(out.peakRssBytes)}`;
}
