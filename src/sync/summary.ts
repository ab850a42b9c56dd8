import Table from "cli-table3";

/** Box tables without a rule between every row. */
const COMPACT = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };
import type { OperationStats } from "../aws/call-stats.js";
import type { SyncResult } from "./engine.js";
import type { IncrementalInfo } from "./incremental.js";

export interface SummaryExtras {
  /** AWS calls by service, from the in-process connector's AwsCallStats. */
  awsCalls?: Partial<Record<string, OperationStats>>;
  /** Things the connector could not read but went on without (e.g. member accounts). */
  problems?: Array<{ kind: string; accountId?: string; message: string }>;
}

/** What kind of sync the file got: full, incremental (and what it did), or a targeted partial one. */
export type SyncKind =
  | { kind: "full"; fallback?: string }
  | ({ kind: "incremental" } & IncrementalInfo)
  | { kind: "partial"; parentSyncId: string; missing: string[] };

export interface SyncSummary {
  file: string;
  syncId: string;
  resumed: boolean;
  durationMs: number;
  fileBytes: number;
  resourceTypes: number;
  resources: number;
  entitlements: number;
  grants: number;
  expandedGrants: number;
  byResourceType: Record<string, { resources: number; entitlements: number; grants: number }>;
  awsCalls?: Record<string, { calls: number; throttled: number; errors: number }>;
  connectorCalls: Record<string, { count: number; errors: number }>;
  retries: number;
  dropped: SyncResult["dropped"];
  warnings: string[];
  warningCount: number;
  problems: NonNullable<SummaryExtras["problems"]>;
  sync: SyncKind;
}

export function buildSummary(result: SyncResult & { incremental?: IncrementalInfo; fallback?: string; parentSyncId?: string; missing?: string[] }, extras: SummaryExtras = {}): SyncSummary {
  const s = result.stats;
  const types = new Set([...Object.keys(s.resourcesByResourceType), ...Object.keys(s.entitlementsByResourceType), ...Object.keys(s.grantsByResourceType)]);
  const byResourceType: SyncSummary["byResourceType"] = {};
  for (const t of [...types].sort()) {
    byResourceType[t] = {
      resources: s.resourcesByResourceType[t] ?? 0,
      entitlements: s.entitlementsByResourceType[t] ?? 0,
      grants: s.grantsByResourceType[t] ?? 0,
    };
  }
  return {
    file: result.path,
    syncId: result.syncId,
    resumed: result.resumed,
    durationMs: result.durationMs,
    fileBytes: result.fileBytes,
    resourceTypes: s.resourceTypes,
    resources: s.resources,
    entitlements: s.entitlements,
    grants: s.grants,
    expandedGrants: result.expandedGrants,
    byResourceType,
    awsCalls: extras.awsCalls
      ? Object.fromEntries(
          Object.entries(extras.awsCalls)
            .filter((e): e is [string, OperationStats] => e[1] !== undefined)
            .map(([service, v]) => [service, { calls: v.calls, throttled: v.throttled, errors: v.errors }]),
        )
      : undefined,
    connectorCalls: Object.fromEntries(Object.entries(result.connectorCalls).map(([rpc, v]) => [rpc, { count: v.count, errors: v.errors }])),
    retries: result.retries,
    dropped: result.dropped,
    warnings: result.warnings,
    warningCount: result.warningCount,
    problems: extras.problems ?? [],
    sync: result.incremental
      ? { kind: "incremental", ...result.incremental }
      : result.parentSyncId !== undefined
        ? { kind: "partial", parentSyncId: result.parentSyncId, missing: result.missing ?? [] }
        : { kind: "full", ...(result.fallback ? { fallback: result.fallback } : {}) },
  };
}

function describeKind(sync: SyncKind): string {
  switch (sync.kind) {
    case "full":
      return sync.fallback ? `full (not incremental: ${sync.fallback})` : "full";
    case "incremental":
      return (
        `incremental, from ${sync.baseSyncId}: ${sync.applied} new change event(s) of ${sync.events} read (${sync.changeCalls} CloudTrail call(s)); ` +
        `${sync.listingsRun} listing(s) run again, ${sync.resourcesRead} resource(s) read by id, ${sync.resourcesDeleted} deleted; ${sync.readsReplayed} AWS read(s) answered from the previous sync`
      );
    case "partial":
      return `partial (targeted), parent ${sync.parentSyncId || "none"}${sync.missing.length > 0 ? `; not found: ${sync.missing.join(", ")}` : ""}`;
  }
}

/** The human summary printed at the end of `connector sync`. */
export function renderSummary(summary: SyncSummary): string {
  const out: string[] = [];
  const head = new Table({ style: { head: [], border: [] }, chars: COMPACT });
  head.push(
    { File: summary.file },
    { "Sync id": `${summary.syncId}${summary.resumed ? " (resumed)" : ""}` },
    { Kind: describeKind(summary.sync) },
    { Duration: formatDuration(summary.durationMs) },
    { "File size": formatBytes(summary.fileBytes) },
  );
  out.push(head.toString());

  const byType = new Table({ head: ["Resource type", "Resources", "Entitlements", "Grants"], colAligns: ["left", "right", "right", "right"], style: { head: [], border: [] }, chars: COMPACT });
  for (const [type, c] of Object.entries(summary.byResourceType)) byType.push([type, c.resources, c.entitlements, c.grants]);
  byType.push(["total", summary.resources, summary.entitlements, summary.grants]);
  out.push(byType.toString());
  out.push(`Grants added by grant expansion: ${summary.expandedGrants}`);

  if (summary.awsCalls && Object.keys(summary.awsCalls).length > 0) {
    const aws = new Table({ head: ["AWS service", "Calls", "Throttled", "Errors"], colAligns: ["left", "right", "right", "right"], style: { head: [], border: [] }, chars: COMPACT });
    let calls = 0;
    for (const [service, c] of Object.entries(summary.awsCalls).sort()) {
      aws.push([service, c.calls, c.throttled, c.errors]);
      calls += c.calls;
    }
    aws.push(["total", calls, "", ""]);
    out.push(aws.toString());
  }

  const notes: string[] = [];
  if (summary.retries > 0) notes.push(`${summary.retries} connector call(s) retried after Unavailable/DeadlineExceeded`);
  const { resources, entitlements, grants } = summary.dropped;
  if (resources + entitlements + grants > 0) {
    notes.push(`dropped as baton would: ${resources} resource(s), ${entitlements} entitlement(s), ${grants} grant(s) (missing ids or unknown resource types)`);
  }
  for (const p of summary.problems) notes.push(`${p.accountId ? `account ${p.accountId}: ` : ""}${p.message}`);
  for (const w of summary.warnings) notes.push(w);
  if (summary.warningCount > summary.warnings.length) notes.push(`… and ${summary.warningCount - summary.warnings.length} more warning(s)`);
  if (notes.length > 0) out.push(["Warnings:", ...notes.map((n) => `  - ${n}`)].join("\n"));
  return out.join("\n") + "\n";
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}
