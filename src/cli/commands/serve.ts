import { Command } from "commander";
import { createConnector } from "../../connector/build.js";
import { loadAuthToken } from "../../connector/auth.js";
import { startConnectorServer } from "../../connector/server.js";
import { loadTlsMaterial } from "../../connector/tls.js";
import { addConnectorOptions, createCommandLogger, loadConnectorSettings } from "../connector-options.js";
import { interruptSignal } from "../runner.js";

/** `connector serve`: the baton connector API over gRPC until SIGINT/SIGTERM (then exit 0: a requested stop). */
export function serveCommand(): Command {
  const command = new Command("serve").description(
    "Serve the baton connector API (c1.connector.v2) over gRPC on HTTP/2, loopback only unless --listen says otherwise",
  );
  return addConnectorOptions(command, { server: true }).action(async (opts: Record<string, unknown>) => {
    const settings = loadConnectorSettings(opts);
    const { config } = settings;
    const log = createCommandLogger(settings.log);
    const tls = loadTlsMaterial(config.server);
    const token = config.server.authTokenFile ? loadAuthToken(config.server.authTokenFile) : undefined;
    if (token?.readableByOthers) log.warn({ file: config.server.authTokenFile }, "auth-token-file is readable by other users (chmod 600 it)");

    const connector = createConnector(config, { log, runExpiryScheduler: true });
    const server = await startConnectorServer(connector.services, { listen: config.server.listen, tls, authToken: token?.token, log }).catch(
      async (error: unknown) => {
        await connector.close();
        throw error;
      },
    );
    log.info(
      {
        address: server.url,
        tls: tls ? (tls.clientCa ? "mutual" : "server") : "off",
        auth: token ? "bearer token" : "none",
        provisioning: config.provisioning.enabled,
        configFile: settings.configFile,
      },
      "connector listening",
    );

    // Ctrl-C / SIGTERM drains the server; a second one ends the process at once (the CLI runner).
    const interrupted = interruptSignal();
    await new Promise((resolve) => interrupted.addEventListener("abort", resolve, { once: true }));
    log.info({ reason: (interrupted.reason as Error).message }, "shutting down");
    await server.close();
    await connector.close();
    log.info("stopped");
  });
}
