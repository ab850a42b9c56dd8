/**
 * Unit-test setup: the real syncers (createResourceSyncers) over real SDK clients whose `send` is
 * mocked with aws-sdk-client-mock, plus helpers to read a listing to its end.
 */
import { IAMClient, ListRolesCommand, ListUsersCommand } from "@aws-sdk/client-iam";
import { IdentitystoreClient } from "@aws-sdk/client-identitystore";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import {
  GetInlinePolicyForPermissionSetCommand,
  ListCustomerManagedPolicyReferencesInPermissionSetCommand,
  ListManagedPoliciesInPermissionSetCommand,
  SSOAdminClient,
} from "@aws-sdk/client-sso-admin";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { anyIs, anyUnpack, type Any } from "@bufbuild/protobuf/wkt";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { mockClient } from "aws-sdk-client-mock";
import { createAwsClients } from "../../../src/aws/clients.js";
import { defaultConfig, type ConnectorConfig, type FeatureConfig } from "../../../src/config/config.js";
import type { CallContext, Page, PageState, ResourceSyncer } from "../../../src/connector/resource-syncer.js";
import { SyncCache } from "../../../src/connector/sync-cache.js";
import { silentLogger } from "../../../src/log.js";
import { createResourceSyncers, type ResourceContext } from "../../../src/resources/index.js";
import { SyncProblems } from "../../../src/resources/sync-problems.js";

export const OWN_ACCOUNT = "111111111111";
export const MEMBER_ACCOUNT = "222222222222";
export const CALLER_ARN = `arn:aws:iam::${OWN_ACCOUNT}:user/connector`;
export const INSTANCE_ARN = "arn:aws:sso:::instance/ssoins-1111111111111111";
export const IDENTITY_STORE_ID = "d-1111111111";

export function unitSetup(features: Partial<FeatureConfig> = {}, extra: Partial<ConnectorConfig> = {}) {
  const mocks = {
    iam: mockClient(IAMClient),
    sts: mockClient(STSClient),
    identityStore: mockClient(IdentitystoreClient),
    sso: mockClient(SSOAdminClient),
    organizations: mockClient(OrganizationsClient),
  };
  mocks.sts.on(GetCallerIdentityCommand).resolves({ Account: OWN_ACCOUNT, Arn: CALLER_ARN, UserId: "AIDAEXAMPLEEXAMPLE01" });
  // What GetAccountAuthorizationDetails leaves out, and what permission sets carry: none unless a test says.
  mocks.iam.on(ListRolesCommand).resolves({ Roles: [] }).on(ListUsersCommand).resolves({ Users: [] });
  mocks.sso
    .on(ListManagedPoliciesInPermissionSetCommand)
    .resolves({ AttachedManagedPolicies: [] })
    .on(ListCustomerManagedPolicyReferencesInPermissionSetCommand)
    .resolves({ CustomerManagedPolicyReferences: [] })
    .on(GetInlinePolicyForPermissionSetCommand)
    .resolves({});
  mocks.sts.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: "ASIAEXAMPLE",
      SecretAccessKey: "secret",
      SessionToken: "token",
      Expiration: new Date(Date.now() + 3_600_000),
    },
  });
  const config = defaultConfig({
    aws: { region: "us-east-1", ssoRegion: "eu-west-1", staticCredentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "secret" }, maxAttempts: 1 },
    ...extra,
  });
  config.features = { ...config.features, ...features };
  const ctx: ResourceContext = { aws: createAwsClients(config), config, cache: new SyncCache(), log: silentLogger, problems: new SyncProblems() };
  const syncers = new Map(createResourceSyncers(ctx).map((s) => [s.resourceType.id, s]));
  return {
    ctx,
    mocks,
    syncer(typeId: string): ResourceSyncer {
      const s = syncers.get(typeId);
      if (!s) throw new Error(`no syncer for ${typeId}`);
      return s;
    },
    syncerIds: () => [...syncers.keys()],
    restore() {
      for (const m of Object.values(mocks)) m.restore();
      ctx.aws.destroy();
    },
  };
}

export const call = (syncId = "sync-1"): CallContext => ({ syncId, signal: new AbortController().signal });

/** Follows a listing's page states to the end: all items and the number of pages. */
export async function readAll<T>(fetch: (state: PageState | undefined) => Promise<Page<T>>): Promise<{ items: T[]; pages: number; states: PageState[] }> {
  const items: T[] = [];
  const states: PageState[] = [];
  let state: PageState | undefined;
  let pages = 0;
  do {
    const page = await fetch(state);
    pages++;
    items.push(...page.items);
    // States travel as JSON inside page tokens: they must survive a round trip.
    state = page.next === undefined ? undefined : (JSON.parse(JSON.stringify(page.next)) as PageState);
    if (state) states.push(state);
    if (pages > 10_000) throw new Error("listing does not end");
  } while (state !== undefined);
  return { items, pages, states };
}

export function annotationOf<Desc extends DescMessage>(annotations: readonly Any[], schema: Desc): MessageShape<Desc> | undefined {
  const found = annotations.find((a) => anyIs(a, schema));
  return found ? anyUnpack(found, schema) : undefined;
}

export function annotationsOf<Desc extends DescMessage>(annotations: readonly Any[], schema: Desc): MessageShape<Desc>[] {
  return annotations.filter((a) => anyIs(a, schema)).map((a) => anyUnpack(a, schema)!);
}

/** A URL-encoded policy document, as IAM returns it. */
export const encodedPolicy = (policy: unknown) => encodeURIComponent(JSON.stringify(policy));

/**
 * Which account an IAM call was made in: the member-account role's credentials (AssumeRole's
 * ASIA… key above) or the connector's own static key.
 */
export async function callerAccountOf(client: { config: { credentials: () => Promise<{ accessKeyId: string }> } }): Promise<string> {
  const { accessKeyId } = await client.config.credentials();
  return accessKeyId.startsWith("ASIA") ? MEMBER_ACCOUNT : OWN_ACCOUNT;
}
