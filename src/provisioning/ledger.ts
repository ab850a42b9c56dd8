import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { GrantSchema, type Grant } from "../gen/c1/connector/v2/grant_pb.js";
import { formatHolder, holderIsGone, newLeaseHolder, retireLeaseHolder, type LeaseHolder } from "./lease-holder.js";
import type { StateDb } from "./state-db.js";
import { ledgerEntitlementId, principalRef } from "./targets.js";

/**
 * The JIT ledger: every time-bound grant and when it must be revoked, durable across restarts.
 *
 * A time-bound grant is reserved BEFORE AWS is asked (state `granting`, with a provisional expiry),
 * so a crash, a timeout or an unconfirmed answer can never leave access that nobody will revoke.
 * AWS's answer then confirms it (`active`, expiry counted from the confirmation), or releases the
 * reservation when nothing changed. Access that existed before a time-bound request and was not
 * granted by a live ledger entry is standing access: it is never made to expire.
 *
 * A revoke — at expiry by the scheduler, or asked for by anyone — holds a short lease on its entry
 * while AWS is asked, renewed while it runs, so two processes sharing the state directory do not
 * revoke the same grant at once. The holder is identified well enough (lease-holder.ts) that a
 * process killed mid-revoke is recognised as gone at once on this machine, and by the lapse of its
 * lease elsewhere. The revoke itself is recorded (`revoke_requested_at`) until AWS confirms it, so
 * an interrupted one is finished by the next scheduler — asking AWS, which answers "already gone"
 * when the deletion went through — instead of leaving the entry `active`.
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
  /** A revoke was asked for (and not refused by AWS) but not confirmed yet. */
  revokeRequestedAt?: number;
}

/** How a revoke ended that did not end with AWS's confirmation. */
export type RevokeLeftAs =
  /** AWS refused it: nothing changed, the grant stays (and is revoked at its expiry, if it has one). */
  | "refused"
  /** The outcome is unknown (deadline, transient failure, cut short): the scheduler finishes it. */
  | "unconfirmed";

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
  revoke_requested_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
}

const LIVE = "state IN ('granting', 'active')";
/** Revocation is due: expired, or asked for and not finished. */
const DUE = "(expires_at <= @now OR revoke_requested_at IS NOT NULL) AND (next_attempt_at IS NULL OR next_attempt_at <= @now)";

/** A lease lasts this long unless renewed; a holder renews it every third of that while it works. */
export const DEFAULT_LEASE_MS = 30_000;

export interface GrantLedgerOptions {
  leaseMs?: number;
  /** Who this ledger's leases name (tests pose as other processes); one of this process otherwise. */
  holder?: LeaseHolder;
}

/** One key per access: the two entitlement shapes of one permission-set assignment share it (targets.ts). */
export function ledgerKey(entitlementId: string, principal: string): string {
  return JSON.stringify([ledgerEntitlementId(entitlementId), principal]);
}

export class GrantLedger {
  readonly #listeners = new Set<() => void>();
  readonly #holder: LeaseHolder;
  readonly #leaseMs: number;
  /** Entries this ledger holds a lease on (key → generation), renewed by one timer. */
  readonly #held = new Map<string, number>();
  #renewal: NodeJS.Timeout | undefined;

  /** Who this ledger's leases name (the `lease_owner` column). */
  readonly owner: string;

  constructor(
    private readonly db: StateDb,
    private readonly now: () => number = Date.now,
    options: GrantLedgerOptions = {},
  ) {
    this.#holder = options.holder ?? newLeaseHolder();
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.owner = formatHolder(this.#holder);
  }

  /** Gives up the leases still held (others may take them at once) and stops renewing. */
  close(): void {
    if (this.#held.size > 0) {
      this.db.prepare(`UPDATE jit_grants SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?`).run(this.owner);
      this.#held.clear();
    }
    this.#stopRenewing();
    retireLeaseHolder(this.#holder);
  }

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
               revoked_at = NULL, revoked_by = NULL, revoke_requested_at = NULL, lease_owner = NULL, lease_until = NULL`,
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

  /**
   * Before asking AWS to revoke: records that the revoke was asked for and takes the entry's lease
   * (unless another live holder has it). Returns the live entry's generation — so a grant made again
   * meanwhile is never marked revoked — or undefined when the ledger has no live entry for it.
   */
  beginRevoke(entitlementId: string, principal: string): number | undefined {
    const key = ledgerKey(entitlementId, principal);
    const generation = this.db
      .transaction((): number | undefined => {
        const row = this.#row(key);
        if (!row || row.state === "revoked") return undefined;
        const now = this.now();
        const lease = this.#leaseFree(row, now) || row.lease_owner === this.owner ? { owner: this.owner, until: now + this.#leaseMs } : undefined;
        this.db
          .prepare(
            `UPDATE jit_grants SET revoke_requested_at = COALESCE(revoke_requested_at, @now),
               lease_owner = COALESCE(@owner, lease_owner), lease_until = COALESCE(@until, lease_until)
             WHERE key = @key AND generation = @generation`,
          )
          .run({ now, owner: lease?.owner ?? null, until: lease?.until ?? null, key, generation: row.generation });
        if (lease) this.#hold(key, row.generation);
        return row.generation;
      })
      .immediate();
    this.#changed();
    return generation;
  }

  /** AWS confirmed the revoke (or that the access was already gone). */
  markRevoked(entitlementId: string, principal: string, generation: number, by: string): void {
    const key = ledgerKey(entitlementId, principal);
    this.db
      .prepare(
        `UPDATE jit_grants SET state = 'revoked', revoked_at = ?, revoked_by = ?, last_error = NULL, next_attempt_at = NULL,
           lease_owner = NULL, lease_until = NULL
         WHERE key = ? AND generation = ? AND ${LIVE}`,
      )
      .run(this.now(), by, key, generation);
    this.#unhold(key);
    this.#changed();
  }

  /** A revoke begun with beginRevoke ended without AWS's confirmation; see RevokeLeftAs. */
  revokeNotConfirmed(entitlementId: string, principal: string, generation: number, leftAs: RevokeLeftAs): void {
    const key = ledgerKey(entitlementId, principal);
    this.db
      .prepare(
        `UPDATE jit_grants SET revoke_requested_at = CASE WHEN @refused THEN NULL ELSE revoke_requested_at END,
           lease_owner = CASE WHEN lease_owner = @owner THEN NULL ELSE lease_owner END,
           lease_until = CASE WHEN lease_owner = @owner THEN NULL ELSE lease_until END
         WHERE key = @key AND generation = @generation AND ${LIVE}`,
      )
      .run({ refused: leftAs === "refused" ? 1 : 0, owner: this.owner, key, generation });
    this.#unhold(key);
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
    this.#unhold(entry.key);
    this.#changed();
  }

  /** A revoke this ledger claimed was cut short by shutdown: due again at once, no attempt counted. */
  revokeInterrupted(entry: LedgerEntry): void {
    this.db
      .prepare(
        `UPDATE jit_grants SET next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL
         WHERE key = ? AND generation = ? AND ${LIVE} AND (lease_owner IS NULL OR lease_owner = ?)`,
      )
      .run(entry.key, entry.generation, this.owner);
    this.#unhold(entry.key);
    this.#changed();
  }

  /**
   * Takes the entries due for revocation (expired, or a revoke asked for and not finished) that no
   * live holder has a lease on, and leases them to this ledger until they are settled.
   */
  claimDue(limit = 50): LedgerEntry[] {
    const now = this.now();
    const claimed = this.db
      .transaction(() => {
        const free = this.db
          .prepare(`SELECT * FROM jit_grants WHERE ${LIVE} AND ${DUE} AND (lease_until IS NULL OR lease_until <= @now) ORDER BY expires_at LIMIT @limit`)
          .all({ now, limit }) as Row[];
        // Leases still running whose holder is gone (killed mid-revoke): taken over now, not when they lapse.
        const orphaned = (
          this.db.prepare(`SELECT * FROM jit_grants WHERE ${LIVE} AND ${DUE} AND lease_until > @now ORDER BY expires_at`).all({ now }) as Row[]
        ).filter((row) => row.lease_owner !== this.owner && holderIsGone(row.lease_owner ?? ""));
        const rows = [...orphaned, ...free].slice(0, limit);
        const claim = this.db.prepare(`UPDATE jit_grants SET lease_owner = ?, lease_until = ? WHERE key = ? AND generation = ?`);
        for (const row of rows) claim.run(this.owner, now + this.#leaseMs, row.key, row.generation);
        return rows;
      })
      .immediate();
    for (const row of claimed) this.#hold(row.key, row.generation);
    return claimed.map(toEntry);
  }

  /** When the next live entry falls due (expiry, asked-for revoke, retry time or lease lapse), if any. */
  nextDueAt(): number | undefined {
    const row = this.db
      .prepare(
        `SELECT MIN(MAX(CASE WHEN revoke_requested_at IS NULL THEN expires_at ELSE 0 END, COALESCE(next_attempt_at, 0), COALESCE(lease_until, 0))) AS due
         FROM jit_grants WHERE ${LIVE}`,
      )
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

  /** Free to take: no lease, a lapsed one, or one whose holder is gone. */
  #leaseFree(row: Row, now: number): boolean {
    return row.lease_owner === null || row.lease_until === null || row.lease_until <= now || holderIsGone(row.lease_owner);
  }

  #hold(key: string, generation: number): void {
    this.#held.set(key, generation);
    if (this.#renewal) return;
    this.#renewal = setInterval(() => this.#renew(), Math.max(1, Math.floor(this.#leaseMs / 3)));
    this.#renewal.unref();
  }

  #unhold(key: string): void {
    this.#held.delete(key);
    if (this.#held.size === 0) this.#stopRenewing();
  }

  #stopRenewing(): void {
    clearInterval(this.#renewal);
    this.#renewal = undefined;
  }

  /** Extends every lease this ledger holds; a closed database ends the renewal. */
  #renew(): void {
    try {
      this.db.prepare(`UPDATE jit_grants SET lease_until = ? WHERE lease_owner = ? AND ${LIVE}`).run(this.now() + this.#leaseMs, this.owner);
    } catch {
      this.#stopRenewing();
    }
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
    ...(row.revoke_requested_at !== null ? { revokeRequestedAt: row.revoke_requested_at } : {}),
  };
}
