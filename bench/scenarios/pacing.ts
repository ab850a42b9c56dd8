/**
 * Scenario — adaptive pacing against quotas the connector is not told. Each run draws several
 * quota sets (every service between 2 and 200 requests/s, log-uniform), makes the simulator
 * enforce one set at a time, and syncs twice with a fresh state directory: cold (nothing learned
 * yet) and warm (what the cold run learned, from the state directory). Each sync is held against
 * the bound computed from the true quotas; the rate each service's bucket ended at is shown against
 * its true quota. Then, with no quotas at all, the adaptive sync against one with pacing off.
 *
 * The connector runs with `--aws-rate sso=unlimited`: SSO Admin's published 20/s is otherwise a
 * ceiling it never passes, and a drawn quota above 20/s could not be reached (AWS itself does not
 * allow more; the simulator is told to). Nothing else is given to it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { AWS_SERVICE_QUOTAS } from "../../src/aws/quotas.js";
import { AWS_SERVICES, type AwsRateSetting, type AwsServiceId } from "../../src/config/config.js";
import { connectorCallPlan, iamCallsByAccount, type CallPlan, type OrgShape } from "../../src/resources/call-plan.js";
import { createPrng, PROFILES, startSimulator, type ProfileSizes, type Simulator } from "../../src/simulator/index.js";
import { BENCH_LATENCY, lowerBound, SIM_SERVICE, type LowerBound, type Quotas } from "../lib/aws-quotas.js";
import { fixed, int, ratio, seconds } from "../lib/format.js";
import { ALL_FEATURES, orgShapeOf } from "../lib/org-shape.js";
import { atMost, type Check, type RunOptions, type Scenario, type ScenarioOutput, type Table } from "../lib/result.js";
import { median } from "../lib/stats.js";
import { describeIntervals, sampleActivity, type ServiceActivity } from "../lib/service-activity.js";
import { runWorker } from "../lib/worker.js";
import type { PacingBucket, SyncWorkerInput, SyncWorkerOutput } from "../workers/sync-worker.js";
import { LARGE_BENCH } from "./sync.js";

const PROFILE_SIZES: Record<string, ProfileSizes> = { small: PROFILES.small, medium: PROFILES.medium, "large-bench": LARGE_BENCH };
const WORKER = new URL("../workers/sync-worker.ts", import.meta.url);
const ORG_SEED = 1;
const WALL_TARGET = 1.15;
const THROTTLE_TARGET = 0.02;
const NO_QUOTA_TARGET = 1.1;
const SAMPLE_MS = 500;
/** Quotas are drawn log-uniformly from this range (requests per second). */
const QUOTA_RANGE: [number, number] = [2, 200];
/** --quick (CI) keeps each sync short: no quota under 10/s. */
const QUICK_QUOTA_RANGE: [number, number] = [10, 200];
/** Told to the connector in every run with quotas: no published ceiling (see the top of this file). */
const WITH_QUOTAS: Partial<Record<AwsServiceId, AwsRateSetting>> = { sso: "unlimited" };
const NO_CEILINGS: Partial<Record<AwsServiceId, AwsRateSetting>> = Object.fromEntries(AWS_SERVICES.map((s) => [s, "unlimited"]));
const PACING_OFF: Partial<Record<AwsServiceId, AwsRateSetting>> = Object.fromEntries(AWS_SERVICES.map((s) => [s, "off"]));

interface SyncFigures {
  wallSeconds: number;
  /** Engine phases (ms), as in the sync scenario. */
  stepDurationsMs: Record<string, number>;
  /** When each simulator service was busy (seconds since the sync started), sampled from its counters. */
  activity: Record<string, ServiceActivity>;
  /** AWS calls after Validate, retries included, and how many AWS throttled. */
  calls: number;
  throttled: number;
  pacing: PacingBucket[];
}

interface QuotaSetFigures {
  quotas: Quotas;
  bound: LowerBound;
  cold: SyncFigures;
  warm: SyncFigures;
}

interface NoQuotaFigures {
  off: SyncFigures[];
  cold: SyncFigures[];
  warm: SyncFigures[];
}

interface ProfileFigures {
  profile: string;
  plan: CallPlan;
  /** Calls in the busiest account, for services whose quota is per account. */
  busiestAccount: Partial<Record<AwsServiceId, number>>;
  sets: QuotaSetFigures[];
  noQuotas: NoQuotaFigures;
}

export function drawQuotas(random: () => number, [low, high]: [number, number]): Quotas {
  const draw = () => Math.round(low * (high / low) ** random());
  return Object.fromEntries(AWS_SERVICES.map((s) => [s, draw()])) as Quotas;
}

/** IAM's calls in the account that makes the most of them (its quota is per account): the connector's own, usually. */
function busiestIamAccount(shape: OrgShape): number {
  const perAccount = [...iamCallsByAccount(shape).values()].map((calls) => Object.values(calls).reduce((a, b) => a + b, 0));
  return Math.max(0, ...perAccount);
}

const figuresOf = (run: SyncWorkerOutput, activity: Record<string, ServiceActivity>): SyncFigures => {
  const calls = Object.values(run.calls);
  return {
    wallSeconds: run.wallMs / 1000,
    stepDurationsMs: run.stepDurationsMs,
    activity,
    calls: calls.reduce((sum, s) => sum + s.calls, 0),
    throttled: calls.reduce((sum, s) => sum + s.throttled, 0),
    pacing: run.pacing,
  };
};

async function sync(sim: Simulator, stateDir: string, rates: Partial<Record<AwsServiceId, AwsRateSetting>>, options: RunOptions): Promise<SyncFigures> {
  const input: SyncWorkerInput = {
    endpoint: sim.endpoint,
    region: sim.region,
    credentials: { accessKeyId: sim.credentials.accessKeyId, secretAccessKey: sim.credentials.secretAccessKey },
    target: join(stateDir, "..", `sync-${Date.now()}.c1z`),
    stateDir,
    features: ALL_FEATURES,
    rates,
  };
  sim.counters.reset();
  const sampler = sampleActivity(sim.counters, SAMPLE_MS);
  const out = await runWorker<SyncWorkerOutput>(WORKER, input, { cpuProfDir: options.cpuProfDir }).catch((error: unknown) => {
    sampler.stop(Date.now());
    throw error;
  });
  const activity = sampler.stop(out.startedAt);
  rmSync(input.target, { force: true });
  // Let the simulator's buckets refill, as between two scheduled syncs.
  await sleep(1_500);
  return figuresOf(out, activity);
}

async function measureProfile(profile: string, sets: Quotas[], noQuotaRuns: number, options: RunOptions): Promise<ProfileFigures> {
  const sim = await startSimulator({ profile: PROFILE_SIZES[profile]!, seed: ORG_SEED, preset: "aws-like", knobs: { latency: { fixedMs: BENCH_LATENCY.fixedMs, jitterMs: BENCH_LATENCY.jitterMs } } });
  const scratch = mkdtempSync(join(tmpdir(), "bench-pacing-"));
  let stateDirs = 0;
  const freshStateDir = () => join(scratch, `state-${stateDirs++}`);
  try {
    const shape = orgShapeOf(sim.model);
    const plan = connectorCallPlan(shape);
    const busiestAccount = { iam: busiestIamAccount(shape) };
    const measured: QuotaSetFigures[] = [];
    for (const quotas of sets) {
      sim.knobs.update({ quotas: { enabled: true, services: Object.fromEntries(AWS_SERVICES.map((s) => [SIM_SERVICE[s], { rate: quotas[s], burst: quotas[s] }])) } });
      const bound = lowerBound(plan.byOperation, quotas, busiestAccount);
      options.log(`pacing ${profile}: quotas ${describeQuotas(quotas)}; bound ${seconds(bound.seconds)} (${bound.limitingService})`);
      const stateDir = freshStateDir();
      const cold = await sync(sim, stateDir, WITH_QUOTAS, options);
      options.log(`  cold: ${seconds(cold.wallSeconds)} = ${ratio(cold.wallSeconds / bound.seconds)} bound, ${int(cold.throttled)} of ${int(cold.calls)} calls throttled`);
      const warm = await sync(sim, stateDir, WITH_QUOTAS, options);
      options.log(`  warm: ${seconds(warm.wallSeconds)} = ${ratio(warm.wallSeconds / bound.seconds)} bound, ${int(warm.throttled)} of ${int(warm.calls)} calls throttled`);
      measured.push({ quotas, bound, cold, warm });
    }
    sim.knobs.update({ quotas: { enabled: false } });
    const noQuotas: NoQuotaFigures = { off: [], cold: [], warm: [] };
    for (let i = 0; i < noQuotaRuns; i++) {
      noQuotas.off.push(await sync(sim, freshStateDir(), PACING_OFF, options));
      const stateDir = freshStateDir();
      noQuotas.cold.push(await sync(sim, stateDir, NO_CEILINGS, options));
      noQuotas.warm.push(await sync(sim, stateDir, NO_CEILINGS, options));
      options.log(`  no quotas: pacing off ${seconds(noQuotas.off.at(-1)!.wallSeconds)}, adaptive cold ${seconds(noQuotas.cold.at(-1)!.wallSeconds)}, warm ${seconds(noQuotas.warm.at(-1)!.wallSeconds)}`);
    }
    return { profile, plan, busiestAccount, sets: measured, noQuotas };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await sim.stop();
  }
}

const describeQuotas = (q: Quotas) => AWS_SERVICES.map((s) => `${s} ${q[s]}`).join(", ");
/** When the simulator saw the sync's last AWS request (seconds since the sync started; sampled every SAMPLE_MS). */
const awsDoneSeconds = (f: SyncFigures) => Math.max(0, ...Object.values(f.activity).flatMap((a) => a.intervals.map((i) => i.to)));
const throttledShare = (f: SyncFigures) => (f.calls > 0 ? f.throttled / f.calls : 0);

function checksOf(p: ProfileFigures): Check[] {
  const checks: Check[] = [];
  p.sets.forEach((set, i) => {
    for (const run of ["cold", "warm"] as const) {
      const f = set[run];
      const label = `${p.profile}, set ${i + 1}, ${run}`;
      checks.push(atMost(`wall ÷ bound, ${label}`, f.wallSeconds, WALL_TARGET * set.bound.seconds, "s", `≤ ${WALL_TARGET.toFixed(2)} × bound (${(WALL_TARGET * set.bound.seconds).toFixed(1)} s)`, set.bound.seconds));
      checks.push(atMost(`throttled calls, ${label}`, throttledShare(f) * 100, THROTTLE_TARGET * 100, "%", `≤ ${THROTTLE_TARGET * 100} % of ${int(f.calls)} calls`));
    }
  });
  if (p.noQuotas.off.length === 0) return checks;
  const off = median(p.noQuotas.off.map((f) => f.wallSeconds));
  for (const run of ["cold", "warm"] as const) {
    const wall = median(p.noQuotas[run].map((f) => f.wallSeconds));
    checks.push(atMost(`no quotas, adaptive (${run}) vs pacing off, ${p.profile}`, wall, NO_QUOTA_TARGET * off, "s", `≤ ${NO_QUOTA_TARGET.toFixed(2)} × pacing off (${(NO_QUOTA_TARGET * off).toFixed(1)} s)`, off));
  }
  return checks;
}

function setsTable(profiles: ProfileFigures[]): Table {
  const rows: Array<Array<string | number>> = [];
  for (const p of profiles) {
    p.sets.forEach((set, i) => {
      for (const run of ["cold", "warm"] as const) {
        const f = set[run];
        rows.push([
          p.profile,
          `${i + 1}: ${describeQuotas(set.quotas)}`,
          run,
          seconds(f.wallSeconds),
          `${seconds(set.bound.seconds)} (${set.bound.limitingService})`,
          ratio(f.wallSeconds / set.bound.seconds),
          `${seconds(awsDoneSeconds(f))} (${ratio(awsDoneSeconds(f) / set.bound.seconds)})`,
          `${int(f.throttled)} / ${int(f.calls)} = ${fixed(throttledShare(f) * 100, 2)} %`,
        ]);
      }
    });
  }
  return {
    title: "Syncs against quota sets the connector is not told (requests/s per service)",
    columns: ["profile", "quota set", "run", "wall", "bound (limiting service)", "wall ÷ bound", "last AWS call at (÷ bound)", "throttled / calls"],
    rows,
  };
}

/** The rate each service's bucket ended at (the connector's own account for IAM and STS) against the true quota. */
function convergenceTable(profiles: ProfileFigures[]): Table {
  const rows: Array<Array<string | number>> = [];
  for (const p of profiles) {
    p.sets.forEach((set, i) => {
      for (const service of AWS_SERVICES) {
        const quota = set.quotas[service];
        const cells = (["cold", "warm"] as const).flatMap((run) => {
          const bucket = set[run].pacing.find((b) => b.bucket === service);
          const busy = set[run].activity[SIM_SERVICE[service]];
          const observed = busy && busy.busySeconds >= 2 ? `${fixed(busy.requests / busy.busySeconds)} in ${describeIntervals(busy.intervals)} s` : "–";
          if (!bucket?.rate) return ["–", "–", observed];
          const refused = bucket.limit === undefined ? "never" : `${fixed(bucket.limit)} (${ratio(bucket.limit / quota)})`;
          return [`${fixed(bucket.rate)} (${ratio(bucket.rate / quota)}), ${int(bucket.sent)} sent`, refused, observed];
        });
        rows.push([p.profile, i + 1, service, quota, ...cells]);
      }
    });
  }
  return {
    title: "Where each service's pacing ended, against its true quota (rate ÷ quota; IAM and STS: the connector's own account)",
    columns: ["profile", "set", "service", "true quota", "cold: final rate", "cold: AWS last refused at", "cold: req/s at AWS while busy (when)", "warm: final rate", "warm: AWS last refused at", "warm: req/s at AWS while busy (when)"],
    rows,
  };
}

function noQuotaTable(profiles: ProfileFigures[]): Table {
  return {
    title: "No quotas at all: adaptive pacing (every ceiling lifted) against pacing switched off (median)",
    columns: ["profile", "pacing off", "adaptive, cold", "cold ÷ off", "adaptive, warm", "warm ÷ off", "runs"],
    rows: profiles.filter((p) => p.noQuotas.off.length > 0).map((p) => {
      const off = median(p.noQuotas.off.map((f) => f.wallSeconds));
      const cold = median(p.noQuotas.cold.map((f) => f.wallSeconds));
      const warm = median(p.noQuotas.warm.map((f) => f.wallSeconds));
      return [p.profile, seconds(off), seconds(cold), ratio(cold / off), seconds(warm), ratio(warm / off), p.noQuotas.off.length];
    }),
  };
}

export const pacingScenario: Scenario = {
  name: "pacing",
  title: "Adaptive pacing: syncs against quotas the connector is not told",
  async run(options): Promise<ScenarioOutput> {
    const seed = Number(process.env.BENCH_PACING_SEED ?? Math.floor(Math.random() * 2 ** 31));
    // The simulator's seeded PRNG: a run's quota sets are reproducible from its printed seed.
    const stream = createPrng(seed).fork("pacing-quota-sets");
    const random = () => stream.next();
    const range = options.quick ? QUICK_QUOTA_RANGE : QUOTA_RANGE;
    const plan: Array<{ profile: string; sets: number; noQuotaRuns: number }> = options.quick
      ? [{ profile: "small", sets: 1, noQuotaRuns: 1 }]
      : [
          { profile: "medium", sets: 3, noQuotaRuns: 3 },
          { profile: "large-bench", sets: 2, noQuotaRuns: 3 },
        ];
    // BENCH_PACING_PROFILES=medium, BENCH_PACING_SETS=1, BENCH_PACING_NO_QUOTA_RUNS=0 narrow a run down (a full run is long).
    const only = process.env.BENCH_PACING_PROFILES?.split(",");
    if (only) plan.splice(0, plan.length, ...plan.filter((p) => only.includes(p.profile)));
    for (const p of plan) {
      if (process.env.BENCH_PACING_SETS) p.sets = Number(process.env.BENCH_PACING_SETS);
      if (process.env.BENCH_PACING_NO_QUOTA_RUNS) p.noQuotaRuns = Number(process.env.BENCH_PACING_NO_QUOTA_RUNS);
    }
    options.log(`pacing: quota sets drawn with seed ${seed} (BENCH_PACING_SEED=${seed} reproduces them)`);
    const measured: ProfileFigures[] = [];
    for (const { profile, sets, noQuotaRuns } of plan) {
      const quotaSets = Array.from({ length: sets }, () => drawQuotas(random, range));
      measured.push(await measureProfile(profile, quotaSets, noQuotaRuns, options));
    }
    return {
      settings: {
        seed,
        quotaRange: range,
        quotaDraw: "log-uniform per service, rounded to whole requests/s; the simulator's bucket holds one second's worth (burst = rate); IAM and STS buckets per account",
        latencyMs: `${BENCH_LATENCY.fixedMs} + U(0, ${BENCH_LATENCY.jitterMs})`,
        connector: "defaults, except --aws-rate sso=unlimited with quotas, all=unlimited (adaptive) or all=off with none; a fresh state directory per quota set (cold), reused once (warm)",
        features: ALL_FEATURES,
        startRates: Object.fromEntries(AWS_SERVICES.map((s) => [s, AWS_SERVICE_QUOTAS[s].startRate])),
        profiles: Object.fromEntries(plan.map((p) => [p.profile, PROFILE_SIZES[p.profile]])),
      },
      checks: measured.flatMap(checksOf),
      tables: [setsTable(measured), convergenceTable(measured), noQuotaTable(measured)],
      notes: [
        "Bound = max over services of (the plan's calls to that service ÷ its true quota); for IAM, whose quota is per account, the calls of the busiest account. Calls made by Validate are outside the plan and the bound; the wall time includes Validate and publishing the c1z.",
        "Cold: a fresh state directory, pacing starts from the quota table's rates (IAM 20, STS 100, Identity Store 20, SSO Admin 20, Organizations 10 requests/s). Warm: the same directory again, pacing starts from what the cold run learned.",
        "Throttled = AWS calls the simulator answered with a throttling error ÷ all AWS calls after Validate (retries included), from the connector's own counters.",
        "A service that made few calls (Organizations, IAM) never needs its quota; its final rate says only that AWS did not refuse it.",
        "Last AWS call at: when the simulator saw the sync's last request (its counters sampled every 0.5 s). Between it and the wall time the sync only computes (grant expansion, sealing and compressing the c1z): CPU work whose duration depends on the machine's load, not on pacing.",
        "The bound assumes every service busy from the first moment. A sync cannot quite do that: STS's AssumeRole calls need the account list first, and each member account's IAM needs its role first; with a very low STS or IAM quota that order alone keeps the sync above the bound.",
      ],
      data: measured,
    };
  },
};
