import type { Command } from "commander";
import { findConfigFile, readConfigFile } from "../config/config-file.js";
import { refuseUnsupportedSettings } from "../config/load-config.js";
import { attributeName, batonSettings, envName } from "../config/options.js";

/**
 * Before any command runs (a preAction hook of the program): baton settings given in the
 * environment or the config file are honoured or refused (options.ts BATON_SETTINGS). One that
 * sets a subcommand's option (BATON_FILE / `file:` → `--file`) fills it in unless the flag was
 * given on the command line; precedence is the connector options': flag > BATON_* > config file.
 */
export function applyBatonSettings(command: Command, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): void {
  const path = commandPathBelowRoot(command);
  // The simulator is not the connector: it reads none of the connector's settings.
  if (path[0] === "sim") return;
  const configFlag = command.opts().config;
  const filePath = findConfigFile(typeof configFlag === "string" && configFlag !== "" ? configFlag : undefined, env, cwd);
  const file = filePath ? readConfigFile(filePath) : undefined;
  refuseUnsupportedSettings(env, file);

  const joined = path.join(" ");
  for (const setting of batonSettings()) {
    const sets = setting.sets;
    if (!sets || !sets.commands.some((c) => joined === c || joined.startsWith(`${c} `))) continue;
    const attribute = attributeName(sets.option);
    const source = command.getOptionValueSource(attribute);
    if (source !== undefined && source !== "default") continue; // given on the command line
    const fromEnv = env[envName(setting.key)];
    const fromFile = file?.values[setting.key];
    const [value, origin] =
      fromEnv !== undefined && fromEnv !== "" ? [fromEnv, "env" as const] : fromFile !== undefined && fromFile !== null ? [String(fromFile), "config" as const] : [undefined, undefined];
    if (value === undefined) continue;
    command.setOptionValueWithSource(attribute, sets.translate ? sets.translate(value) : value, origin);
  }
}

function commandPathBelowRoot(command: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names;
}
