/** Starts the real gRPC server (src/connector/server.ts) on a free loopback port. */
import { startConnectorServer, type ConnectorServerOptions, type RunningServer } from "../../../src/connector/server.js";
import type { ConnectorServices } from "../../../src/connector/connector.js";

export async function serve(services: ConnectorServices, options: Partial<ConnectorServerOptions> = {}): Promise<RunningServer & { target: string }> {
  const server = await startConnectorServer(services, { listen: "127.0.0.1:0", ...options });
  return Object.assign(server, { target: `127.0.0.1:${server.address.port}` });
}
