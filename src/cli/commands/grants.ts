import { Command } from "commander";
import { readAllLedgerEntries, readPendingGrants, type LedgerEntry } from "../../provisioning/ledger.js";
import { openStateDbReadOnly } from "../../provisioning/state-db.js";
import { addConnectorOptions, loadConnectorConfig } from "../connector-options.js";
import { outputOption, printRows, writeOut, type OutputFormat } from "../output.js";
import { whenText } from "../provisioning-cli.js";

/** `connector grants`: the time-bound grants of the JIT ledger and when each is (or was) revoked. No AWS call. */
export function grantsCommand(): Command {
  const command = new Command("grants")
    .description("List time-bound grants from the JIT ledger in the state directory (no AWS calls)")
    .option("--pending", "only grants not revoked yet: what will expire when")
    .addOption(outputOption());
  return addConnectorOptions(command).action(async (opts: { pending?: boolean; output: OutputFormat } & Record<string, unknown>) => {
    const config = loadConnectorConfig(opts);
    const db = openStateDbReadOnly(config.stateDir);
    let entries: LedgerEntry[] = [];
    try {
      if (db) entries = opts.pending ? readPendingGrants(db) : readAllLedgerEntries(db);
    } finally {
      db?.close();
    }
    if (opts.output === "json") {
      return printRows(entries.map(toJsonRow), [], "json");
    }
    if (entries.length === 0) {
      return writeOut(opts.pending ? "no time-bound grants pending\n" : "no time-bound grants recorded\n");
      return;
    }
    return printRows(
      entries,
      [
        ["Expires", (e) => whenText(e.expiresAt)],
        ["State", (e) => stateText(e)],
        ["Entitlement", (e) => e.entitlementId],
        ["Principal", (e) => e.principal],
        ["Grant", (e) => e.grantId],
        ["Requested by", (e) => e.requestedBy],
        ["Revoke attempts", (e) => (e.revokeAttempts ? `${e.revokeAttempts}: ${e.lastError ?? ""}` : "")],
      ],
      "table",
    );
  });
}

/** granting = AWS has not confirmed yet (or never answered): it is revoked at the provisional expiry all the same. */
function stateText(e: LedgerEntry): string {
  if (e.state === "revoked") return `revoked ${e.revokedAt ? new Date(e.revokedAt).toISOString() : ""} by ${e.revokedBy ?? "?"}`;
  if (e.state === "granting") return e.lastError ? `unconfirmed (${e.lastError})` : "granting";
  return e.nextAttemptAt ? `active, revoke retry ${new Date(e.nextAttemptAt).toISOString()}` : "active";
}

function toJsonRow(e: LedgerEntry) {
  return {
    state: e.state,
    entitlementId: e.entitlementId,
    principal: e.principal,
    grantId: e.grantId,
    requestedBy: e.requestedBy,
    requestedAt: new Date(e.requestedAt).toISOString(),
    expiresAt: new Date(e.expiresAt).toISOString(),
    revokeAttempts: e.revokeAttempts,
    lastError: e.lastError,
    nextAttemptAt: e.nextAttemptAt === undefined ? undefined : new Date(e.nextAttemptAt).toISOString(),
    revokedAt: e.revokedAt === undefined ? undefined : new Date(e.revokedAt).toISOString(),
    revokedBy: e.revokedBy,
  };
}
