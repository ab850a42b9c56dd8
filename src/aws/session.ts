import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  type AssumeRoleCommandInput,
  type Credentials,
  type STSClient,
} from "@aws-sdk/client-sts";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import type { AssumeRoleHop, ConnectorConfig } from "../config/config.js";
import { silentLogger, type Logger } from "../log.js";
import { registerSecret } from "../secret-values.js";
import type { AwsErrorFields } from "./errors.js";

export const SESSION_NAME = "aws-access-connector";
const MEMBER_SESSION_SECONDS = 3600;
/** Temporary credentials are renewed this long before they expire, on every hop. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

export type CredentialSource = AwsCredentialIdentity | AwsCredentialIdentityProvider;

/**
 * Builds the STS client used to assume a role from `credentials`: the caller (clients.ts) gives it
 * the connector's region, endpoint overrides, retry strategy and instrumentation, so every
 * AssumeRole honours them like any other call.
 */
export type StsClientFactory = (credentials: CredentialSource | undefined) => STSClient;

export interface CredentialSessionOptions {
  stsClient: StsClientFactory;
  log?: Logger;
  /** Clock, for tests of refresh-before-expiry. */
  now?: () => number;
}

/** The connector's credentials: its own (after every configured hop) and per member account. */
export interface CredentialSession {
  readonly credentials: CredentialSource;
  /** Credentials in a member account through the configured member-account role (one cache per account). */
  memberAccount(accountId: string, partition?: string): AwsCredentialIdentityProvider;
  /** Releases the STS clients' sockets. */
  destroy(): void;
}

/**
 * Static keys or the default chain (env, profile, SSO, web identity, instance role), then each
 * assume-role hop in order, each with its own external ID: none, one (the customer role) or two
 * (an intermediate binding role, then the customer role). Every hop refreshes itself
 * REFRESH_MARGIN_MS before it expires.
 */
export function createCredentialSession(config: ConnectorConfig, options: CredentialSessionOptions): CredentialSession {
  const log = options.log ?? silentLogger;
  const now = options.now ?? Date.now;
  const stsClients: STSClient[] = [];
  const stsFor = (credentials: CredentialSource | undefined) => {
    const client = options.stsClient(credentials);
    stsClients.push(client);
    return client;
  };

  let credentials: CredentialSource = config.aws.staticCredentials ?? defaultChain(config, options.stsClient);
  const hops = config.aws.assumeRoleChain;
  hops.forEach((hop, index) => {
    credentials = assumeRoleProvider(stsFor(credentials), hopParams(hop), {
      label: `${hop.roleArn} (hop ${index + 1} of ${hops.length})`,
      log,
      now,
    });
  });
  const base = credentials;

  const members = new Map<string, AwsCredentialIdentityProvider>();
  let memberSts: STSClient | undefined;
  return {
    credentials: base,
    memberAccount(accountId, partition = "aws") {
      let provider = members.get(accountId);
      if (!provider) {
        memberSts ??= stsFor(base);
        const roleArn = `arn:${partition}:iam::${accountId}:role/${config.features.memberRoleName}`;
        provider = assumeRoleProvider(
          memberSts,
          hopParams({ roleArn, externalId: config.features.memberExternalId }, MEMBER_SESSION_SECONDS),
          { label: `${roleArn} (member account)`, log, now },
        );
        members.set(accountId, provider);
      }
      return provider;
    },
    destroy() {
      for (const client of stsClients) client.destroy();
    },
  };
}

function hopParams(hop: AssumeRoleHop, durationSeconds?: number): AssumeRoleCommandInput {
  return {
    RoleArn: hop.roleArn,
    RoleSessionName: hop.sessionName ?? SESSION_NAME,
    ...(hop.externalId ? { ExternalId: hop.externalId } : {}),
    ...(durationSeconds ? { DurationSeconds: durationSeconds } : {}),
  };
}

interface ProviderOptions {
  label: string;
  log: Logger;
  now: () => number;
}

/** sts:AssumeRole with `params`, cached until REFRESH_MARGIN_MS before expiry; concurrent callers share one call. */
export function assumeRoleProvider(
  sts: STSClient,
  params: AssumeRoleCommandInput,
  options: ProviderOptions,
): AwsCredentialIdentityProvider {
  return refreshingProvider(async () => {
    try {
      const out = await sts.send(new AssumeRoleCommand(params));
      const identity = toIdentity(out.Credentials, params.RoleArn ?? "");
      options.log.debug({ role: options.label, expires: identity.expiration?.toISOString() }, "assumed role");
      return identity;
    } catch (error) {
      throw assumeRoleError(error, options.label, params.ExternalId !== undefined);
    }
  }, options.now);
}

/** Caches credentials and renews them REFRESH_MARGIN_MS before they expire. */
export function refreshingProvider(
  fetch: () => Promise<AwsCredentialIdentity>,
  now: () => number = Date.now,
): AwsCredentialIdentityProvider {
  let current: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  const fresh = (c: AwsCredentialIdentity) => c.expiration === undefined || c.expiration.getTime() - now() > REFRESH_MARGIN_MS;
  return async () => {
    if (current && fresh(current)) return current;
    pending ??= fetch()
      .then((credentials) => (current = credentials))
      .finally(() => (pending = undefined));
    return pending;
  };
}

/**
 * The SDK's default chain, with our STS settings (endpoint, retries, pacing) for the roles it
 * assumes itself (profile role_arn, web identity) and our attempts/mode for its SSO clients.
 */
function defaultChain(config: ConnectorConfig, stsClient: StsClientFactory): AwsCredentialIdentityProvider {
  return fromNodeProviderChain({
    ...(config.aws.profile ? { profile: config.aws.profile } : {}),
    clientConfig: { maxAttempts: config.aws.maxAttempts, retryMode: config.aws.retryMode },
    roleAssumer: async (source, params) => {
      const sts = stsClient(source);
      try {
        return toIdentity((await sts.send(new AssumeRoleCommand(params))).Credentials, params.RoleArn);
      } finally {
        sts.destroy();
      }
    },
    roleAssumerWithWebIdentity: async (params) => {
      const sts = stsClient(undefined);
      try {
        return toIdentity((await sts.send(new AssumeRoleWithWebIdentityCommand(params))).Credentials, params.RoleArn);
      } finally {
        sts.destroy();
      }
    },
  });
}

function toIdentity(credentials: Credentials | undefined, roleArn: string): AwsCredentialIdentity {
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
    throw new Error(`STS returned no credentials for ${roleArn}`);
  }
  registerSecret(credentials.SecretAccessKey, credentials.SessionToken);
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    sessionToken: credentials.SessionToken,
    expiration: credentials.Expiration,
  };
}

/**
 * Says which hop failed while keeping the AWS error's name and metadata, so errors.ts still
 * classifies it (AccessDenied → PermissionDenied naming sts:AssumeRole) and keeps the request id.
 * The external ID itself is never part of the message.
 */
function assumeRoleError(error: unknown, label: string, withExternalId: boolean): Error {
  const e = (error ?? {}) as AwsErrorFields;
  const hint = withExternalId ? "check its trust policy and the external ID" : "check its trust policy";
  const wrapped = new Error(`cannot assume ${label} — ${hint}: ${e.message ?? String(error)}`, { cause: error });
  wrapped.name = e.name ?? "Error";
  for (const field of ["$metadata", "$fault", "code"] as const) {
    if (e[field] !== undefined) Object.defineProperty(wrapped, field, { value: e[field], enumerable: false });
  }
  Object.defineProperty(wrapped, "awsAction", { value: "sts:AssumeRole", enumerable: false });
  return wrapped;
}
