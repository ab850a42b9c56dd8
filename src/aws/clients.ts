import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { IAMClient } from "@aws-sdk/client-iam";
import { IdentitystoreClient } from "@aws-sdk/client-identitystore";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { AwsServiceId, ConnectorConfig } from "../config/config.js";
import { silentLogger, type Logger } from "../log.js";
import { AwsCallStats } from "./call-stats.js";
import { instrumentClient } from "./middleware.js";
import { PacingMemory, pacingScope } from "./pacing-memory.js";
import { AwsRateLimiter, serviceLimits } from "./rate-limiter.js";
import { ReadLedger } from "./read-replay.js";
import { createRetryStrategy } from "./retry-strategy.js";
import { createCredentialSession, type CredentialSource } from "./session.js";

export interface CallerIdentity {
  accountId: string;
  arn: string;
  userId: string;
}

/**
 * Every AWS client the connector uses, created once per connector from the configuration. All of
 * them share one rate limiter and one call counter (see middleware.ts). Resource syncers and
 * provisioners depend on this interface only, so tests can hand them clients pointed at the
 * simulator or mocked with aws-sdk-client-mock.
 */
export interface AwsClients {
  /** IAM of the connector's own account, or of a member account through the member-account role. */
  iam(accountId?: string): Promise<IAMClient>;
  sts(): STSClient;
  identityStore(): IdentitystoreClient;
  ssoAdmin(): SSOAdminClient;
  organizations(): OrganizationsClient;
  /**
   * CloudTrail of the connector's own account, or of a member account through the member-account
   * role, in one Region. Each (account, Region) is paced on its own: LookupEvents' quota is two
   * requests per second per account and Region.
   */
  cloudTrail(region: string, accountId?: string): Promise<CloudTrailClient>;
  /** sts:GetCallerIdentity of the connector's credentials, asked once. */
  callerIdentity(): Promise<CallerIdentity>;
  readonly stats: AwsCallStats;
  readonly limiter: AwsRateLimiter;
  /** Which AWS reads each piece of work made, their responses, and their replay (read-replay.ts). */
  readonly reads: ReadLedger;
  /** Releases sockets. */
  destroy(): void;
}

export interface AwsClientsOptions {
  log?: Logger;
  /** Shared counters (e.g. one per sync summary); a fresh one by default. */
  stats?: AwsCallStats;
}

/** A server saves what pacing learned this often, not only when it stops. */
const PACING_SAVE_EVERY_MS = 5 * 60_000;

const SDK_SERVICE_ID: Record<AwsServiceId, string> = {
  iam: "IAM",
  sts: "STS",
  identitystore: "IDENTITYSTORE",
  sso: "SSO_ADMIN",
  organizations: "ORGANIZATIONS",
  cloudtrail: "CLOUDTRAIL",
};

/** AWS_ENDPOINT_URL_<SERVICE> wins over --aws-endpoint / AWS_ENDPOINT_URL (resolved in the config loader). */
export function endpointFor(config: ConnectorConfig, service: AwsServiceId): string | undefined {
  return config.aws.serviceEndpoints[service] ?? config.aws.endpoint;
}

/**
 * How long a TCP (and TLS) connection to AWS may take to open. The SDK waits for the operating
 * system otherwise (minutes for an address that drops packets); AWS endpoints answer in well under
 * a second, so a few seconds is generous and a wrong endpoint fails fast.
 */
export const CONNECT_TIMEOUT_MS = 5_000;

export function createAwsClients(config: ConnectorConfig, options: AwsClientsOptions = {}): AwsClients {
  const log = options.log ?? silentLogger;
  const stats = options.stats ?? new AwsCallStats();
  const reads = new ReadLedger();
  // One limiter per connector: every client and worker shares what it learns; it starts from, and saves to, the state directory.
  const limiter = new AwsRateLimiter(serviceLimits(config.rateLimits), {
    memory: PacingMemory.load(config.stateDir, pacingScope(config.aws.endpoint, config.aws.region, config.aws.ssoRegion), log),
    saveEveryMs: PACING_SAVE_EVERY_MS,
  });

  /** Settings every client shares: region, endpoint override, attempts, our retry strategy, the connect timeout. */
  function common(service: AwsServiceId, region: string, creds: CredentialSource | undefined) {
    return {
      region,
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS },
      credentials: creds,
      endpoint: endpointFor(config, service),
      maxAttempts: config.aws.maxAttempts,
      retryMode: config.aws.retryMode,
      retryStrategy: createRetryStrategy({ service, maxAttempts: config.aws.maxAttempts, mode: config.aws.retryMode, limiter }),
    };
  }
  /**
   * `account`: whose credentials the client uses (none: the connector's own), for the read ledger
   * and for pacing a per-account quota; `quotaKey`: the pacing bucket when it is narrower (CloudTrail's per Region).
   */
  const instrument = <C extends { middlewareStack: { use(p: unknown): void } }>(service: AwsServiceId, client: C, account?: string, quotaKey = account): C => {
    client.middlewareStack.use(reads.plugin(service, account ?? "self"));
    return instrumentClient(client as never, service, limiter, stats, quotaKey) as unknown as C;
  };

  // The STS clients that assume roles are built like every other client (endpoint, retries, pacing).
  const session = createCredentialSession(config, {
    log,
    stsClient: (creds) => instrument("sts", new STSClient(common("sts", config.aws.region, creds))),
  });
  const credentials = session.credentials;

  const sts = instrument("sts", new STSClient(common("sts", config.aws.region, credentials)));
  const iamSelf = instrument("iam", new IAMClient(common("iam", config.aws.region, credentials)));
  const identityStore = instrument("identitystore", new IdentitystoreClient(common("identitystore", config.aws.ssoRegion, credentials)));
  const ssoAdmin = instrument("sso", new SSOAdminClient(common("sso", config.aws.ssoRegion, credentials)));
  const organizations = instrument("organizations", new OrganizationsClient(common("organizations", config.aws.region, credentials)));

  let caller: Promise<CallerIdentity> | undefined;
  const memberIam = new Map<string, Promise<IAMClient>>();
  const trails = new Map<string, Promise<CloudTrailClient>>();

  const clients: AwsClients = {
    stats,
    limiter,
    reads,
    sts: () => sts,
    identityStore: () => identityStore,
    ssoAdmin: () => ssoAdmin,
    organizations: () => organizations,
    callerIdentity() {
      caller ??= sts.send(new GetCallerIdentityCommand({})).then((out) => ({
        accountId: out.Account ?? "",
        arn: out.Arn ?? "",
        userId: out.UserId ?? "",
      }));
      // A failed lookup must not be cached forever (e.g. a transient network error).
      caller.catch(() => (caller = undefined));
      return caller;
    },
    async iam(accountId) {
      const self = await clients.callerIdentity();
      if (accountId === undefined || accountId === self.accountId) return iamSelf;
      let client = memberIam.get(accountId);
      if (!client) {
        client = (async () => {
          const provider = session.memberAccount(accountId, partitionOf(self.arn));
          // Resolve now so an account whose role cannot be assumed fails here, by name.
          await provider();
          return instrument("iam", new IAMClient(common("iam", config.aws.region, provider)), accountId);
        })();
        memberIam.set(accountId, client);
        client.catch(() => memberIam.delete(accountId));
      }
      return client;
    },
    cloudTrail(region, accountId) {
      const key = `${accountId ?? "self"} ${region}`;
      let client = trails.get(key);
      if (!client) {
        client = (async () => {
          const self = await clients.callerIdentity();
          const own = accountId === undefined || accountId === self.accountId;
          const creds = own ? credentials : session.memberAccount(accountId, partitionOf(self.arn));
          if (!own) await (creds as () => Promise<unknown>)();
          // Paced per account and Region: LookupEvents' quota is not shared with other sources.
          const account = own ? self.accountId : accountId;
          return instrument("cloudtrail", new CloudTrailClient(common("cloudtrail", region, creds)), own ? undefined : accountId, `${account} ${region}`);
        })();
        trails.set(key, client);
        client.catch(() => trails.delete(key));
      }
      return client;
    },
    destroy() {
      for (const client of [sts, iamSelf, identityStore, ssoAdmin, organizations]) client.destroy();
      for (const pending of memberIam.values()) pending.then((c) => c.destroy(), () => undefined);
      for (const pending of trails.values()) pending.then((c) => c.destroy(), () => undefined);
      session.destroy();
      limiter.close();
    },
  };
  return clients;
}

export { SDK_SERVICE_ID };

/** "aws", "aws-cn", "aws-us-gov" from an ARN; "aws" when it cannot tell. */
function partitionOf(arn: string): string {
  return /^arn:([a-z-]+):/.exec(arn)?.[1] ?? "aws";
}
