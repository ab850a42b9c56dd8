import { resolve } from "node:path";
import type { LevelWithSilent } from "pino";
import { UserError } from "../cli/fatal.js";
import type { LogOptions } from "../log.js";
import { registerSecret } from "../secret-values.js";
import { AWS_SERVICES, defaultConfig, type AccountResourceType, type AssumeRoleHop, type AwsServiceId, type ConnectorConfig, type ManagedPolicyScope } from "./config.js";
import { combineRateSettings } from "./aws-rates.js";
import { findConfigFile, readConfigFile, type ConfigFile } from "./config-file.js";
import { attributeName, batonSettings, CONNECTOR_OPTIONS, envName, SERVICE_ENDPOINT_ENV, type OptionSpec } from "./options.js";
import { settingsSchema, type Settings } from "./settings-schema.js";

export interface SettingsSources {
  /** Parsed command-line options (commander's `opts()`, camelCase names; undefined = not given). */
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** Directory relative paths and ./.baton.yaml are resolved against (default: process.cwd()). */
  cwd?: string;
}

export interface LoadedSettings {
  config: ConnectorConfig;
  log: Pick<LogOptions, "level" | "format">;
  /** The config file that was read, if any. */
  configFile?: string;
}

/**
 * Merges flags > environment (BATON_* first, then the AWS_* convention) > config file > defaults,
 * validates the result with zod, and builds the one typed ConnectorConfig. Anything invalid is a
 * UserError naming the offending key and where the value came from, never the value itself.
 */
export function loadSettings(sources: SettingsSources): LoadedSettings {
  const cwd = sources.cwd ?? process.cwd();
  const env = sources.env;
  const filePath = findConfigFile(stringFlag(sources.flags.config), env, cwd);
  const file = filePath ? readConfigFile(filePath) : undefined;
  if (file) checkFileKeys(file);
  refuseUnsupportedSettings(env, file);

  const raw: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  for (const spec of CONNECTOR_OPTIONS) {
    const found = lookup(spec, sources.flags, env, file);
    if (found) {
      raw[spec.key] = found.value;
      origin.set(spec.key, found.origin);
    }
  }

  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? "configuration");
    throw new UserError(`invalid ${key} (${origin.get(key) ?? "configuration"}): ${issue.message}`);
  }
  const settings = parsed.data;
  registerSecret(
    ...CONNECTOR_OPTIONS.filter((o) => o.secret).map((o) => settings[o.key as keyof Settings] as string | undefined),
    env.AWS_SECRET_ACCESS_KEY,
    env.AWS_SESSION_TOKEN,
  );
  checkCombinations(settings, origin);

  return {
    config: buildConfig(settings, serviceEndpoints(env), cwd),
    log: {
      level: settings["log-level"] as LevelWithSilent | undefined,
      format: settings["log-format"] === undefined ? undefined : settings["log-format"] === "json" ? "json" : "pretty",
    },
    configFile: file?.path,
  };
}

/** Just the ConnectorConfig (see loadSettings). */
export function loadConfig(sources: SettingsSources): ConnectorConfig {
  return loadSettings(sources).config;
}

function lookup(
  spec: OptionSpec,
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  file: ConfigFile | undefined,
): { value: unknown; origin: string } | undefined {
  const flag = flags[attributeName(spec.key)];
  if (flag !== undefined) return { value: flag, origin: `flag --${spec.key}` };
  // An empty environment variable counts as unset, as in baton (viper).
  for (const name of [envName(spec.key), ...(spec.awsEnv ?? [])]) {
    const value = env[name];
    if (value !== undefined && value !== "") return { value, origin: `environment variable ${name}` };
  }
  const value = file?.values[spec.key];
  if (value !== undefined && value !== null) return { value, origin: `key "${spec.key}" in ${file!.path}` };
  return undefined;
}

/** A typo in the config file must not be silently ignored; baton's own keys are dealt with by refuseUnsupportedSettings. */
function checkFileKeys(file: ConfigFile): void {
  const known = new Set([...CONNECTOR_OPTIONS.map((o) => o.key), ...batonSettings().map((s) => s.key), "config"]);
  for (const key of Object.keys(file.values)) {
    if (!known.has(key)) {
      const hint = key.includes("_") || /[A-Z]/.test(key) ? ` (keys are written like the flags, e.g. "global-region")` : "";
      throw new UserError(`unknown key "${key}" in config file ${file.path}${hint}`);
    }
  }
}

/**
 * A baton setting this connector does not support (options.ts BATON_SETTINGS), set in the
 * environment or the config file, stops the command with its name and the reason — it is never
 * silently ignored.
 */
export function refuseUnsupportedSettings(env: NodeJS.ProcessEnv, file: ConfigFile | undefined): void {
  for (const setting of batonSettings()) {
    if (!setting.unsupported) continue;
    const name = envName(setting.key);
    if (env[name] !== undefined && env[name] !== "") throw new UserError(`${name} is not supported by this connector: ${setting.unsupported} (unset it)`);
    if (file && file.values[setting.key] !== undefined && file.values[setting.key] !== null) {
      throw new UserError(`key "${setting.key}" in config file ${file.path} is not supported by this connector: ${setting.unsupported} (remove it)`);
    }
  }
}

function checkCombinations(s: Settings, origin: Map<string, string>): void {
  const fail = (key: string, message: string): never => {
    throw new UserError(`invalid ${key} (${origin.get(key) ?? "configuration"}): ${message}`);
  };
  if (s["use-assume"] && !s["role-arn"]) fail("use-assume", "requires role-arn (BATON_ROLE_ARN)");
  // Running as the base identity while a role was named would silently use broader credentials.
  if (s["role-arn"] && !s["use-assume"]) fail("role-arn", "is only used with use-assume=true (BATON_USE_ASSUME); set it or remove role-arn");
  if (s["global-role-arn"] && !s["use-assume"]) fail("global-role-arn", "is only used with use-assume=true and role-arn");
  if (s["global-binding-external-id"] && !s["global-role-arn"]) fail("global-binding-external-id", "requires global-role-arn");
  if (s["external-id"] && !s["role-arn"]) fail("external-id", "requires role-arn");
  if (s["global-access-key-id"] && !s["global-secret-access-key"]) fail("global-access-key-id", "requires global-secret-access-key");
  if (s["global-secret-access-key"] && !s["global-access-key-id"]) fail("global-secret-access-key", "requires global-access-key-id");
  // Identity Center works without Organizations (docs/resources.md "Feature switches"): the
  // accounts are then those a permission set is provisioned to. Member-account IAM needs one of them.
  const orgs = s["global-aws-orgs-enabled"] ?? true;
  const identityCenter = s["global-aws-sso-enabled"] ?? true;
  if (s["global-aws-cross-account-iam-enabled"] && !orgs && !identityCenter) {
    fail("global-aws-cross-account-iam-enabled", "needs global-aws-orgs-enabled or global-aws-sso-enabled to find the member accounts");
  }
  if (s["sync-org-tree"] && !orgs) fail("sync-org-tree", "requires global-aws-orgs-enabled");
  const unattached = s["sync-unattached-policies"];
  const onlyAttached = s["sync-only-attached-policies"];
  if (unattached !== undefined && onlyAttached !== undefined && unattached === onlyAttached) {
    fail("sync-only-attached-policies", `contradicts sync-unattached-policies=${unattached}; set one of them`);
  }
  if (s["create-account-resource-type"] === "sso_user" && !identityCenter) fail("create-account-resource-type", "sso_user requires global-aws-sso-enabled");
  if (s["tls-key"] && !s["tls-cert"]) fail("tls-key", "requires tls-cert");
  if (s["tls-cert"] && !s["tls-key"]) fail("tls-cert", "requires tls-key");
  if (s["tls-client-ca"] && !s["tls-cert"]) fail("tls-client-ca", "mutual TLS requires TLS: set tls-cert and tls-key");
}

/** AWS_ENDPOINT_URL_<SERVICE>, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS says to ignore them. */
function serviceEndpoints(env: NodeJS.ProcessEnv): Partial<Record<AwsServiceId, string>> {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === "true") return {};
  const out: Partial<Record<AwsServiceId, string>> = {};
  for (const service of AWS_SERVICES) {
    const name = SERVICE_ENDPOINT_ENV[service];
    const value = env[name]?.trim();
    if (!value) continue;
    const parsed = settingsSchema.shape["aws-endpoint"].safeParse(value);
    if (!parsed.success) throw new UserError(`invalid environment variable ${name}: expected an http(s) URL`);
    out[service] = parsed.data;
  }
  return out;
}

function buildConfig(s: Settings, endpoints: Partial<Record<AwsServiceId, string>>, cwd: string): ConnectorConfig {
  const chain: AssumeRoleHop[] = [];
  if (s["use-assume"] && s["role-arn"]) {
    if (s["global-role-arn"]) chain.push({ roleArn: s["global-role-arn"], externalId: s["global-binding-external-id"] });
    chain.push({ roleArn: s["role-arn"], externalId: s["external-id"] });
  }
  const rates = combineRateSettings(s["aws-rate"], {
    iam: s["rate-limit-iam"],
    sts: s["rate-limit-sts"],
    identitystore: s["rate-limit-identitystore"],
    sso: s["rate-limit-sso"],
    organizations: s["rate-limit-organizations"],
  });
  if ("conflict" in rates) {
    throw new UserError(`invalid aws-rate: ${rates.conflict}=${rates.setting} contradicts rate-limit-${rates.conflict}; keep one of them`);
  }
  return defaultConfig({
    aws: {
      region: s["global-region"],
      ssoRegion: s["global-aws-sso-region"],
      staticCredentials:
        s["global-access-key-id"] && s["global-secret-access-key"]
          ? { accessKeyId: s["global-access-key-id"], secretAccessKey: s["global-secret-access-key"] }
          : undefined,
      profile: s["aws-profile"],
      assumeRoleChain: chain,
      endpoint: s["aws-endpoint"],
      serviceEndpoints: endpoints,
      maxAttempts: s["aws-max-attempts"],
      retryMode: s["aws-retry-mode"] === "adaptive" ? "adaptive" : s["aws-retry-mode"] === undefined ? undefined : "standard",
    },
    features: {
      organizations: s["global-aws-orgs-enabled"],
      identityCenter: s["global-aws-sso-enabled"],
      crossAccountIam: s["global-aws-cross-account-iam-enabled"],
      memberRoleName: s["iam-assume-role-name"],
      memberExternalId: s["member-external-id"],
      identityCenterInstanceArn: s["identity-center-instance-arn"],
      managedPolicies: managedPolicyScope(s),
      syncSecrets: s["sync-secrets"],
      organizationTree: s["sync-org-tree"],
    },
    rateLimits: {
      requestsPerSecond: rates,
      maxConcurrency: s["rate-limit-concurrency"],
    },
    provisioning: {
      enabled: s.provisioning,
      assignmentDeadlineMs: s["assignment-timeout"] === undefined ? undefined : s["assignment-timeout"] * 1000,
      maxOutstandingAssignments: s["max-outstanding-assignments"],
      createAccountResourceType: s["create-account-resource-type"] as AccountResourceType | undefined,
    },
    server: {
      listen: s.listen,
      tlsCertFile: resolvePath(cwd, s["tls-cert"]),
      tlsKeyFile: resolvePath(cwd, s["tls-key"]),
      tlsClientCaFile: resolvePath(cwd, s["tls-client-ca"]),
      authTokenFile: resolvePath(cwd, s["auth-token-file"]),
    },
    changes: { deliveryDelayMs: s["cloudtrail-delay"] === undefined ? undefined : s["cloudtrail-delay"] * 1000 },
    stateDir: resolvePath(cwd, s["state-dir"]),
    pageTokenSecret: s["page-token-secret"],
  });
}

/** sync-unattached-policies, or baton-aws's sync-only-attached-policies (checked not to contradict it). */
function managedPolicyScope(s: Settings): ManagedPolicyScope | undefined {
  if (s["sync-unattached-policies"] === true || s["sync-only-attached-policies"] === false) return "all";
  if (s["sync-only-attached-policies"] === true) return "attached";
  return undefined;
}

function resolvePath(cwd: string, path: string | undefined): string | undefined {
  return path === undefined ? undefined : resolve(cwd, path);
}

function stringFlag(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
