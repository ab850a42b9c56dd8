import { createContextValues, type ContextValues } from "@connectrpc/connect";
import { userInfo } from "node:os";
import type { ConnectorConfig } from "../config/config.js";
import { requesterKey } from "../connector/connector.js";

/**
 * Shared by the provisioning commands (grant, revoke, grants, audit): who the CLI user is, the
 * config with provisioning switched on for an explicit write, time formatting.
 */

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
