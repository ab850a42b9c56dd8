import type { Provisioner } from "../connector/resource-syncer.js";
import type { Logger } from "../log.js";
import { describeFailure } from "./errors.js";
import type { GrantLedger, LedgerEntry } from "./ledger.js";

export interface ExpirySchedulerDeps {
  ledger: GrantLedger;
  /** The audited provisioners (the revoke is audited and marks the ledger like any other). */
  provisioners: readonly Provisioner[];
  log: Logger;
  now?: () => number;
  /** How often the ledger is re-read for entries added by other processes (e.g. `connector grant --duration`). */
  rescanMs?: number;
}

/** Requester recorded in the audit log for revocations at expiry. */
export const SCHEDULER_REQUESTER = { id: "scheduler" } as const;

const RETRY_FIRST_MS = 30_000;
const RETRY_CAP_MS = 15 * 60_000;
const DEFAULT_RESCAN_MS = 30_000;
/** setTimeout cannot wait longer than ~24.8 days. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Revokes time-bound grants when they expire. On start it revokes everything already overdue
 * (expiries that passed while no scheduler ran) and finishes revokes that were cut short — by a
 * process killed mid-revoke, here or in a `connector revoke` — asking AWS, which says "already
 * gone" when the deletion went through; then it sleeps until the next expiry. A failed revoke
 * stays in the ledger with its error and is retried with backoff. Returns a function that stops the
 * scheduler and resolves once the revocations in progress have finished.
 */
export function startExpiryScheduler(deps: ExpirySchedulerDeps): () => Promise<void> {
  const { ledger, log } = deps;
  const now = deps.now ?? Date.now;
  const rescanMs = deps.rescanMs ?? DEFAULT_RESCAN_MS;
  const byType = new Map(deps.provisioners.map((p) => [p.resourceTypeId, p]));
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function revoke(entry: LedgerEntry): Promise<void> {
    const grant = entry.grant;
    const provisioner = byType.get(grant.entitlement?.resource?.id?.resourceType ?? "");
    try {
      if (!provisioner) throw new Error(`no provisioner for ${grant.entitlement?.resource?.id?.resourceType ?? "(unknown type)"}`);
      const outcome = await provisioner.revoke(grant, {
        syncId: "",
        signal: stopping.signal,
        requester: SCHEDULER_REQUESTER,
        requestAnnotations: [],
      });
      log.info(
        { entitlement: entry.entitlementId, principal: entry.principal, expiredAt: new Date(entry.expiresAt).toISOString(), alreadyRevoked: outcome.alreadyRevoked },
        "revoked time-bound grant at expiry",
      );
    } catch (error) {
      if (stopping.signal.aborted) {
        // Cut short by our own shutdown, not a failure: due again at once for whoever runs next.
        ledger.revokeInterrupted(entry);
        log.info({ entitlement: entry.entitlementId, principal: entry.principal }, "revoke at expiry interrupted by shutdown; it resumes at the next start");
        return;
      }
      const failure = describeFailure(error);
      const retryInMs = Math.min(RETRY_CAP_MS, RETRY_FIRST_MS * 2 ** entry.revokeAttempts);
      ledger.revokeFailed(entry, `${failure.code}: ${failure.message}`, now() + retryInMs);
      log.error(
        { entitlement: entry.entitlementId, principal: entry.principal, attempts: entry.revokeAttempts + 1, retryInMs, err: failure },
        "could not revoke expired time-bound grant; will retry",
      );
    }
  }

  async function pass(): Promise<void> {
    for (;;) {
      if (stopping.signal.aborted) return;
      const due = ledger.claimDue();
      if (due.length === 0) return;
      // The provisioners bound AWS concurrency themselves (e.g. the assignment queue).
      await Promise.all(due.map(revoke));
    }
  }

  function plan(): void {
    if (stopping.signal.aborted) return;
    if (running) return; // re-planned when the pass ends
    clearTimeout(timer);
    const next = ledger.nextDueAt();
    const waitMs = Math.min(rescanMs, MAX_TIMER_MS, next === undefined ? Infinity : Math.max(0, next - now()));
    timer = setTimeout(tick, waitMs);
    timer.unref();
  }

  function tick(): void {
    timer = undefined;
    running = pass()
      .catch((error: unknown) => log.error({ err: error }, "expiry scheduler pass failed"))
      .finally(() => {
        running = undefined;
        plan();
      });
  }

  const unsubscribe = ledger.onChange(() => plan());
  tick();
  log.info({ owner: ledger.owner }, "time-bound grant expiry scheduler started");

  return async () => {
    stopping.abort();
    unsubscribe();
    clearTimeout(timer);
    await running;
  };
}
