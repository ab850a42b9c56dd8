import type { Database } from "better-sqlite3";
import KSUID from "ksuid";
import { columnNames, RECORD_TABLES, TABLES } from "./schema.js";
import { formatC1zTime, parseC1zTime } from "./timestamps.js";

/** One row of v1_sync_runs. Columns missing from older files read as their baton defaults. */
export interface SyncRun {
  syncId: string;
  startedAt: string;
  endedAt: string | null;
  syncToken: string;
  syncType: string;
  parentSyncId: string;
  stats: string | null;
}

/** A resumable sync older than this is abandoned, as baton does. */
export const UNFINISHED_SYNC_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export function newSyncId(now = Date.now()): string {
  return KSUID.randomSync(now).string;
}

/** `parentSyncId`: a partial (targeted) sync's parent, the latest full sync when it started (baton's rule). */
export function insertSyncRun(db: Database, run: { syncId: string; startedAt: Date; syncToken: string; syncType?: string; parentSyncId?: string }): void {
  db.prepare(
    `insert into v1_sync_runs (sync_id, started_at, sync_token, sync_type, parent_sync_id, linked_sync_id, grants_backfilled)
     values (?, ?, ?, ?, ?, '', 1)`,
  ).run(run.syncId, formatC1zTime(run.startedAt), run.syncToken, run.syncType ?? "full", run.parentSyncId ?? "");
}

export function updateSyncToken(db: Database, syncId: string, token: string): void {
  db.prepare(`update v1_sync_runs set sync_token = ? where sync_id = ?`).run(token, syncId);
}

/** Marks the sync finished (ended_at set) with its final token and stats JSON. */
export function endSyncRun(db: Database, syncId: string, endedAt: Date, token: string, statsJson: string): void {
  db.prepare(
    `update v1_sync_runs set ended_at = ?, sync_token = ?, stats = ?, supports_diff = 1 where sync_id = ? and ended_at is null`,
  ).run(formatC1zTime(endedAt), token, statsJson, syncId);
}

/** All sync runs, oldest first, from any v1 file (including the original 7-column schema). */
export function listSyncRuns(db: Database): SyncRun[] {
  const columns = columnNames(db, TABLES.syncRuns);
  if (columns.size === 0) return [];
  const col = (name: string, fallback: string) => (columns.has(name) ? name : `${fallback} as ${name}`);
  const rows = db
    .prepare(
      `select sync_id, started_at, ended_at, sync_token, ${col("sync_type", "'full'")}, ${col("parent_sync_id", "''")}, ${col("stats", "null")}
       from v1_sync_runs order by started_at, sync_id`,
    )
    .all() as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    syncId: String(r.sync_id),
    startedAt: String(r.started_at ?? ""),
    endedAt: r.ended_at === null || r.ended_at === undefined ? null : String(r.ended_at),
    syncToken: String(r.sync_token ?? ""),
    syncType: String(r.sync_type ?? "full"),
    parentSyncId: String(r.parent_sync_id ?? ""),
    stats: r.stats === null || r.stats === undefined ? null : String(r.stats),
  }));
}

const byEnded = (a: SyncRun, b: SyncRun) => compareTime(a.endedAt, b.endedAt) || (a.syncId < b.syncId ? -1 : a.syncId > b.syncId ? 1 : 0);
const byStarted = (a: SyncRun, b: SyncRun) => compareTime(a.startedAt, b.startedAt) || (a.syncId < b.syncId ? -1 : a.syncId > b.syncId ? 1 : 0);

function compareTime(a: string | null, b: string | null): number {
  const x = parseC1zTime(a)?.getTime() ?? 0;
  const y = parseC1zTime(b)?.getTime() ?? 0;
  return x - y;
}

/** The sync a reader shows by default: the latest finished full sync, else the latest unfinished one. */
export function defaultSync(runs: readonly SyncRun[]): SyncRun | undefined {
  const finished = runs.filter((r) => r.endedAt !== null && r.syncType === "full").sort(byEnded);
  if (finished.length > 0) return finished[finished.length - 1];
  const unfinished = runs.filter((r) => r.endedAt === null).sort(byStarted);
  return unfinished[unfinished.length - 1];
}

/**
 * Retention as baton applies it: keep the `keep` newest finished full syncs; delete older full
 * syncs and partial syncs that ended before the oldest kept one started. Unfinished syncs stay.
 */
export function syncsToDelete(runs: readonly SyncRun[], keep: number): string[] {
  const finished = runs.filter((r) => r.endedAt !== null);
  const full = finished.filter((r) => r.syncType !== "partial" && r.syncType !== "resources_only").sort(byEnded);
  const partials = finished.filter((r) => r.syncType === "partial" || r.syncType === "resources_only");
  if (full.length <= keep) return [];
  const overflow = full.length - keep;
  const doomed = full.slice(0, overflow).map((r) => r.syncId);
  const oldestKept = full[overflow];
  const cutoff = oldestKept ? parseC1zTime(oldestKept.startedAt)?.getTime() : undefined;
  if (cutoff !== undefined) {
    for (const p of partials) if ((parseC1zTime(p.endedAt)?.getTime() ?? 0) < cutoff) doomed.push(p.syncId);
  }
  return doomed;
}

/** The syncs retention will delete once the unfinished sync `finishing` ends (baton cleans up at the start of a sync too). */
export function syncsRetentionWillDrop(db: Database, finishing: string, keep: number, now = new Date()): string[] {
  const runs = listSyncRuns(db).map((r) => (r.syncId === finishing ? { ...r, endedAt: formatC1zTime(now) } : r));
  return syncsToDelete(runs, keep).filter((id) => id !== finishing);
}

/**
 * Deletes these syncs now, at the start of a sync that retention would make drop them at its end:
 * its rows then go into the space theirs leave, instead of the file growing by a sync and
 * shrinking again by a VACUUM (which rewrites the whole database: seconds per million grants).
 * Deleted rows and freed pages are zeroed, so pages still free when the file is published cost
 * next to nothing compressed.
 */
export function deleteSyncsZeroed(db: Database, syncIds: readonly string[]): void {
  if (syncIds.length === 0) return;
  db.pragma("secure_delete = ON");
  for (const id of syncIds) deleteSyncRun(db, id);
  db.pragma("secure_delete = OFF");
}

/** Deletes a sync's run row and every record it owns. Call inside a transaction. */
export function deleteSyncRun(db: Database, syncId: string): void {
  for (const table of RECORD_TABLES) db.prepare(`delete from ${table} where sync_id = ?`).run(syncId);
  db.prepare(`delete from v1_sync_runs where sync_id = ?`).run(syncId);
}
