/**
 * `connector serve` in its own process (bench/scenarios/grpc-serving.ts): createConnector + the
 * real gRPC server, pointed at the parent's simulator, with timing around every request
 * (server-timing.ts). The parent drives it with messages: "reset" clears the timings and switches
 * slice accounting on or off for the next run, "collect" returns the run's timings summarised,
 * "stop" shuts it down.
 */
import { createAwsClients } from "../../src/aws/clients.js";
import { defaultConfig } from "../../src/config/config.js";
import { createConnector } from "../../src/connector/build.js";
import { startConnectorServer } from "../../src/connector/server.js";
import type { Features } from "../lib/org-shape.js";
import { max, percentile } from "../lib/stats.js";
import { workerMain } from "../lib/worker.js";
import { accountSlices, resetUnattributed, timeAwsCalls, timeHttp2Requests, timings, unattributedMs, type CallTiming } from "./server-timing.js";

export interface ServeWorkerInput {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  stateDir: string;
  features: Features;
  /** Client-side pacing per AWS service (the simulator here has no quotas). */
  requestsPerSecond: number;
}

export type ServeCommand = { cmd: "reset"; accountSlices: boolean } | { cmd: "collect" } | { cmd: "stop" };

/** p50 / p95 / p99 of one per-call figure (ms). */
export interface Spread {
  p50: number;
  p95: number;
  p99: number;
}

/**
 * Where a call's overhead went; present only for runs with slice accounting. Per call,
 * overhead = processing + waiting, and waiting = behind other calls + session work + loop not running JS.
 */
export interface Breakdown {
  /** The call's own JavaScript outside its AWS calls: its work, whatever else the loop was doing. */
  processingMs: Spread;
  /** Overhead − processing: everything the call waited for that is not AWS. */
  waitingMs: Spread;
  /** Queueing proper: the loop was running other calls' slices while this call waited. */
  behindOthersMs: Spread;
  /** The loop was running HTTP/2 session slices (parsing frames, sending answers — this call's and others'). */
  sessionMs: Spread;
  /** The loop ran no hooked JavaScript: idle for I/O, native work, the hooks' own cost, or the process off the CPU. */
  notRunningMs: Spread;
  /** The part of the call's time after the server answered: res.end() → response 'finish'. */
  sendMs: Spread;
  /** The call's own JavaScript inside its AWS calls (the SDK: build, sign, parse) — within AWS time, not overhead. */
  processingInAwsMs: Spread;
  /** Loop time in slices that belonged to no call (HTTP/2 session upkeep), per call on average. */
  unattributedMsPerCall: number;
}

export interface TimingSummary {
  calls: number;
  overheadMs: Spread;
  overheadMaxMs: number;
  totalMs: Spread;
  /** Share of all server time spent waiting for AWS. */
  awsShare: number;
  /** Server process CPU time (user + system) per call: the cost of a call, whatever the queueing. */
  cpuMsPerCall: number;
  /** Server process CPU time ÷ wall time (1 = one core busy all the time; GC and libuv threads can add). */
  cpuBusy: number;
  byMethod: Record<string, { calls: number; overheadP50Ms: number; overheadP99Ms: number }>;
  breakdown?: Breakdown;
}

function spread(values: number[]): Spread {
  return { p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) };
}

const overheadOf = (t: CallTiming) => t.totalMs - t.awsMs;
const processingOf = (t: CallTiming) => t.processingMs - t.processingInAwsMs;

function breakdown(all: CallTiming[], unattributed: number): Breakdown {
  const waitingOf = (t: CallTiming) => overheadOf(t) - processingOf(t);
  return {
    processingMs: spread(all.map(processingOf)),
    waitingMs: spread(all.map(waitingOf)),
    behindOthersMs: spread(all.map((t) => t.othersMs)),
    sessionMs: spread(all.map((t) => t.sessionMs)),
    notRunningMs: spread(all.map((t) => waitingOf(t) - t.othersMs - t.sessionMs)),
    sendMs: spread(all.map((t) => t.totalMs - t.answeredMs)),
    processingInAwsMs: spread(all.map((t) => t.processingInAwsMs)),
    unattributedMsPerCall: all.length > 0 ? unattributed / all.length : 0,
  };
}

function summarise(all: CallTiming[], cpu: NodeJS.CpuUsage, elapsedMs: number, accounted: boolean): TimingSummary {
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const overhead = all.map(overheadOf);
  const total = all.reduce((s, t) => s + t.totalMs, 0);
  const aws = all.reduce((s, t) => s + t.awsMs, 0);
  const byMethod: TimingSummary["byMethod"] = {};
  for (const path of new Set(all.map((t) => t.path))) {
    const mine = all.filter((t) => t.path === path).map(overheadOf);
    byMethod[path.slice(path.lastIndexOf("/") + 1)] = { calls: mine.length, overheadP50Ms: percentile(mine, 50), overheadP99Ms: percentile(mine, 99) };
  }
  return {
    calls: all.length,
    overheadMs: spread(overhead),
    overheadMaxMs: max(overhead),
    totalMs: spread(all.map((t) => t.totalMs)),
    awsShare: total > 0 ? aws / total : 0,
    cpuMsPerCall: all.length > 0 ? cpuMs / all.length : 0,
    cpuBusy: elapsedMs > 0 ? cpuMs / elapsedMs : 0,
    byMethod,
    ...(accounted ? { breakdown: breakdown(all, unattributedMs) } : {}),
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
  let accounted = false;
  try {
    for (;;) {
      const command = (await io.next()) as ServeCommand;
      if (command.cmd === "stop") break;
      if (command.cmd === "reset") {
        accounted = command.accountSlices;
        accountSlices(accounted);
        timings.length = 0;
        resetUnattributed();
        cpuSince = process.cpuUsage();
        since = performance.now();
        io.send({ ok: true });
      } else {
        // Summarised with the hooks off: collecting is not part of any call.
        accountSlices(false);
        io.send(summarise(timings, process.cpuUsage(cpuSince), performance.now() - since, accounted));
      }
    }
  } finally {
    accountSlices(false);
    await server.close(1_000);
    await connector.close();
  }
  return { peakRssBytes: process.resourceUsage().maxRSS * 1024 };
});
