import { rowAccount, rowPrivilege, type AccessModel, type Principal } from "./access.js";

/**
 * Access held by people who do not use it: users who are disabled, who have not signed in for
 * `days` days, or who never signed in although the sync records sign-ins for their kind of user
 * and they have existed for longer than that. Days are counted to the sync, not to today: the
 * review describes the sync.
 */
export type StaleReason = "disabled" | "no-recent-sign-in" | "never-signed-in";

export const STALE_REASON_LABELS: Record<StaleReason, string> = {
  disabled: "Disabled, still holds access",
  "no-recent-sign-in": "No sign-in for the period",
  "never-signed-in": "Never signed in",
};

export interface StaleRow {
  principal: Principal;
  reason: StaleReason;
  /** Whole days from the last sign-in (or, never signed in, from creation) to the sync. */
  days?: number;
  grants: number;
  accounts: number;
  privileged: number;
}

export const DAY_MS = 86_400_000;

export function findStaleAccess(model: AccessModel, options: { days: number; asOfMs: number }): StaleRow[] {
  const held = new Map<Principal, { grants: number; accounts: Set<string>; privileged: number }>();
  for (let r = 0; r < model.rows.count; r++) {
    const principal = model.principals.get(model.rows.principal[r]!)!;
    if (principal.kind !== "user") continue;
    let h = held.get(principal);
    if (!h) held.set(principal, (h = { grants: 0, accounts: new Set(), privileged: 0 }));
    h.grants++;
    const account = rowAccount(model, r);
    if (account) h.accounts.add(account);
    if (rowPrivilege(model, r)) h.privileged++;
  }
  // A kind of user whose sign-ins the sync records at all: for it, no record means never.
  const recorded = new Set([...model.principals.values()].filter((p) => p.lastLoginMs !== undefined).map((p) => p.typeId));
  const limit = options.days * DAY_MS;
  const out: StaleRow[] = [];
  for (const [principal, h] of held) {
    const counts = { grants: h.grants, accounts: h.accounts.size, privileged: h.privileged };
    const sinceSignIn = principal.lastLoginMs !== undefined ? options.asOfMs - principal.lastLoginMs : undefined;
    const days = sinceSignIn !== undefined ? Math.floor(sinceSignIn / DAY_MS) : undefined;
    if (principal.status === "disabled" || principal.status === "deleted") {
      out.push({ principal, reason: "disabled", ...(days !== undefined ? { days } : {}), ...counts });
    } else if (sinceSignIn !== undefined) {
      if (sinceSignIn > limit) out.push({ principal, reason: "no-recent-sign-in", days: days!, ...counts });
    } else if (recorded.has(principal.typeId)) {
      const age = principal.createdMs !== undefined ? options.asOfMs - principal.createdMs : undefined;
      if (age === undefined || age > limit) out.push({ principal, reason: "never-signed-in", ...(age !== undefined ? { days: Math.floor(age / DAY_MS) } : {}), ...counts });
    }
  }
  return out;
}
