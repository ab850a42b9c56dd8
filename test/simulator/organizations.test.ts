import {
  AccessDeniedException,
  AccountNotFoundException,
  AWSOrganizationsNotInUseException,
  ChildNotFoundException,
  DescribeAccountCommand,
  DescribeOrganizationalUnitCommand,
  DescribeOrganizationCommand,
  InvalidInputException,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListRootsCommand,
  OrganizationalUnitNotFoundException,
  ParentNotFoundException,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListChildren,
  paginateListOrganizationalUnitsForParent,
  type OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROFILES, modelQueries, startSimulator, type Simulator } from "../../src/simulator/index.js";
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

describe("Organizations tree", () => {
  let tree: Simulator;
  let client: OrganizationsClient;
  beforeAll(async () => {
    // One business unit: Workloads/NonProd/Payments holds more than 20 accounts (several pages).
    tree = await startSimulator({ profile: { ...PROFILES.demo, memberAccounts: 70, suspendedAccounts: 2, businessUnits: 1 } });
    client = clientsFor(tree).organizations;
  });
  afterAll(() => tree.stop());

  /** Account id → OU path, from the model alone. */
  function expectedPlacement(): Map<string, string> {
    const org = tree.model.organization!;
    const path = (id: string): string => (id === org.root.id ? "" : `${path(org.units.get(id)!.parentId)}/${org.units.get(id)!.name}`);
    return new Map(modelQueries.organizationAccounts(tree.model).map((a) => [a.id, path(a.parentId!)]));
  }

  for (const pageSize of [1, 7, 20]) {
    it(`walks the whole tree with ListRoots, ListOrganizationalUnitsForParent and ListAccountsForParent at MaxResults=${pageSize}`, async () => {
      const { Roots } = await client.send(new ListRootsCommand({}));
      expect(Roots).toEqual([{ Id: tree.model.organization!.root.id, Arn: tree.model.organization!.root.arn, Name: "Root", PolicyTypes: [{ Type: "SERVICE_CONTROL_POLICY", Status: "ENABLED" }] }]);
      const placement = new Map<string, string>();
      let depth = 0;
      const walk = async (parentId: string, path: string, level: number): Promise<void> => {
        depth = Math.max(depth, level);
        const accounts = await collect(paginateListAccountsForParent({ client, pageSize }, { ParentId: parentId }), (p) => p.Accounts);
        for (const a of accounts.items) {
          expect(placement.has(a.Id!)).toBe(false);
          placement.set(a.Id!, path);
        }
        const units = await collect(paginateListOrganizationalUnitsForParent({ client, pageSize }, { ParentId: parentId }), (p) => p.OrganizationalUnits);
        for (const u of units.items) await walk(u.Id!, `${path}/${u.Name}`, level + 1);
      };
      await walk(Roots![0]!.Id!, "", 0);
      expect(placement).toEqual(expectedPlacement());
      expect(depth).toBeGreaterThanOrEqual(3);
      expect(Math.max(...[...tree.model.organization!.children.values()].map((c) => c.accounts.length))).toBeGreaterThan(20);
    });
  }

  it("ListChildren lists the same accounts and OUs; ListParents and DescribeOrganizationalUnit agree with the model", async () => {
    const org = tree.model.organization!;
    for (const parentId of [org.root.id, ...[...org.units].map((u) => u.id)]) {
      const accounts = await collect(paginateListChildren({ client, pageSize: 20 }, { ParentId: parentId, ChildType: "ACCOUNT" }), (p) => p.Children);
      expect(accounts.items).toEqual([...(org.children.get(parentId)?.accounts ?? [])].map((a) => ({ Id: a.id, Type: "ACCOUNT" })));
      const units = await collect(paginateListChildren({ client, pageSize: 3 }, { ParentId: parentId, ChildType: "ORGANIZATIONAL_UNIT" }), (p) => p.Children);
      expect(units.items).toEqual([...(org.children.get(parentId)?.units ?? [])].map((u) => ({ Id: u.id, Type: "ORGANIZATIONAL_UNIT" })));
    }
    const nested = [...org.units].find((u) => u.parentId !== org.root.id)!;
    expect((await client.send(new ListParentsCommand({ ChildId: nested.id }))).Parents).toEqual([{ Id: nested.parentId, Type: "ORGANIZATIONAL_UNIT" }]);
    const top = [...org.units].find((u) => u.parentId === org.root.id)!;
    expect((await client.send(new ListParentsCommand({ ChildId: top.id }))).Parents).toEqual([{ Id: org.root.id, Type: "ROOT" }]);
    const placed = modelQueries.organizationAccounts(tree.model).find((a) => a.parentId !== org.root.id)!;
    expect((await client.send(new ListParentsCommand({ ChildId: placed.id }))).Parents).toEqual([{ Id: placed.parentId, Type: "ORGANIZATIONAL_UNIT" }]);
    expect((await client.send(new ListParentsCommand({ ChildId: org.managementAccountId }))).Parents).toEqual([{ Id: org.root.id, Type: "ROOT" }]);
    const { OrganizationalUnit } = await client.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: nested.id }));
    expect(OrganizationalUnit).toEqual({ Id: nested.id, Arn: `arn:aws:organizations::${org.managementAccountId}:ou/${org.id}/${nested.id}`, Name: nested.name });
  });

  it("answers Organizations' errors: unknown parent, child or OU, bad ids, member accounts, no organisation", async () => {
    const org = tree.model.organization!;
    const ghostOu = `ou-${org.root.id.slice(2)}-zzzzzzzz`;
    const parent = await rejectionOf(client.send(new ListAccountsForParentCommand({ ParentId: ghostOu })));
    expect(parent).toBeInstanceOf(ParentNotFoundException);
    expect(parent.$metadata?.httpStatusCode).toBe(404);
    expect(await rejectionOf(client.send(new ListOrganizationalUnitsForParentCommand({ ParentId: "r-zzzz" })))).toBeInstanceOf(ParentNotFoundException);
    const standalone = [...tree.model.accounts].find((a) => !a.inOrganization)!;
    expect(await rejectionOf(client.send(new ListParentsCommand({ ChildId: standalone.id })))).toBeInstanceOf(ChildNotFoundException);
    expect(await rejectionOf(client.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: ghostOu })))).toBeInstanceOf(OrganizationalUnitNotFoundException);
    const badId = await rejectionOf(client.send(new ListAccountsForParentCommand({ ParentId: "Workloads" })));
    expect(badId).toBeInstanceOf(InvalidInputException);
    expect(badId.Reason).toBe("INVALID_PATTERN");
    expect((await rejectionOf(client.send(new ListAccountsForParentCommand({ ParentId: org.root.id, MaxResults: 21 })))).Reason).toBe("MAX_VALUE_EXCEEDED");
    expect(await rejectionOf(clientsFor(tree, "member").organizations.send(new ListRootsCommand({})))).toBeInstanceOf(AccessDeniedException);
    expect(await rejectionOf(clientsFor(tree, "standalone").organizations.send(new ListRootsCommand({})))).toBeInstanceOf(AWSOrganizationsNotInUseException);
  });
});
