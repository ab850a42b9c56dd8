/**
 * Parity with moto: the same small organisation is seeded into moto (through its write APIs)
 * and into the simulator (as an OrgSpec); the same reads are then made against both with the
 * real SDK clients, and the normalised answers must match wherever moto is faithful.
 *
 * Where moto is NOT faithful we follow AWS (aws-behaviour.md §11), and only the simulator side
 * is checked (in the other test files):
 * - IAM ListUsers/ListGroups/GetGroup/ListGroupsForUser ignore MaxItems/Marker (moto returns
 *   everything in one page); we page with MaxItems 1–1000. Parity below compares full results.
 * - IAM user ids from moto 5.2.1 are 20 lower-case characters; AWS uses 21-char AIDA….
 * - IAM ListRoles: moto returns AssumeRolePolicyDocument as plain JSON, GetRole URL-encodes it;
 *   we URL-encode in both, like GetAccountAuthorizationDetails (AWS ListRoles encoding unverified).
 * - Organizations ListAccounts: moto has no 20-item page cap; member accounts never get
 *   AccessDenied; without an organisation it answers [] instead of AWSOrganizationsNotInUse.
 * - SSO Admin: moto builds permission-set ARNs as `…:instance/ssoins-…/ps-…` instead of
 *   `…:permissionSet/ssoins-…/ps-…`; ids use lower-case alphanumerics, not hex; assignment
 *   operations are SUCCEEDED at once (never IN_PROGRESS/FAILED); duplicate creates are not
 *   detected; every error is HTTP 400. Parity below compares names, not ARNs, and waits for
 *   our asynchronous operations.
 * - Identity Store: moto accepts duplicate CreateGroupMembership (we answer ConflictException),
 *   deleting a missing membership succeeds (we answer ResourceNotFoundException), unknown
 *   identity stores are created silently, and MaxResults has no maximum.
 * - STS: moto's AssumeRole neither requires the role to exist nor checks sts:ExternalId; its
 *   GetCallerIdentity answers a fixed `user/moto` principal for unknown keys (we reject them).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import {
  AddUserToGroupCommand,
  CreateGroupCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetGroupCommand,
  GetRoleCommand,
  ListGroupsForUserCommand,
  RemoveUserFromGroupCommand,
  paginateListGroups,
  paginateListRoles,
  paginateListUsers,
} from "@aws-sdk/client-iam";
import {
  CreateGroupCommand as CreateSsoGroupCommand,
  CreateGroupMembershipCommand,
  CreateUserCommand as CreateSsoUserCommand,
  DescribeUserCommand,
  paginateListGroupMemberships,
  paginateListGroupMembershipsForMember,
  paginateListGroups as paginateSsoGroups,
  paginateListUsers as paginateSsoUsers,
} from "@aws-sdk/client-identitystore";
import { CreateAccountCommand, CreateOrganizationCommand, DescribeAccountCommand, DescribeOrganizationCommand, paginateListAccounts } from "@aws-sdk/client-organizations";
import {
  CreateAccountAssignmentCommand,
  CreatePermissionSetCommand,
  DescribePermissionSetCommand,
  ListInstancesCommand,
  paginateListAccountAssignments,
  paginateListAccountAssignmentsForPrincipal,
  paginateListPermissionSets,
} from "@aws-sdk/client-sso-admin";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type OrgSpec, type Simulator } from "../../src/simulator/index.js";
import { clientsFor, clientsForConfig, collect, type Clients } from "./helpers.js";

/** The Python with moto installed: CI sets MOTO_PYTHON to its venv. */
const PYTHON = process.env.MOTO_PYTHON ?? process.env.PYTHON ?? "python3";
const motoInstalled = spawnSync(PYTHON, ["-c", "import moto.server, flask, flask_cors"], { stdio: "ignore" }).status === 0;
const WHY_NOT = `moto is not installed for ${PYTHON} (install it with: pip install "moto[server]")`;

/** The shared seed data, small on purpose. moto's default account id is the management account. */
const MANAGEMENT = "123456789012";
const DATA = {
  iamGroups: [{ name: "Admins" }, { name: "Developers", path: "/eng/" }, { name: "Auditors" }],
  iamUsers: [
    { name: "alice", path: "/eng/", groups: ["Admins", "Developers"] },
    { name: "bob", groups: ["Developers"] },
    { name: "carol", path: "/eng/", groups: [] as string[] },
    { name: "dave", groups: ["Auditors", "Developers"] },
    { name: "erin", groups: ["Admins"] },
  ],
  iamRoles: [
    { name: "ReadOnly", trust: { AWS: `arn:aws:iam::${MANAGEMENT}:root` } },
    { name: "Deploy", path: "/ci/", trust: { AWS: `arn:aws:iam::${MANAGEMENT}:user/eng/alice` }, maxSessionDuration: 7200 },
  ],
  accounts: [
    { id: "210987654321", name: "production", email: "prod@example.com" },
    { id: "310987654321", name: "staging", email: "staging@example.com" },
  ],
  ssoUsers: [
    { userName: "ann", givenName: "Ann", familyName: "Archer", email: "ann@example.com" },
    { userName: "ben", givenName: "Ben", familyName: "Brook", email: "ben@example.com" },
    { userName: "cat", givenName: "Cat", familyName: "Cole", email: "cat@example.com" },
    { userName: "dan", givenName: "Dan", familyName: "Drew", email: "dan@example.com" },
  ],
  ssoGroups: [
    { displayName: "Engineering", description: "Engineers", members: ["ann", "ben", "dan"] },
    { displayName: "Finance", description: "Money", members: ["cat", "dan"] },
  ],
  permissionSets: [
    { name: "ReadOnly", description: "Read only", sessionDuration: "PT2H" },
    { name: "Admin", description: "Administrator", sessionDuration: "PT1H" },
  ],
  assignments: [
    { account: "production", permissionSet: "ReadOnly", principalType: "GROUP" as const, principal: "Engineering" },
    { account: "production", permissionSet: "Admin", principalType: "USER" as const, principal: "ann" },
    { account: "staging", permissionSet: "ReadOnly", principalType: "GROUP" as const, principal: "Finance" },
  ],
};

const trustDocument = (principal: Record<string, string>) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }] });

function simulatorSpec(): OrgSpec {
  return {
    version: 1,
    organization: { managementAccountId: MANAGEMENT },
    accounts: [
      {
        id: MANAGEMENT,
        name: "master",
        email: "master@example.com",
        iam: {
          groups: DATA.iamGroups,
          users: DATA.iamUsers,
          roles: DATA.iamRoles.map((r) => ({ name: r.name, path: r.path, maxSessionDuration: r.maxSessionDuration, trustPolicy: trustDocument(r.trust) })),
        },
      },
      ...DATA.accounts,
    ],
    identityCenter: {
      users: DATA.ssoUsers.map((u) => ({ ...u, displayName: `${u.givenName} ${u.familyName}` })),
      groups: DATA.ssoGroups,
      permissionSets: DATA.permissionSets,
      assignments: DATA.assignments.map((a) => ({ ...a, accountId: DATA.accounts.find((x) => x.name === a.account)!.id })),
    },
  };
}

async function seedMoto(clients: Clients): Promise<void> {
  for (const g of DATA.iamGroups) await clients.iam.send(new CreateGroupCommand({ GroupName: g.name, Path: g.path }));
  for (const u of DATA.iamUsers) {
    await clients.iam.send(new CreateUserCommand({ UserName: u.name, Path: u.path }));
    for (const g of u.groups) await clients.iam.send(new AddUserToGroupCommand({ GroupName: g, UserName: u.name }));
  }
  for (const r of DATA.iamRoles) {
    await clients.iam.send(
      new CreateRoleCommand({ RoleName: r.name, Path: r.path, MaxSessionDuration: r.maxSessionDuration, AssumeRolePolicyDocument: JSON.stringify(trustDocument(r.trust)) }),
    );
  }
  await clients.organizations.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
  const accountIds = new Map<string, string>();
  for (const a of DATA.accounts) {
    const { CreateAccountStatus } = await clients.organizations.send(new CreateAccountCommand({ AccountName: a.name, Email: a.email }));
    accountIds.set(a.name, CreateAccountStatus!.AccountId!);
  }
  const { Instances } = await clients.ssoAdmin.send(new ListInstancesCommand({}));
  const { InstanceArn, IdentityStoreId } = Instances![0]!;
  const userIds = new Map<string, string>();
  for (const u of DATA.ssoUsers) {
    const { UserId } = await clients.identitystore.send(
      new CreateSsoUserCommand({
        IdentityStoreId,
        UserName: u.userName,
        DisplayName: `${u.givenName} ${u.familyName}`,
        Name: { GivenName: u.givenName, FamilyName: u.familyName },
        Emails: [{ Value: u.email, Type: "work", Primary: true }],
      }),
    );
    userIds.set(u.userName, UserId!);
  }
  const groupIds = new Map<string, string>();
  for (const g of DATA.ssoGroups) {
    const { GroupId } = await clients.identitystore.send(new CreateSsoGroupCommand({ IdentityStoreId, DisplayName: g.displayName, Description: g.description }));
    groupIds.set(g.displayName, GroupId!);
    for (const m of g.members) {
      await clients.identitystore.send(new CreateGroupMembershipCommand({ IdentityStoreId, GroupId, MemberId: { UserId: userIds.get(m)! } }));
    }
  }
  const permissionSets = new Map<string, string>();
  for (const p of DATA.permissionSets) {
    const { PermissionSet } = await clients.ssoAdmin.send(new CreatePermissionSetCommand({ InstanceArn, Name: p.name, Description: p.description, SessionDuration: p.sessionDuration }));
    permissionSets.set(p.name, PermissionSet!.PermissionSetArn!);
  }
  for (const a of DATA.assignments) {
    await clients.ssoAdmin.send(
      new CreateAccountAssignmentCommand({
        InstanceArn,
        TargetId: accountIds.get(a.account)!,
        TargetType: "AWS_ACCOUNT",
        PermissionSetArn: permissionSets.get(a.permissionSet)!,
        PrincipalType: a.principalType,
        PrincipalId: a.principalType === "USER" ? userIds.get(a.principal)! : groupIds.get(a.principal)!,
      }),
    );
  }
}

const byKey = <T>(items: T[], key: (item: T) => string) => [...items].sort((a, b) => key(a).localeCompare(key(b)));
const decodeIfEncoded = (doc: string) => JSON.parse(doc.startsWith("%") ? decodeURIComponent(doc) : doc) as unknown;

/** The same reads against either endpoint, normalised to names (ids differ between the two). */
async function observe(clients: Clients) {
  const iam = clients.iam;
  const users = (await collect(paginateListUsers({ client: iam, pageSize: 2 }, {}), (p) => p.Users)).items;
  const groups = (await collect(paginateListGroups({ client: iam, pageSize: 2 }, {}), (p) => p.Groups)).items;
  const roles = (await collect(paginateListRoles({ client: iam, pageSize: 2 }, {}), (p) => p.Roles)).items;
  const members: Record<string, string[]> = {};
  for (const g of groups) members[g.GroupName!] = ((await iam.send(new GetGroupCommand({ GroupName: g.GroupName }))).Users ?? []).map((u) => u.UserName!).sort();
  const groupsOfUser: Record<string, string[]> = {};
  for (const u of users) groupsOfUser[u.UserName!] = ((await iam.send(new ListGroupsForUserCommand({ UserName: u.UserName }))).Groups ?? []).map((g) => g.GroupName!).sort();
  const roleDetails = [];
  for (const r of roles) {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: r.RoleName }));
    roleDetails.push({ name: Role!.RoleName, path: Role!.Path, arn: Role!.Arn, maxSessionDuration: Role!.MaxSessionDuration, trust: decodeIfEncoded(Role!.AssumeRolePolicyDocument!), listTrust: decodeIfEncoded(r.AssumeRolePolicyDocument!) });
  }

  const { Organization } = await clients.organizations.send(new DescribeOrganizationCommand({}));
  const accounts = (await collect(paginateListAccounts({ client: clients.organizations, pageSize: 20 }, {}), (p) => p.Accounts)).items;
  const accountName = new Map(accounts.map((a) => [a.Id!, a.Name!]));
  const described = [];
  for (const a of accounts) described.push((await clients.organizations.send(new DescribeAccountCommand({ AccountId: a.Id }))).Account!.Name);

  const { Instances } = await clients.ssoAdmin.send(new ListInstancesCommand({}));
  const { InstanceArn, IdentityStoreId } = Instances![0]!;
  const ssoUsers = (await collect(paginateSsoUsers({ client: clients.identitystore, pageSize: 2 }, { IdentityStoreId }), (p) => p.Users)).items;
  const ssoGroups = (await collect(paginateSsoGroups({ client: clients.identitystore, pageSize: 2 }, { IdentityStoreId }), (p) => p.Groups)).items;
  const userName = new Map(ssoUsers.map((u) => [u.UserId!, u.UserName!]));
  const groupName = new Map(ssoGroups.map((g) => [g.GroupId!, g.DisplayName!]));
  const principalName = (type: string | undefined, id: string) => (type === "USER" ? userName.get(id) : groupName.get(id));
  const ssoMembers: Record<string, string[]> = {};
  for (const g of ssoGroups) {
    const { items } = await collect(paginateListGroupMemberships({ client: clients.identitystore, pageSize: 2 }, { IdentityStoreId, GroupId: g.GroupId }), (p) => p.GroupMemberships);
    ssoMembers[g.DisplayName!] = items.map((m) => userName.get((m.MemberId as { UserId: string }).UserId)!).sort();
  }
  const ssoGroupsOf: Record<string, string[]> = {};
  for (const u of ssoUsers) {
    const { items } = await collect(paginateListGroupMembershipsForMember({ client: clients.identitystore, pageSize: 2 }, { IdentityStoreId, MemberId: { UserId: u.UserId! } }), (p) => p.GroupMemberships);
    ssoGroupsOf[u.UserName!] = items.map((m) => groupName.get(m.GroupId!)!).sort();
  }
  const firstUser = await clients.identitystore.send(new DescribeUserCommand({ IdentityStoreId, UserId: ssoUsers[0]!.UserId }));

  const permissionSetArns = (await collect(paginateListPermissionSets({ client: clients.ssoAdmin, pageSize: 1 }, { InstanceArn }), (p) => p.PermissionSets)).items;
  const permissionSets = [];
  const psName = new Map<string, string>();
  for (const arn of permissionSetArns) {
    const { PermissionSet } = await clients.ssoAdmin.send(new DescribePermissionSetCommand({ InstanceArn, PermissionSetArn: arn }));
    psName.set(arn, PermissionSet!.Name!);
    permissionSets.push({ name: PermissionSet!.Name, description: PermissionSet!.Description, sessionDuration: PermissionSet!.SessionDuration });
  }
  const assignments = [];
  for (const account of accounts) {
    for (const arn of permissionSetArns) {
      const { items } = await collect(paginateListAccountAssignments({ client: clients.ssoAdmin, pageSize: 1 }, { InstanceArn, AccountId: account.Id, PermissionSetArn: arn }), (p) => p.AccountAssignments);
      assignments.push(...items.map((a) => `${accountName.get(a.AccountId!)}|${psName.get(a.PermissionSetArn!)}|${a.PrincipalType}|${principalName(a.PrincipalType, a.PrincipalId!)}`));
    }
  }
  const engineering = ssoGroups.find((g) => g.DisplayName === "Engineering")!;
  const forGroup = (await collect(paginateListAccountAssignmentsForPrincipal({ client: clients.ssoAdmin, pageSize: 1 }, { InstanceArn, PrincipalType: "GROUP", PrincipalId: engineering.GroupId }), (p) => p.AccountAssignments)).items;

  return {
    caller: { account: (await clients.sts.send(new GetCallerIdentityCommand({}))).Account },
    iam: {
      users: byKey(users.map((u) => ({ name: u.UserName, path: u.Path, arn: u.Arn })), (u) => u.name!),
      groups: byKey(groups.map((g) => ({ name: g.GroupName, path: g.Path, arn: g.Arn })), (g) => g.name!),
      members,
      groupsOfUser,
      roles: byKey(roleDetails, (r) => r.name!),
    },
    organizations: {
      featureSet: Organization!.FeatureSet,
      management: Organization!.MasterAccountId,
      accounts: byKey(accounts.map((a) => ({ name: a.Name, email: a.Email, status: a.Status, state: a.State })), (a) => a.name!),
      described: described.sort(),
    },
    identityStore: {
      users: byKey(ssoUsers.map((u) => ({ userName: u.UserName, displayName: u.DisplayName, given: u.Name?.GivenName, family: u.Name?.FamilyName, email: u.Emails?.[0]?.Value })), (u) => u.userName!),
      groups: byKey(ssoGroups.map((g) => ({ displayName: g.DisplayName, description: g.Description })), (g) => g.displayName!),
      members: ssoMembers,
      groupsOf: ssoGroupsOf,
      described: { userName: firstUser.UserName, email: firstUser.Emails?.[0]?.Value },
    },
    ssoAdmin: {
      permissionSets: byKey(permissionSets, (p) => p.name!),
      assignments: assignments.sort(),
      forGroup: forGroup.map((a) => `${accountName.get(a.AccountId!)}|${psName.get(a.PermissionSetArn!)}`).sort(),
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`moto did not answer at ${url} within ${deadlineMs} ms`);
}

if (!motoInstalled && process.env.CI) {
  describe("moto parity", () => {
    it("runs in CI", () => {
      throw new Error(`${WHY_NOT}. CI must run the parity suite, not skip it.`);
    });
  });
} else if (!motoInstalled) {
  console.warn(`moto parity suite skipped: ${WHY_NOT}`);
  describe.skip(`moto parity (skipped: ${WHY_NOT})`, () => {
    it("compares the simulator with moto", () => undefined);
  });
} else {
  describe("moto parity", () => {
    let moto: ChildProcess;
    let sim: Simulator;
    let motoClients: Clients;
    let motoView: Awaited<ReturnType<typeof observe>>;
    let simView: Awaited<ReturnType<typeof observe>>;

    beforeAll(async () => {
      const port = await freePort();
      moto = spawn(PYTHON, ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
      sim = await startSimulator({ org: simulatorSpec() });
      await waitForHttp(`http://127.0.0.1:${port}/moto-api/`, 30_000);
      motoClients = clientsForConfig({
        endpoint: `http://127.0.0.1:${port}`,
        region: "us-east-1",
        credentials: { accessKeyId: "AKIAMOTOPARITY000001", secretAccessKey: "moto" },
      });
      await seedMoto(motoClients);
      motoView = await observe(motoClients);
      simView = await observe(clientsFor(sim));
    }, 60_000);

    afterAll(async () => {
      moto?.kill("SIGTERM");
      await sim?.stop();
    });

    it("IAM users, groups, memberships and roles match", () => {
      expect(simView.iam.users).toHaveLength(DATA.iamUsers.length);
      expect(simView.iam.users).toEqual(motoView.iam.users);
      expect(simView.iam.groups).toEqual(motoView.iam.groups);
      expect(simView.iam.members).toEqual(motoView.iam.members);
      expect(simView.iam.groupsOfUser).toEqual(motoView.iam.groupsOfUser);
      expect(simView.iam.roles).toEqual(motoView.iam.roles);
    });

    it("STS caller account and Organizations accounts match", () => {
      expect(simView.caller).toEqual(motoView.caller);
      expect(simView.organizations.accounts).toHaveLength(DATA.accounts.length + 1);
      expect(simView.organizations).toEqual(motoView.organizations);
    });

    it("Identity Store users, groups and memberships match", () => {
      expect(simView.identityStore.users).toHaveLength(DATA.ssoUsers.length);
      expect(simView.identityStore).toEqual(motoView.identityStore);
    });

    it("SSO Admin permission sets and account assignments match (by name)", () => {
      expect(simView.ssoAdmin.assignments).toHaveLength(DATA.assignments.length);
      expect(simView.ssoAdmin).toEqual(motoView.ssoAdmin);
    });

    it("IAM group-membership write semantics match (idempotent add, non-member remove fails)", async () => {
      const outcome = async (clients: Clients) => ({
        add: await clients.iam.send(new AddUserToGroupCommand({ GroupName: "Admins", UserName: "alice" })).then(() => "ok", (e: Error) => e.name),
        remove: await clients.iam.send(new RemoveUserFromGroupCommand({ GroupName: "Auditors", UserName: "alice" })).then(() => "ok", (e: Error) => e.name),
        missing: await clients.iam.send(new GetGroupCommand({ GroupName: "Nope" })).then(() => "ok", (e: Error) => e.name),
      });
      const mine = await outcome(clientsFor(sim));
      expect(mine).toEqual({ add: "ok", remove: "NoSuchEntityException", missing: "NoSuchEntityException" });
      expect(await outcome(motoClients)).toEqual(mine);
    });
  });
}
