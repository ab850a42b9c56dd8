import { CHANGE_LABELS } from "./changes.js";
import { FINDING_LABELS } from "./outside.js";
import { PRIVILEGE_LABELS, rank } from "./policy-privilege.js";
import type { ChangeEntry, OutsideEntry, Report, StaleEntry, ViewName } from "./report.js";
import { STALE_REASON_LABELS } from "./stale.js";
import { accessComparators, compareAccount, compareText } from "./order.js";
import type { ReportTables } from "./tables.js";

/**
 * The review's views, as tables of named columns: what the CSV and JSON files hold and what the
 * page shows — the page receives these very column definitions and reads the same tables. A
 * column reads a field of the row's principal, target or path (shared table entries), or of the
 * row itself. Access views share one set of rows: the by-account view is all of them, the
 * by-person view the users', the privileged view those whose target gives privilege, each in the
 * order a reviewer reads it.
 */
export type Cell = string | number | null;

export type Source = "principal" | "target" | "via" | "row";

export interface Column {
  key: string;
  title: string;
  /** date: epoch ms, written as ISO 8601 text. */
  type: "text" | "number" | "date";
  source: Source;
  /** The field of the source's entry (PrincipalEntry, TargetEntry, ViaEntry) or of the row. */
  field: string;
  /** A field of the same source to sort by instead (privilege sorts by severity, not by name). */
  sortField?: string;
}

export interface View<R = unknown> {
  name: ViewName;
  title: string;
  description: string;
  columns: Column[];
  count: number;
  rows(): Iterable<R>;
  /** The row's entry in a table (-1: none). */
  entity(row: R, source: Exclude<Source, "row">): number;
  /** A field of the row itself. */
  field(row: R, field: string): Cell;
}

/** The value of a column in a row. */
export function cell(tables: ReportTables, view: View, row: unknown, column: Column): Cell {
  if (column.source === "row") return view.field(row, column.field);
  const index = view.entity(row, column.source);
  if (index < 0) return null;
  const entry = column.source === "principal" ? tables.principals[index] : column.source === "target" ? tables.targets[index] : tables.vias[index];
  return ((entry as unknown as Record<string, Cell>)[column.field] ?? null) as Cell;
}

const col = (source: Source, field: string, key: string, title: string, type: Column["type"] = "text"): Column => ({ key, title, type, source, field });

const ACCOUNT: Column[] = [col("target", "accountId", "accountId", "Account id"), col("target", "accountName", "account", "Account")];
const PRINCIPAL: Column[] = [
  col("principal", "typeLabel", "principalType", "Principal type"),
  col("principal", "name", "principal", "Principal"),
  col("principal", "email", "email", "E-mail"),
  col("principal", "status", "status", "Status"),
  col("principal", "lastLoginMs", "lastSignIn", "Last sign-in", "date"),
];
const TARGET: Column[] = [
  col("target", "kindLabel", "accessKind", "Access kind"),
  col("target", "name", "access", "Access"),
  { ...col("target", "levelLabel", "privilege", "Privilege"), sortField: "levelRank" },
  col("target", "reason", "privilegeReason", "Why privileged"),
  col("target", "policies", "policies", "Policies"),
  col("via", "text", "path", "Path"),
  col("via", "how", "pathKind", "Path kind"),
];
const IDS: Column[] = [col("target", "entitlementId", "entitlementId", "Entitlement id"), col("principal", "id", "principalId", "Principal id")];
export const ACCESS_COLUMNS: Column[] = [...ACCOUNT, ...PRINCIPAL, ...TARGET, ...IDS];

export function reportViews(report: Report): View[] {
  const { tables, access } = report;
  // The access table is in by-account order already (report.ts).
  const order = accessComparators(tables, access);
  const byAccount = Array.from({ length: access.count }, (_, r) => r);
  const privileged = byAccount.filter((r) => tables.targets[access.target[r]!]!.level !== "").sort(order.byPrivilege);
  const people = byAccount.filter((r) => tables.principals[access.principal[r]!]!.kind === "user").sort(order.byPerson);
  const accessView = (name: ViewName, title: string, description: string, rows: number[]): View<number> => ({
    name,
    title,
    description,
    columns: ACCESS_COLUMNS,
    count: rows.length,
    rows: () => rows,
    entity: (r, source) => (source === "principal" ? access.principal[r]! : source === "target" ? access.target[r]! : access.via[r]!),
    field: () => null,
  });
  const views: View[] = [
    accessView(
      "privileged",
      "Privileged access",
      "Access whose permission set, role, group or policy gives administrator, IAM-write or Identity Center-write power, decided from the policy documents in the sync. Most powerful first.",
      privileged,
    ),
    accessView("by-account", "By account", "Who can do what in each account: permission sets, IAM roles, groups and policies, held directly or through which group or role.", byAccount),
    accessView("by-person", "By person", "Each user's effective access across accounts, with the path of every grant and the last sign-in where known.", people),
    staleView(report),
  ];
  if (report.changes) views.push(changesView(report, report.changes));
  if (report.outside) views.push(outsideView(report, report.outside));
  return views as View[];
}

function staleView(report: Report): View<StaleEntry> {
  const { tables } = report;
  const rows = [...report.stale].sort((a, b) => compareText(tables.principals[a.principal]!.name, tables.principals[b.principal]!.name));
  const fields: Record<string, (s: StaleEntry) => Cell> = {
    reason: (s) => STALE_REASON_LABELS[s.reason],
    days: (s) => s.days,
    grants: (s) => s.grants,
    accounts: (s) => s.accounts,
    privileged: (s) => s.privileged,
  };
  return {
    name: "stale",
    title: "Stale access",
    description: `Users who are disabled, or have not signed in for ${report.meta.staleDays} days, and still hold access (days counted to the sync).`,
    columns: [
      col("row", "reason", "reason", "Reason"),
      col("row", "days", "days", "Days without sign-in", "number"),
      ...PRINCIPAL,
      col("principal", "createdMs", "created", "Created", "date"),
      col("row", "grants", "grants", "Grants held", "number"),
      col("row", "accounts", "accounts", "Accounts", "number"),
      col("row", "privileged", "privilegedGrants", "Privileged grants", "number"),
      col("principal", "id", "principalId", "Principal id"),
    ],
    count: rows.length,
    rows: () => rows,
    entity: (s, source) => (source === "principal" ? s.principal : -1),
    field: (s, field) => fields[field]!(s),
  };
}

function changesView(report: Report, changes: ChangeEntry[]): View<ChangeEntry> {
  const { tables } = report;
  const rows = [...changes].sort(
    (a, b) => compareText(a.change, b.change) || compareAccount(tables, a.target, b.target) || compareText(tables.principals[a.principal]!.name, tables.principals[b.principal]!.name),
  );
  const since = report.meta.since;
  return {
    name: "changes",
    title: "Changes",
    description: `Access granted, removed, or whose privilege changed since ${since ? `sync ${since.syncId} (${since.endedAt ?? since.startedAt})` : "the earlier sync"}.`,
    columns: [col("row", "change", "change", "Change"), col("row", "privilegeBefore", "privilegeBefore", "Privilege before"), ...ACCESS_COLUMNS],
    count: rows.length,
    rows: () => rows,
    entity: (c, source) => (source === "principal" ? c.principal : source === "target" ? c.target : c.via),
    field: (c, field) => (field === "change" ? CHANGE_LABELS[c.change] : c.beforeLevel ? PRIVILEGE_LABELS[c.beforeLevel] : ""),
  };
}

function outsideView(report: Report, outside: OutsideEntry[]): View<OutsideEntry> {
  const { tables } = report;
  const findingOrder = Object.keys(FINDING_LABELS);
  const rows = [...outside].sort(
    (a, b) =>
      findingOrder.indexOf(a.finding) - findingOrder.indexOf(b.finding) ||
      compareAccount(tables, a.target, b.target) ||
      compareText(tables.principals[a.principal]!.name, tables.principals[b.principal]!.name),
  );
  const fields: Record<string, (o: OutsideEntry) => Cell> = {
    finding: (o) => FINDING_LABELS[o.finding],
    requestedBy: (o) => o.requestedBy,
    whenMs: (o) => o.whenMs,
    detail: (o) => o.detail,
    inEarlierSync: (o) => (o.inEarlierSync === null ? "" : o.inEarlierSync ? "yes" : "no"),
  };
  return {
    name: "outside",
    title: "Outside the process",
    description:
      "AWS's access held against the connector's audit log and JIT ledger: access never granted through the connector, time-bound grants past their expiry, grants revoked here but back in AWS, and grants made here that AWS no longer has.",
    columns: [
      col("row", "finding", "finding", "Finding"),
      ...ACCOUNT,
      ...PRINCIPAL,
      ...TARGET,
      col("row", "requestedBy", "requestedBy", "Requested by"),
      col("row", "whenMs", "when", "When", "date"),
      col("row", "detail", "detail", "Detail"),
      col("row", "inEarlierSync", "inEarlierSync", "In earlier sync"),
      ...IDS,
    ],
    count: rows.length,
    rows: () => rows,
    entity: (o, source) => (source === "principal" ? o.principal : source === "target" ? o.target : o.via),
    field: (o, field) => fields[field]!(o),
  };
}
