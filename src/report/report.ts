import { existsSync } from "node:fs";
import { C1zFormatError } from "../c1z/container.js";
import { C1zReader } from "../c1z/reader.js";
import type { SyncRun } from "../c1z/sync-runs.js";
import { openStateDbReadOnly, STATE_DB_FILE } from "../provisioning/state-db.js";
import { buildAccessModel, type AccessModel } from "./access.js";
import { diffAccess, type Change } from "./changes.js";
import { findOutsideAccess, type Finding } from "./outside.js";
import type { PrivilegeLevel } from "./policy-privilege.js";
import { loadSnapshot } from "./snapshot.js";
import { findStaleAccess, type StaleReason } from "./stale.js";
import { accessComparators } from "./order.js";
import { ReportTables } from "./tables.js";
import { splitKey, TYPE } from "./targets.js";

/**
 * The access review of one sync, assembled: the shared tables (people, targets, paths) and each
 * view's rows as indexes into them. The HTML page, the CSV files and the JSON document are all
 * written from this one object.
 */
export interface ReportOptions {
  file: string;
  /** A sync of `file` other than its default one (latest finished full sync). */
  syncId?: string;
  /** What to compare with: another .c1z, or a sync id of `file`. Default: the sync before, if the file has one. */
  since?: string;
  /** The provisioning state directory (audit log, JIT ledger), for the outside-the-process view. */
  stateDir?: string;
  /** Days without sign-in after which access is stale. */
  staleDays: number;
  /** Temporary directory for decompressing the .c1z files. */
  tmpDir?: string;
  now?: () => Date;
  /** Filled with each phase's wall time in ms (open, load, model, …), for the benchmark. */
  phases?: Record<string, number>;
}

/** Rows of the access views: three indexes each (ReportTables). */
export interface AccessTable {
  count: number;
  principal: Int32Array;
  target: Int32Array;
  via: Int32Array;
}

export interface StaleEntry {
  principal: number;
  reason: StaleReason;
  days: number | null;
  grants: number;
  accounts: number;
  privileged: number;
}

export interface ChangeEntry {
  change: Change;
  principal: number;
  target: number;
  via: number;
  /** The privilege before, for privilege changes. */
  beforeLevel: PrivilegeLevel | "";
}

export interface OutsideEntry {
  finding: Finding;
  principal: number;
  target: number;
  /** -1 when AWS no longer has it. */
  via: number;
  /** Who asked for it through the connector, when, and what happened. */
  requestedBy: string;
  whenMs: number | null;
  detail: string;
  inEarlierSync: boolean | null;
}

export interface SyncDescription {
  label: string;
  syncId: string;
  startedAt: string;
  endedAt: string | null;
}

export interface ReportMeta {
  generatedAt: string;
  sync: SyncDescription;
  /** The sync compared with, when there is one. */
  since?: SyncDescription;
  stateDir?: string;
  staleDays: number;
  /** What the reviewer should know about this report's inputs (no earlier sync, no state, …). */
  notes: string[];
}

/** The review's views (views.ts builds their columns and rows). */
export type ViewName = "privileged" | "by-account" | "by-person" | "stale" | "changes" | "outside";

/** One headline number, and the view that lists what it counts. */
export interface SummaryItem {
  key: string;
  label: string;
  value: number;
  view?: ViewName;
}

export interface Report {
  meta: ReportMeta;
  summary: SummaryItem[];
  tables: ReportTables;
  access: AccessTable;
  stale: StaleEntry[];
  changes?: ChangeEntry[];
  outside?: OutsideEntry[];
}

export async function buildReport(options: ReportOptions): Promise<Report> {
  const now = options.now ?? (() => new Date());
  const notes: string[] = [];
  const phases = options.phases ?? {};
  const timed = async <T>(name: string, work: () => T | Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      phases[name] = (phases[name] ?? 0) + (performance.now() - started);
    }
  };
  const open = (file: string) => timed("open (decompress)", () => C1zReader.open(file, { tmpDir: options.tmpDir }));
  const model = (reader: C1zReader, sync: SyncRun, label: string) =>
    timed("read the sync", () => loadSnapshot(reader.database, sync, label)).then((snapshot) => timed("access model", () => buildAccessModel(snapshot)));
  const reader = await open(options.file);
  let current: AccessModel;
  let earlier: AccessModel | undefined;
  try {
    const sync = reader.resolveSync(options.syncId);
    current = await model(reader, sync, options.file);
    const compared = options.since === undefined || !looksLikeFile(options.since) ? earlierSyncOf(reader, sync, options.since) : undefined;
    if (compared) earlier = await model(reader, compared, options.file);
  } finally {
    await timed("close", () => reader.close());
  }
  if (options.since !== undefined && looksLikeFile(options.since)) {
    const other = await open(options.since);
    try {
      earlier = await model(other, other.resolveSync(), options.since);
    } finally {
      await timed("close", () => other.close());
    }
  }
  const views = performance.now();
  if (!earlier) notes.push("No earlier sync to compare with: give --since OTHER.c1z (or a sync id of this file) to see what changed.");

  const tables = new ReportTables();
  const access = accessTable(tables, current);
  const stale = staleEntries(tables, current, options.staleDays, current.snapshot.startedMs ?? now().getTime());
  if (![...current.principals.values()].some((p) => p.lastLoginMs !== undefined)) {
    notes.push("The sync records no sign-in times: stale access lists disabled users only.");
  }
  const changes = earlier ? changeEntries(tables, earlier, current) : undefined;
  const outside = options.stateDir !== undefined ? outsideEntries(tables, current, earlier, options.stateDir) : undefined;
  if (!outside) notes.push("No provisioning state directory given (--state-dir): access outside the process is not assessed.");

  const summary = summarize({ tables, access, stale, changes, outside }, [...current.principals.values()].filter((p) => p.kind === "user").length);
  phases["views (tables, stale, changes, outside)"] = performance.now() - views;
  return {
    summary,
    meta: {
      generatedAt: now().toISOString(),
      sync: describe(current),
      ...(earlier ? { since: describe(earlier) } : {}),
      ...(options.stateDir !== undefined ? { stateDir: options.stateDir } : {}),
      staleDays: options.staleDays,
      notes,
    },
    tables,
    access,
    stale,
    ...(changes ? { changes } : {}),
    ...(outside ? { outside } : {}),
  };
}

function staleEntries(tables: ReportTables, model: AccessModel, days: number, asOfMs: number): StaleEntry[] {
  return findStaleAccess(model, { days, asOfMs }).map((s) => ({
    principal: tables.principal(model, model.snapshot.keys.find(s.principal.key)!),
    reason: s.reason,
    days: s.days ?? null,
    grants: s.grants,
    accounts: s.accounts,
    privileged: s.privileged,
  }));
}

function changeEntries(tables: ReportTables, earlier: AccessModel, current: AccessModel): ChangeEntry[] {
  return diffAccess(earlier, current).map((c) => ({
    change: c.change,
    principal: tables.principal(c.model, c.model.rows.principal[c.row]!),
    target: tables.target(c.model, c.row),
    via: tables.via(c.model, c.model.rows.pathSet[c.row]!),
    beforeLevel: c.before?.level ?? "",
  }));
}

function outsideEntries(tables: ReportTables, current: AccessModel, earlier: AccessModel | undefined, stateDir: string): OutsideEntry[] {
  const state = existsSync(stateDir) ? openStateDbReadOnly(stateDir) : undefined;
  if (!state) throw new C1zFormatError(`${stateDir} holds no provisioning state (no ${STATE_DB_FILE}); give the state directory the connector granted with`);
  try {
    return findOutsideAccess(current, state, earlier).map((o): OutsideEntry => {
      const record = o.ledger ? { requester: o.ledger.requestedBy, at: o.ledger.requestedAt } : o.last ? { requester: o.last.requester, at: o.last.finishedAt ?? o.last.startedAt } : undefined;
      const row = o.row ?? -1;
      return {
        finding: o.finding,
        principal: row >= 0 ? tables.principal(current, current.rows.principal[row]!) : missingPrincipal(tables, current, o.principalKey),
        target: row >= 0 ? tables.target(current, row) : missingTarget(tables, current, o.entitlementId, o.principalKey),
        via: row >= 0 ? tables.via(current, current.rows.pathSet[row]!) : -1,
        requestedBy: record?.requester ?? "",
        whenMs: record?.at ?? null,
        detail: outsideDetail(o),
        inEarlierSync: o.inEarlierSync ?? null,
      };
    });
  } finally {
    state.close();
  }
}

/** The headline numbers (each one is checked against an independent count in test/report). */
function summarize(report: Pick<Report, "tables" | "access" | "stale" | "changes" | "outside">, users: number): SummaryItem[] {
  const { tables, access } = report;
  const withAccess = new Set<number>();
  const privilegedUsers = new Set<number>();
  const accounts = new Set<string>();
  let privileged = 0;
  for (let r = 0; r < access.count; r++) {
    const principal = access.principal[r]!;
    const target = tables.targets[access.target[r]!]!;
    const isUser = tables.principals[principal]!.kind === "user";
    if (isUser) withAccess.add(principal);
    if (target.accountId) accounts.add(target.accountId);
    if (target.level) {
      privileged++;
      if (isUser) privilegedUsers.add(principal);
    }
  }
  const items: SummaryItem[] = [
    { key: "privilegedUsers", label: "Users with privileged access", value: privilegedUsers.size, view: "privileged" },
    { key: "privilegedGrants", label: "Privileged grants", value: privileged, view: "privileged" },
    { key: "users", label: "Users in the sync", value: users, view: "by-person" },
    { key: "usersWithAccess", label: "Users holding access", value: withAccess.size, view: "by-person" },
    { key: "accounts", label: "Accounts with access", value: accounts.size, view: "by-account" },
    { key: "grants", label: "Grants (users, groups, roles)", value: access.count, view: "by-account" },
    { key: "staleUsers", label: "Users with stale access", value: report.stale.length, view: "stale" },
    { key: "disabledWithAccess", label: "Disabled users holding access", value: report.stale.filter((s) => s.reason === "disabled").length, view: "stale" },
  ];
  if (report.changes) {
    const count = (change: Change) => report.changes!.filter((c) => c.change === change).length;
    items.push(
      { key: "granted", label: "Granted since the earlier sync", value: count("granted"), view: "changes" },
      { key: "removed", label: "Removed since the earlier sync", value: count("removed"), view: "changes" },
      { key: "privilegeChanged", label: "Privilege changed", value: count("privilege-raised") + count("privilege-lowered"), view: "changes" },
    );
  }
  if (report.outside) {
    const count = (finding: Finding) => report.outside!.filter((o) => o.finding === finding).length;
    items.push(
      { key: "notGrantedHere", label: "Never granted through the connector", value: count("not-granted-here"), view: "outside" },
      { key: "expiredStillPresent", label: "Past expiry, still in AWS", value: count("expired-still-present"), view: "outside" },
      { key: "revokedStillPresent", label: "Revoked here, still in AWS", value: count("revoked-still-present"), view: "outside" },
      { key: "grantedMissing", label: "Granted here, gone from AWS", value: count("granted-missing"), view: "outside" },
    );
  }
  return items;
}

/** The model's rows as table indexes, in the by-account view's order (the order the page starts from). */
function accessTable(tables: ReportTables, model: AccessModel): AccessTable {
  const n = model.rows.count;
  const principal = new Int32Array(n);
  const target = new Int32Array(n);
  const via = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    principal[r] = tables.principal(model, model.rows.principal[r]!);
    target[r] = tables.target(model, r);
    via[r] = tables.via(model, model.rows.pathSet[r]!);
  }
  const order = Array.from({ length: n }, (_, r) => r).sort(accessComparators(tables, { principal, target }).byAccount);
  const permute = (values: Int32Array) => Int32Array.from(order, (r) => values[r]!);
  return { count: n, principal: permute(principal), target: permute(target), via: permute(via) };
}

function describe(model: AccessModel): SyncDescription {
  const { sync, label } = model.snapshot;
  return { label, syncId: sync.syncId, startedAt: isoTime(model.snapshot.startedMs, sync.startedAt), endedAt: sync.endedAt ? isoTime(model.snapshot.endedMs, sync.endedAt) : null };
}

const isoTime = (ms: number | undefined, raw: string) => (ms !== undefined ? new Date(ms).toISOString() : raw);

const looksLikeFile = (value: string) => value.endsWith(".c1z") || value.includes("/") || existsSync(value);

/** The sync to compare with inside the same file: the one named, else the finished full sync before the chosen one. */
function earlierSyncOf(reader: C1zReader, chosen: SyncRun, syncId: string | undefined): SyncRun | undefined {
  if (syncId !== undefined) {
    const named = reader.resolveSync(syncId);
    if (named.syncId === chosen.syncId) throw new C1zFormatError(`--since ${syncId} is the sync being reviewed; name an earlier one`);
    return named;
  }
  const finished = reader.syncs().filter((r) => r.endedAt !== null && r.syncType === "full" && r.syncId !== chosen.syncId && (r.endedAt ?? "") <= (chosen.endedAt ?? chosen.startedAt));
  return finished[finished.length - 1];
}

function outsideDetail(o: ReturnType<typeof findOutsideAccess>[number]): string {
  switch (o.finding) {
    case "expired-still-present":
      return `expired ${new Date(o.ledger!.expiresAt).toISOString()}${o.ledger!.revokeAttempts ? `; ${o.ledger!.revokeAttempts} revoke attempt(s) failed: ${o.ledger!.lastError ?? ""}` : ""}`;
    case "revoked-still-present":
      return `revoked ${new Date(o.last!.finishedAt ?? o.last!.startedAt).toISOString()} (${o.last!.outcome})`;
    case "granted-missing":
      return `granted ${new Date(o.last!.finishedAt ?? o.last!.startedAt).toISOString()} (${o.last!.outcome})`;
    case "not-granted-here":
      return "no grant through the connector recorded";
  }
}

/** A principal the connector granted to that the sync no longer has (deleted since, perhaps). */
function missingPrincipal(tables: ReportTables, model: AccessModel, key: string): number {
  const index = model.snapshot.keys.id(key);
  if (!model.principals.has(index)) {
    const [typeId, id] = splitKey(key);
    const kind = typeId === TYPE.ssoGroup || typeId === TYPE.iamGroup ? "group" : typeId === TYPE.iamRole ? "role" : "user";
    model.principals.set(index, { key, id, kind, typeId, typeLabel: typeId, name: id, status: "unknown" });
  }
  return tables.principal(model, index);
}

/** A target for an entitlement the rows lack: resolved from the entitlement id alone. */
function missingTarget(tables: ReportTables, model: AccessModel, entitlementId: string, principalKey: string): number {
  const e = model.snapshot.entitlementIds.id(entitlementId);
  if (e >= model.snapshot.entitlements.length) {
    const last = entitlementId.lastIndexOf(":");
    model.snapshot.entitlements[e] = { id: entitlementId, resourceKey: last > 0 ? entitlementId.slice(0, last) : entitlementId, displayName: "", slug: "" };
  }
  const target = model.targets.ofIndex(e);
  return tables.targetFor(model, e, target.accountId ?? model.targets.accountOf(principalKey) ?? "");
}
