import { MAX_OUTSTANDING_ASSIGNMENT_OPERATIONS } from "../aws/quotas.js";

/**
 * The connector's whole configuration, after flags, BATON_* environment variables and the optional
 * config file have been merged and validated (see load-config.ts). Everything else receives this
 * typed object; nothing below the CLI reads process.env for connector settings.
 */
export type AwsServiceId = "iam" | "sts" | "identitystore" | "sso" | "organizations" | "cloudtrail";

export const AWS_SERVICES: readonly AwsServiceId[] = ["iam", "sts", "identitystore", "sso", "organizations", "cloudtrail"];

export interface AssumeRoleHop {
  roleArn: string;
  /** Sent as sts:ExternalId on this hop. Every hop may carry its own. */
  externalId?: string;
  sessionName?: string;
}

export interface AwsConfig {
  /** Region for the global clients (IAM, STS, Organizations). */
  region: string;
  /** Region of the IAM Identity Center instance (Identity Store and SSO Admin clients). */
  ssoRegion: string;
  /** Static base credentials; when absent the default chain (env, profile, SSO, web identity, instance role) is used. */
  staticCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Named profile for the default chain. */
  profile?: string;
  /**
   * Roles assumed in order from the base credentials: none, one (the customer role), or two (an
   * intermediate binding role, then the customer role), each with its own external ID.
   */
  assumeRoleChain: AssumeRoleHop[];
  /** Endpoint override for every AWS client (AWS_ENDPOINT_URL, --aws-endpoint). */
  endpoint?: string;
  /** Per-service endpoint overrides (AWS_ENDPOINT_URL_<SERVICE>); they win over `endpoint`. */
  serviceEndpoints: Partial<Record<AwsServiceId, string>>;
  /** AWS SDK attempts per call, including the first (AWS_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** AWS SDK retry mode (AWS_RETRY_MODE). */
  retryMode: "standard" | "adaptive";
}

export interface FeatureConfig {
  /** Read accounts from AWS Organizations. */
  organizations: boolean;
  /** Read IAM Identity Center (Identity Store users/groups, permission sets, account assignments). */
  identityCenter: boolean;
  /** Sync the IAM of each member account through a role assumed in it. */
  crossAccountIam: boolean;
  /** Role assumed in each member account for cross-account IAM sync and provisioning. */
  memberRoleName: string;
  /** External ID sent when assuming the member-account role (baton-aws sends none). */
  memberExternalId?: string;
  /** Identity Center instance to use when the organisation has several (default: the only/first one). */
  identityCenterInstanceArn?: string;
  /** Which managed policies become `iam_policy` resources. */
  managedPolicies: ManagedPolicyScope;
  /** Sync IAM users' access keys (`access-key`; never the secret). */
  syncSecrets: boolean;
  /** Sync the Organizations root and OU tree and parent each account under its OU. */
  organizationTree: boolean;
}

/**
 * - `customer-and-attached` (default): every customer-managed policy, and the AWS-managed ones
 *   attached to an IAM user, group or role of a synced account or to a permission set;
 * - `attached`: only policies attached to something (baton-aws's sync-only-attached-policies);
 * - `all`: also every AWS-managed policy attached to nothing.
 */
export type ManagedPolicyScope = "customer-and-attached" | "attached" | "all";

/**
 * How one AWS service is paced (`--aws-rate`, see aws-rates.ts): a number is a cap in requests per
 * second that is never exceeded; "auto" learns the rate AWS allows, never above a quota AWS
 * publishes; "unlimited" learns it without a ceiling; "off" does not pace.
 */
export type AwsRateSetting = number | "auto" | "unlimited" | "off";

export interface RateLimitConfig {
  /** Client-side pacing per AWS service (`--aws-rate`, `--rate-limit-<service>`); "auto" by default. */
  requestsPerSecond: Record<AwsServiceId, AwsRateSetting>;
  /** AWS requests in flight per service, at least (more when a learned rate needs more at AWS's latency). */
  maxConcurrency: number;
}

export interface ProvisioningConfig {
  /** Grant/Revoke are refused unless this is on (`--provisioning`). */
  enabled: boolean;
  /** How long to wait for AWS to confirm an account assignment before answering DeadlineExceeded. */
  assignmentDeadlineMs: number;
  /**
   * Outstanding account-assignment operations per instance, at most: AWS's published 10 by
   * default. Fewer are used when AWS refuses some (other tools use the same instance).
   */
  maxOutstandingAssignments: number;
  /** What CreateAccount creates: IAM users (baton-aws's default) or Identity Center users. */
  createAccountResourceType: AccountResourceType;
}

export const ACCOUNT_RESOURCE_TYPES = ["iam_user", "sso_user"] as const;
export type AccountResourceType = (typeof ACCOUNT_RESOURCE_TYPES)[number];

export interface ServerConfig {
  /** host:port; loopback unless told otherwise. */
  listen: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** CA bundle that client certificates must chain to (mutual TLS). */
  tlsClientCaFile?: string;
  /** File holding the bearer token clients must send; no token required when absent. */
  authTokenFile?: string;
}

/** Reading what changed from CloudTrail (incremental syncs, the event feed). */
export interface ChangesConfig {
  /** How late CloudTrail may show an event (AWS: "typically within about five minutes"). */
  deliveryDelayMs: number;
}

export interface ConnectorConfig {
  aws: AwsConfig;
  features: FeatureConfig;
  rateLimits: RateLimitConfig;
  provisioning: ProvisioningConfig;
  server: ServerConfig;
  changes: ChangesConfig;
  /** Directory for durable local state: page-token key, JIT ledger, audit log. */
  stateDir: string;
  /** Secret for page-token integrity; read from the state directory when absent. */
  pageTokenSecret?: string;
}

/** Client-side pacing by default: learned, from src/aws/quotas.ts's rates, within published quotas. */
export const DEFAULT_RATE_SETTINGS: Record<AwsServiceId, AwsRateSetting> = { iam: "auto", sts: "auto", identitystore: "auto", sso: "auto", organizations: "auto", cloudtrail: "auto" };

export function defaultConfig(overrides: DeepPartial<ConnectorConfig> = {}): ConnectorConfig {
  const base: ConnectorConfig = {
    aws: {
      region: "us-east-1",
      ssoRegion: "us-east-1",
      assumeRoleChain: [],
      serviceEndpoints: {},
      maxAttempts: 8,
      retryMode: "standard",
    },
    features: {
      organizations: true,
      identityCenter: true,
      crossAccountIam: false,
      memberRoleName: "OrganizationAccountAccessRole",
      managedPolicies: "customer-and-attached",
      syncSecrets: false,
      organizationTree: false,
    },
    rateLimits: { requestsPerSecond: { ...DEFAULT_RATE_SETTINGS }, maxConcurrency: 8 },
    provisioning: { enabled: false, assignmentDeadlineMs: 5 * 60_000, maxOutstandingAssignments: MAX_OUTSTANDING_ASSIGNMENT_OPERATIONS, createAccountResourceType: "iam_user" },
    server: { listen: "127.0.0.1:50051" },
    changes: { deliveryDelayMs: 300_000 },
    stateDir: ".connector-state",
  };
  return mergeDeep(base, overrides);
}

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends Array<infer U> ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

function mergeDeep<T>(base: T, overrides: DeepPartial<T>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides as Record<string, unknown>)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] =
      isPlainObject(value) && isPlainObject(current) ? mergeDeep(current, value as DeepPartial<typeof current>) : value;
  }
  return out as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
