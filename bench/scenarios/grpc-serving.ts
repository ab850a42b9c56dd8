/**
 * Scenario 5 — gRPC serving: 1, 16 and 64 concurrent baton-host stand-ins (@grpc/grpc-js, one
 * connection each) paging ListResources and ListGrants of a synced organisation. The server runs
 * in its own process (serve-worker.ts) and times every request inside itself; the sync cache is
 * warmed first by one full pass with a fixed active_sync_id, so the figures are the server's and
 * not AWS's. The simulator (no latency, no quotas: AWS is not what is measured here) and the
 * clients share this process.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { BatonHost, childResourceTypeId, typeNameOf, type WireResource, type WireResourceId } from "../lib/baton-host.js";
import { fixed, int, mib, ms } from "../lib/format.js";
import { ALL_FEATURES } from "../lib/org-shape.js";
import { atMost, type Check, type Scenario, type ScenarioOutput, type Table } from "../lib/result.js";
import { percentile } from "../lib/stats.js";
import { startWorker, type WorkerHandle } from "../lib/worker.js";
import type { ServeCommand, ServeWorkerInput, TimingSummary } from "../workers/serve-worker.js";

const SYNC_ID = "2benchServingSyncId000000001";
const CONCURRENCY = [1, 16, 64];
const TARGET_OVERHEAD_MS = 1;
const WORKER = new URL("../workers/serve-worker.ts", import.meta.url);

type Job = { kind: "resources"; typeId: string; parent?: WireResourceId } | { kind: "grants"; resource: WireResource };

interface LevelFigures {
  clients: number;
  seconds: number;
  calls: number;
  callsPerSecond: number;
  clientP50Ms: number;
  clientP99Ms: number;
  /** Items (resources or grants) per answer, on average. */
  itemsPerCall: number;
  server: TimingSummary;
  awsCalls: number;
}

/** Every page of one listing; `onCall` sees each call's round trip and item count. */
async function page(host: BatonHost, job: Job, onCall: (ms: number, items: number) => void, until = Infinity): Promise<WireResource[]> {
  const items: WireResource[] = [];
  let token = "";
  do {
    const started = performance.now();
    const reply =
      job.kind === "resources"
        ? await host.listResources({ resource_type_id: job.typeId, parent_resource_id: job.parent, page_token: token, active_sync_id: SYNC_ID })
        : await host.listGrants({ resource: job.resource, page_token: token, active_sync_id: SYNC_ID });
    onCall(performance.now() - started, reply.list.length);
    if (job.kind === "resources") items.push(...(reply.list as WireResource[]));
    token = reply.next_page_token;
  } while (token !== "" && performance.now() < until);
  return items;
}

/** One full pass, as a baton host syncs: every type, child listings under their parents, every resource's grants. */
async function warm(host: BatonHost): Promise<Job[]> {
  const types = [];
  let token = "";
  do {
    const reply = await host.listResourceTypes({ page_token: token, active_sync_id: SYNC_ID });
    types.push(...reply.list);
    token = reply.next_page_token;
  } while (token !== "");
  const skipsGrants = new Set(types.filter((t) => t.annotations.some((a) => /Skip(EntitlementsAnd)?Grants$/.test(typeNameOf(a)))).map((t) => t.id));
  const listings: Job[] = types.map((t) => ({ kind: "resources", typeId: t.id }));
  const resources = new Map<string, WireResource>();
  for (let i = 0; i < listings.length; i++) {
    for (const r of await page(host, listings[i]!, () => undefined)) {
      if (!r.id) continue;
      resources.set(`${r.id.resource_type}:${r.id.resource}`, r);
      for (const child of r.annotations.map(childResourceTypeId).filter((c): c is string => c !== undefined)) {
        listings.push({ kind: "resources", typeId: child, parent: r.id });
      }
    }
  }
  const grants: Job[] = [...resources.values()].filter((r) => !skipsGrants.has(r.id!.resource_type)).map((resource) => ({ kind: "grants", resource }));
  // Concurrently, as the sync engine does: the cache fills no matter the order.
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < grants.length) await page(host, grants[next++]!, () => undefined);
  }));
  return [...listings, ...grants];
}

async function command<T>(server: WorkerHandle<unknown>, cmd: ServeCommand): Promise<T> {
  server.send(cmd);
  return (await server.next()) as T;
}

async function level(server: WorkerHandle<unknown>, sim: Simulator, target: string, jobs: Job[], clients: number, seconds: number): Promise<LevelFigures> {
  const hosts = Array.from({ length: clients }, () => new BatonHost(target));
  // One untimed call per host: connections are set up before the clock starts.
  await Promise.all(hosts.map((h) => h.listResourceTypes({ page_token: "", active_sync_id: SYNC_ID })));
  await command(server, { cmd: "reset" });
  const awsBefore = sim.counters.snapshot().totals.calls;
  const latencies: number[] = [];
  let items = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    hosts.map(async (host, i) => {
      for (let j = Math.floor((i * jobs.length) / clients); performance.now() < until; j = (j + 1) % jobs.length) {
        await page(host, jobs[j]!, (t, n) => {
          latencies.push(t);
          items += n;
        }, until);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const summary = await command<TimingSummary>(server, { cmd: "collect" });
  for (const host of hosts) host.close();
  return {
    clients,
    seconds: elapsed,
    calls: latencies.length,
    callsPerSecond: latencies.length / elapsed,
    clientP50Ms: percentile(latencies, 50),
    clientP99Ms: percentile(latencies, 99),
    itemsPerCall: items / Math.max(1, latencies.length),
    server: summary,
    awsCalls: sim.counters.snapshot().totals.calls - awsBefore,
  };
}

function levelsTable(levels: LevelFigures[]): Table {
  return {
    title: "Per concurrency level (server-side figures measured inside the server process)",
    columns: ["clients", "calls", "calls/s", "items per answer", "server overhead p50", "p99", "max", "server CPU per call", "server CPU busy", "server total p50 / p99", "AWS share of server time", "client round trip p50 / p99", "AWS calls during the level"],
    rows: levels.map((l) => [
      l.clients,
      int(l.calls),
      int(l.callsPerSecond),
      fixed(l.itemsPerCall, 0),
      ms(l.server.overheadP50Ms, 2),
      ms(l.server.overheadP99Ms, 2),
      ms(l.server.overheadMaxMs, 1),
      ms(l.server.cpuMsPerCall, 2),
      `${fixed(l.server.cpuBusy * 100, 0)} %`,
      `${ms(l.server.totalP50Ms, 2)} / ${ms(l.server.totalP99Ms, 2)}`,
      `${fixed(l.server.awsShare * 100, 1)} %`,
      `${ms(l.clientP50Ms, 2)} / ${ms(l.clientP99Ms, 2)}`,
      int(l.awsCalls),
    ]),
  };
}

function methodsTable(levels: LevelFigures[]): Table {
  const methods = [...new Set(levels.flatMap((l) => Object.keys(l.server.byMethod)))].sort();
  return {
    title: "Server overhead p50 / p99 by method",
    columns: ["clients", ...methods],
    rows: levels.map((l) => [l.clients, ...methods.map((m) => {
      const s = l.server.byMethod[m];
      return s ? `${ms(s.overheadP50Ms, 2)} / ${ms(s.overheadP99Ms, 2)} (${int(s.calls)} calls)` : "–";
    })]),
  };
}

export const grpcServingScenario: Scenario = {
  name: "grpc-serving",
  title: "gRPC serving: server overhead per call and calls/s with 1, 16 and 64 clients",
  async run(options): Promise<ScenarioOutput> {
    const profile = options.quick ? "small" : "medium";
    const seconds = options.quick ? 2 : 10;
    const sim = await startSimulator({ profile, seed: 1, preset: "fast" });
    const stateDir = mkdtempSync(join(tmpdir(), "bench-serve-"));
    const input: ServeWorkerInput = {
      endpoint: sim.endpoint,
      region: sim.region,
      credentials: { accessKeyId: sim.credentials.accessKeyId, secretAccessKey: sim.credentials.secretAccessKey },
      stateDir,
      features: ALL_FEATURES,
      requestsPerSecond: 10_000,
    };
    const server = startWorker<{ peakRssBytes: number }>(WORKER, input, { cpuProfDir: options.cpuProfDir });
    try {
      const { port } = (await Promise.race([server.next(), server.result])) as { port: number };
      const target = `127.0.0.1:${port}`;
      const warmHost = new BatonHost(target);
      const warmStarted = performance.now();
      const jobs = await warm(warmHost);
      warmHost.close();
      const warmSeconds = (performance.now() - warmStarted) / 1000;
      const warmAwsCalls = sim.counters.snapshot().totals.calls;
      options.log(`  warm pass: ${int(jobs.length)} listings, ${int(warmAwsCalls)} AWS calls, ${fixed(warmSeconds, 1)} s`);
      const levels: LevelFigures[] = [];
      for (const clients of CONCURRENCY) {
        const l = await level(server, sim, target, jobs, clients, seconds);
        options.log(`  ${clients} clients: ${int(l.callsPerSecond)} calls/s, overhead p50 ${ms(l.server.overheadP50Ms, 2)} p99 ${ms(l.server.overheadP99Ms, 2)}`);
        levels.push(l);
      }
      server.send({ cmd: "stop" } satisfies ServeCommand);
      const { peakRssBytes } = await server.result;
      const checks: Check[] = levels.map((l) =>
        atMost(`server overhead p50, ${l.clients} client${l.clients > 1 ? "s" : ""}`, l.server.overheadP50Ms, TARGET_OVERHEAD_MS, "ms", `≤ ${TARGET_OVERHEAD_MS} ms`),
      );
      return {
        settings: { profile, seed: 1, simulator: "fast preset (no latency, no quotas)", secondsPerLevel: seconds, concurrency: CONCURRENCY, activeSyncId: SYNC_ID, connectorPacing: "10,000 req/s per service, 64 in flight", features: ALL_FEATURES },
        checks,
        tables: [
          {
            title: "Setup",
            columns: ["organisation", "listings per pass", "warm pass", "AWS calls in the warm pass", "server peak RSS"],
            rows: [[`${profile} (seed 1)`, int(jobs.length), `${fixed(warmSeconds, 1)} s`, int(warmAwsCalls), mib(peakRssBytes)]],
          },
          levelsTable(levels),
          methodsTable(levels),
        ],
        notes: [
          "Server overhead = time from the HTTP/2 request's arrival to the end of its response, minus the time that request spent waiting for AWS calls (both measured in the server process: its HTTP/2 request handler and its AWS clients are wrapped by the benchmark, src/ is untouched).",
          "The timing wrappers (an AsyncLocalStorage context around every request) cost some throughput of their own; every figure here includes them.",
          "Each client is a separate @grpc/grpc-js channel (own HTTP/2 connection) paging ListResources (every type, and child types under their parents) and ListGrants (every resource) round-robin from its own starting point, for the level's duration.",
          "Identity Store users, group memberships and account assignments are never cached (by design, src/connector/sync-cache.ts), so those listings reach the simulator even when warm; the rest is served from the sync cache.",
          "Clients and simulator share one process and one of the two cores, the server the other: calls/s is a property of this whole rig, not of the server alone.",
          "With several clients the server is busy all the time (see “server CPU busy”) and Node interleaves the requests it holds, so each one's in-server time grows with the number of clients (queueing), while the server CPU per call — the cost of one call — does not. With closed-loop clients (each sends its next call as soon as the previous answer arrives) a saturated server holds about as many requests as there are clients, so a p50 of 1 ms at 64 clients would take a server answering tens of thousands of calls/s.",
        ],
        data: { profile, jobs: jobs.length, warmSeconds, warmAwsCalls, levels, peakRssBytes },
      };
    } finally {
      server.kill();
      await server.result.catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
      await sim.stop();
    }
  },
};
