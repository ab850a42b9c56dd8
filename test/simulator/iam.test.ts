import {
  AddUserToGroupCommand,
  GetAccountAuthorizationDetailsCommand,
  GetGroupCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMServiceException,
  ListGroupsForUserCommand,
  ListUsersCommand,
  ListGroupsCommand,
  NoSuchEntityException,
  RemoveUserFromGroupCommand,
  paginateGetAccountAuthorizationDetails,
  paginateGetGroup,
  paginateListAccountAliases,
  paginateListGroups,
  paginateListGroupsForUser,
  paginateListRoles,
  paginateListUsers,
} from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type IamAccount, type Simulator } from "../../src/simulator/index.js";
import { clientsFor, collect, pageSizes, rawQuery, rejectionOf, withSimulator, type Clients } from "./helpers.js";

let sim: Simulator;
let clients: Clients;
let iam: IamAccount;

beforeAll(async () => {
  ({ sim, clients } = await withSimulator({ profile: "small", seed: 7 }));
  iam = sim.model.accounts.get(sim.model.organization!.managementAccountId)!.iam;
});
afterAll(() => sim.stop());

const expectedPages = (total: number, size: number) => Math.max(1, Math.ceil(total / size));

describe("IAM listings paginate to the end at every page size", () => {
  for (const size of pageSizes(1000)) {
    it(`ListUsers / ListGroups / ListRoles with MaxItems=${size}`, async () => {
      const client = clients.iam;
      const users = await collect(paginateListUsers({ client, pageSize: size }, {}), (p) => p.Users);
      expect(users.items.map((u) => u.UserName)).toEqual([...iam.users].map((u) => u.name));
      expect(users.pages).toBe(expectedPages(iam.users.length, size));
      const groups = await collect(paginateListGroups({ client, pageSize: size }, {}), (p) => p.Groups);
      expect(groups.items.map((g) => g.GroupId)).toEqual([...iam.groups].map((g) => g.id));
      expect(groups.pages).toBe(expectedPages(iam.groups.length, size));
      const roles = await collect(paginateListRoles({ client, pageSize: size }, {}), (p) => p.Roles);
      expect(roles.items.map((r) => r.Arn)).toEqual([...iam.roles].map((r) => r.arn));
      expect(roles.pages).toBe(expectedPages(iam.roles.length, size));
    });

    it(`GetGroup members, ListGroupsForUser and ListAccountAliases with MaxItems=${size}`, async () => {
      const client = clients.iam;
      const biggest = [...iam.groups].sort((a, b) => b.members.length - a.members.length)[0]!;
      expect(biggest.members.length).toBeGreaterThan(2);
      const members = await collect(paginateGetGroup({ client, pageSize: size }, { GroupName: biggest.name }), (p) => p.Users);
      expect(members.items.map((u) => u.UserName)).toEqual([...biggest.members].map((u) => u.name));
      expect(members.pages).toBe(expectedPages(biggest.members.length, size));
      const user = [...iam.users].find((u) => u.groups.length > 0)!;
      const groups = await collect(paginateListGroupsForUser({ client, pageSize: size }, { UserName: user.name }), (p) => p.Groups);
      expect(groups.items.map((g) => g.GroupName)).toEqual([...user.groups].map((g) => g.name));
      const aliases = await collect(paginateListAccountAliases({ client, pageSize: size }, {}), (p) => p.AccountAliases);
      expect(aliases.items).toEqual([iam.alias]);
    });

    it(`GetAccountAuthorizationDetails with MaxItems=${size} returns every entity once`, async () => {
      const details = { users: [] as string[], groups: [] as string[], roles: [] as string[], policies: [] as string[] };
      for await (const page of paginateGetAccountAuthorizationDetails({ client: clients.iam, pageSize: size }, {})) {
        details.users.push(...(page.UserDetailList ?? []).map((u) => u.UserName!));
        details.groups.push(...(page.GroupDetailList ?? []).map((g) => g.GroupName!));
        details.roles.push(...(page.RoleDetailList ?? []).map((r) => r.RoleName!));
        details.policies.push(...(page.Policies ?? []).map((p) => p.Arn!));
      }
      expect(details.users).toEqual([...iam.users].map((u) => u.name));
      expect(details.groups).toEqual([...iam.groups].map((g) => g.name));
      expect(details.roles).toEqual([...iam.roles].map((r) => r.name));
      const entities = [...iam.users, ...iam.groups, ...iam.roles];
      const used = entities.flatMap((e) => [...e.attachedPolicies, ...("permissionsBoundary" in e && e.permissionsBoundary ? [e.permissionsBoundary] : [])]);
      const usedAws = [...sim.model.awsManagedPolicies].map((p) => p.arn).filter((arn) => used.includes(arn));
      expect(details.policies).toEqual([...[...iam.policies].map((p) => p.arn), ...usedAws]);
    });
  }
});

describe("IAM shapes", () => {
  it("GetAccountAuthorizationDetails honours Filter and carries GroupList, Tags and URL-encoded trust policies", async () => {
    const roles = await clients.iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["Role"] }));
    expect(roles.UserDetailList).toEqual([]);
    expect(roles.RoleDetailList!.length).toBe(Math.min(100, iam.roles.length));
    const connector = roles.RoleDetailList!.find((r) => r.RoleName === "ConnectorReadOnly")!;
    expect(connector.AssumeRolePolicyDocument).toMatch(/^%7B%22Version%22/);
    expect(JSON.parse(decodeURIComponent(connector.AssumeRolePolicyDocument!))).toEqual(JSON.parse(iam.roles.get("ConnectorReadOnly")!.trustPolicy));
    expect(connector.Tags).toEqual([{ Key: "purpose", Value: "access-review" }]);

    const users = await clients.iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["User"], MaxItems: 1000 }));
    const admin = users.UserDetailList!.find((u) => u.UserName === "sim-admin")!;
    expect(admin.GroupList).toEqual(["Admins"]);
    expect(admin.Tags).toEqual([{ Key: "team", Value: "platform" }, { Key: "owner", Value: "security" }]);
    expect(users.IsTruncated).toBe(false);
    expect(users.Marker).toBeUndefined();

    const awsPolicies = await clients.iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["AWSManagedPolicy"] }));
    const admins = awsPolicies.Policies!.find((p) => p.Arn === "arn:aws:iam::aws:policy/AdministratorAccess")!;
    expect(admins.AttachmentCount).toBeGreaterThan(0);
    expect(admins.PolicyId).toMatch(/^ANPA[A-Z0-9]{17}$/);
  });

  it("uses real id formats and ISO timestamps", async () => {
    const { Users } = await clients.iam.send(new ListUsersCommand({}));
    for (const user of Users!) {
      expect(user.UserId).toMatch(/^AIDA[A-Z0-9]{17}$/);
      expect(user.Arn).toBe(`arn:aws:iam::${iam.accountId}:user${user.Path}${user.UserName}`);
      expect(user.CreateDate).toBeInstanceOf(Date);
    }
    const { Groups } = await clients.iam.send(new ListGroupsCommand({}));
    expect(Groups![0]!.GroupId).toMatch(/^AGPA[A-Z0-9]{17}$/);
    const { Role } = await clients.iam.send(new GetRoleCommand({ RoleName: "SecurityAudit" }));
    expect(Role!.RoleId).toMatch(/^AROA[A-Z0-9]{17}$/);
  });

  it("GetUser without a name answers the caller", async () => {
    const { User } = await clients.iam.send(new GetUserCommand({}));
    expect(User!.UserName).toBe("sim-admin");
    expect(User!.Tags).toEqual([{ Key: "team", Value: "platform" }, { Key: "owner", Value: "security" }]);
  });

  it("acts on the caller's own account: a member-account user sees that account's IAM", async () => {
    const member = clientsFor(sim, "member");
    const memberAccount = sim.model.accounts.get(sim.bindings.find((b) => b.userName === "sim-member")!.accountId)!;
    const { Users } = await member.iam.send(new ListUsersCommand({}));
    expect(Users!.map((u) => u.UserName)).toEqual([...memberAccount.iam.users].map((u) => u.name));
    expect(Users!.every((u) => u.Arn!.includes(`::${memberAccount.id}:`))).toBe(true);
  });
});

describe("IAM errors", () => {
  it("unknown group, user or role → NoSuchEntityException (404)", async () => {
    const group = await rejectionOf(clients.iam.send(new GetGroupCommand({ GroupName: "no-such-group" })));
    expect(group).toBeInstanceOf(NoSuchEntityException);
    expect(group.$metadata?.httpStatusCode).toBe(404);
    expect(await rejectionOf(clients.iam.send(new ListGroupsForUserCommand({ UserName: "nobody" })))).toBeInstanceOf(NoSuchEntityException);
    expect(await rejectionOf(clients.iam.send(new GetRoleCommand({ RoleName: "NoRole" })))).toBeInstanceOf(NoSuchEntityException);
    expect(await rejectionOf(clients.iam.send(new GetUserCommand({ UserName: "nobody" })))).toBeInstanceOf(NoSuchEntityException);
  });

  it("MaxItems outside 1..1000 and foreign or corrupt markers → ValidationError (400, unmodeled)", async () => {
    for (const MaxItems of [0, 1001]) {
      const error = await rejectionOf(clients.iam.send(new ListUsersCommand({ MaxItems })));
      expect(error).toBeInstanceOf(IAMServiceException);
      expect(error.name).toBe("ValidationError");
      expect(error.$metadata?.httpStatusCode).toBe(400);
    }
    const first = await clients.iam.send(new ListUsersCommand({ MaxItems: 1 }));
    expect(first.Marker).toBeTruthy();
    expect(first.Marker!.length).toBeLessThanOrEqual(320);
    expect((await rejectionOf(clients.iam.send(new ListGroupsCommand({ Marker: first.Marker })))).name).toBe("ValidationError");
    expect((await rejectionOf(clients.iam.send(new ListUsersCommand({ Marker: "garbage" })))).name).toBe("ValidationError");
    expect((await rejectionOf(clients.iam.send(new GetGroupCommand({} as never)))).name).toBe("ValidationError");
  });

  it("AddUserToGroup is idempotent, RemoveUserFromGroup of a non-member is NoSuchEntity, and writes persist", async () => {
    const user = [...iam.users].find((u) => !u.groups.has("Auditors"))!;
    await clients.iam.send(new AddUserToGroupCommand({ GroupName: "Auditors", UserName: user.name }));
    await clients.iam.send(new AddUserToGroupCommand({ GroupName: "Auditors", UserName: user.name }));
    expect(user.groups.has("Auditors")).toBe(true);
    const { Users } = await clients.iam.send(new GetGroupCommand({ GroupName: "Auditors", MaxItems: 1000 }));
    expect(Users!.filter((u) => u.UserName === user.name)).toHaveLength(1);

    await clients.iam.send(new RemoveUserFromGroupCommand({ GroupName: "Auditors", UserName: user.name }));
    expect(iam.groups.get("Auditors")!.members.has(user.name)).toBe(false);
    const again = await rejectionOf(clients.iam.send(new RemoveUserFromGroupCommand({ GroupName: "Auditors", UserName: user.name })));
    expect(again).toBeInstanceOf(NoSuchEntityException);
    expect(await rejectionOf(clients.iam.send(new AddUserToGroupCommand({ GroupName: "Auditors", UserName: "ghost" })))).toBeInstanceOf(NoSuchEntityException);
    expect(await rejectionOf(clients.iam.send(new AddUserToGroupCommand({ GroupName: "Ghosts", UserName: user.name })))).toBeInstanceOf(NoSuchEntityException);
  });
});

describe("GetAccountAuthorizationDetails carries the access model (example organisation)", () => {
  const EXAMPLE = new URL("../../docs/examples/org.example.json", import.meta.url).pathname;
  let example: Simulator;
  beforeAll(async () => {
    example = await startSimulator({ orgFile: EXAMPLE });
  });
  afterAll(() => example.stop());
  const decode = (document: string | undefined) => JSON.parse(decodeURIComponent(document!)) as unknown;

  it("managed policies with every version, attachment and boundary counts; AWS-managed ones only when used", async () => {
    const { Policies } = await clientsFor(example).iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["LocalManagedPolicy", "AWSManagedPolicy"] }));
    expect(Policies!.map((p) => [p.Arn, p.AttachmentCount, p.PermissionsBoundaryUsageCount])).toEqual([
      ["arn:aws:iam::111122223333:policy/DeployerPolicy", 1, 0],
      ["arn:aws:iam::111122223333:policy/boundaries/DeveloperBoundary", 0, 1],
      ["arn:aws:iam::aws:policy/AdministratorAccess", 1, 0],
      ["arn:aws:iam::aws:policy/ReadOnlyAccess", 2, 0], // ConnectorReadOnly and the ReadOnlyAccess permission set's role
    ]);
    const deployer = Policies![0]!;
    expect(deployer).toMatchObject({ PolicyName: "DeployerPolicy", Path: "/", DefaultVersionId: "v2", IsAttachable: true, Description: "Deploy application stacks" });
    expect(deployer.PolicyId).toMatch(/^ANPA[A-Z2-7]{17}$/);
    expect(deployer.CreateDate).toEqual(new Date("2020-02-01T00:00:00Z"));
    expect(deployer.UpdateDate).toEqual(new Date("2021-05-01T00:00:00Z"));
    expect(deployer.PolicyVersionList!.map((v) => [v.VersionId, v.IsDefaultVersion, (decode(v.Document) as { Statement: Array<{ Action: string }> }).Statement[0]!.Action])).toEqual([
      ["v1", false, "cloudformation:Describe*"],
      ["v2", true, "cloudformation:*"],
    ]);
    const admin = Policies![2]!;
    expect(decode(admin.PolicyVersionList!.find((v) => v.IsDefaultVersion)!.Document)).toEqual({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
  });

  it("users, groups and roles with inline policies, attachments, boundaries and role last use", async () => {
    const details = await clientsFor(example).iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["User", "Group", "Role"] }));
    const bot = details.UserDetailList!.find((u) => u.UserName === "ci-bot")!;
    expect(bot.PermissionsBoundary).toEqual({ PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: "arn:aws:iam::111122223333:policy/boundaries/DeveloperBoundary" });
    expect(bot.GroupList).toEqual(["Deployers"]);
    const deployers = details.GroupDetailList!.find((g) => g.GroupName === "Deployers")!;
    expect(deployers.AttachedManagedPolicies).toEqual([{ PolicyName: "DeployerPolicy", PolicyArn: "arn:aws:iam::111122223333:policy/DeployerPolicy" }]);
    expect(deployers.GroupPolicyList!.map((p) => [p.PolicyName, decode(p.PolicyDocument)])).toEqual([
      ["read-artifacts", { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::artifacts/*" }] }],
    ]);
    const connector = details.RoleDetailList!.find((r) => r.RoleName === "ConnectorReadOnly")!;
    expect(connector.RoleLastUsed).toEqual({ LastUsedDate: new Date("2024-12-31T12:00:00Z"), Region: "eu-west-1" });
    // RoleDetail has no Description or MaxSessionDuration (the SDK would drop them; check the wire).
    const xml = await (await rawQuery(example.endpoint, "Action=GetAccountAuthorizationDetails&Version=2010-05-08&Filter.member.1=Role")).text();
    expect(xml).toContain("<RoleName>ConnectorReadOnly</RoleName>");
    expect(xml).not.toMatch(/<MaxSessionDuration>|<Description>/);

    const member = await clientsFor(example, "member").iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["Role"] }));
    const developer = member.RoleDetailList!.find((r) => r.RoleName!.startsWith("AWSReservedSSO_Developer_"))!;
    expect(developer.Path).toBe("/aws-reserved/sso.amazonaws.com/");
    expect(developer.RolePolicyList!.map((p) => p.PolicyName)).toEqual(["AwsSSOInlinePolicy"]);
    expect(developer.AttachedManagedPolicies!.map((p) => p.PolicyArn)).toEqual([
      "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess",
      "arn:aws:iam::444455556666:policy/boundaries/DeveloperBoundary",
    ]);
    expect(developer.PermissionsBoundary!.PermissionsBoundaryArn).toBe("arn:aws:iam::444455556666:policy/boundaries/DeveloperBoundary");
    expect(developer.RoleLastUsed).toEqual({});
  });
});
