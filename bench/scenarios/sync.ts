/**
 * Scenario 1 — full sync against an AWS-like simulator: wall time next to the quota bound, AWS
 * calls next to the connector's own minimal plan (call-plan.ts, evaluated on the simulator's
 * model), throttling, peak RSS and c1z size. Each run is a fresh worker process; the simulator
 * runs in this process.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { connectorCallPlan, type CallPlan } from "../../src/resources/call-plan.js";
import { PROFILES, startSimulator, type ProfileSizes, type Simulator } from "../../src/simulator/index.js";
import { BENCH_LATENCY, BENCH_QUOTAS, benchKnobs, lowerBound, SIM_SERVICE, type LowerBound } from "../lib/aws-quotas.js";
import { int, mib, ratio, seconds } from "../lib/format.js";
import { ALL_FEATURES, orgShapeOf } from "../lib/org-shape.js";
import { describeIntervals, overlapSeconds, sampleActivity, type ServiceActivity } from "../lib/service-activity.js";
import { atMost, exactly, type Check, type RunOptions, type Scenario, type ScenarioOutput, type Table } from "../lib/result.js";
import { median, medianRun, restSeconds } from "../lib/stats.js";
import { runWorker } from "../lib/worker.js";
import type { SyncWorkerInput, SyncWorkerOutput } from "../workers/sync-worker.js";

/**
 * Big enough that a run takes a few minutes at AWS's quotas (about 100 s of SSO Admin calls
 * alone), small enough that three runs fit in a benchmark session: the `large` profile's shape
 * with 100 member accounts and a third of its Identity Store (10,000 users, 1,000 groups).
 */
export const LARGE_BENCH: ProfileSizes = { ...PROFILES.large, memberAccounts: 100, suspendedAccounts: 3, ssoUsers: 10_000, ssoGroups: 1_000 };

const PROFILE_SIZES: Record<string, ProfileSizes> = { small: PROFILES.small, medium: PROFILES.medium, "large-bench": LARGE_BENCH };
const WALL_TARGET = 1.1;
const SEED = 1;
const WORKER = new URL("../workers/sync-worker.ts", import.meta.url);
const SAMPLE_MS = 500;

interface RunFigures extends SyncWorkerOutput {
  /** Throttling answers the simulator sent (its own counters). */
  simThrottles: number;
  /** Requests the simulator received, by service (Validate included). */
  simCallsByService: Record<string, number>;
  /** When each service was busy (seconds since runSync started), from the simulator's counters sampled every SAMPLE_MS. */
  activity: Record<string, ServiceActivity>;
}

interface OrgSummary {
  accounts: number;
  pairs: number;
  assignments: number;
  memberships: number;
}

interface ProfileFigures {
  profile: string;
  sizes: ProfileSizes;
  org: OrgSummary;
  plan: CallPlan;
  bound: LowerBound;
  runs: RunFigures[];
}

const firstAttempts = (run: SyncWorkerOutput) => Object.values(run.calls).reduce((sum, s) => sum + s.calls - s.throttled - s.errors, 0);
const totalCalls = (run: SyncWorkerOutput) => Object.values(run.calls).reduce((sum, s) => sum + s.calls, 0);
const throttled = (run: SyncWorkerOutput) => Object.values(run.calls).reduce((sum, s) => sum + s.throttled, 0);

async function runOnce(sim: Simulator, scratch: string, index: number, options: RunOptions): Promise<RunFigures> {
  sim.counters.reset();
  const input: SyncWorkerInput = {
    endpoint: sim.endpoint,
    region: sim.region,
    credentials: { accessKeyId: sim.credentials.accessKeyId, secretAccessKey: sim.credentials.secretAccessKey },
    target: join(scratch, `run-${index}.c1z`),
    stateDir: join(scratch, "state"),
    features: ALL_FEATURES,
  };
  const sampler = sampleActivity(sim.counters, SAMPLE_MS);
  const out = await runWorker<SyncWorkerOutput>(WORKER, input, { cpuProfDir: options.cpuProfDir }).catch((error: unknown) => {
    sampler.stop(Date.now());
    throw error;
  });
  const activity = sampler.stop(out.startedAt);
  const snapshot = sim.counters.snapshot();
  rmSync(input.target, { force: true });
  return {
    ...out,
    simThrottles: snapshot.totals.throttles,
    simCallsByService: Object.fromEntries(Object.entries(snapshot.services).map(([s, c]) => [s, c!.calls])),
    activity,
  };
}

async function measureProfile(profile: string, runs: number, options: RunOptions): Promise<ProfileFigures> {
  const sizes = PROFILE_SIZES[profile]!;
  const sim = await startSimulator({ profile: sizes, seed: SEED, preset: "aws-like", knobs: benchKnobs() });
  const scratch = mkdtempSync(join(tmpdir(), "bench-sync-"));
  try {
    // The sync only reads, so the model is the organisation every run sees.
    const shape = orgShapeOf(sim.model);
    const plan = connectorCallPlan(shape);
    const org: OrgSummary = {
      accounts: shape.accounts.length,
      pairs: shape.pairs.length,
      assignments: shape.pairs.reduce((sum, p) => sum + p.assignments, 0),
      memberships: shape.membershipsPerGroup.reduce((sum, n) => sum + n, 0),
    };
    const bound = lowerBound(plan.byOperation);
    options.log(`sync ${profile}: ${int(plan.total)} calls planned, bound ${seconds(bound.seconds)} (${bound.limitingService})`);
    const figures: RunFigures[] = [];
    for (let i = 0; i < runs; i++) {
      // Let the simulator's buckets refill, as between two scheduled syncs.
      if (i > 0) await sleep(1_500);
      const run = await runOnce(sim, scratch, i, options);
      options.log(`  run ${i + 1}/${runs}: ${seconds(run.wallMs / 1000)} (${ratio(run.wallMs / 1000 / bound.seconds)} bound), ${int(totalCalls(run))} calls, ${run.simThrottles} throttled, peak RSS ${mib(run.peakRssBytes)}`);
      figures.push(run);
    }
    return { profile, sizes, org, plan, bound, runs: figures };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await sim.stop();
  }
}

function checksOf(p: ProfileFigures): Check[] {
  const wall = median(p.runs.map((r) => r.wallMs / 1000));
  const run = medianRun(p.runs, (r) => r.wallMs);
  return [
    atMost(`wall time, ${p.profile}`, wall, WALL_TARGET * p.bound.seconds, "s", `≤ ${WALL_TARGET.toFixed(2)} × bound (${(WALL_TARGET * p.bound.seconds).toFixed(1)} s)`, p.bound.seconds),
    exactly(`AWS calls (first attempts), ${p.profile}`, firstAttempts(run), p.plan.total, "calls", `= minimal plan (${int(p.plan.total)})`),
  ];
}

function summaryTable(profiles: ProfileFigures[]): Table {
  return {
    title: "Sync against AWS-like quotas (median run)",
    columns: ["profile", "wall", "bound (limiting service)", "wall / bound", "target ≤ 1.10×", "AWS calls", "plan", "throttled", "CPU, all threads", "peak RSS", "c1z", "resources / entitlements / grants"],
    rows: profiles.map((p) => {
      const run = medianRun(p.runs, (r) => r.wallMs);
      const wall = median(p.runs.map((r) => r.wallMs / 1000));
      const [wallCheck, callCheck] = checksOf(p);
      return [
        p.profile,
        seconds(wall),
        `${seconds(p.bound.seconds)} (${p.bound.limitingService})`,
        ratio(wall / p.bound.seconds),
        wallCheck!.met ? "met" : "**MISSED**",
        `${int(totalCalls(run))}${callCheck!.met ? "" : " **MISSED**"}`,
        int(p.plan.total),
        int(run.simThrottles),
        run.cpuMs === undefined ? "–" : seconds(run.cpuMs / 1000),
        mib(median(p.runs.map((r) => r.peakRssBytes))),
        mib(run.fileBytes),
        `${int(run.resources)} / ${int(run.entitlements)} / ${int(run.grants)}`,
      ];
    }),
  };
}

function operationsTable(p: ProfileFigures): Table {
  const run = medianRun(p.runs, (r) => r.wallMs);
  const operations = [...new Set([...Object.keys(p.plan.byOperation), ...Object.keys(run.calls)])].sort();
  return {
    title: `${p.profile}: AWS calls by operation (median run, after Validate)`,
    columns: ["operation", "plan", "measured", "of which throttled", "quota (req/s)", "plan ÷ quota"],
    rows: operations.map((op) => {
      const service = op.slice(0, op.indexOf(":")) as keyof typeof BENCH_QUOTAS;
      const planned = p.plan.byOperation[op] ?? 0;
      const measured = run.calls[op];
      return [op, int(planned), `${int(measured?.calls ?? 0)}${(measured?.calls ?? 0) - (measured?.throttled ?? 0) === planned ? "" : " ≠ plan"}`, int(measured?.throttled ?? 0), BENCH_QUOTAS[service], seconds(planned / BENCH_QUOTAS[service])];
    }),
  };
}

function phasesTable(profiles: ProfileFigures[]): Table {
  const steps = [...new Set(profiles.flatMap((p) => Object.keys(medianRun(p.runs, (r) => r.wallMs).stepDurationsMs)))];
  return {
    title: "Where the time goes: sync engine phases (median run)",
    columns: ["profile", ...steps, "rest: Validate, finalize, publish"],
    rows: profiles.map((p) => {
      const run = medianRun(p.runs, (r) => r.wallMs);
      return [p.profile, ...steps.map((s) => seconds((run.stepDurationsMs[s] ?? 0) / 1000)), seconds(restSeconds(run.wallMs, run.stepDurationsMs))];
    }),
  };
}

/** When each service was busy: two services working one after the other cannot reach a bound that assumes them in parallel. */
function activityTable(profiles: ProfileFigures[]): Table {
  const rows: Array<Array<string | number>> = [];
  for (const p of profiles) {
    const run = medianRun(p.runs, (r) => r.wallMs);
    const services = Object.entries(run.activity).sort((x, y) => (x[1].intervals[0]?.from ?? 0) - (y[1].intervals[0]?.from ?? 0));
    for (const [service, a] of services) {
      const id = (Object.entries(SIM_SERVICE).find(([, sim]) => sim === service)?.[0] ?? service) as keyof typeof BENCH_QUOTAS;
      rows.push([p.profile, service, int(a.requests), seconds(a.busySeconds), a.busySeconds >= 2 ? (a.requests / a.busySeconds).toFixed(1) : "–", BENCH_QUOTAS[id] ?? "–", describeIntervals(a.intervals)]);
    }
    rows.push([p.profile, "(whole sync)", "", seconds(run.wallMs / 1000), "", "", `0.0–${(run.wallMs / 1000).toFixed(1)}`]);
  }
  return {
    title: `When each AWS service was busy, median run (simulator counters sampled every ${SAMPLE_MS} ms; seconds since runSync started, Validate included)`,
    columns: ["profile", "service", "requests", "busy", "req/s while busy", "quota", "busy during (s)"],
    rows,
  };
}

/**
 * Why the wall time is what it is, from the median run's own figures: how long the limiting
 * service was busy, how much of the other services' work overlapped it, and the CPU-only phase.
 */
function diagnosis(p: ProfileFigures): string {
  const run = medianRun(p.runs, (r) => r.wallMs);
  const limiting = SIM_SERVICE[p.bound.limitingService as keyof typeof SIM_SERVICE] ?? p.bound.limitingService;
  const main = run.activity[limiting];
  if (!main) return `${p.profile}: no activity recorded for ${limiting}.`;
  const others = Object.entries(run.activity)
    .filter(([service, a]) => service !== limiting && a.busySeconds >= 2)
    .map(([service, a]) => `${service} busy ${seconds(a.busySeconds)}, ${seconds(overlapSeconds(a.intervals, main.intervals))} of it while ${limiting} was`);
  const expansion = (run.stepDurationsMs["grant-expansion"] ?? 0) / 1000;
  return `${p.profile}: ${limiting} (the limiting service) was busy ${seconds(main.busySeconds)} of the ${seconds(run.wallMs / 1000)} wall time${others.length ? `; ${others.join("; ")}` : ""}; grant expansion (CPU only, no AWS calls) took ${seconds(expansion)}.`;
}

function sizesTable(profiles: ProfileFigures[]): Table {
  return {
    title: "Organisations (simulator generator, seed 1)",
    columns: ["profile", "accounts in org (suspended)", "SSO users", "SSO groups", "memberships", "permission sets", "provisioned pairs", "assignments", "pair discovery"],
    rows: profiles.map((p) => [
      p.profile,
      `${int(p.org.accounts)} (${p.sizes.suspendedAccounts})`,
      int(p.sizes.ssoUsers),
      int(p.sizes.ssoGroups),
      int(p.org.memberships),
      int(p.sizes.permissionSets),
      int(p.org.pairs),
      int(p.org.assignments),
      p.plan.pairDiscovery ?? "–",
    ]),
  };
}

export const syncScenario: Scenario = {
  name: "sync",
  title: "Sync: wall time and AWS calls against the quota bound",
  async run(options): Promise<ScenarioOutput> {
    // BENCH_SYNC_PROFILES=medium and BENCH_SYNC_RUNS=1 narrow a run down (large-bench with every type is long).
    const only = process.env.BENCH_SYNC_PROFILES?.split(",").map((p) => p.trim());
    const unknown = only?.filter((p) => !(p in PROFILE_SIZES));
    if (unknown?.length) throw new Error(`BENCH_SYNC_PROFILES: unknown profile ${unknown.join(", ")} (known: ${Object.keys(PROFILE_SIZES).join(", ")})`);
    const profiles = options.quick ? ["small"] : Object.keys(PROFILE_SIZES).filter((p) => !only || only.includes(p));
    const runsOverride = process.env.BENCH_SYNC_RUNS ? Number(process.env.BENCH_SYNC_RUNS) : undefined;
    const runsFor = (profile: string) => (options.quick ? 1 : runsOverride ?? (profile === "small" ? 5 : 3));
    const measured: ProfileFigures[] = [];
    for (const profile of profiles) measured.push(await measureProfile(profile, runsFor(profile), options));
    return {
      settings: {
        quotasPerSecond: BENCH_QUOTAS,
        simulatorServices: SIM_SERVICE,
        latencyMs: `${BENCH_LATENCY.fixedMs} + U(0, ${BENCH_LATENCY.jitterMs})`,
        features: ALL_FEATURES,
        connector: "defaults (client-side pacing at DEFAULT_REQUESTS_PER_SECOND, 8 in flight per service, 8 sync workers)",
        runs: Object.fromEntries(profiles.map((p) => [p, runsFor(p)])),
        seed: SEED,
        sizes: Object.fromEntries(profiles.map((p) => [p, PROFILE_SIZES[p]])),
      },
      checks: measured.flatMap(checksOf),
      tables: [sizesTable(measured), summaryTable(measured), phasesTable(measured), activityTable(measured), ...measured.map(operationsTable)],
      notes: [
        ...measured.map(diagnosis),
        "Bound = max over services of (the plan's calls to that service ÷ its quota): even a sync that kept every service at its quota from the first to the last moment could not be faster. Calls made during Validate (before the plan's scope) are excluded from both.",
        "Wall = runSync() in a fresh worker process, Validate and publishing the c1z included; the simulator runs in the parent process.",
        `The connector runs in a worker process as tsc-compiled JavaScript, as \`connector\` runs it. Peak RSS is the worker's maxRSS (the code alone is about ${mib(median(measured.flatMap((p) => p.runs.map((r) => r.startRssBytes))))} before the sync starts).`,
        "AWS calls count every HTTP request the connector made after Validate, retries of throttled requests included; the check compares first attempts (calls − throttled − failed) with the plan.",
      ],
      data: measured.map((p) => ({
        profile: p.profile,
        sizes: p.sizes,
        org: p.org,
        plan: p.plan,
        bound: p.bound,
        medianWallSeconds: median(p.runs.map((r) => r.wallMs / 1000)),
        ratio: median(p.runs.map((r) => r.wallMs / 1000)) / p.bound.seconds,
        runs: p.runs,
      })),
    };
  },
};

/** Wall vs bound per profile, for the chart. */
export function chartPoints(data: unknown): Array<{ profile: string; wallSeconds: number; boundSeconds: number }> {
  return (data as Array<{ profile: string; medianWallSeconds: number; bound: { seconds: number } }>).map((p) => ({
    profile: p.profile,
    wallSeconds: p.medianWallSeconds,
    boundSeconds: p.bound.seconds,
  }));
}

