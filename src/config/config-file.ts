import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { UserError } from "../cli/fatal.js";
import { CONFIG_PATH_ENV, DEFAULT_CONFIG_FILE } from "./options.js";

export interface ConfigFile {
  path: string;
  /** Top-level keys as written (kebab-case, like the flags). */
  values: Record<string, unknown>;
}

/**
 * Which config file applies: `--config`, else BATON_CONFIG_PATH, else ./.baton.yaml when present.
 * A file named explicitly must exist; the implicit one is optional.
 */
export function findConfigFile(flagPath: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const explicit = flagPath ?? (env[CONFIG_PATH_ENV] || undefined);
  if (explicit !== undefined) return resolve(cwd, explicit);
  const implicit = resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(implicit) ? implicit : undefined;
}

/** YAML (JSON is YAML too; .json files get JSON's stricter parser and its error messages). */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read config file ${path}: ${code === "ENOENT" ? "no such file" : code ?? String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    throw new UserError(`config file ${path} is not valid ${path.endsWith(".json") ? "JSON" : "YAML"}: ${reason}`);
  }
  if (parsed === null || parsed === undefined) return { path, values: {} };
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UserError(`config file ${path} must be a mapping of option names to values`);
  }
  return { path, values: parsed as Record<string, unknown> };
}
