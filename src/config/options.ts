import { ACCOUNT_RESOURCE_TYPES } from "./config.js";
/**
 * Every connector setting, declared once. The same table drives the command-line flags
 * (addConnectorOptions), the BATON_* environment variables, the config-file keys, validation and
 * docs/configuration.md (a test checks the docs list every option).
 *
 * Names follow baton: the flag `--global-aws-sso-region` is the environment variable
 * `BATON_GLOBAL_AWS_SSO_REGION` and the config-file key `global-aws-sso-region`.
 */
export type OptionKind = "string" | "boolean" | "integer" | "number";
export type OptionGroup = "aws" | "features" | "limits" | "provisioning" | "server" | "general";

export interface OptionSpec {
  /** Flag name without dashes, config-file key, and (upper-snake, BATON_ prefix) environment name. */
  key: string;
  kind: OptionKind;
  group: OptionGroup;
  description: string;
  /** Shown in --help and the docs; the real defaults live in defaultConfig() / load-config.ts. */
  defaultText?: string;
  short?: string;
  choices?: readonly string[];
  /** AWS conventions read after the BATON_* variable (AWS_REGION, AWS_PROFILE, …). */
  awsEnv?: readonly string[];
  /** Value never echoed in messages. */
  secret?: boolean;
  /** Placeholder in --help, e.g. "host:port". */
  argName?: string;
}

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export const LOG_FORMATS = ["json", "pretty", "console"] as const;
export const RETRY_MODES = ["standard", "adaptive", "legacy"] as const;

export const CONNECTOR_OPTIONS: readonly OptionSpec[] = [
  // --- AWS identity and session (baton-aws names) ---
  { key: "global-region", kind: "string", group: "aws", argName: "region", awsEnv: ["AWS_REGION", "AWS_DEFAULT_REGION"], defaultText: "us-east-1", description: "Region of the global clients (IAM, STS, Organizations)" },
  { key: "global-aws-sso-region", kind: "string", group: "aws", argName: "region", defaultText: "us-east-1", description: "Region of the IAM Identity Center instance (Identity Store and SSO Admin clients)" },
  { key: "global-access-key-id", kind: "string", group: "aws", argName: "id", secret: true, description: "Static access key id of the base credentials (default: the AWS default credential chain)" },
  { key: "global-secret-access-key", kind: "string", group: "aws", argName: "secret", secret: true, description: "Static secret access key of the base credentials" },
  { key: "aws-profile", kind: "string", group: "aws", argName: "name", awsEnv: ["AWS_PROFILE"], description: "Named profile for the default credential chain" },
  { key: "use-assume", kind: "boolean", group: "aws", defaultText: "false", description: "Assume role-arn (single hop) or global-role-arn then role-arn (two hops)" },
  { key: "global-role-arn", kind: "string", group: "aws", argName: "arn", description: "First hop of two-hop mode: the intermediate (binding) role" },
  { key: "global-binding-external-id", kind: "string", group: "aws", argName: "id", secret: true, description: "External ID sent when assuming global-role-arn" },
  { key: "role-arn", kind: "string", group: "aws", argName: "arn", description: "The role the connector works as (requires use-assume)" },
  { key: "external-id", kind: "string", group: "aws", argName: "id", secret: true, description: "External ID sent when assuming role-arn" },
  { key: "aws-endpoint", kind: "string", group: "aws", argName: "url", awsEnv: ["AWS_ENDPOINT_URL"], description: "Endpoint URL for every AWS client, STS role hops included (AWS_ENDPOINT_URL_<SERVICE> wins per service)" },
  { key: "aws-max-attempts", kind: "integer", group: "aws", argName: "n", awsEnv: ["AWS_MAX_ATTEMPTS"], defaultText: "8", description: "Attempts per AWS call, the first included" },
  { key: "aws-retry-mode", kind: "string", group: "aws", argName: "mode", choices: RETRY_MODES, awsEnv: ["AWS_RETRY_MODE"], defaultText: "standard", description: "AWS retry mode: standard or adaptive (legacy is read as standard)" },

  // --- What to sync ---
  { key: "global-aws-orgs-enabled", kind: "boolean", group: "features", defaultText: "true", description: "Read accounts from AWS Organizations" },
  { key: "global-aws-sso-enabled", kind: "boolean", group: "features", defaultText: "true", description: "Read IAM Identity Center (without Organizations: the accounts some permission set is provisioned to)" },
  { key: "global-aws-cross-account-iam-enabled", kind: "boolean", group: "features", defaultText: "false", description: "Also sync the IAM of every member account (found through Organizations, or Identity Center)" },
  { key: "iam-assume-role-name", kind: "string", group: "features", argName: "name", defaultText: "OrganizationAccountAccessRole", description: "Role assumed in each member account" },
  { key: "member-external-id", kind: "string", group: "features", argName: "id", secret: true, description: "External ID sent when assuming the member-account role" },
  { key: "identity-center-instance-arn", kind: "string", group: "features", argName: "arn", description: "Identity Center instance to use when the organisation has several" },
  { key: "sync-unattached-policies", kind: "boolean", group: "features", defaultText: "false", description: "Sync every managed policy, also the AWS-managed ones attached to nothing (default: every customer-managed policy and the AWS-managed ones attached to a user, group, role or permission set)" },
  { key: "sync-only-attached-policies", kind: "boolean", group: "features", description: "baton-aws's spelling: true syncs only policies attached to something (customer-managed too); false syncs every policy, as sync-unattached-policies" },
  { key: "sync-secrets", kind: "boolean", group: "features", defaultText: "false", description: "Sync IAM users' access keys (access-key resources with their status and last use; never the secret), and use their last use in IAM users' last login" },
  { key: "sync-org-tree", kind: "boolean", group: "features", defaultText: "false", description: "Sync the Organizations root and OU tree (organization, organizational_unit) and place each account under its OU (requires global-aws-orgs-enabled)" },
  { key: "cloudtrail-delay", kind: "integer", group: "features", argName: "seconds", defaultText: "300", description: "How late CloudTrail may show an event: the event feed reports events once they are this old, an incremental sync reads three times this far back again" },

  // --- Client-side pacing of AWS calls ---
  { key: "aws-rate", kind: "string", group: "limits", argName: "service=rate,…", defaultText: "all=auto", description: "Pacing per AWS service (iam, sts, identitystore, sso, organizations, cloudtrail, all): a cap in requests/s never exceeded, auto (learn the rate AWS allows, within published quotas), unlimited (learn, no ceiling) or off; e.g. sso=10,identitystore=5" },
  { key: "rate-limit-iam", kind: "number", group: "limits", argName: "rps", description: "IAM requests per second, at most (same as --aws-rate iam=N)" },
  { key: "rate-limit-sts", kind: "number", group: "limits", argName: "rps", description: "STS requests per second, at most (same as --aws-rate sts=N)" },
  { key: "rate-limit-identitystore", kind: "number", group: "limits", argName: "rps", description: "Identity Store requests per second, at most (same as --aws-rate identitystore=N)" },
  { key: "rate-limit-sso", kind: "number", group: "limits", argName: "rps", description: "SSO Admin requests per second, at most (same as --aws-rate sso=N)" },
  { key: "rate-limit-organizations", kind: "number", group: "limits", argName: "rps", description: "Organizations requests per second, at most (same as --aws-rate organizations=N)" },
  { key: "rate-limit-concurrency", kind: "integer", group: "limits", argName: "n", defaultText: "8", description: "AWS requests in flight per service, at least (more when a learned rate needs more)" },

  // --- Provisioning ---
  { key: "provisioning", short: "p", kind: "boolean", group: "provisioning", defaultText: "false", description: "Enable Grant/Revoke (read-only otherwise)" },
  { key: "assignment-timeout", kind: "integer", group: "provisioning", argName: "seconds", defaultText: "300", description: "How long to wait for AWS to confirm an account assignment" },
  { key: "max-outstanding-assignments", kind: "integer", group: "provisioning", argName: "n", defaultText: "10", description: "Account-assignment operations in flight per Identity Center instance, at most (fewer when AWS refuses some)" },
  { key: "create-account-resource-type", kind: "string", group: "provisioning", argName: "type", choices: ACCOUNT_RESOURCE_TYPES, defaultText: "iam_user", description: "What CreateAccount / `connector create-account` creates: iam_user or sso_user (Identity Center)" },

  // --- gRPC server ---
  { key: "listen", kind: "string", group: "server", argName: "host:port", defaultText: "127.0.0.1:50051", description: "Address the gRPC server listens on" },
  { key: "tls-cert", kind: "string", group: "server", argName: "file", description: "PEM certificate (chain) of the server; enables TLS" },
  { key: "tls-key", kind: "string", group: "server", argName: "file", description: "PEM private key of the server certificate" },
  { key: "tls-client-ca", kind: "string", group: "server", argName: "file", description: "PEM CA bundle; clients must present a certificate it signed (mutual TLS)" },
  { key: "auth-token-file", kind: "string", group: "server", argName: "file", description: "File holding the bearer token clients must send (authorization: Bearer <token>)" },

  // --- General ---
  { key: "state-dir", kind: "string", group: "general", argName: "dir", defaultText: ".connector-state", description: "Directory for durable local state (page-token key, JIT ledger, audit log)" },
  { key: "page-token-secret", kind: "string", group: "general", argName: "secret", secret: true, description: "Secret for page-token integrity (default: a random key kept in state-dir)" },
  { key: "log-level", kind: "string", group: "general", argName: "level", choices: LOG_LEVELS, defaultText: "info", description: "Log level" },
  { key: "log-format", kind: "string", group: "general", argName: "format", choices: LOG_FORMATS, description: "json, or pretty/console (default: pretty on a terminal, json otherwise)" },
];

/** The config-file option itself: read before every other source. */
export const CONFIG_PATH_ENV = "BATON_CONFIG_PATH";
export const DEFAULT_CONFIG_FILE = ".baton.yaml";

/** Per-service endpoint overrides, as the AWS SDKs name them (sdkId in upper snake case). */
export const SERVICE_ENDPOINT_ENV = {
  iam: "AWS_ENDPOINT_URL_IAM",
  sts: "AWS_ENDPOINT_URL_STS",
  identitystore: "AWS_ENDPOINT_URL_IDENTITYSTORE",
  sso: "AWS_ENDPOINT_URL_SSO_ADMIN",
  organizations: "AWS_ENDPOINT_URL_ORGANIZATIONS",
  cloudtrail: "AWS_ENDPOINT_URL_CLOUDTRAIL",
} as const;

export function envName(key: string): string {
  return `BATON_${key.toUpperCase().replace(/-/g, "_")}`;
}

/** commander's attribute name for a flag: `--global-aws-sso-region` → `globalAwsSsoRegion`. */
export function attributeName(key: string): string {
  return key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Settings that baton (baton-sdk's default fields) or baton-aws define, as they may appear in a
 * shared .baton.yaml or as BATON_* environment variables. Each one is either honoured or refused
 * by name — never silently ignored:
 *  - `sets`: honoured through a subcommand's own option of the same meaning (e.g. BATON_FILE or
 *    `file:` sets `--file` of sync, inspect, grant and revoke, unless the flag is given);
 *  - `unsupported`: refused wherever it appears, with the reason and what to use instead.
 *
 * Adding a real option: declare it in CONNECTOR_OPTIONS above; an entry here with the same key is
 * then ignored (the option wins), so remove it. Settings of CONNECTOR_OPTIONS (provisioning,
 * log-level, log-format, …) are baton's too and need no entry.
 */
export interface BatonSetting {
  key: string;
  sets?: {
    /** Command paths below `connector` ("sync", "inspect" covers every inspect view). */
    commands: readonly string[];
    /** The commands' option, without dashes. */
    option: string;
    /** baton's value → ours (e.g. baton's workers 0/−1). */
    translate?: (value: string) => string;
  };
  unsupported?: string;
}

const NO_SERVICE_MODE = "ConductorOne's service (daemon) mode is not part of this connector: run `connector serve` and point the platform at it";

export const BATON_SETTINGS: readonly BatonSetting[] = [
  { key: "file", sets: { commands: ["sync", "inspect", "grant", "revoke", "delete-resource"], option: "file" } },
  // baton: 0 = one at a time, −1 = automatic; ours: the number of concurrent listings.
  { key: "workers", sets: { commands: ["sync"], option: "workers", translate: (v) => (v.trim() === "0" ? "1" : v.trim() === "-1" ? "16" : v) } },
  { key: "client-id", unsupported: NO_SERVICE_MODE },
  { key: "client-secret", unsupported: NO_SERVICE_MODE },
  { key: "auth-method", unsupported: NO_SERVICE_MODE },
  { key: "ticketing", unsupported: "this connector has no ticketing" },
  { key: "log-path", unsupported: "the log goes to stderr; redirect it to a file" },
  { key: "log-level-debug-expires-at", unsupported: "set log-level instead" },
  { key: "skip-full-sync", unsupported: "`connector sync` always runs a full sync" },
  { key: "sync-resources", sets: { commands: ["sync"], option: "sync-resources" } },
  { key: "sync-resource-types", unsupported: "syncing only some resource types is not supported; use the global-aws-*-enabled switches" },
  { key: "skip-entitlements-and-grants", unsupported: "a sync always lists entitlements and grants" },
  { key: "skip-grants", unsupported: "a sync always lists grants" },
  { key: "parallel-sync", unsupported: "`connector sync` always works in parallel; set its concurrency with --workers" },
  { key: "task-concurrency", unsupported: "set `connector sync --workers` instead" },
  { key: "storage-engine", unsupported: "this connector reads and writes c1z v1 (SQLite) files only" },
  { key: "keep-previous-sync-c1z", unsupported: "`connector sync --keep-syncs` keeps earlier syncs inside the file" },
  { key: "external-resource-c1z", unsupported: "external resources are not supported" },
  { key: "external-resource-entitlement-id-filter", unsupported: "external resources are not supported" },
  { key: "external-resource-traits", unsupported: "external resources are not supported" },
  { key: "http-timeout-seconds", unsupported: "AWS calls are bounded by aws-max-attempts and the connect timeout" },
  { key: "health-check", unsupported: "`connector serve` answers the gRPC health service (grpc.health.v1) on its own port" },
  { key: "health-check-port", unsupported: "`connector serve` answers the gRPC health service (grpc.health.v1) on its own port" },
  { key: "health-check-bind-address", unsupported: "`connector serve` answers the gRPC health service (grpc.health.v1) on its own port" },
  { key: "otel-collector-endpoint", unsupported: "OpenTelemetry export is not supported" },
  { key: "c1z-temp-dir", unsupported: "the working database is kept beside --file (<file>.working.db)" },
  { key: "session-store-maximum-size", unsupported: "there is no session store to size" },
  { key: "grant-entitlement", unsupported: "use `connector grant --entitlement … --principal …`" },
  { key: "grant-principal", unsupported: "use `connector grant --entitlement … --principal …`" },
  { key: "grant-principal-type", unsupported: "use `connector grant --entitlement … --principal …`" },
  { key: "revoke-grant", unsupported: "use `connector revoke --grant …`" },
  // baton-aws's own settings this connector does not implement.
  { key: "sync-sso-user-last-login", unsupported: "Identity Center last sign-in (CloudTrail) is not synced" },
];

/** The baton settings table without keys that have since become real options (CONNECTOR_OPTIONS wins). */
export function batonSettings(): BatonSetting[] {
  const options = new Set(CONNECTOR_OPTIONS.map((o) => o.key));
  return BATON_SETTINGS.filter((s) => !options.has(s.key));
}
