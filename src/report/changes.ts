import { rowPrivilege, type AccessModel } from "./access.js";
import { rank, type Privilege } from "./policy-privilege.js";
import { Interner } from "./snapshot.js";

/**
 * What changed between an earlier sync and this one, fact by fact: access granted, access
 * removed, and access that stayed but whose power changed (a policy attached to or removed from
 * its permission set, role or group).
 */
export type Change = "granted" | "removed" | "privilege-raised" | "privilege-lowered";

export const CHANGE_LABELS: Record<Change, string> = {
  granted: "Granted",
  removed: "Removed",
  "privilege-raised": "Privilege raised",
  "privilege-lowered": "Privilege lowered",
};

export interface ChangeRow {
  change: Change;
  /** The model the row is in: the current one, or the earlier one for removed access. */
  model: AccessModel;
  /** Row index in that model. */
  row: number;
  /** The privilege before, for privilege changes. */
  before?: Privilege;
}

export function diffAccess(earlier: AccessModel, current: AccessModel): ChangeRow[] {
  // One numeric key per fact, from names shared by both syncs (fact prefixes and principal keys).
  const facts = new Interner();
  const principals = new Interner();
  const factOf = (model: AccessModel) => model.snapshot.entitlements.map((_, e) => facts.id(model.targets.ofIndex(e).factPrefix));
  const principalOf = (model: AccessModel) => model.snapshot.keys.values.map((key) => principals.id(key));
  const keyOf = (model: AccessModel) => {
    const fact = factOf(model);
    const principal = principalOf(model);
    return (r: number) => fact[model.rows.entitlement[r]!]! * 0x100000000 + principal[model.rows.principal[r]!]!;
  };
  const earlierKey = keyOf(earlier);
  const currentKey = keyOf(current);
  const before = new Map<number, number>();
  for (let r = 0; r < earlier.rows.count; r++) before.set(earlierKey(r), r);

  const out: ChangeRow[] = [];
  for (let r = 0; r < current.rows.count; r++) {
    const key = currentKey(r);
    const old = before.get(key);
    if (old === undefined) {
      out.push({ change: "granted", model: current, row: r });
      continue;
    }
    before.delete(key);
    const was = rowPrivilege(earlier, old);
    const now = rowPrivilege(current, r);
    if (rank(now?.level) !== rank(was?.level)) {
      out.push({ change: rank(now?.level) < rank(was?.level) ? "privilege-raised" : "privilege-lowered", model: current, row: r, ...(was ? { before: was } : {}) });
    }
  }
  for (const r of before.values()) out.push({ change: "removed", model: earlier, row: r });
  return out;
}

