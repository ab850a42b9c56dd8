import { Command } from "commander";
import { readAuditLog, type AuditRecord } from "../../provisioning/audit-log.js";
import { parseDuration } from "../../provisioning/lifetime.js";
import { openStateDbReadOnly } from "../../provisioning/state-db.js";
import { addConnectorOptions, loadConnectorConfig } from "../connector-options.js";
import { UserError } from "../fatal.js";
import { outputOption, printRows, writeOut, type OutputFormat } from "../output.js";

/** `connector audit`: every grant, revoke, account creation and deletion attempt, oldest first. No AWS call. */
export function auditCommand(): Command {
  const command = new Command("audit")
    .description("Show the provisioning audit log from the state directory: who asked what, the outcome, AWS request ids (no AWS calls)")
    .option("--since <when>", "only attempts started since then: a duration back from now (24h, 7d) or an ISO time")
    .option("--limit <n>", "at most the last n attempts", (v) => positiveInteger(v))
    .addOption(outputOption());
  return addConnectorOptions(command).action(async (opts: { since?: string; limit?: number; output: OutputFormat } & Record<string, unknown>) => {
    const config = loadConnectorConfig(opts);
    // Checked before the log is opened: a bad --since is an error even when nothing is recorded yet.
    const since = opts.since === undefined ? undefined : sinceMs(opts.since);
    const db = openStateDbReadOnly(config.stateDir);
    let records: AuditRecord[] = [];
    try {
      if (db) records = readAuditLog(db, { ...(opts.limit ? { limit: opts.limit } : {}), ...(since === undefined ? {} : { since }) });
    } finally {
      db?.close();
    }
    if (opts.output === "json") {
      return printRows(records.map(toJsonRow), [], "json");
    }
    if (records.length === 0) {
      return writeOut("no provisioning attempts recorded\n");
      return;
    }
    return printRows(
      records,
      [
        ["Started", (r) => new Date(r.startedAt).toISOString()],
        ["Requester", (r) => r.requester],
        ["Action", (r) => r.action + (r.lifetime ? ` (${r.lifetime})` : "")],
        ["Entitlement", (r) => r.entitlementId],
        ["Principal / resource", (r) => r.principal + (r.action === "create-account" && r.grantId ? `\n→ ${r.grantId}` : "")],
        ["Outcome", (r) => (r.outcome ?? "unfinished") + (r.errorCode ? ` ${r.errorCode}: ${r.errorMessage ?? ""}` : "")],
        ["AWS request ids", (r) => r.awsRequestIds.join("\n")],
        ["ms", (r) => (r.durationMs === undefined ? "" : String(r.durationMs))],
      ],
      "table",
    );
  });
}

function toJsonRow(r: AuditRecord) {
  return {
    ...r,
    outcome: r.outcome ?? "unfinished",
    startedAt: new Date(r.startedAt).toISOString(),
    finishedAt: r.finishedAt === undefined ? undefined : new Date(r.finishedAt).toISOString(),
    expiresAt: r.expiresAt === undefined ? undefined : new Date(r.expiresAt).toISOString(),
  };
}

function sinceMs(text: string): number {
  const at = Date.parse(text);
  if (!Number.isNaN(at) && /\d{4}-\d{2}-\d{2}/.test(text)) return at;
  try {
    return Date.now() - parseDuration(text);
  } catch {
    throw new UserError(`--since: expected a duration (24h, 7d) or an ISO time, got "${text}"`);
  }
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--limit must be a positive integer, got "${value}"`);
  return n;
}
