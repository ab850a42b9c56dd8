import { createAwsClients, type AwsClients } from "../aws/clients.js";
import type { ConnectorConfig } from "../config/config.js";
import { silentLogger, type Logger } from "../log.js";
import { createProvisioners } from "../provisioning/index.js";
import { createResourceSyncers } from "../resources/index.js";
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
  close(): Promise<void>;
}

export interface ConnectorOptions {
  log?: Logger;
  /** Pre-built AWS clients (tests); built from the config otherwise. */
  aws?: AwsClients;
}

/** Builds the whole connector from its configuration: the one composition root. */
export function createConnector(config: ConnectorConfig, options: ConnectorOptions = {}): Connector {
  const log = options.log ?? silentLogger;
  const aws = options.aws ?? createAwsClients(config, { log });
  const cache = new SyncCache();
  const syncers = createResourceSyncers({ aws, config, cache, log });
  const provisioners = createProvisioners({ aws, config, log });
  const services = createConnectorServices({
    syncers,
    provisioners,
    provisioningEnabled: config.provisioning.enabled,
    pageTokens: new PageTokenCodec(loadPageTokenKey(config.stateDir, config.pageTokenSecret)),
    describe: (signal) => describeConnector(config, aws, signal),
    validate: (signal) => validateConnector(config, aws, signal),
    cleanup: async (syncId) => cache.drop(syncId),
    log,
  });
  return {
    config,
    aws,
    services,
    api: createDirectConnectorApi(services),
    async close() {
      aws.destroy();
    },
  };
}
