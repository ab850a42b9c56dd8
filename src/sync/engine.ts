import { existsSync } from "node:fs";
import { parseSyncStats, type SyncStats } from "../c1z/stats.js";
import { newSyncId, UNFINISHED_SYNC_MAX_AGE_MS, type SyncRun } from "../c1z/sync-runs.js";
import { formatC1zTime, parseC1zTime } from "../c1z/timestamps.js";
import type { ConnectorApi } from "../connector/direct-client.js";
import { silentLogger, type Logger } from "../log.js";
import { AccessListings } from "./access-phase.js";
import {
  Checkpointer,
  DEFAULT_CHECKPOINT_POLICY,
  isInterruptedIncremental,
  newToken,
  parseToken,
  type CallStatJson,
  type CheckpointPolicy,
  type SyncToken,
} from "./checkpoint.js";
import type { ChangeTracking } from "./changes.js";
import { describeError, newSyncContext, SyncError, timed, warn, warnIfTooLargeForBaton, type SyncContext, type SyncObserver } from "./context.js";
import { ReadRecorder } from "./read-log.js";
import { loadTypes, syncResources, syncResourceTypes, syncStaticEntitlements } from "./resources-phase.js";
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from "./retry.js";
import { ListingScheduler } from "./scheduler.js";
import type { QueueEntry } from "./store-core.js";
import { WorkingStore } from "./store.js";
import { workingPath } from "./working-db.js";

export const DEFAULT_WORKERS = 16;

export interface SyncOptions {
  /** The .c1z to write (replaced atomically at the end). */
  target: string;
  api: ConnectorApi;
  /** Concurrent listings in the entitlement, grant and resource phases, a quarter of them per resource type (default 16). */
  workers?: number;
  /** Finished full syncs kept in the file, this one included (default 2, as baton). */
  keepSyncs?: number;
  /** Run grant expansion (default true). */
  expandGrants?: boolean;
  /** Run expansion steps during the grants phase once their inputs are final (default true; see early-expansion.ts). */
  expandEarly?: boolean;
  retry?: Partial<RetryPolicy>;
  checkpoint?: Partial<CheckpointPolicy>;
  /** zstd level for the published file (default 3). */
  compressionLevel?: number;
  observer?: SyncObserver;
  /**
   * Fault hook for crash tests: called right after checkpoint n is committed, before anything
   * else is written (setting it makes every checkpoint wait for its commit).
   */
  onCheckpoint?: (count: number) => void;
  /** Keep the working database on its own thread (default true); false runs it on this one. */
  writerThread?: boolean;
  /**
   * Record each listing's AWS reads (and their responses) in the file, so an incremental sync can
   * start from this one (changes.ts). Only an uninterrupted sync records a complete log; a
   * resumed one keeps none.
   */
  changes?: ChangeTracking;
  signal?: AbortSignal;
  log?: Logger;
}

export interface SyncResult {
  path: string;
  syncId: string;
  /** True when this run continued an interrupted sync. */
  resumed: boolean;
  /** True when the previous run had finished but not published; this run only published it. */
  publishedOnly: boolean;
  stats: SyncStats;
  /** Grants created by grant expansion (not counting merges into existing grants). */
  expandedGrants: number;
  warnings: string[];
  warningCount: number;
  dropped: SyncToken["dropped"];
  retries: number;
  checkpoints: number;
  connectorCalls: Record<string, CallStatJson>;
  durationMs: number;
  fileBytes: number;
}

/**
 * One `connector sync`: drives the connector through the baton API (Validate, resource types,
 * resources, static entitlements, entitlements, grants, grant expansion) into the working
 * database, checkpointing as it goes, then publishes the .c1z atomically. Resumes an interrupted
 * sync of the same file from its last checkpoint.
 */
export async function runSync(options: SyncOptions): Promise<SyncResult> {
  const started = performance.now();
  const log = options.log ?? silentLogger;
  const observer = options.observer ?? {};
  const now = () => new Date();
  let checkpoint: Checkpointer | undefined;
  const store = await WorkingStore.start({
    thread: options.writerThread ?? true,
    onEvent: (event) => {
      if (event.kind === "checkpoint") observer.checkpoint?.(event.count);
    },
  });
  let published = false;
  // Validate (AWS round trips) while the store's thread starts and opens the database.
  const validating = withRetry(() => options.api.connector.validate({}, { signal: options.signal }), {
    policy: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    signal: options.signal,
  });
  validating.catch(() => undefined); // awaited below, unless the sync ends before it matters
  try {
    const initialRun = () => ({ run: { syncId: newSyncId(), startedAtMs: now().getTime(), syncToken: JSON.stringify(newToken()), keep: options.keepSyncs ?? 2 } });
    // Taken first, so that whether a working database exists cannot change under this sync.
    await store.call("lock", options.target);
    const fresh = !existsSync(workingPath(options.target)) ? initialRun() : undefined;
    const opening = store.call("open", options.target, fresh ? { ...fresh, mustCreate: true } : initialRun());
    if (fresh) {
      // The working database is made from the target with this run in it: nothing to resume or
      // publish. Making it (decompressing the file, dropping the syncs retention will drop) takes
      // seconds, so the listings start at once and their writes queue behind it. A failure to
      // open poisons the store: the sync stops at its next store call with that error.
      opening.catch(() => undefined);
    }
    let { created, runs } = fresh ? { created: true, runs: [pendingRun(fresh.run)] } : await opening;
    if (runs.some(isInterruptedIncremental)) {
      // An interrupted incremental sync had rewritten the previous sync in place: start over from the file.
      log.info("discarding an interrupted incremental sync");
      await store.call("discard");
      ({ created, runs } = await store.call("open", options.target, initialRun()));
    }
    let run = resumable(runs);
    if (!run && isPublishPending(runs)) {
      const last = runs[runs.length - 1]!;
      log.info({ syncId: last.syncId }, "previous sync finished but was not published; publishing it");
      const fileBytes = await store.call("publish", options.compressionLevel);
      published = true;
      return result(options.target, last, parseToken(last.syncToken) ?? newToken(), {
        resumed: true,
        publishedOnly: true,
        stats: parseSyncStats(last.stats) ?? emptyStats(),
        checkpoints: 0,
        started,
        fileBytes,
      });
    }
    const resumed = !!run && !created;
    let startedAtMs = parseC1zTime(run?.startedAt ?? null)?.getTime() ?? now().getTime();
    if (!run) {
      const syncId = newSyncId();
      startedAtMs = now().getTime();
      runs = await store.call("startRun", { syncId, startedAtMs, syncToken: JSON.stringify(newToken()) });
      run = runs.find((r) => r.syncId === syncId)!;
    }
    const token = parseToken(run.syncToken)!;
    store.send("useSync", run.syncId);
    if (resumed) log.info({ syncId: run.syncId, phase: token.phase }, "resuming interrupted sync");
    // Indexes cheaper to build once than to maintain row by row wait for finalize (schema.ts).
    else store.send("deferIndexes");
    if (resumed && observer.resumed) {
      const stats = await store.call("countRows");
      observer.resumed({ phase: token.phase, stats, expandedGrants: token.expanded_grants, warnings: token.warning_count, retries: token.retries });
    }

    const validation = await validating.catch((error: unknown) => {
      throw new SyncError(`the connector failed validation: ${describeError(error)}`);
    });

    const policy = { ...DEFAULT_CHECKPOINT_POLICY, ...options.checkpoint };
    const hook = options.onCheckpoint;
    checkpoint = new Checkpointer(store, token, policy, hook ? (n) => hook(n) : undefined);
    const workers = options.workers ?? DEFAULT_WORKERS;
    const scheduler = new ListingScheduler({ concurrency: workers, signal: options.signal });
    const ctx = newSyncContext({
      api: options.api,
      store,
      scheduler,
      syncId: run.syncId,
      sdkVersion: validation.sdkVersion,
      checkpoint,
      token,
      workers,
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      observer,
      signal: options.signal,
    });
    // A read log is only complete when this run made every listing of the sync.
    const changes = options.changes && !resumed ? options.changes : undefined;
    if (changes) {
      changes.responses.clearRecorded();
      ctx.reads = new ReadRecorder(changes.tracker);
    }

    store.send("begin");
    try {
      // Past the grants phase there is nothing left to start early; the final pass checks what was.
      await listEverything(ctx, (options.expandGrants ?? true) && (options.expandEarly ?? true));
      if (token.phase === "expansion") {
        await timed(ctx, "grant-expansion", () => expand(ctx, options.expandGrants ?? true, policy));
      }
      observer.phase?.("finalize", {});
      // The final token keeps the totals, not the cursors.
      token.phase = "done";
      token.queue = undefined;
      token.expansion = undefined;
      token.access = undefined;
      token.typesToken = undefined;
      token.staticEntitlements = undefined;
      if (changes && ctx.reads) {
        token.changes = { fingerprint: changes.fingerprint, cursor: changes.cursorAt(startedAtMs), via: "full" };
        store.send("putReadLog", JSON.stringify(ctx.reads.log.toJson()), [...changes.responses.takeRecorded()]);
      }
      const stats = await store.call("finalize", { endedAtMs: now().getTime(), keep: options.keepSyncs ?? 2, token });
      // The sealed sync is a checkpoint too: a crash from here on only re-publishes.
      hook?.(checkpoint.count + 1);
      await options.api.connector.cleanup({ activeSyncId: ctx.activeSyncId }).catch((error: unknown) => {
        log.warn({ err: describeError(error) }, "connector cleanup failed (ignored)");
      });
      const fileBytes = await store.call("publish", options.compressionLevel);
      published = true;
      await warnIfTooLargeForBaton(ctx, options.target);
      observer.phase?.("done", {});
      return result(options.target, run, token, { resumed, publishedOnly: false, stats, checkpoints: checkpoint.count, started, fileBytes });
    } finally {
      scheduler.close();
    }
  } catch (error) {
    // The store's own failure is the cause of whatever failed after it.
    throw store.failure ?? error;
  } finally {
    if (!published) {
      // Uncommitted rows may not match the token; the last checkpoint does.
      await store.call("rollback").catch(() => undefined);
      await store.call("close").catch(() => undefined);
    }
    await store.shutdown();
  }
}

/**
 * Phases 1–5. Listings overlap — the entitlement and grant listings of a fresh sync start while
 * resources are still being listed — but writes keep baton's phase order (see access-phase.ts).
 */
async function listEverything(ctx: SyncContext, expandEarly: boolean): Promise<void> {
  const { token, observer } = ctx;
  if (token.phase !== "resource-types") await loadTypes(ctx);
  let queued: QueueEntry[] | undefined;
  if (token.phase === "resource-types") {
    observer.phase?.("resource-types", {});
    queued = await timed(ctx, "list-resource-types", () => syncResourceTypes(ctx));
  }
  if (token.phase === "done" || token.phase === "finalize" || token.phase === "expansion") return;
  // Fed while resources are listed — from the start only: resuming mid-phase, rows already
  // stored come first, so every job is read back once the phase is over.
  const access = new AccessListings(ctx, { feed: token.phase === "resources" && (token.queue?.done ?? 0) === 0 && !token.queue?.headToken, expandEarly });
  if (token.phase === "resources") await timed(ctx, "list-resources", () => syncResources(ctx, (resources) => access.place(resources), queued));
  await access.finishResources();
  if (token.phase === "static-entitlements") await timed(ctx, "list-static-entitlements", () => syncStaticEntitlements(ctx));
  if (token.phase === "entitlements") {
    await timed(ctx, "list-entitlements", () => access.commitEntitlements());
    token.phase = "grants";
    await ctx.checkpoint.flush();
  }
  if (token.phase === "grants") {
    await timed(ctx, "list-grants", () => access.commitGrants());
    token.phase = "expansion";
    token.access = undefined;
    await ctx.checkpoint.flush();
  }
}

/** The run `open` is inserting into a new working database, as listSyncRuns will show it. */
function pendingRun(run: { syncId: string; startedAtMs: number; syncToken: string }): SyncRun {
  return { syncId: run.syncId, startedAt: formatC1zTime(new Date(run.startedAtMs)), endedAt: null, syncToken: run.syncToken, syncType: "full", parentSyncId: "", stats: null };
}

/** The newest unfinished full sync we wrote, if recent enough to resume (baton: 7 days). */
function resumable(runs: readonly SyncRun[]): SyncRun | undefined {
  const cutoff = Date.now() - UNFINISHED_SYNC_MAX_AGE_MS;
  return runs
    .filter((r) => r.endedAt === null && r.syncType === "full" && parseToken(r.syncToken) !== undefined)
    .filter((r) => (parseC1zTime(r.startedAt)?.getTime() ?? 0) >= cutoff)
    .at(-1);
}

/** The working database ends with our finished sync: it was sealed, but the rename never happened. */
function isPublishPending(runs: readonly SyncRun[]): boolean {
  const last = runs.at(-1);
  return !!last && last.endedAt !== null && parseToken(last.syncToken)?.phase === "done";
}

async function expand(ctx: SyncContext, enabled: boolean, policy: CheckpointPolicy): Promise<void> {
  const { token, store } = ctx;
  const plan = enabled ? await store.call("startExpansion", token.expansion) : undefined;
  if (plan?.needed) {
    if (!token.expansion) {
      // In the token (the summary's warnings, resumes) as well as on the display.
      if (plan.missingSources > 0) warn(ctx, `grant expansion: ${plan.missingSources} edge(s) name a source entitlement this sync does not have (skipped)`, { limit: false });
      // Counted once: a resumed expansion's token already holds them.
      token.expanded_grants += plan.createdEarly;
      ctx.observer.records?.("expanded", "", plan.createdEarly);
    }
    ctx.observer.phase?.("expansion", { jobs: plan.jobs });
    // The store expands until a checkpoint is due, commits it with the token, and hands back.
    for (;;) {
      if (ctx.signal?.aborted) throw ctx.signal.reason ?? new Error("sync cancelled");
      const run = await store.call("expand", token, policy);
      token.expansion = run.expansion;
      token.expanded_grants += run.created;
      ctx.observer.records?.("expanded", "", run.created);
      for (let i = 0; i < run.steps; i++) ctx.observer.jobDone?.("expansion");
      if (run.done) token.phase = "finalize";
      ctx.checkpoint.committedElsewhere(run.checkpoints);
      if (run.done) return;
    }
  }
  token.phase = "finalize";
  await ctx.checkpoint.flush();
}

function emptyStats(): SyncStats {
  return {
    resourceTypes: 0,
    resources: 0,
    entitlements: 0,
    grants: 0,
    resourcesByResourceType: {},
    entitlementsByResourceType: {},
    grantsByResourceType: {},
    assets: 0,
  };
}

function result(
  path: string,
  run: SyncRun,
  token: SyncToken,
  extra: { resumed: boolean; publishedOnly: boolean; stats: SyncStats; checkpoints: number; started: number; fileBytes: number },
): SyncResult {
  return {
    path,
    syncId: run.syncId,
    resumed: extra.resumed,
    publishedOnly: extra.publishedOnly,
    stats: extra.stats,
    expandedGrants: token.expanded_grants,
    warnings: token.warnings,
    warningCount: token.warning_count,
    dropped: token.dropped,
    retries: token.retries,
    checkpoints: extra.checkpoints,
    connectorCalls: token.connector_call_stats,
    durationMs: Math.round(performance.now() - extra.started),
    fileBytes: extra.fileBytes,
  };
}
