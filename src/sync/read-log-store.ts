import type { Database } from "better-sqlite3";

/**
 * Where a sync's read log and the responses of its AWS reads live in the .c1z: baton's per-sync
 * connector state, v1_connector_sessions, under keys of our own. A copy of a file made by a
 * tool that drops this table simply has no log: the next incremental sync falls back to a full one.
 */
const LOG_KEY = "awsaccess.v1/read-log";
const RESPONSE_PREFIX = "awsaccess.v1/response/";

export function putReadLog(db: Database, syncId: string, log: string, responses: Iterable<[string, string]>): void {
  deleteReadLog(db, syncId);
  const insert = db.prepare(`insert into v1_connector_sessions (sync_id, key, value) values (?, ?, ?)`);
  insert.run(syncId, LOG_KEY, Buffer.from(log, "utf8"));
  for (const [key, response] of responses) insert.run(syncId, RESPONSE_PREFIX + key, Buffer.from(response, "utf8"));
}

export function deleteReadLog(db: Database, syncId: string): void {
  db.prepare(`delete from v1_connector_sessions where sync_id = ? and (key = ? or key >= ? and key < ?)`).run(syncId, LOG_KEY, RESPONSE_PREFIX, `${RESPONSE_PREFIX}\uffff`);
}

export interface StoredReadLog {
  log: string | undefined;
  responses: Array<[string, string]>;
}

export function readReadLog(db: Database, syncId: string): StoredReadLog {
  const log = db.prepare(`select value from v1_connector_sessions where sync_id = ? and key = ?`).get(syncId, LOG_KEY) as { value: Buffer } | undefined;
  const rows = db
    .prepare(`select key, value from v1_connector_sessions where sync_id = ? and key >= ? and key < ?`)
    .all(syncId, RESPONSE_PREFIX, `${RESPONSE_PREFIX}\uffff`) as Array<{ key: string; value: Buffer }>;
  return {
    log: log?.value.toString("utf8"),
    responses: rows.map((r) => [r.key.slice(RESPONSE_PREFIX.length), r.value.toString("utf8")]),
  };
}
