import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createAwsClients } from "../../src/aws/clients.js";
import { ConnectorRetryStrategy } from "../../src/aws/retry-strategy.js";
import { createCredentialSession, REFRESH_MARGIN_MS } from "../../src/aws/session.js";
import { defaultConfig, type ConnectorConfig } from "../../src/config/config.js";
import { toConnectError } from "../../src/connector/errors.js";

const sts = mockClient(STSClient);
// Real time as the start: the SDK clients' own credential caches read the wall clock.
let T0 = Date.now();
let now = T0;
let issued = 0;

/** Resolves the calling client's credentials first, as request signing does (the mock skips the middleware). */
async function sign(getClient: () => unknown) {
  await (getClient() as STSClient).config.credentials();
}

/** Every AssumeRole answers fresh keys valid for 15 minutes. */
function answerAssumeRole() {
  sts.on(AssumeRoleCommand).callsFake(async (input, getClient) => {
    await sign(getClient);
    issued += 1;
    return {
      Credentials: {
        AccessKeyId: `ASIA${issued}`,
        SecretAccessKey: `secret-${issued}`,
        SessionToken: `token-${issued}-${input.RoleArn}`,
        Expiration: new Date(now + 15 * 60_000),
      },
    };
  });
}

const twoHops = (): ConnectorConfig =>
  defaultConfig({
    aws: {
      staticCredentials: { accessKeyId: "AKIABASE", secretAccessKey: "base-secret" },
      assumeRoleChain: [
        { roleArn: "arn:aws:iam::111111111111:role/binding", externalId: "binding-external-id" },
        { roleArn: "arn:aws:iam::222222222222:role/customer", externalId: "customer-external-id" },
      ],
      endpoint: "http://127.0.0.1:1",
      maxAttempts: 5,
    },
    features: { memberExternalId: "member-external-id", memberRoleName: "AuditRole" },
  });

/** The session with STS clients that carry their credentials, so we can see which hop signed which call. */
function session(config: ConnectorConfig) {
  return createCredentialSession(config, {
    stsClient: (credentials) => new STSClient({ region: "us-east-1", credentials }),
    now: () => now,
  });
}

/** The credentials the client that assumed `roleArn` signed with. */
async function signerOf(roleArn: string) {
  const call = sts.commandCalls(AssumeRoleCommand).find((c) => c.args[0].input.RoleArn === roleArn)!;
  return (call.thisValue as STSClient).config.credentials();
}

beforeEach(() => {
  sts.reset();
  T0 = Date.now();
  now = T0;
  issued = 0;
  answerAssumeRole();
});
afterEach(() => {
  sts.reset();
  vi.useRealTimers();
});

describe("credential session", () => {
  it("two hops: each AssumeRole carries its own external ID and is signed by the previous hop", async () => {
    const s = session(twoHops());
    const creds = await (s.credentials as () => Promise<{ accessKeyId: string }>)();
    const calls = sts.commandCalls(AssumeRoleCommand);
    expect(calls.map((c) => [c.args[0].input.RoleArn, c.args[0].input.ExternalId]).sort()).toEqual([
      ["arn:aws:iam::111111111111:role/binding", "binding-external-id"],
      ["arn:aws:iam::222222222222:role/customer", "customer-external-id"],
    ]);
    expect((await signerOf("arn:aws:iam::111111111111:role/binding")).accessKeyId).toBe("AKIABASE");
    // Hop 1's keys (issued first) sign hop 2; the result of hop 2 is what the connector uses.
    expect((await signerOf("arn:aws:iam::222222222222:role/customer")).accessKeyId).toBe("ASIA1");
    expect(creds.accessKeyId).toBe("ASIA2");
  });

  it("member-account hop: its own external ID, role name and partition, signed by the connector's role", async () => {
    const s = session(twoHops());
    const member = await s.memberAccount("333333333333", "aws-us-gov")();
    const last = sts.commandCalls(AssumeRoleCommand).find((c) => c.args[0].input.RoleArn?.includes("333333333333"))!.args[0].input;
    expect(last).toMatchObject({
      RoleArn: "arn:aws-us-gov:iam::333333333333:role/AuditRole",
      ExternalId: "member-external-id",
      DurationSeconds: 3600,
    });
    expect(member.accessKeyId).toBe("ASIA3");
    expect((await signerOf("arn:aws-us-gov:iam::333333333333:role/AuditRole")).accessKeyId).toBe("ASIA2");
  });

  it("no external ID configured → none sent", async () => {
    const config = defaultConfig({ aws: { staticCredentials: { accessKeyId: "AKIABASE", secretAccessKey: "s" }, assumeRoleChain: [{ roleArn: "arn:aws:iam::222222222222:role/customer" }] } });
    await (session(config).credentials as () => Promise<unknown>)();
    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input).not.toHaveProperty("ExternalId");
  });

  it("refreshes every hop before expiry, and only then", async () => {
    // One clock for us and for the SDK clients' own credential caches.
    vi.useFakeTimers({ toFake: ["Date"], now: T0 });
    now = T0;
    const s = createCredentialSession(twoHops(), {
      stsClient: (credentials) => new STSClient({ region: "us-east-1", credentials }),
      now: () => Date.now(),
    });
    const provider = s.credentials as () => Promise<{ accessKeyId: string }>;
    const member = s.memberAccount("333333333333");
    await provider();
    await member();
    expect(issued).toBe(3);
    vi.setSystemTime(T0 + 15 * 60_000 - REFRESH_MARGIN_MS - 1_000); // still more than the margin left
    await provider();
    await member();
    expect(issued).toBe(3);
    vi.setSystemTime(T0 + 15 * 60_000 - REFRESH_MARGIN_MS + 1_000); // inside the margin: renew, though not yet expired
    now = Date.now();
    const renewed = await provider();
    await member();
    // hop 1, hop 2 (its source expired too), and the member account: each renewed once.
    expect(issued).toBe(6);
    expect(renewed.accessKeyId).not.toBe("ASIA2");
  });

  it("concurrent callers share one AssumeRole", async () => {
    const s = session(twoHops());
    const provider = s.credentials as () => Promise<unknown>;
    await Promise.all(Array.from({ length: 20 }, () => provider()));
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it("a refused hop names the role and hop, keeps AWS's error name, never shows the external ID", async () => {
    sts.on(AssumeRoleCommand, { RoleArn: "arn:aws:iam::222222222222:role/customer" }).rejects(
      Object.assign(new Error("User: x is not authorized to perform: sts:AssumeRole"), { name: "AccessDenied", $fault: "client", $metadata: { httpStatusCode: 403, requestId: "rid-9" } }),
    );
    const provider = session(twoHops()).credentials as () => Promise<unknown>;
    const error = await provider().catch((e: unknown) => e);
    const mapped = toConnectError(error);
    expect(mapped.code).toBe(7); // PermissionDenied
    expect(mapped.rawMessage).toContain("AWS denied sts:AssumeRole (AccessDenied): cannot assume arn:aws:iam::222222222222:role/customer (hop 2 of 2)");
    expect(mapped.rawMessage).toContain("[request id rid-9]");
    expect(mapped.rawMessage).not.toContain("customer-external-id");
  });
});

describe("createAwsClients", () => {
  it("builds the STS clients that assume roles like every other client: endpoint, attempts, our retry strategy", async () => {
    sts.on(GetCallerIdentityCommand).callsFake(async (_input, getClient) => {
      await sign(getClient);
      return { Account: "222222222222", Arn: "arn:aws:sts::222222222222:assumed-role/customer/s", UserId: "AROA:s" };
    });
    const clients = createAwsClients(twoHops());
    await clients.callerIdentity();
    const calls = sts.commandCalls(AssumeRoleCommand);
    const hopClients = calls.map((c) => c.thisValue as STSClient);
    expect(hopClients).toHaveLength(2);
    for (const client of [...hopClients, clients.sts()]) {
      const endpoint = await client.config.endpoint!();
      expect(`${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`).toBe("http://127.0.0.1:1");
      expect(await client.config.maxAttempts()).toBe(5);
      expect(await client.config.retryStrategy()).toBeInstanceOf(ConnectorRetryStrategy);
    }
    clients.destroy();
  });
});
