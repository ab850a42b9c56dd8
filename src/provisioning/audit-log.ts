import { randomUUID } from "node:crypto";
import type { StateDb } from "./state-db.js";

/**
 * The audit log: every grant, revoke, account creation and resource deletion attempt, appended to the state database (append-only:
 * triggers refuse UPDATE and DELETE). Each attempt writes two events, `started` before AWS is
 * asked and `finished` with the outcome, each committed durably on its own, so an attempt cut short
 * by a crash still shows up (as "unfinished"). Nothing secret is recorded: who asked, what, the
 * outcome, AWS request ids and durations.
 */
export type AuditAction = "grant" | "revoke" | "create-account" | "delete-resource";
export type AuditOutcome = "granted" | "already-exists" | "revoked" | "already-revoked" | "created" | "deleted" | "already-deleted" | "failed";

export interface AuditAttemptStart {
  action: AuditAction;
  requester: string;
  /** '' for create-account and delete-resource. */
  entitlementId: string;
  /** The principal; for create-account "<type>:<login>", for delete-resource "<type>:<id>". */
  principal: string;
  grantId?: string;
  /** The lifetime asked for, as given (e.g. "2h0m0s" or an ISO time). */
  lifetime?: string;
}

export interface AuditAttemptEnd {
  outcome: AuditOutcome;
  grantId?: string;
  awsRequestIds: string[];
  errorCode?: string;
  errorMessage?: string;
  /** For a time-bound grant: when it will be revoked. */
  expiresAt?: number;
}

export interface AuditRecord extends AuditAttemptStart {
  attemptId: string;
  startedAt: number;
  finishedAt?: number;
  /** Undefined while unfinished (in progress, or interrupted by a crash). */
  outcome?: AuditOutcome;
  errorCode?: string;
  errorMessage?: string;
  awsRequestIds: string[];
  durationMs?: number;
  expiresAt?: number;
}

export interface AuditAttempt {
  readonly id: string;
  readonly started: number;
}

export class AuditLog {
  constructor(
    private readonly db: StateDb,
    private readonly now: () => number = Date.now,
  ) {}

  start(attempt: AuditAttemptStart): AuditAttempt {
    const id = randomUUID();
    const at = this.now();
    this.db
      .prepare(
        `INSERT INTO audit_events (attempt_id, phase, at, action, requester, entitlement_id, principal, grant_id, lifetime)
         VALUES (?, 'started', ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, at, attempt.action, attempt.requester, attempt.entitlementId, attempt.principal, attempt.grantId ?? null, attempt.lifetime ?? null);
    return { id, started: performance.now() };
  }

  finish(attempt: AuditAttempt, end: AuditAttemptEnd): void {
    this.db
      .prepare(
        `INSERT INTO audit_events (attempt_id, phase, at, action, requester, entitlement_id, principal, grant_id, outcome,
           error_code, error_message, aws_request_ids, duration_ms, expires_at)
         SELECT attempt_id, 'finished', ?, action, requester, entitlement_id, principal, COALESCE(?, grant_id), ?, ?, ?, ?, ?, ?
         FROM audit_events WHERE attempt_id = ? AND phase = 'started'`,
      )
      .run(
        this.now(),
        end.grantId ?? null,
        end.outcome,
        end.errorCode ?? null,
        end.errorMessage ?? null,
        JSON.stringify(end.awsRequestIds),
        Math.round(performance.now() - attempt.started),
        end.expiresAt ?? null,
        attempt.id,
      );
  }
}

interface JoinedRow {
  attempt_id: string;
  started_at: number;
  finished_at: number | null;
  action: AuditAction;
  requester: string;
  entitlement_id: string;
  principal: string;
  grant_id: string | null;
  lifetime: string | null;
  outcome: AuditOutcome | null;
  error_code: string | null;
  error_message: string | null;
  aws_request_ids: string | null;
  duration_ms: number | null;
  expires_at: number | null;
}

/** Attempts, oldest first: the last `limit` ones, optionally only those started at or after `since`. */
export function readAuditLog(db: StateDb, options: { limit?: number; since?: number } = {}): AuditRecord[] {
  const rows = db
    .prepare(
      `SELECT * FROM (
         SELECT s.seq, s.attempt_id, s.at AS started_at, f.at AS finished_at, s.action, s.requester, s.entitlement_id,
                s.principal, COALESCE(f.grant_id, s.grant_id) AS grant_id, s.lifetime, f.outcome, f.error_code,
                f.error_message, f.aws_request_ids, f.duration_ms, f.expires_at
         FROM audit_events s
         LEFT JOIN audit_events f ON f.attempt_id = s.attempt_id AND f.phase = 'finished'
         WHERE s.phase = 'started' AND s.at >= @since
         ORDER BY s.seq DESC LIMIT @limit
       ) ORDER BY seq`,
    )
    .all({ since: options.since ?? 0, limit: options.limit ?? -1 }) as JoinedRow[];
  return rows.map((r) => ({
    attemptId: r.attempt_id,
    startedAt: r.started_at,
    action: r.action,
    requester: r.requester,
    entitlementId: r.entitlement_id,
    principal: r.principal,
    awsRequestIds: r.aws_request_ids ? (JSON.parse(r.aws_request_ids) as string[]) : [],
    ...(r.finished_at !== null ? { finishedAt: r.finished_at } : {}),
    ...(r.grant_id !== null ? { grantId: r.grant_id } : {}),
    ...(r.lifetime !== null ? { lifetime: r.lifetime } : {}),
    ...(r.outcome !== null ? { outcome: r.outcome } : {}),
    ...(r.error_code !== null ? { errorCode: r.error_code } : {}),
    ...(r.error_message !== null ? { errorMessage: r.error_message } : {}),
    ...(r.duration_ms !== null ? { durationMs: r.duration_ms } : {}),
    ...(r.expires_at !== null ? { expiresAt: r.expires_at } : {}),
  }));
}
