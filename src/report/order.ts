import type { PrincipalEntry, ReportTables } from "./tables.js";

/**
 * The orders a reviewer reads access in. Rows are compared through ranks computed once per table
 * entry (a few thousand names sorted), so sorting millions of rows compares integers.
 */
const collator = new Intl.Collator("en", { sensitivity: "base", numeric: true });

export const compareText = (a: string, b: string) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

/** Targets' accounts by name; access tied to no account (Identity Center groups) last. */
export function compareAccount(tables: ReportTables, a: number, b: number): number {
  const x = tables.targets[a]!;
  const y = tables.targets[b]!;
  if (x.accountId === y.accountId) return 0;
  if (!x.accountId || !y.accountId) return x.accountId ? -1 : 1;
  return compareText(x.accountName, y.accountName) || compareText(x.accountId, y.accountId);
}

export const comparePrincipalNames = (a: PrincipalEntry, b: PrincipalEntry) => compareText(a.name, b.name) || compareText(a.key, b.key);

function ranks<T>(items: readonly T[], compare: (a: T, b: T) => number): Int32Array {
  const order = items.map((_, i) => i).sort((a, b) => compare(items[a]!, items[b]!));
  const out = new Int32Array(items.length);
  order.forEach((item, position) => (out[item] = position));
  return out;
}

export interface AccessColumns {
  principal: ArrayLike<number>;
  target: ArrayLike<number>;
}

/** Comparators over access rows given as table indexes. */
export function accessComparators(tables: ReportTables, rows: AccessColumns) {
  const principalRank = ranks(tables.principals, comparePrincipalNames);
  const kindOrder = { user: 0, group: 1, role: 2 };
  const principalKindFirst = ranks(tables.principals, (a, b) => kindOrder[a.kind] - kindOrder[b.kind] || comparePrincipalNames(a, b));
  const targetRank = ranks(
    tables.targets.map((_, i) => i),
    (a, b) => {
      const x = tables.targets[a]!;
      const y = tables.targets[b]!;
      return compareAccount(tables, a, b) || compareText(x.kindLabel, y.kindLabel) || compareText(x.name, y.name) || compareText(x.entitlementId, y.entitlementId);
    },
  );
  const levelRank = tables.targets.map((t) => t.levelRank);
  const t = (r: number) => rows.target[r]!;
  const p = (r: number) => rows.principal[r]!;
  return {
    /** Account, then access, then users before groups before roles, by name. */
    byAccount: (a: number, b: number) => targetRank[t(a)]! - targetRank[t(b)]! || principalKindFirst[p(a)]! - principalKindFirst[p(b)]!,
    byPerson: (a: number, b: number) => principalRank[p(a)]! - principalRank[p(b)]! || targetRank[t(a)]! - targetRank[t(b)]!,
    /** Most powerful first. */
    byPrivilege: (a: number, b: number) => levelRank[t(a)]! - levelRank[t(b)]! || targetRank[t(a)]! - targetRank[t(b)]! || principalRank[p(a)]! - principalRank[p(b)]!,
  };
}
