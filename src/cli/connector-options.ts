import { Option, type Command } from "commander";
import type { ConnectorConfig } from "../config/config.js";
import { loadSettings, type LoadedSettings } from "../config/load-config.js";
import { CONNECTOR_OPTIONS, envName, type OptionGroup, type OptionSpec } from "../config/options.js";
import { createLogger, type Logger } from "../log.js";
import { checkStateDir } from "./files.js";

/**
 * The connector's options, shared by every subcommand that builds a connector (serve, validate,
 * capabilities, sync, grant, revoke, …):
 *
 *   const command = addConnectorOptions(new Command("sync"))
 *     .action(async (opts) => {
 *       const { config, log } = loadConnectorSettings(opts);
 *       const connector = createConnector(config, { log: createCommandLogger(log) });
 *     });
 *
 * Flags carry no commander defaults: an absent flag must not hide the environment or the config
 * file (precedence: flags > BATON_* / AWS_* environment > config file > defaults).
 */
export interface ConnectorOptionsSelection {
  /** Also declare the gRPC server options (listen, TLS, token); only `serve` needs them. */
  server?: boolean;
}

const GROUP_HEADINGS: Record<OptionGroup, string> = {
  aws: "AWS credentials and endpoints:",
  features: "What to sync:",
  limits: "AWS request pacing:",
  provisioning: "Provisioning:",
  server: "gRPC server:",
  general: "General:",
};

export function addConnectorOptions(command: Command, selection: ConnectorOptionsSelection = {}): Command {
  command.addOption(
    new Option("--config <file>", `YAML or JSON config file [env: BATON_CONFIG_PATH] (default: ./.baton.yaml if present)`).helpGroup(
      GROUP_HEADINGS.general,
    ),
  );
  for (const spec of CONNECTOR_OPTIONS) {
    if (spec.group === "server" && !selection.server) continue;
    command.addOption(toOption(spec));
  }
  return command;
}

/** Config and log settings from a command's parsed options plus the environment. */
export function loadConnectorSettings(opts: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): LoadedSettings {
  const settings = loadSettings({ flags: opts, env });
  checkStateDir(settings.config.stateDir);
  return settings;
}

/** Just the ConnectorConfig (see loadConnectorSettings). */
export function loadConnectorConfig(opts: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ConnectorConfig {
  return loadConnectorSettings(opts, env).config;
}

/** The process logger for the chosen --log-level / --log-format (stderr). */
export function createCommandLogger(log: LoadedSettings["log"]): Logger {
  return createLogger({ level: log.level, format: log.format });
}

function toOption(spec: OptionSpec): Option {
  const env = [envName(spec.key), ...(spec.awsEnv ?? [])].join(", ");
  const defaults = spec.defaultText ? ` (default: ${spec.defaultText})` : "";
  const description = `${spec.description} [env: ${env}]${defaults}`;
  const short = spec.short ? `-${spec.short}, ` : "";
  // Booleans take an optional value so a default of true can be turned off: --global-aws-sso-enabled=false.
  // --provisioning stays a plain switch: an optional value would swallow a following positional argument.
  const flags =
    spec.kind === "boolean"
      ? spec.key === "provisioning"
        ? `${short}--${spec.key}`
        : `${short}--${spec.key} [bool]`
      : `${short}--${spec.key} <${spec.argName ?? "value"}>`;
  const option = new Option(flags, description).helpGroup(GROUP_HEADINGS[spec.group]);
  if (spec.choices) option.choices(spec.choices as string[]);
  return option;
}
