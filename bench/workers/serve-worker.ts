/**
 * `connector serve` in its own process (bench/scenarios/grpc-serving.ts): createConnector + the
 * real gRPC server, pointed at the parent's simulator, with timing around every request
 * (server-timing.ts). The parent drives it with messages: "reset" clears the timings, "collect"
 * returns them summarised, "stop" shuts it down.
 */
import { createAwsClients } from "../../src/aws/clients.js";
import { defaultConfig } from "../../src/config/config.js";
import { createConnector } from "../../src/connector/build.js";
import { startConnectorServer } from "../../src/connector/server.js";
import type { Features } from "../lib/org-shape.js";
import { max, percentile } from "../lib/stats.js";
import { workerMain } from "../lib/worker.js";
import { timeAwsCalls, timeHttp2Requests, timings, type CallTiming } from "./server-timing.js";

export interface ServeWorkerInput {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  stateDir: string;
  features: Features;
  /** Client-side pacing per AWS service (the simulator here has no quotas). */
  requestsPerSecond: number;
}

export type ServeCommand = { cmd: "reset" } | { cmd: "collect" } | { cmd: "stop" };

export interface TimingSummary {
  calls: number;
  overheadP50Ms: number;
  overheadP99Ms: number;
  overheadMaxMs: number;
  totalP50Ms: number;
  totalP99Ms: number;
  /** Share of all server time spent waiting for AWS. */
  awsShare: number;
  /** Server process CPU time (user + system) per call: the cost of a call, whatever the queueing. */
  cpuMsPerCall: number;
  /** Share of the interval the server process was on a CPU. */
  cpuBusy: number;
  byMethod: Record<string, { calls: number; overheadP50Ms: number; overheadP99Ms: number }>;
}

function summarise(all: CallTiming[], cpu: NodeJS.CpuUsage, elapsedMs: number): TimingSummary {
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const overhead = all.map((t) => t.totalMs - t.awsMs);
  const total = all.reduce((s, t) => s + t.totalMs, 0);
  const aws = all.reduce((s, t) => s + t.awsMs, 0);
  const byMethod: TimingSummary["byMethod"] = {};
  for (const path of new Set(all.map((t) => t.path))) {
    const mine = all.filter((t) => t.path === path).map((t) => t.totalMs - t.awsMs);
    byMethod[path.slice(path.lastIndexOf("/") + 1)] = { calls: mine.length, overheadP50Ms: percentile(mine, 50), overheadP99Ms: percentile(mine, 99) };
  }
  return {
    calls: all.length,
    overheadP50Ms: percentile(overhead, 50),
    overheadP99Ms: percentile(overhead, 99),
    overheadMaxMs: max(overhead),
    totalP50Ms: percentile(all.map((t) => t.totalMs), 50),
    totalP99Ms: percentile(all.map((t) => t.totalMs), 99),
    awsShare: total > 0 ? aws / total : 0,
    cpuMsPerCall: all.length > 0 ? cpuMs / all.length : 0,
    cpuBusy: elapsedMs > 0 ? cpuMs / elapsedMs : 0,
    byMethod,
  };
}

workerMain<ServeWorkerInput, { peakRssBytes: number }>(async (input, io) => {
  timeHttp2Requests();
  const rps = input.requestsPerSecond;
  const config = defaultConfig({
    aws: { region: input.region, ssoRegion: input.region, endpoint: input.endpoint, staticCredentials: { ...input.credentials } },
    features: input.features,
    rateLimits: { requestsPerSecond: { iam: rps, sts: rps, identitystore: rps, sso: rps, organizations: rps }, maxConcurrency: 64 },
    pageTokenSecret: "benchmark-page-tokens",
    stateDir: input.stateDir,
  });
  const connector = createConnector(config, { aws: timeAwsCalls(createAwsClients(config)) });
  const server = await startConnectorServer(connector.services, { listen: "127.0.0.1:0" });
  io.send({ port: server.address.port });
  let cpuSince = process.cpuUsage();
  let since = performance.now();
  try {
    for (;;) {
      const command = (await io.next()) as ServeCommand;
      if (command.cmd === "stop") break;
      if (command.cmd === "reset") {
        timings.length = 0;
        cpuSince = process.cpuUsage();
        since = performance.now();
        io.send({ ok: true });
      } else {
        io.send(summarise(timings, process.cpuUsage(cpuSince), performance.now() - since));
      }
    }
  } finally {
    await server.close(1_000);
    await connector.close();
  }
  return { peakRssBytes: process.resourceUsage().maxRSS * 1024 };
});
