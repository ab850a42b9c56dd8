import { ListUsersCommand } from "@aws-sdk/client-iam";
import { ListAccountsCommand, AccessDeniedException } from "@aws-sdk/client-organizations";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSServiceException } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_CREDENTIALS, modelQueries, type Simulator } from "../../src/simulator/index.js";
import { clientsFor, manualClock, rejectionOf, withSimulator, type Clients } from "./helpers.js";

const clock = manualClock();
let sim: Simulator;
let clients: Clients;
let management: string;
let member: string;

beforeAll(async () => {
  ({ sim, clients } = await withSimulator({ profile: "demo", clock: clock.now }));
  management = sim.model.organization!.managementAccountId;
  member = sim.bindings.find((b) => b.accessKeyId === SIM_CREDENTIALS.member.accessKeyId)!.accountId;
});
afterAll(() => sim.stop());

const roleArn = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;

async function assume(client: Clients, RoleArn: string, extra: Record<string, unknown> = {}) {
  const out = await client.sts.send(new AssumeRoleCommand({ RoleArn, RoleSessionName: "sim-test", ...extra }));
  const credentials = out.Credentials!;
  return {
    out,
    clients: clientsFor(sim, { accessKeyId: credentials.AccessKeyId!, secretAccessKey: credentials.SecretAccessKey!, sessionToken: credentials.SessionToken! }),
  };
}

describe("GetCallerIdentity", () => {
  it("resolves each fixed key to its principal", async () => {
    const admin = await clients.sts.send(new GetCallerIdentityCommand({}));
    expect(admin).toMatchObject({ Account: management, Arn: `arn:aws:iam::${management}:user/sim-admin` });
    expect(admin.UserId).toMatch(/^AIDA[A-Z0-9]{17}$/);
    const memberUser = await clientsFor(sim, "member").sts.send(new GetCallerIdentityCommand({}));
    expect(memberUser).toMatchObject({ Account: member, Arn: `arn:aws:iam::${member}:user/sim-member` });
    const standalone = await clientsFor(sim, "standalone").sts.send(new GetCallerIdentityCommand({}));
    expect(sim.model.accounts.get(standalone.Account!)!.inOrganization).toBe(false);
  });

  it("rejects unknown access keys with InvalidClientTokenId (403)", async () => {
    const stranger = clientsFor(sim, { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "x" });
    const error = await rejectionOf(stranger.sts.send(new GetCallerIdentityCommand({})));
    expect(error).toBeInstanceOf(STSServiceException);
    expect(error.name).toBe("InvalidClientTokenId");
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });
});

describe("AssumeRole", () => {
  it("into a member account's OrganizationAccountAccessRole: later calls act in that account", async () => {
    const { out, clients: session } = await assume(clients, roleArn(member, "OrganizationAccountAccessRole"), { DurationSeconds: 1800 });
    expect(out.Credentials!.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(out.Credentials!.Expiration!.getTime()).toBe(clock.now() + 1800 * 1000);
    expect(out.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${member}:assumed-role/OrganizationAccountAccessRole/sim-test`);

    const identity = await session.sts.send(new GetCallerIdentityCommand({}));
    const role = sim.model.accounts.get(member)!.iam.roles.get("OrganizationAccountAccessRole")!;
    expect(identity).toMatchObject({ Account: member, Arn: out.AssumedRoleUser!.Arn, UserId: `${role.id}:sim-test` });
    const { Users } = await session.iam.send(new ListUsersCommand({}));
    expect(Users!.map((u) => u.UserName)).toEqual([...sim.model.accounts.get(member)!.iam.users].map((u) => u.name));
    // A member account may not list the organisation's accounts.
    expect(await rejectionOf(session.organizations.send(new ListAccountsCommand({})))).toBeInstanceOf(AccessDeniedException);
  });

  it("enforces sts:ExternalId conditions: missing or wrong → AccessDenied 403 naming caller and role", async () => {
    const arn = roleArn(management, "ConnectorReadOnly");
    const externalId = modelQueries.requiredExternalId(sim.model, management, "ConnectorReadOnly")!;
    expect(externalId).toMatch(/^ext-/);
    for (const extra of [{}, { ExternalId: "wrong-external-id" }]) {
      const error = await rejectionOf(assume(clients, arn, extra));
      expect(error).toBeInstanceOf(STSServiceException);
      expect(error.name).toBe("AccessDenied");
      expect(error.$metadata?.httpStatusCode).toBe(403);
      expect(error.message).toBe(`User: arn:aws:iam::${management}:user/sim-admin is not authorized to perform: sts:AssumeRole on resource: ${arn}`);
    }
    const { out } = await assume(clients, arn, { ExternalId: externalId });
    expect(out.AssumedRoleUser!.Arn).toContain(":assumed-role/ConnectorReadOnly/");
  });

  it("denies principals the trust policy does not name, missing roles and suspended accounts", async () => {
    // ConnectorReadOnly trusts only sim-admin; the member-account user is not it.
    const externalId = modelQueries.requiredExternalId(sim.model, management, "ConnectorReadOnly")!;
    const memberClients = clientsFor(sim, "member");
    expect((await rejectionOf(assume(memberClients, roleArn(management, "ConnectorReadOnly"), { ExternalId: externalId }))).name).toBe("AccessDenied");
    expect((await rejectionOf(assume(clients, roleArn(member, "NoSuchRole")))).name).toBe("AccessDenied");
    const suspended = [...sim.model.accounts].find((a) => a.state === "SUSPENDED")!;
    expect((await rejectionOf(assume(clients, roleArn(suspended.id, "OrganizationAccountAccessRole")))).name).toBe("AccessDenied");
  });

  it("role chaining: a session may assume a role its trust policy names, limited to one hour", async () => {
    const { clients: audit } = await assume(clients, roleArn(management, "SecurityAudit"));
    // Member accounts' AuditReadOnly trusts the management account's SecurityAudit role.
    const chained = await assume(audit, roleArn(member, "AuditReadOnly"));
    expect(chained.out.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${member}:assumed-role/AuditReadOnly/sim-test`);
    const tooLong = await rejectionOf(assume(audit, roleArn(member, "AuditReadOnly"), { DurationSeconds: 7200 }));
    expect(tooLong.name).toBe("ValidationError");
    // The admin user (not a role session) is not named by AuditReadOnly's trust policy.
    expect((await rejectionOf(assume(clients, roleArn(member, "AuditReadOnly")))).name).toBe("AccessDenied");
  });

  it("validates DurationSeconds against 900..43200 and the role's MaxSessionDuration", async () => {
    const arn = roleArn(member, "OrganizationAccountAccessRole");
    for (const DurationSeconds of [899, 43201, 7200]) {
      expect((await rejectionOf(assume(clients, arn, { DurationSeconds }))).name).toBe("ValidationError");
    }
  });

  it("session credentials expire: afterwards calls fail with ExpiredToken", async () => {
    const { clients: session } = await assume(clients, roleArn(member, "OrganizationAccountAccessRole"), { DurationSeconds: 900 });
    await session.sts.send(new GetCallerIdentityCommand({}));
    clock.advance(901 * 1000);
    const error = await rejectionOf(session.iam.send(new ListUsersCommand({})));
    expect(error.name).toBe("ExpiredToken");
  });
});
