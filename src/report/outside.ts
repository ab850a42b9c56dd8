import { readAuditLog, type AuditRecord } from "../provisioning/audit-log.js";
import { readAllLedgerEntries, type LedgerEntry } from "../provisioning/ledger.js";
import type { StateDb } from "../provisioning/state-db.js";
import { rowFactKey, rowIsDirect, rowTarget, type AccessModel } from "./access.js";
import { factKey, type AccessKind } from "./targets.js";

/**
 * Access outside the process: the sync (what AWS has) held against the connector's provisioning
 * state (what was granted and revoked through it: the audit log and the JIT ledger).
 *
 *   - not-granted-here: an assignment or membership in AWS that no successful grant through the
 *     connector ever asked for;
 *   - revoked-still-present: the connector's last word on it was a revoke, yet AWS has it;
 *   - expired-still-present: a time-bound grant past its expiry that AWS still has;
 *   - granted-missing: the connector's last word was a grant, yet AWS no longer has it.
 *
 * Only what happened before the sync started is judged (the sync cannot have seen the rest), and
 * only access the connector can provision: permission-set assignments and group memberships,
 * held directly.
 */
export type Finding = "not-granted-here" | "revoked-still-present" | "expired-still-present" | "granted-missing";

export const FINDING_LABELS: Record<Finding, string> = {
  "expired-still-present": "Past its expiry, still in AWS",
  "revoked-still-present": "Revoked through the connector, still in AWS",
  "granted-missing": "Granted through the connector, gone from AWS",
  "not-granted-here": "In AWS, never granted through the connector",
};

export interface OutsideRow {
  finding: Finding;
  factKey: string;
  /** The AWS fact as the sync shows it: a row of the model (absent for granted-missing). */
  row?: number;
  /** For facts the sync lacks: what the connector's records say. */
  entitlementId: string;
  principalKey: string;
  /** The connector's last successful action on it. */
  last?: AuditRecord;
  ledger?: LedgerEntry;
  /** Whether an earlier sync already had it (when one was compared). */
  inEarlierSync?: boolean;
}

const PROVISIONABLE: ReadonlySet<AccessKind> = new Set(["permission-set", "sso-group", "iam-group"]);
const SUCCESS = new Set(["granted", "already-exists", "revoked", "already-revoked"]);

export function findOutsideAccess(model: AccessModel, state: StateDb, earlier?: AccessModel): OutsideRow[] {
  const cutoff = model.snapshot.startedMs ?? Date.now();
  const inAws = new Map<string, number>();
  for (let r = 0; r < model.rows.count; r++) {
    if (PROVISIONABLE.has(rowTarget(model, r).kind) && rowIsDirect(model, r)) inAws.set(rowFactKey(model, r), r);
  }
  // The earlier sync's provisionable facts only: what "already there last time" is asked of.
  const earlierFacts = earlier ? new Set<string>() : undefined;
  if (earlier && earlierFacts) {
    for (let r = 0; r < earlier.rows.count; r++) {
      if (PROVISIONABLE.has(rowTarget(earlier, r).kind) && rowIsDirect(earlier, r)) earlierFacts.add(rowFactKey(earlier, r));
    }
  }

  // The connector's last successful word on each fact, before the sync started.
  const last = new Map<string, AuditRecord>();
  for (const record of readAuditLog(state)) {
    if (!record.outcome || !SUCCESS.has(record.outcome) || (record.finishedAt ?? record.startedAt) > cutoff) continue;
    const key = factKey(model.targets.of(record.entitlementId), record.principal);
    const previous = last.get(key);
    if (!previous || (previous.finishedAt ?? previous.startedAt) <= (record.finishedAt ?? record.startedAt)) last.set(key, record);
  }
  const overdue = new Map<string, LedgerEntry>();
  for (const entry of readAllLedgerEntries(state)) {
    if (entry.state !== "revoked" && entry.expiresAt <= cutoff) overdue.set(factKey(model.targets.of(entry.entitlementId), entry.principal), entry);
  }

  const out: OutsideRow[] = [];
  for (const [key, row] of inAws) {
    const record = last.get(key);
    const base = {
      factKey: key,
      row,
      entitlementId: model.snapshot.entitlementIds.values[model.rows.entitlement[row]!]!,
      principalKey: model.snapshot.keys.values[model.rows.principal[row]!]!,
      ...(earlierFacts ? { inEarlierSync: earlierFacts.has(key) } : {}),
    };
    const entry = overdue.get(key);
    if (entry) out.push({ ...base, finding: "expired-still-present", ledger: entry, ...(record ? { last: record } : {}) });
    else if (!record) out.push({ ...base, finding: "not-granted-here" });
    else if (record.action === "revoke") out.push({ ...base, finding: "revoked-still-present", last: record });
  }
  for (const [key, record] of last) {
    if (record.action !== "grant" || inAws.has(key)) continue;
    out.push({ finding: "granted-missing", factKey: key, entitlementId: record.entitlementId, principalKey: record.principal, last: record });
  }
  return out;
}
