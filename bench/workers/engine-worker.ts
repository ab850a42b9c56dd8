/** One sync of the generated source (generated-source.ts) into a c1z, in a fresh process (bench/scenarios/engine.ts). */
import { limitHeapGrowth } from "../../src/cli/heap.js";
import { runSync } from "../../src/sync/engine.js";
import { workerMain } from "../lib/worker.js";
import { generatedConnectorApi, type SourceSizes } from "./generated-source.js";

export interface EngineWorkerInput {
  sizes: SourceSizes;
  target: string;
}

export interface EngineWorkerOutput {
  wallMs: number;
  /** From the start to the first phase: opening the working database (a file that holds syncs is decompressed, retention applied). */
  openMs: number;
  /** From the start of finalize to the published file: indexes, stats, compression, rename. */
  sealMs: number;
  /** CPU time of the whole process during the sync (every thread: engine, database, zstd), ms. */
  cpuMs: number;
  resources: number;
  entitlements: number;
  grants: number;
  fileBytes: number;
  stepDurationsMs: Record<string, number>;
  peakRssBytes: number;
  startRssBytes: number;
}

// The heap setting `connector sync` makes (src/cli/heap.ts): measure the sync as it runs there.
limitHeapGrowth();

workerMain<EngineWorkerInput, EngineWorkerOutput>(async (input) => {
  const startRssBytes = process.memoryUsage().rss;
  const api = generatedConnectorApi(input.sizes);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let firstPhaseAt: number | undefined;
  let finalizeAt: number | undefined;
  const observer = {
    phase: (phase: string) => {
      firstPhaseAt ??= performance.now();
      if (phase === "finalize") finalizeAt = performance.now();
    },
  };
  const result = await runSync({ target: input.target, api, observer });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    wallMs,
    openMs: (firstPhaseAt ?? started) - started,
    sealMs: finalizeAt === undefined ? 0 : started + wallMs - finalizeAt,
    cpuMs: (cpu.user + cpu.system) / 1000,
    resources: result.stats.resources,
    entitlements: result.stats.entitlements,
    grants: result.stats.grants,
    fileBytes: result.fileBytes,
    stepDurationsMs: result.stats.stepDurationsMs ?? {},
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    startRssBytes,
  };
});
