/**
 * Incremental sync (issue 17): after a full sync of an AWS-like organisation, batches of 10, 100
 * and 1,000 AWS changes (CloudTrail records each), each followed by `sync --incremental`, chained
 * as they would be in production. Each incremental sync's AWS calls and wall time are held against
 * the full sync's and against the bound for the changes alone: the LookupEvents pages the busiest
 * CloudTrail source needs at its 2 requests/s (sources are paced in parallel), and the re-reads the
 * sync made at each service's quota (services in parallel), whichever is longer.
 *
 * Each sync runs in a fresh worker process (the connector as `connector sync` builds it, with
 * change tracking on); the simulator runs in this process with AWS-like latency and quotas, its
 * CloudTrail delivering at once (the connector still reads back its 15-minute overlap window).
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPrng, PROFILES, startSimulator, type Change, type ProfileSizes, type Simulator } from "../../src/simulator/index.js";
import { benchKnobs, BENCH_QUOTAS, lowerBound, type LowerBound } from "../lib/aws-quotas.js";
import { int, ratio, seconds } from "../lib/format.js";
import { ALL_FEATURES } from "../lib/org-shape.js";
import { atMost, type Check, type RunOptions, type Scenario, type ScenarioOutput, type Table } from "../lib/result.js";
import { runWorker } from "../lib/worker.js";
import type { SyncWorkerInput, SyncWorkerOutput } from "../workers/sync-worker.js";
import { LARGE_BENCH } from "./sync.js";

const WORKER = new URL("../workers/sync-worker.ts", import.meta.url);
const PROFILE_SIZES: Record<string, ProfileSizes> = { small: PROFILES.small, medium: PROFILES.medium, "large-bench": LARGE_BENCH };
const BATCHES = [10, 100, 1_000];
const BOUND_TARGET = 1.1;
/** 10 changes on large-bench: fresh within seconds. */
const TEN_CHANGES_WALL_S = 10;
/** LookupEvents answers at most 50 events a page. */
const EVENTS_PER_PAGE = 50;
const SEED = 1;

interface BatchFigures {
  changes: number;
  accepted: number;
  /** Events in the window the sync read (this batch and earlier ones inside the overlap), by CloudTrail source account. */
  windowEventsBySource: Record<string, number>;
  run: SyncWorkerOutput;
  bound: LowerBound;
}

interface ProfileFigures {
  profile: string;
  full: SyncWorkerOutput;
  batches: BatchFigures[];
}

const totalCalls = (run: SyncWorkerOutput) => Object.values(run.calls).reduce((sum, s) => sum + s.calls, 0);
const firstAttempts = (calls: SyncWorkerOutput["calls"]) => Object.fromEntries(Object.entries(calls).map(([op, s]) => [op, s.calls - s.throttled - s.errors]));

/**
 * A batch of everyday administration through the simulator's change scripts (each a write
 * CloudTrail records, as the management account's administrator): Identity Store memberships and
 * group edits, account assignments of groups, IAM user tags and policy attachments.
 */
function changeBatch(sim: Simulator, count: number, salt: number): { changes: Change[]; sources: string[] } {
  const prng = createPrng(SEED * 1_000 + salt);
  const model = sim.model;
  const store = model.identityStore!;
  const sso = model.ssoInstance!;
  const management = model.organization!.managementAccountId;
  const users = [...store.users];
  const groups = [...store.groups];
  const sets = [...sso.permissionSets];
  const accounts = [...model.accounts].filter((a) => a.inOrganization && a.state === "ACTIVE");
  const iamUsers = [...model.accounts.get(management)!.iam.users].filter((u) => !u.name.startsWith("sim-"));
  const pick = <T>(items: T[]) => items[Math.floor(prng.next() * items.length)]!;
  const changes: Change[] = [];
  for (let i = 0; i < count; i++) {
    const serial = salt * 10_000 + i;
    switch (i % 5) {
      case 0:
        changes.push({ service: "identitystore", operation: "CreateGroupMembership", params: { IdentityStoreId: store.id, GroupId: pick(groups).id, MemberId: { UserId: pick(users).id } } });
        break;
      case 1:
        changes.push({ service: "identitystore", operation: "UpdateGroup", params: { IdentityStoreId: store.id, GroupId: pick(groups).id, Operations: [{ AttributePath: "description", AttributeValue: `changed ${serial}` }] } });
        break;
      case 2:
        changes.push({
          service: "sso-admin",
          operation: "CreateAccountAssignment",
          params: { InstanceArn: sso.arn, TargetId: pick(accounts).id, TargetType: "AWS_ACCOUNT", PermissionSetArn: pick(sets).arn, PrincipalType: "GROUP", PrincipalId: pick(groups).id },
        });
        break;
      case 3:
        changes.push({ service: "iam", operation: "TagUser", params: { UserName: pick(iamUsers).name, Tags: [{ Key: "change", Value: String(serial) }] } });
        break;
      default:
        changes.push({ service: "iam", operation: "AttachUserPolicy", params: { UserName: pick(iamUsers).name, PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" } });
    }
  }
  // Every write is the management account's: its CloudTrail records them all.
  return { changes, sources: changes.map(() => management) };
}

async function syncOnce(sim: Simulator, scratch: string, target: string, mode: "full" | "incremental", options: RunOptions): Promise<SyncWorkerOutput> {
  const input: SyncWorkerInput = {
    endpoint: sim.endpoint,
    region: sim.region,
    credentials: { accessKeyId: sim.credentials.accessKeyId, secretAccessKey: sim.credentials.secretAccessKey },
    target,
    stateDir: join(scratch, "state"),
    features: ALL_FEATURES,
    changes: mode,
  };
  return runWorker<SyncWorkerOutput>(WORKER, input, { cpuProfDir: options.cpuProfDir });
}

/** The changes' bound: the busiest CloudTrail source's pages at its quota, and the sync's re-reads at each service's. */
function changesBound(run: SyncWorkerOutput, windowEventsBySource: Record<string, number>): LowerBound {
  const reads = firstAttempts(run.calls);
  const pages = Math.max(1, ...Object.values(windowEventsBySource).map((events) => Math.ceil(events / EVENTS_PER_PAGE)));
  return lowerBound(reads, BENCH_QUOTAS, { cloudtrail: pages });
}

async function measureProfile(profile: string, batches: number[], options: RunOptions): Promise<ProfileFigures> {
  const sim = await startSimulator({ profile: PROFILE_SIZES[profile]!, seed: SEED, preset: "aws-like", knobs: benchKnobs({ cloudTrail: { deliveryDelayMs: 0, deliveryJitterMs: 0 } }) });
  const scratch = mkdtempSync(join(tmpdir(), "bench-incremental-"));
  try {
    const file = join(scratch, "sync.c1z");
    const full = await syncOnce(sim, scratch, file, "full", options);
    options.log(`incremental ${profile}: full sync ${seconds(full.wallMs / 1000)}, ${int(totalCalls(full))} calls`);
    copyFileSync(file, join(scratch, "full.c1z"));
    const windowEvents: Record<string, number> = {};
    const figures: BatchFigures[] = [];
    for (const [index, count] of batches.entries()) {
      const { changes, sources } = changeBatch(sim, count, index + 1);
      const outcomes = sim.applyChanges({ changes });
      const accepted = outcomes.filter((o) => o.ok).length;
      // Refused writes are recorded too (with their error): each is an event the sync pages through.
      for (const source of sources) windowEvents[source] = (windowEvents[source] ?? 0) + 1;
      sim.counters.reset();
      const run = await syncOnce(sim, scratch, file, "incremental", options);
      if (run.fallback) throw new Error(`${profile}, ${count} changes: a full sync ran instead (${run.fallback})`);
      const bound = changesBound(run, windowEvents);
      options.log(
        `  ${int(count)} changes (${accepted} accepted): ${seconds(run.wallMs / 1000)} (${ratio(run.wallMs / 1000 / bound.seconds)} bound ${seconds(bound.seconds)}, ${bound.limitingService}), ${int(totalCalls(run))} calls, ${run.incremental?.listingsRun ?? 0} listings re-run`,
      );
      figures.push({ changes: count, accepted, windowEventsBySource: { ...windowEvents }, run, bound });
    }
    return { profile, full, batches: figures };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await sim.stop();
  }
}

export const incrementalScenario: Scenario = {
  name: "incremental",
  title: "Incremental sync from CloudTrail after 10, 100 and 1,000 changes, against the full sync and the changes' bound",
  async run(options): Promise<ScenarioOutput> {
    // BENCH_INCREMENTAL_PROFILES=medium and BENCH_INCREMENTAL_BATCHES=10,100 narrow a run down (a full run is long).
    const profiles = options.quick ? ["small"] : (process.env.BENCH_INCREMENTAL_PROFILES?.split(",") ?? ["medium", "large-bench"]);
    const batches = options.quick ? [10] : (process.env.BENCH_INCREMENTAL_BATCHES?.split(",").map(Number) ?? BATCHES);
    const unknown = profiles.filter((p) => !PROFILE_SIZES[p]);
    if (unknown.length > 0) throw new Error(`unknown profile ${unknown.join(", ")}; known: ${Object.keys(PROFILE_SIZES).join(", ")}`);
    const results: ProfileFigures[] = [];
    for (const profile of profiles) results.push(await measureProfile(profile, batches, options));

    const checks: Check[] = [];
    const rows: Array<Array<string | number>> = [];
    for (const { profile, full, batches: figures } of results) {
      rows.push([profile, "full sync", "—", int(totalCalls(full)), seconds(full.wallMs / 1000), "—", "—", "—"]);
      for (const b of figures) {
        const wall = b.run.wallMs / 1000;
        const calls = totalCalls(b.run);
        rows.push([
          profile,
          `incremental, ${int(b.changes)} changes`,
          int(b.run.incremental?.events ?? 0),
          int(calls),
          seconds(wall),
          `${ratio(calls / totalCalls(full))} / ${ratio(wall / (full.wallMs / 1000))}`,
          `${seconds(b.bound.seconds)} (${b.bound.limitingService})`,
          ratio(wall / b.bound.seconds),
        ]);
        checks.push(atMost(`wall time, ${profile}, ${int(b.changes)} changes`, wall, BOUND_TARGET * b.bound.seconds, "s", `≤ ${BOUND_TARGET.toFixed(2)} × bound (${seconds(b.bound.seconds)})`, b.bound.seconds));
        if (profile === "large-bench" && b.changes === 10) checks.push(atMost(`wall time, ${profile}, 10 changes`, wall, TEN_CHANGES_WALL_S, "s", `< ${TEN_CHANGES_WALL_S} s`));
      }
    }
    const table: Table = {
      title: "Full sync, then incremental syncs after each batch of changes (chained)",
      columns: ["profile", "sync", "CloudTrail events read", "AWS calls", "wall", "calls / wall ÷ full", "changes' bound", "wall ÷ bound"],
      rows,
    };
    return {
      settings: {
        profiles,
        batches,
        seed: SEED,
        quotas: BENCH_QUOTAS,
        latency: "aws-like (30 ms + U(0, 50 ms))",
        cloudTrailDelivery: "immediate (simulator); the connector's cloudtrail-delay stays 300 s, so each sync reads back 15 minutes",
        changeMix: "per 5 changes: an Identity Store membership, a group description, a group's account assignment, an IAM user tag, an IAM policy attachment (management account)",
      },
      checks,
      tables: [table],
      notes: [
        "The bound's re-reads are the calls the incremental sync made (first attempts), each service at its quota: the ratio measures how close the sync runs to the pace AWS allows for those reads, not whether fewer reads would do; the calls column against the full sync's shows what the change-driven reads save.",
        "CloudTrail: every write is the management account's, so its source is the busiest; each other source (each member account, with cross-account IAM) needs one page, in parallel.",
        "The window each sync reads includes the earlier batches' events (the 15-minute overlap for CloudTrail's delivery delay): they are paged through again and skipped by event id.",
      ],
      data: results.map((r) => ({
        profile: r.profile,
        full: { wallMs: r.full.wallMs, calls: r.full.calls, grants: r.full.grants },
        batches: r.batches.map((b) => ({ changes: b.changes, accepted: b.accepted, windowEventsBySource: b.windowEventsBySource, wallMs: b.run.wallMs, calls: b.run.calls, incremental: b.run.incremental, bound: b.bound, peakRssBytes: b.run.peakRssBytes })),
      })),
    };
  },
};
