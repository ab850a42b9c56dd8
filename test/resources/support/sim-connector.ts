/** A connector built by createConnector (as the CLI does), pointed at an in-process simulator. */
import { createConnector, type Connector } from "../../../src/connector/build.js";
import { defaultConfig, type ConnectorConfig, type DeepPartial } from "../../../src/config/config.js";
import type { Simulator } from "../../../src/simulator/index.js";

export function connectorFor(sim: Simulator, overrides: DeepPartial<ConnectorConfig> = {}): Connector {
  const config = defaultConfig({
    aws: {
      region: sim.region,
      ssoRegion: sim.region,
      endpoint: sim.endpoint,
      staticCredentials: { ...sim.credentials },
    },
    // Tests run far faster than AWS answers; the client-side quota would only slow them down.
    rateLimits: { requestsPerSecond: { iam: 1000, sts: 1000, identitystore: 1000, sso: 1000, organizations: 1000 } },
    pageTokenSecret: "resources-test-page-token-secret",
    stateDir: "/nonexistent-state-dir-unused",
    ...overrides,
  });
  return createConnector(config);
}
