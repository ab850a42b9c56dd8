import type { AwsClients } from "../aws/clients.js";
import type { ConnectorConfig } from "../config/config.js";
import type { ResourceSyncer } from "../connector/resource-syncer.js";
import type { SyncCache } from "../connector/sync-cache.js";
import type { Logger } from "../log.js";

/** What every resource syncer is built from. */
export interface ResourceContext {
  aws: AwsClients;
  config: ConnectorConfig;
  cache: SyncCache;
  log: Logger;
}

/**
 * The resource types this connector syncs, gated by the feature switches.
 * PLACEHOLDER: filled in by the resource-sync work (issue #4).
 */
export function createResourceSyncers(_ctx: ResourceContext): ResourceSyncer[] {
  return [];
}
