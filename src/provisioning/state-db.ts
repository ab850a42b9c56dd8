import Database from "better-sqlite3";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export type StateDb = Database.Database;

/** Provisioning state: the JIT ledger and the audit log, one SQLite file in the state directory. */
export const STATE_DB_FILE = "provisioning.db";

/**
 * Numbered migrations; `PRAGMA user_version` records how many have run. Append only: a released
 * migration never changes.
 */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE jit_grants (
    key             TEXT PRIMARY KEY,      -- entitlement id + principal: one live time-bound grant each
    generation      INTEGER NOT NULL,      -- bumped at each new grant of the key; guards late updates
    state           TEXT NOT NULL CHECK (state IN ('granting', 'active', 'revoked')),
    entitlement_id  TEXT NOT NULL,
    principal       TEXT NOT NULL,         -- "<resource type>:<resource id>"
    grant_id        TEXT NOT NULL,
    grant_pb        BLOB NOT NULL,         -- c1.connector.v2.Grant, what Revoke is called with
    requested_by    TEXT NOT NULL,
    requested_at    INTEGER NOT NULL,      -- epoch ms
    expires_at      INTEGER NOT NULL,      -- epoch ms
    revoke_attempts INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at INTEGER,
    revoked_at      INTEGER,
    revoked_by      TEXT,
    lease_owner     TEXT,                  -- who is revoking it now (several processes may share the file); JSON, see lease-holder.ts
    lease_until     INTEGER                -- epoch ms; renewed while the revoke runs
  );
  CREATE INDEX jit_grants_live ON jit_grants (state, expires_at);

  CREATE TABLE audit_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id      TEXT NOT NULL,
    phase           TEXT NOT NULL CHECK (phase IN ('started', 'finished')),
    at              INTEGER NOT NULL,      -- epoch ms
    action          TEXT NOT NULL CHECK (action IN ('grant', 'revoke')),
    requester       TEXT NOT NULL,
    entitlement_id  TEXT NOT NULL,
    principal       TEXT NOT NULL,
    grant_id        TEXT,
    lifetime        TEXT,                  -- requested lifetime, as asked
    outcome         TEXT CHECK (outcome IN ('granted', 'already-exists', 'revoked', 'already-revoked', 'failed')),
    error_code      TEXT,
    error_message   TEXT,
    aws_request_ids TEXT,                  -- JSON array
    duration_ms     INTEGER,
    expires_at      INTEGER
  );
  CREATE INDEX audit_events_attempt ON audit_events (attempt_id, phase);
  CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
  `
  -- A revoke asked for (by anyone) and not yet confirmed by AWS: the scheduler finishes it, so a
  -- process killed mid-revoke never leaves an entry 'active' that AWS has deleted.
  ALTER TABLE jit_grants ADD COLUMN revoke_requested_at INTEGER;
  `,
  `
  -- Account creation and resource deletion are audited too. SQLite cannot widen a CHECK in place:
  -- the table is rebuilt with every row kept (DROP TABLE fires no DELETE trigger).
  CREATE TABLE audit_events_v3 (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id      TEXT NOT NULL,
    phase           TEXT NOT NULL CHECK (phase IN ('started', 'finished')),
    at              INTEGER NOT NULL,
    action          TEXT NOT NULL CHECK (action IN ('grant', 'revoke', 'create-account', 'delete-resource')),
    requester       TEXT NOT NULL,
    entitlement_id  TEXT NOT NULL,         -- '' for create-account and delete-resource
    principal       TEXT NOT NULL,         -- grant/revoke: the principal; create-account: "<type>:<login>"; delete-resource: "<type>:<id>"
    grant_id        TEXT,                  -- create-account: the id of the account's resource
    lifetime        TEXT,
    outcome         TEXT CHECK (outcome IN ('granted', 'already-exists', 'revoked', 'already-revoked', 'created', 'deleted', 'already-deleted', 'failed')),
    error_code      TEXT,
    error_message   TEXT,
    aws_request_ids TEXT,
    duration_ms     INTEGER,
    expires_at      INTEGER
  );
  INSERT INTO audit_events_v3 SELECT * FROM audit_events;
  DROP TABLE audit_events;
  ALTER TABLE audit_events_v3 RENAME TO audit_events;
  CREATE INDEX audit_events_attempt ON audit_events (attempt_id, phase);
  CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
];

/**
 * Opens (creating and migrating) the state database for writing. WAL lets `connector audit` and
 * `connector grants` read while a server writes; synchronous=FULL makes every committed audit
 * event and ledger change survive a crash or power loss; the busy timeout lets a CLI grant and a
 * server share the file.
 */
export function openStateDb(stateDir: string): StateDb {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, STATE_DB_FILE);
  const db = new Database(path);
  chmodSync(path, 0o600);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
}

/** Opens the state database for reading only; undefined when nothing was ever recorded. */
export function openStateDbReadOnly(stateDir: string): StateDb | undefined {
  const path = join(stateDir, STATE_DB_FILE);
  if (!existsSync(path)) return undefined;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    db.close();
    throw new Error(`${path} was written by a newer connector (schema ${version}, this one knows ${MIGRATIONS.length})`);
  }
  return db;
}

function migrate(db: StateDb): void {
  // Read the version inside the write transaction: two processes may open a fresh file at once.
  db.transaction(() => {
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new Error(`provisioning state was written by a newer connector (schema ${version}, this one knows ${MIGRATIONS.length})`);
    }
    for (let i = version; i < MIGRATIONS.length; i++) db.exec(MIGRATIONS[i]!);
    if (version !== MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
