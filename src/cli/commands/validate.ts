import { Command } from "commander";
import { ConnectError } from "@connectrpc/connect";
import { createConnector } from "../../connector/build.js";
import { addConnectorOptions, createCommandLogger, loadConnectorSettings } from "../connector-options.js";
import { EXIT, UserError } from "../fatal.js";
import { outputOption, printRecord, writeOut, type OutputFormat } from "../output.js";

/** `connector validate`: the same checks a baton host runs first (ConnectorService.Validate). */
export function validateCommand(): Command {
  const command = new Command("validate")
    .description("Check the AWS credentials and that every enabled feature is reachable (exit code 1 on failure)")
    .addOption(outputOption());
  return addConnectorOptions(command).action(async (opts: { output: OutputFormat } & Record<string, unknown>) => {
    const settings = loadConnectorSettings(opts);
    const connector = createConnector(settings.config, { log: createCommandLogger(settings.log) });
    try {
      const { sdkVersion } = await connector.api.connector.validate({});
      const { metadata } = await connector.api.connector.getMetadata({});
      const name = metadata?.displayName ?? "AWS";
      if (opts.output === "json") await printRecord({ ok: true, displayName: name, sdkVersion }, "json");
      else await writeOut(`ok: ${name} is reachable with every enabled feature (baton sdk_version ${sdkVersion})\n`);
    } catch (error) {
      throw new UserError(`validation failed: ${ConnectError.from(error).rawMessage}`, EXIT.failed);
    } finally {
      await connector.close();
    }
  });
}
