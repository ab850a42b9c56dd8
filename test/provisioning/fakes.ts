/** Unit-test doubles: AwsClients over real SDK clients (mocked with aws-sdk-client-mock), ids, a log sink. */
import { IAMClient } from "@aws-sdk/client-iam";
import { IdentitystoreClient } from "@aws-sdk/client-identitystore";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { STSClient } from "@aws-sdk/client-sts";
import { create } from "@bufbuild/protobuf";
import { Writable } from "node:stream";
import { pino } from "pino";
import type { AwsClients } from "../../src/aws/clients.js";
import { ReadLedger } from "../../src/aws/read-replay.js";
import { AwsCallStats } from "../../src/aws/call-stats.js";
import { AwsRateLimiter } from "../../src/aws/rate-limiter.js";
import { AWS_SERVICES, defaultConfig, type ConnectorConfig, type DeepPartial } from "../../src/config/config.js";
import { EntitlementSchema, type Entitlement } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema, type Grant } from "../../src/gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, type Resource } from "../../src/gen/c1/connector/v2/resource_pb.js";
import type { ProvisionContext } from "../../src/connector/resource-syncer.js";

export const SELF_ACCOUNT = "111111111111";
export const TARGET_ACCOUNT = "222222222222";
export const INSTANCE_ARN = "arn:aws:sso:::instance/ssoins-1111111111111111";
export const STORE = "d-1234567890";
export const PERMISSION_SET = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222";

export function fakeAwsClients(): AwsClients {
  const common = { region: "us-east-1", credentials: { accessKeyId: "AKIDUNITTEST", secretAccessKey: "unit" }, maxAttempts: 1 };
  const iam = new IAMClient(common);
  const sts = new STSClient(common);
  const store = new IdentitystoreClient(common);
  const sso = new SSOAdminClient(common);
  const orgs = new OrganizationsClient(common);
  const limits = Object.fromEntries(AWS_SERVICES.map((s) => [s, { requestsPerSecond: 1000, maxConcurrency: 100 }]));
  return {
    iam: async () => iam,
    sts: () => sts,
    identityStore: () => store,
    ssoAdmin: () => sso,
    organizations: () => orgs,
    callerIdentity: async () => ({ accountId: SELF_ACCOUNT, arn: `arn:aws:iam::${SELF_ACCOUNT}:user/connector`, userId: "AIDAUNIT" }),
    cloudTrail: async () => {
      throw new Error("no CloudTrail in provisioning unit tests");
    },
    stats: new AwsCallStats(),
    limiter: new AwsRateLimiter(limits as never),
    reads: new ReadLedger(),
    destroy() {},
  };
}

export function unitConfig(overrides: DeepPartial<ConnectorConfig> = {}): ConnectorConfig {
  return defaultConfig({
    provisioning: { enabled: true, assignmentDeadlineMs: 60_000, maxOutstandingAssignments: 10 },
    stateDir: "/nonexistent-unit-test-state",
    ...overrides,
  });
}

export function resource(type: string, id: string): Resource {
  return create(ResourceSchema, { id: { resourceType: type, resource: id }, displayName: id });
}

export function entitlement(id: string, type: string, resourceId: string): Entitlement {
  return create(EntitlementSchema, { id, resource: resource(type, resourceId) });
}

export const ssoUser = (userId: string) => resource("sso_user", `arn:aws:identitystore:us-east-1::${STORE}/user/${userId}`);
export const ssoGroup = (groupId: string) => resource("sso_group", `arn:aws:identitystore:us-east-1::${STORE}/group/${groupId}`);
export const accountEntitlement = (accountId = TARGET_ACCOUNT, ps = PERMISSION_SET) => entitlement(`${accountId}|${ps}`, "account", accountId);

export function grantOf(ent: Entitlement, principal: Resource, id = ""): Grant {
  return create(GrantSchema, { id, entitlement: ent, principal });
}

export function provisionContext(overrides: Partial<ProvisionContext> = {}): ProvisionContext {
  return { syncId: "", signal: new AbortController().signal, requester: { id: "cli:unit" }, requestAnnotations: [], ...overrides };
}

/** A pino logger whose JSON lines land in `lines`. */
export function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: "debug" }, stream), lines };
}

/** An AWS SDK-shaped error (name, $metadata) for mocks to throw. */
export function awsError(name: string, message = name, requestId = `req-${name}`, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, $fault: "client", $metadata: { httpStatusCode: 400, requestId }, ...extra });
}

/** Advances fake time in small steps until the promise settles (or `maxMs` of fake time passed). */
export async function runUntilSettled<T>(promise: Promise<T>, advance: (ms: number) => Promise<unknown>, maxMs = 600_000, stepMs = 10) {
  let settled = false;
  const observed = promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  void observed.then(() => (settled = true));
  for (let t = 0; t < maxMs && !settled; t += stepMs) await advance(stepMs);
  if (!settled) throw new Error(`promise still pending after ${maxMs} ms of fake time`);
  return observed;
}
