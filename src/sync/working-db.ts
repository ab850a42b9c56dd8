import BetterSqlite3, { type Database } from "better-sqlite3";
import { existsSync, rmSync } from "node:fs";
import { C1zFormatError, fileSize, fsyncPath, readC1zToDb, removeIfExists, replaceAtomically, writeC1z } from "../c1z/container.js";
import { asFormatError } from "../c1z/reader.js";
import { ensureSchema } from "../c1z/schema.js";
import { EARLY_CREATED_TABLE, EARLY_STATE_TABLE, EARLY_STEPS_TABLE, EARLY_UNDO_TABLE } from "./early-expansion.js";

/**
 * The sync's working database: a plain SQLite file beside the target (`<file>.working.db`), seeded
 * from the previous .c1z so earlier syncs are kept. Everything a sync writes lands here first,
 * checkpointed; the target is only ever replaced by an atomic rename of a complete file.
 *
 * A crash leaves the working database behind, and the next `connector sync` resumes from it.
 */
export const QUEUE_TABLE = "connector_sync_queue";

export function workingPath(target: string): string {
  return `${target}.working.db`;
}

const SIDE_FILES = ["", "-wal", "-shm", "-journal"];

/** The one-sync-per-file lock: `<file>.working.db.lock`. */
export function lockPath(target: string): string {
  return `${workingPath(target)}.lock`;
}

export class WorkingDbBusyError extends C1zFormatError {
  constructor(message: string) {
    super(message);
    this.name = "WorkingDbBusyError";
  }
}

/**
 * Takes the one-sync-per-file lock, held until `releaseLock`: an exclusive SQLite lock on a small
 * file beside the working database (the OS drops it with the process). The working database is
 * locked too once open, but making it from the target takes seconds, and a second sync starting
 * then must be refused at once rather than make it again over the first one's.
 */
export function lockTarget(target: string): Database {
  const path = lockPath(target);
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(path, { timeout: 0 });
    db.pragma("locking_mode = EXCLUSIVE");
    db.pragma("journal_mode = MEMORY");
    // A write takes the exclusive lock, and exclusive locking mode keeps it until close.
    db.exec("begin exclusive; create table if not exists held (pid integer); commit");
    return db;
  } catch (error) {
    db?.close();
    const code = (error as { code?: string }).code ?? "";
    // Only a file that is there but is no database is a damaged lock; otherwise it could not be made.
    if (!/^SQLITE_(BUSY|LOCKED|NOTADB|CORRUPT)/.test(code)) {
      throw new Error(`cannot create ${path}, the lock a sync of ${target} takes: ${(error as Error).message}`);
    }
    throw openFailure(error, target, path, `${path} is locked`, `delete ${path} (no sync of ${target} is running)`);
  }
}

/** Another sync holding the lock says so at once (timeout 0); anything else names the file and what to do. */
function openFailure(error: unknown, target: string, path: string, locked: string, remedy: string): Error {
  const code = (error as { code?: string }).code ?? "";
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return new WorkingDbBusyError(`another connector sync is already writing ${target} (${locked})`);
  }
  return new C1zFormatError(`${asFormatError(error, path).message} — ${remedy}`);
}

/** Removes the lock file, then lets go of the lock (a sync that opens the old file meanwhile still finds it locked). */
export function releaseLock(lock: Database, target: string): void {
  removeIfExists(lockPath(target));
  lock.close();
}

/** Opens the working database, creating it from `target` (if present) when there is none. */
export async function openWorkingDb(target: string, options: { create: (db: Database) => void }): Promise<{ db: Database; created: boolean }> {
  const path = workingPath(target);
  let created = false;
  if (!existsSync(path)) {
    const init = `${path}.init`;
    for (const suffix of SIDE_FILES) removeIfExists(init + suffix);
    if ((await fileSize(target)) ?? 0) {
      // Not synced here: the one fsync below, before the rename, covers these writes and SQLite's.
      await readC1zToDb(target, init, { durable: false }).catch((error: unknown) => {
        for (const suffix of SIDE_FILES) removeIfExists(init + suffix);
        if (error instanceof C1zFormatError) {
          throw new C1zFormatError(`${error.message} — refusing to sync over it; move it away or pass another --file`);
        }
        throw error;
      });
    }
    const db = openDb(init, target);
    try {
      // The rename below is what makes initialisation atomic: no journal needed until then.
      db.pragma("journal_mode = OFF");
      db.pragma("synchronous = OFF");
      db.transaction(() => {
        ensureSchema(db);
        createQueueTable(db);
        options.create(db);
      })();
    } finally {
      db.close();
    }
    // Written with synchronous OFF: on disk before the rename makes it the working database.
    fsyncPath(init);
    // Atomic: a crash during initialisation never leaves a half-made working database.
    replaceAtomically(init, path);
    for (const suffix of SIDE_FILES.slice(1)) removeIfExists(init + suffix);
    created = true;
  }
  const db = openDb(path, target);
  try {
    // A database made just now has its schema (and may lack indexes on purpose: schema.ts).
    if (!created) {
      db.transaction(() => {
        ensureSchema(db);
        createQueueTable(db);
      })();
    }
  } catch (error) {
    db.close();
    throw asFormatError(error, path);
  }
  return { db, created };
}

function openDb(path: string, target: string): Database {
  let db: Database | undefined;
  try {
    // timeout 0: another process holding the lock means another sync is running; say so at once.
    db = new BetterSqlite3(path, { timeout: 0 });
    // Exclusive locking doubles as the "one sync per file" lock. A rollback journal (baton's own
    // choice) keeps the database intact when the process is killed and, for a workload that mostly
    // appends pages, writes far less than WAL, which copies every page twice.
    // A new database only (an existing one keeps its own): grants run to about 2 KiB each, so
    // 4 KiB pages hold one and waste the rest; 16 KiB pages make the file smaller and writes faster.
    db.pragma("page_size = 16384");
    db.pragma("locking_mode = EXCLUSIVE");
    db.pragma("journal_mode = TRUNCATE");
    db.pragma("synchronous = NORMAL");
    // Rows are appended in id order, so a small page cache loses little; index builds and VACUUM
    // sort through temporary files (the OS caches them) rather than holding the whole sort in RAM.
    db.pragma("cache_size = -16384");
    db.pragma("temp_store = FILE");
    db.exec("begin immediate; commit");
    return db;
  } catch (error) {
    db?.close();
    throw openFailure(error, target, path, `its working database ${path} is locked`, `delete ${path} to discard the interrupted sync`);
  }
}

function createQueueTable(db: Database): void {
  db.exec(`create table if not exists ${QUEUE_TABLE} (
    seq integer primary key,
    sync_id text not null,
    resource_type_id text not null,
    parent_resource_type_id text not null,
    parent_resource_id text not null,
    unique (sync_id, resource_type_id, parent_resource_type_id, parent_resource_id)
  )`);
}

/**
 * Turns the working database into the new .c1z: baton's journal mode, compressed to
 * `<target>.tmp`, fsynced, renamed over the target, directory fsynced; then the working files go.
 * Safe to repeat after a crash at any step.
 */
export async function publishWorkingDb(db: Database, target: string, options: { level?: number } = {}): Promise<number> {
  const path = workingPath(target);
  db.pragma("journal_mode = DELETE");
  db.close();
  const tmp = `${target}.tmp`;
  try {
    const size = await writeC1z(path, tmp, options);
    replaceAtomically(tmp, target);
    for (const suffix of SIDE_FILES) removeIfExists(path + suffix);
    return size;
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Deletes the working database (closed first by the caller); the target is untouched. */
export function discardWorkingDb(target: string): void {
  const path = workingPath(target);
  for (const suffix of SIDE_FILES) removeIfExists(path + suffix);
}

/** Drops the sync's scratch tables so the published file has baton's schema only. */
export function dropScratch(db: Database): void {
  for (const table of [QUEUE_TABLE, EARLY_STEPS_TABLE, EARLY_UNDO_TABLE, EARLY_CREATED_TABLE, EARLY_STATE_TABLE]) db.exec(`drop table if exists ${table}`);
}
