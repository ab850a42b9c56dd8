import {
  AccessDeniedException,
  AccountNotFoundException,
  AWSOrganizationsNotInUseException,
  DescribeAccountCommand,
  DescribeOrganizationCommand,
  InvalidInputException,
  ListAccountsCommand,
  paginateListAccounts,
} from "@aws-sdk/client-organizations";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROFILES, modelQueries, type Simulator } from "../../src/simulator/index.js";
import { clientsFor, collect, pageSizes, rejectionOf, withSimulator, type Clients } from "./helpers.js";

let sim: Simulator;
let clients: Clients;

beforeAll(async () => {
  ({ sim, clients } = await withSimulator({ profile: { ...PROFILES.demo, memberAccounts: 25, suspendedAccounts: 2 } }));
});
afterAll(() => sim.stop());

describe("Organizations", () => {
  for (const size of pageSizes(20)) {
    it(`ListAccounts pages through every member account at MaxResults=${size}`, async () => {
      const expected = modelQueries.organizationAccounts(sim.model);
      expect(expected).toHaveLength(26);
      const { items, pages } = await collect(paginateListAccounts({ client: clients.organizations, pageSize: size }, {}), (p) => p.Accounts);
      expect(items.map((a) => a.Id)).toEqual(expected.map((a) => a.id));
      expect(pages).toBe(Math.ceil(expected.length / size));
    });
  }

  it("describes accounts with status, ARN and epoch timestamps", async () => {
    const organization = sim.model.organization!;
    const suspended = [...sim.model.accounts].find((a) => a.state === "SUSPENDED")!;
    const { Account } = await clients.organizations.send(new DescribeAccountCommand({ AccountId: suspended.id }));
    expect(Account).toMatchObject({
      Id: suspended.id,
      Name: suspended.name,
      Email: suspended.email,
      Status: "SUSPENDED",
      State: "SUSPENDED",
      Arn: `arn:aws:organizations::${organization.managementAccountId}:account/${organization.id}/${suspended.id}`,
    });
    expect(Account!.JoinedTimestamp).toEqual(new Date(suspended.joinedAt));
    const { Organization } = await clients.organizations.send(new DescribeOrganizationCommand({}));
    expect(Organization).toMatchObject({ Id: organization.id, MasterAccountId: organization.managementAccountId, FeatureSet: "ALL" });
    expect(Organization!.Id).toMatch(/^o-[a-z0-9]{10,32}$/);
  });

  it("MaxResults above 20 → InvalidInputException; unknown account → AccountNotFoundException", async () => {
    const tooMany = await rejectionOf(clients.organizations.send(new ListAccountsCommand({ MaxResults: 21 })));
    expect(tooMany).toBeInstanceOf(InvalidInputException);
    expect(tooMany.Reason).toBe("MAX_VALUE_EXCEEDED");
    const standaloneId = [...sim.model.accounts].find((a) => !a.inOrganization)!.id;
    for (const AccountId of ["000000000000", standaloneId]) {
      const missing = await rejectionOf(clients.organizations.send(new DescribeAccountCommand({ AccountId })));
      expect(missing).toBeInstanceOf(AccountNotFoundException);
      expect(missing.$metadata?.httpStatusCode).toBe(404);
    }
  });

  it("a member account may describe the organisation but not list accounts", async () => {
    const member = clientsFor(sim, "member").organizations;
    expect((await member.send(new DescribeOrganizationCommand({}))).Organization!.Id).toBe(sim.model.organization!.id);
    const denied = await rejectionOf(member.send(new ListAccountsCommand({})));
    expect(denied).toBeInstanceOf(AccessDeniedException);
    expect(denied.$metadata?.httpStatusCode).toBe(403);
  });

  it("an account outside any organisation → AWSOrganizationsNotInUseException", async () => {
    const outsider = clientsFor(sim, "standalone").organizations;
    for (const command of [new DescribeOrganizationCommand({}), new ListAccountsCommand({})]) {
      const error = await rejectionOf(outsider.send(command as never));
      expect(error).toBeInstanceOf(AWSOrganizationsNotInUseException);
      expect(error.message).toBe("Your account is not a member of an organization.");
    }
  });
});
