import type { Database } from "better-sqlite3";
import { createIndexes, deferIndexesOnEmptyTables } from "../c1z/schema.js";
import { computeSyncStats, parseSyncStats, syncStatsJson, type SyncStats } from "../c1z/stats.js";
import { deleteSyncRun, endSyncRun, insertSyncRun, listSyncRuns, newSyncId, UNFINISHED_SYNC_MAX_AGE_MS, syncsToDelete, type SyncRun } from "../c1z/sync-runs.js";
import { parseC1zTime } from "../c1z/timestamps.js";
import { C1zWriter } from "../c1z/writer.js";
import type { ConnectorApi } from "../connector/direct-client.js";
import { silentLogger, type Logger } from "../log.js";
import { syncAccess } from "./access-phase.js";
import {
  Checkpointer,
  DEFAULT_CHECKPOINT_POLICY,
  newToken,
  parseToken,
  type CallStatJson,
  type CheckpointPolicy,
  type SyncToken,
} from "./checkpoint.js";
import { describeError, SyncError, timed, type SyncContext, type SyncObserver } from "./context.js";
import { applyExpansion, loadExpansionGraph } from "./expansion.js";
import { loadTypes, syncResources, syncResourceTypes, syncStaticEntitlements } from "./resources-phase.js";
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from "./retry.js";
import { sendsActiveSyncId } from "./rules.js";
import { dropScratch, openWorkingDb, publishWorkingDb } from "./working-db.js";

export interface SyncOptions {
  /** The .c1z to write (replaced atomically at the end). */
  target: string;
  api: ConnectorApi;
  /** Concurrent listings in the entitlement, grant and resource phases (default 8). */
  workers?: number;
  /** Finished full syncs kept in the file, this one included (default 2, as baton). */
  keepSyncs?: number;
  /** Run grant expansion (default true). */
  expandGrants?: boolean;
  retry?: Partial<RetryPolicy>;
  checkpoint?: Partial<CheckpointPolicy>;
  /** zstd level for the published file (default 3). */
  compressionLevel?: number;
  observer?: SyncObserver;
  /** Fault hook for crash tests: called right after checkpoint n is committed. */
  onCheckpoint?: (count: number) => void;
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
  const { db, created } = await openWorkingDb(options.target, {
    create: (fresh) => insertSyncRun(fresh, { syncId: newSyncId(), startedAt: now(), syncToken: JSON.stringify(newToken()) }),
  });
  let published = false;
  try {
    const runs = listSyncRuns(db);
    let run = resumable(runs);
    if (!run && isPublishPending(runs)) {
      const last = runs[runs.length - 1]!;
      log.info({ syncId: last.syncId }, "previous sync finished but was not published; publishing it");
      const fileBytes = await publishWorkingDb(db, options.target, { level: options.compressionLevel });
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
    if (!run) {
      const syncId = newSyncId();
      db.transaction(() => insertSyncRun(db, { syncId, startedAt: now(), syncToken: JSON.stringify(newToken()) }))();
      run = listSyncRuns(db).find((r) => r.syncId === syncId)!;
    }
    const token = parseToken(run.syncToken)!;
    if (resumed) log.info({ syncId: run.syncId, phase: token.phase }, "resuming interrupted sync");
    // Into an empty file, build secondary indexes once at the end instead of row by row (baton's
    // bulk-load mode); they are back before grant expansion needs them.
    else deferIndexesOnEmptyTables(db);

    const validation = await withRetry(() => options.api.connector.validate({}, { signal: options.signal }), {
      policy: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      signal: options.signal,
    }).catch((error: unknown) => {
      throw new SyncError(`the connector failed validation: ${describeError(error)}`);
    });

    const checkpoint = new Checkpointer(db, run.syncId, token, { ...DEFAULT_CHECKPOINT_POLICY, ...options.checkpoint }, (n) => {
      observer.checkpoint?.(n);
      options.onCheckpoint?.(n);
    });
    const ctx: SyncContext = {
      api: options.api,
      db,
      writer: new C1zWriter(db, run.syncId),
      syncId: run.syncId,
      activeSyncId: sendsActiveSyncId(validation.sdkVersion) ? run.syncId : "",
      checkpoint,
      token,
      workers: options.workers ?? 8,
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      observer,
      signal: options.signal,
      types: new Map(),
    };

    checkpoint.begin();
    try {
      if (token.phase !== "resource-types") loadTypes(ctx);
      if (token.phase === "resource-types") {
        observer.phase?.("resource-types", {});
        await timed(ctx, "list-resource-types", () => syncResourceTypes(ctx));
      }
      if (token.phase === "resources") await timed(ctx, "list-resources", () => syncResources(ctx));
      if (token.phase === "static-entitlements") await timed(ctx, "list-static-entitlements", () => syncStaticEntitlements(ctx));
      if (token.phase === "entitlements") await timed(ctx, "list-entitlements", () => syncAccess(ctx, "entitlements"));
      if (token.phase === "grants") await timed(ctx, "list-grants", () => syncAccess(ctx, "grants"));
      if (token.phase === "expansion") {
        await timed(ctx, "grant-expansion", () => expand(ctx, options.expandGrants ?? true));
      }
    } catch (error) {
      // Uncommitted rows may not match the token; the last checkpoint does.
      checkpoint.rollback();
      throw error;
    }

    observer.phase?.("finalize", {});
    const stats = finalize(ctx, options.keepSyncs ?? 2, now());
    // The sealed sync is a checkpoint too: a crash from here on only re-publishes.
    options.onCheckpoint?.(checkpoint.count + 1);
    await options.api.connector.cleanup({ activeSyncId: ctx.activeSyncId }).catch((error: unknown) => {
      log.warn({ err: describeError(error) }, "connector cleanup failed (ignored)");
    });
    const fileBytes = await publishWorkingDb(db, options.target, { level: options.compressionLevel });
    published = true;
    observer.phase?.("done", {});
    return result(options.target, run, token, { resumed, publishedOnly: false, stats, checkpoints: checkpoint.count, started, fileBytes });
  } finally {
    if (!published && db.open) db.close();
  }
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

async function expand(ctx: SyncContext, enabled: boolean): Promise<void> {
  const { token, checkpoint } = ctx;
  if (token.needs_expansion && enabled) {
    createIndexes(ctx.db);
    const { graph, missingSources } = loadExpansionGraph(ctx);
    if (missingSources > 0 && !token.expansion) {
      ctx.observer.warning?.(`grant expansion: ${missingSources} edge(s) name a source entitlement this sync does not have (skipped)`);
    }
    const rounds = graph.rounds();
    const done = token.expansion ? rounds.slice(0, token.expansion.round).reduce((n, r) => n + r.length, 0) + token.expansion.edge : 0;
    ctx.observer.phase?.("expansion", { jobs: rounds.reduce((n, r) => n + r.length, 0) - done });
    await applyExpansion(ctx, rounds, token.expansion ?? { round: 0, edge: 0 }, {
      afterStep(round, step, written, created) {
        if (ctx.signal?.aborted) throw ctx.signal.reason ?? new Error("sync cancelled");
        token.expansion = { round, edge: step + 1 };
        token.expanded_grants += created;
        ctx.observer.records?.("expanded", "", created);
        ctx.observer.jobDone?.("expansion");
        checkpoint.rows(written);
        checkpoint.maybe();
      },
    });
  }
  token.phase = "finalize";
  checkpoint.flush();
}

/** Seals the sync in one transaction: stats, ended_at, retention, scratch tables dropped. */
function finalize(ctx: SyncContext, keep: number, endedAt: Date): SyncStats {
  const { db, token } = ctx;
  let deleted = 0;
  let stats!: SyncStats;
  ctx.checkpoint.begin();
  try {
    createIndexes(db);
    dropScratch(db);
    stats = {
      ...computeSyncStats(db, ctx.syncId),
      stepDurationsMs: { ...token.step_durations_ms },
      connectorCallStats: Object.fromEntries(
        Object.entries(token.connector_call_stats).map(([k, v]) => [k, { count: v.count, totalMs: v.total_ms, maxMs: v.max_ms, errors: v.errors }]),
      ),
    };
    token.phase = "done";
    // The final token keeps the totals, not the cursors.
    token.queue = undefined;
    token.expansion = undefined;
    token.resources = undefined;
    token.typesToken = undefined;
    token.staticEntitlements = undefined;
    endSyncRun(db, ctx.syncId, endedAt, JSON.stringify(token), syncStatsJson(stats));
    for (const id of syncsToDelete(listSyncRuns(db), keep)) {
      deleteSyncRun(db, id);
      deleted++;
    }
    db.exec("commit");
  } catch (error) {
    ctx.checkpoint.rollback();
    throw error;
  }
  if (deleted > 0) vacuum(db);
  return stats;
}

function vacuum(db: Database): void {
  db.exec("vacuum");
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
