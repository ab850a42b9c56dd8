import { createContextValues, Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import Table from "cli-table3";
import { userInfo } from "node:os";
import type { ConnectorConfig } from "../config/config.js";
import { requesterKey } from "../connector/connector.js";
import { UserError } from "./fatal.js";

/**
 * Shared by the provisioning commands (grant, revoke, grants, audit): who the CLI user is, the
 * config with provisioning switched on for an explicit write, error and output formatting.
 */

export type OutputFormat = "table" | "json";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["table", "json"];

/** The audit log's requester for a command run by a person: "cli:<os user>". */
export function cliContextValues(): ContextValues {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): stay "unknown".
  }
  return createContextValues().set(requesterKey, { id: `cli:${user}` });
}

/** grant/revoke are explicit write actions: they enable provisioning for themselves. */
export function withProvisioning(config: ConnectorConfig): ConnectorConfig {
  return { ...config, provisioning: { ...config.provisioning, enabled: true } };
}

/** A failed RPC as one line for the user, exit code 1 (the request was understood; AWS or the connector said no). */
export function asUserError(error: unknown): Error {
  if (error instanceof UserError) return error;
  if (error instanceof ConnectError) return new UserError(`${Code[error.code]}: ${error.rawMessage}`, 1);
  return error instanceof Error ? error : new Error(String(error));
}

/** Prints rows as JSON (an array of objects) or as a table with the given columns. */
export function printRows<T extends object>(rows: T[], columns: Array<[header: string, cell: (row: T) => string]>, output: OutputFormat): void {
  if (output === "json") {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const table = new Table({ head: columns.map(([header]) => header), style: { head: [], border: [] }, wordWrap: true });
  for (const row of rows) table.push(columns.map(([, cell]) => cell(row)));
  process.stdout.write(`${table.toString()}\n`);
}

/** Prints one result as JSON or as a two-column table. */
export function printRecord(record: Record<string, unknown>, output: OutputFormat): void {
  if (output === "json") {
    process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    return;
  }
  const table = new Table({ style: { head: [], border: [] }, wordWrap: true });
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    table.push({ [key]: Array.isArray(value) ? value.join("\n") : String(value) });
  }
  process.stdout.write(`${table.toString()}\n`);
}

/** "2026-01-01T12:00:00.000Z (in 1h59m)" / "(2m ago)". */
export function whenText(epochMs: number, now = Date.now()): string {
  const delta = epochMs - now;
  const span = formatSpan(Math.abs(delta));
  return `${new Date(epochMs).toISOString()} (${delta >= 0 ? `in ${span}` : `${span} ago`})`;
}

function formatSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ""}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ""}`;
  return `${Math.floor(h / 24)}d${h % 24 ? `${h % 24}h` : ""}`;
}
