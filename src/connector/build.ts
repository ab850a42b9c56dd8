import { setMaxListeners } from "node:events";
import { createAwsClients, type AwsClients } from "../aws/clients.js";
import type { ConnectorConfig } from "../config/config.js";
import { silentLogger, type Logger } from "../log.js";
import { createEventFeeds } from "../changes/event-feed.js";
import { createProvisioning, type Provisioning } from "../provisioning/index.js";
import { createResourceSyncers } from "../resources/index.js";
import { SyncProblems } from "../resources/sync-problems.js";
import { createConnectorServices, type ConnectorServices } from "./connector.js";
import { createDirectConnectorApi, type ConnectorApi } from "./direct-client.js";
import { describeConnector, validateConnector } from "./metadata.js";
import { PageTokenCodec } from "./page-token.js";
import { loadPageTokenKey } from "./page-token-key.js";
import { SyncCache } from "./sync-cache.js";

export interface Connector {
  config: ConnectorConfig;
  aws: AwsClients;
  services: ConnectorServices;
  /** The same services as a baton host sees them, called in-process. */
  api: ConnectorApi;
  /** Grant/Revoke machinery: `startExpiryScheduler()` (serve --provisioning), the assignment queue. */
  provisioning: Provisioning;
  /** What each sync could not read but went on without (e.g. unreachable member accounts), by sync id. */
  problems: SyncProblems;
  close(): Promise<void>;
}

export interface ConnectorOptions {
  log?: Logger;
  /** Pre-built AWS clients (tests); built from the config otherwise. */
  aws?: AwsClients;
  /**
   * Revoke time-bound grants at expiry while this connector runs (`connector serve`); only when
   * provisioning is enabled. One-shot commands (grant, revoke) leave it off.
   */
  runExpiryScheduler?: boolean;
}

/** Builds the whole connector from its configuration: the one composition root. */
export function createConnector(config: ConnectorConfig, options: ConnectorOptions = {}): Connector {
  const log = options.log ?? silentLogger;
  const aws = options.aws ?? createAwsClients(config, { log });
  const cache = new SyncCache(2, aws.reads);
  const problems = new SyncProblems();
  const syncers = createResourceSyncers({ aws, config, cache, log, problems });
  // Aborted on close: account-assignment operations outlive the request that started them until then.
  const shutdown = new AbortController();
  // Every assignment operation in progress (and each AWS call it makes) listens to it: many listeners by design.
  setMaxListeners(0, shutdown.signal);
  const provisioning = createProvisioning({ aws, config, log, shutdown: shutdown.signal });
  const stopExpiryScheduler =
    options.runExpiryScheduler && config.provisioning.enabled ? provisioning.startExpiryScheduler() : undefined;
  const services = createConnectorServices({
    syncers,
    provisioners: provisioning.provisioners,
    accountCreator: provisioning.accountCreator,
    deleters: provisioning.deleters,
    provisioningEnabled: config.provisioning.enabled,
    pageTokens: new PageTokenCodec(loadPageTokenKey(config.stateDir, config.pageTokenSecret)),
    describe: (signal) => describeConnector(config, aws, signal),
    validate: (signal) => validateConnector(config, aws, signal),
    cleanup: async (syncId) => cache.drop(syncId),
    eventFeeds: createEventFeeds(config, aws, new Set(syncers.map((s) => s.resourceType.id))),
    log,
  });
  return {
    config,
    aws,
    services,
    api: createDirectConnectorApi(services),
    problems,
    provisioning,
    async close() {
      await stopExpiryScheduler?.();
      shutdown.abort();
      provisioning.close();
      aws.destroy();
    },
  };
}
