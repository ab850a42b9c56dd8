import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { GrantSchema, type Grant } from "../gen/c1/connector/v2/grant_pb.js";
import type { StateDb } from "./state-db.js";
import { principalRef } from "./targets.js";

/**
 * The JIT ledger: every time-bound grant and when it must be revoked, durable across restarts.
 *
 * A time-bound grant is reserved BEFORE AWS is asked (state `granting`, with a provisional expiry),
 * so a crash, a timeout or an unconfirmed answer can never leave access that nobody will revoke.
 * AWS's answer then confirms it (`active`, expiry counted from the confirmation), or releases the
 * reservation when nothing changed. Access that existed before a time-bound request and was not
 * granted by a live ledger entry is standing access: it is never made to expire.
 */
export type LedgerState = "granting" | "active" | "revoked";

export interface LedgerEntry {
  key: string;
  generation: number;
  state: LedgerState;
  entitlementId: string;
  principal: string;
  grantId: string;
  grant: Grant;
  requestedBy: string;
  requestedAt: number;
  expiresAt: number;
  revokeAttempts: number;
  lastError?: string;
  nextAttemptAt?: number;
  revokedAt?: number;
  revokedBy?: string;
}

/** A Grant call's hold on a ledger key: a fresh reservation, or an entry that was already live. */
export interface Reservation {
  key: string;
  generation: number;
  fresh: boolean;
}

interface Row {
  key: string;
  generation: number;
  state: LedgerState;
  entitlement_id: string;
  principal: string;
  grant_id: string;
  grant_pb: Uint8Array;
  requested_by: string;
  requested_at: number;
  expires_at: number;
  revoke_attempts: number;
  last_error: string | null;
  next_attempt_at: number | null;
  revoked_at: number | null;
  revoked_by: string | null;
}

const LIVE = "state IN ('granting', 'active')";

export function ledgerKey(entitlementId: string, principal: string): string {
  return JSON.stringify([entitlementId, principal]);
}

export class GrantLedger {
  readonly #listeners = new Set<() => void>();

  constructor(
    private readonly db: StateDb,
    private readonly now: () => number = Date.now,
  ) {}

  /** Called after every change made through this object (the scheduler re-plans its next wake-up). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Before asking AWS: hold the key, with an expiry that applies if the answer never comes. */
  reserve(init: { grant: Grant; requestedBy: string; provisionalExpiresAt: number }): Reservation {
    const entitlementId = init.grant.entitlement?.id ?? "";
    const principal = principalRef(init.grant.principal);
    const key = ledgerKey(entitlementId, principal);
    const reservation = this.db
      .transaction((): Reservation => {
        const row = this.#row(key);
        if (row && row.state !== "revoked") return { key, generation: row.generation, fresh: false };
        const generation = (row?.generation ?? 0) + 1;
        this.db
          .prepare(
            `INSERT INTO jit_grants (key, generation, state, entitlement_id, principal, grant_id, grant_pb, requested_by, requested_at, expires_at)
             VALUES (@key, @generation, 'granting', @entitlementId, @principal, @grantId, @grantPb, @requestedBy, @now, @expiresAt)
             ON CONFLICT (key) DO UPDATE SET generation = excluded.generation, state = 'granting', grant_id = excluded.grant_id,
               grant_pb = excluded.grant_pb, requested_by = excluded.requested_by, requested_at = excluded.requested_at,
               expires_at = excluded.expires_at, revoke_attempts = 0, last_error = NULL, next_attempt_at = NULL,
               revoked_at = NULL, revoked_by = NULL, lease_owner = NULL, lease_until = NULL`,
          )
          .run({
            key,
            generation,
            entitlementId,
            principal,
            grantId: init.grant.id,
            grantPb: toBinary(GrantSchema, init.grant),
            requestedBy: init.requestedBy,
            now: this.now(),
            expiresAt: init.provisionalExpiresAt,
          });
        return { key, generation, fresh: true };
      })
      .immediate();
    this.#changed();
    return reservation;
  }

  /**
   * AWS confirmed the grant (created now, or — for a held live entry — already there). Returns the
   * expiry now in force: a live entry is extended, never shortened. Undefined for standing access
   * (a fresh reservation for access that already existed), whose reservation is dropped.
   */
  confirm(reservation: Reservation, grant: Grant, expiresAt: number, created: boolean): number | undefined {
    const result = this.db
      .transaction((): number | undefined => {
        if (reservation.fresh && !created) {
          this.#dropReservation(reservation);
          return undefined;
        }
        const row = this.#row(reservation.key);
        if (!row || row.state === "revoked" || (reservation.fresh && row.generation !== reservation.generation)) return undefined;
        const effective = reservation.fresh && row.state === "granting" ? expiresAt : Math.max(row.expires_at, expiresAt);
        this.db
          .prepare(
            `UPDATE jit_grants SET state = 'active', grant_id = ?, grant_pb = ?, expires_at = ?, last_error = NULL
             WHERE key = ? AND generation = ?`,
          )
          .run(grant.id, toBinary(GrantSchema, grant), effective, row.key, row.generation);
        return effective;
      })
      .immediate();
    this.#changed();
    return result;
  }

  /** AWS refused or failed the grant: nothing changed, so a fresh reservation is dropped. */
  release(reservation: Reservation): void {
    if (!reservation.fresh) return;
    this.#dropReservation(reservation);
    this.#changed();
  }

  /** The outcome is unknown (deadline, cancellation, transient error): keep the provisional expiry. */
  leaveUnconfirmed(reservation: Reservation, reason: string): void {
    if (!reservation.fresh) return;
    this.db
      .prepare(`UPDATE jit_grants SET last_error = ? WHERE key = ? AND generation = ? AND state = 'granting'`)
      .run(`grant not confirmed: ${reason}`, reservation.key, reservation.generation);
    this.#changed();
  }

  /** Generation of the live entry for a key, read before a revoke so a newer grant is never marked revoked. */
  liveGeneration(entitlementId: string, principal: string): number | undefined {
    const row = this.#row(ledgerKey(entitlementId, principal));
    return row && row.state !== "revoked" ? row.generation : undefined;
  }

  markRevoked(entitlementId: string, principal: string, generation: number, by: string): void {
    this.db
      .prepare(
        `UPDATE jit_grants SET state = 'revoked', revoked_at = ?, revoked_by = ?, last_error = NULL, next_attempt_at = NULL,
           lease_owner = NULL, lease_until = NULL
         WHERE key = ? AND generation = ? AND ${LIVE}`,
      )
      .run(this.now(), by, ledgerKey(entitlementId, principal), generation);
    this.#changed();
  }

  /** A revoke at expiry failed; it stays live (and listed) and is retried at `nextAttemptAt`. */
  revokeFailed(entry: LedgerEntry, error: string, nextAttemptAt: number): void {
    this.db
      .prepare(
        `UPDATE jit_grants SET revoke_attempts = revoke_attempts + 1, last_error = ?, next_attempt_at = ?,
           lease_owner = NULL, lease_until = NULL
         WHERE key = ? AND generation = ? AND ${LIVE}`,
      )
      .run(error, nextAttemptAt, entry.key, entry.generation);
    this.#changed();
  }

  /**
   * Takes the overdue entries this process will revoke now. A lease keeps two processes sharing
   * the state directory from revoking the same grant at once; an expired lease (its holder died)
   * can be taken over.
   */
  claimDue(owner: string, leaseMs: number, limit = 50): LedgerEntry[] {
    const now = this.now();
    return this.db
      .transaction(() => {
        const rows = this.db
          .prepare(
            `SELECT * FROM jit_grants WHERE ${LIVE} AND expires_at <= @now
               AND (next_attempt_at IS NULL OR next_attempt_at <= @now)
               AND (lease_until IS NULL OR lease_until <= @now)
             ORDER BY expires_at LIMIT @limit`,
          )
          .all({ now, limit }) as Row[];
        const claim = this.db.prepare(`UPDATE jit_grants SET lease_owner = ?, lease_until = ? WHERE key = ? AND generation = ?`);
        for (const row of rows) claim.run(owner, now + leaseMs, row.key, row.generation);
        return rows.map(toEntry);
      })
      .immediate();
  }

  /** When the next live entry falls due (expiry or retry time), if any. */
  nextDueAt(): number | undefined {
    const row = this.db
      .prepare(`SELECT MIN(MAX(expires_at, COALESCE(next_attempt_at, 0), COALESCE(lease_until, 0))) AS due FROM jit_grants WHERE ${LIVE}`)
      .get() as { due: number | null };
    return row.due ?? undefined;
  }

  /** Live time-bound grants, soonest expiry first. */
  pending(): LedgerEntry[] {
    return readPendingGrants(this.db);
  }

  get(entitlementId: string, principal: string): LedgerEntry | undefined {
    const row = this.#row(ledgerKey(entitlementId, principal));
    return row ? toEntry(row) : undefined;
  }

  #row(key: string): Row | undefined {
    return this.db.prepare(`SELECT * FROM jit_grants WHERE key = ?`).get(key) as Row | undefined;
  }

  #dropReservation(reservation: Reservation): void {
    this.db.prepare(`DELETE FROM jit_grants WHERE key = ? AND generation = ? AND state = 'granting'`).run(reservation.key, reservation.generation);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}

/** Live time-bound grants (not yet revoked), soonest expiry first; read-only (CLI `grants --pending`). */
export function readPendingGrants(db: StateDb): LedgerEntry[] {
  return (db.prepare(`SELECT * FROM jit_grants WHERE ${LIVE} ORDER BY expires_at, key`).all() as Row[]).map(toEntry);
}

/** Every time-bound grant the ledger knows, revoked ones included, by expiry. */
export function readAllLedgerEntries(db: StateDb): LedgerEntry[] {
  return (db.prepare(`SELECT * FROM jit_grants ORDER BY expires_at, key`).all() as Row[]).map(toEntry);
}

function toEntry(row: Row): LedgerEntry {
  return {
    key: row.key,
    generation: row.generation,
    state: row.state,
    entitlementId: row.entitlement_id,
    principal: row.principal,
    grantId: row.grant_id,
    grant: fromBinary(GrantSchema, row.grant_pb),
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    expiresAt: row.expires_at,
    revokeAttempts: row.revoke_attempts,
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    ...(row.next_attempt_at !== null ? { nextAttemptAt: row.next_attempt_at } : {}),
    ...(row.revoked_at !== null ? { revokedAt: row.revoked_at } : {}),
    ...(row.revoked_by !== null ? { revokedBy: row.revoked_by } : {}),
  };
}
