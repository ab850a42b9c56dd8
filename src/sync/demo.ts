import { createConnector, type Connector } from "../connector/build.js";
import type { ConnectorConfig } from "../config/config.js";
import type { Logger } from "../log.js";
import { startSimulator, type Simulator } from "../simulator/index.js";

export interface DemoConnector {
  connector: Connector;
  simulator: Simulator;
  close(): Promise<void>;
}

/**
 * The connector pointed at an in-process simulator organisation (`connector sync --demo`): no AWS
 * account, no network beyond loopback. The simulator is not AWS, so client-side pacing is relaxed.
 */
export async function startDemoConnector(base: ConnectorConfig, options: { profile?: string; seed?: number; log: Logger }): Promise<DemoConnector> {
  const simulator = await startSimulator({ profile: options.profile ?? "demo", seed: options.seed });
  const config: ConnectorConfig = {
    ...base,
    aws: {
      ...base.aws,
      region: simulator.region,
      ssoRegion: simulator.region,
      endpoint: simulator.endpoint,
      serviceEndpoints: {},
      staticCredentials: { ...simulator.credentials },
      profile: undefined,
      assumeRoleChain: [],
    },
    features: { ...base.features, organizations: true, identityCenter: true, crossAccountIam: true },
    rateLimits: { ...base.rateLimits, requestsPerSecond: { iam: 500, sts: 500, identitystore: 500, sso: 500, organizations: 500, cloudtrail: 500 } },
    provisioning: { ...base.provisioning, enabled: false },
    // A fixed secret: the simulator's organisation is public, and a resumed demo sync must be able
    // to replay its page tokens without a state directory.
    pageTokenSecret: base.pageTokenSecret ?? "connector-demo-page-tokens",
  };
  const connector = createConnector(config, { log: options.log });
  return {
    connector,
    simulator,
    async close() {
      await connector.close();
      await simulator.stop();
    },
  };
}
