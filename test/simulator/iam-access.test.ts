/**
 * IAM access-model reads through the real SDK client: managed policies and versions, attached and
 * inline policies, policy entities, roles' descriptions and last use, and user credentials. Exact
 * answers come from the example organisation (docs/examples/org.example.json); pagination is
 * checked against the model of a generated organisation.
 */
import {
  GetAccessKeyLastUsedCommand,
  GetGroupPolicyCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  InvalidInputException,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListGroupPoliciesCommand,
  ListMFADevicesCommand,
  ListPoliciesCommand,
  type ListPoliciesCommandInput,
  ListPolicyVersionsCommand,
  ListRolesCommand,
  ListServiceSpecificCredentialsCommand,
  ListSigningCertificatesCommand,
  ListSSHPublicKeysCommand,
  ListVirtualMFADevicesCommand,
  NoSuchEntityException,
  paginateListAccessKeys,
  paginateListAttachedRolePolicies,
  paginateListAttachedUserPolicies,
  paginateListEntitiesForPolicy,
  paginateListPolicies,
  paginateListRolePolicies,
  paginateListUserPolicies,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type IamAccount, type Simulator } from "../../src/simulator/index.js";
import { clientsFor, collect, fastRetries, rejectionOf } from "./helpers.js";

const EXAMPLE = new URL("../../docs/examples/org.example.json", import.meta.url).pathname;
const MANAGEMENT = "111122223333";
const local = (name: string) => `arn:aws:iam::${MANAGEMENT}:policy${name}`;
const aws = (name: string) => `arn:aws:iam::aws:policy/${name}`;
const decode = (document: string | undefined) => JSON.parse(decodeURIComponent(document!)) as { Statement: Array<Record<string, unknown>> };

let example: Simulator;
let iam: IAMClient;
let generated: Simulator;
let generatedIam: IAMClient;
let managementIam: IamAccount;

beforeAll(async () => {
  example = await startSimulator({ orgFile: EXAMPLE });
  iam = clientsFor(example).iam;
  generated = await startSimulator({ profile: "small", seed: 3 });
  generatedIam = clientsFor(generated).iam;
  managementIam = generated.model.accounts.get(generated.model.organization!.managementAccountId)!.iam;
});
afterAll(async () => {
  await example.stop();
  await generated.stop();
});

describe("managed policies", () => {
  it("ListPolicies: Scope, OnlyAttached, PathPrefix and PolicyUsageFilter", async () => {
    const arns = async (input: ListPoliciesCommandInput) =>
      (await collect(paginateListPolicies({ client: iam, pageSize: 5 }, input), (p) => p.Policies)).items.map((p) => p.Arn);
    expect(await arns({ Scope: "Local" })).toEqual([local("/DeployerPolicy"), local("/boundaries/DeveloperBoundary")]);
    const awsScope = await arns({ Scope: "AWS" });
    expect(awsScope).toEqual([...example.model.awsManagedPolicies].map((p) => p.arn));
    expect(awsScope).toContain(aws("AmazonSageMakerFullAccess")); // declared in the file
    expect(await arns({})).toEqual([local("/DeployerPolicy"), local("/boundaries/DeveloperBoundary"), ...awsScope]);
    expect(await arns({ OnlyAttached: true })).toEqual([local("/DeployerPolicy"), local("/boundaries/DeveloperBoundary"), aws("AdministratorAccess"), aws("ReadOnlyAccess")]);
    expect(await arns({ OnlyAttached: true, PolicyUsageFilter: "PermissionsPolicy" })).toEqual([local("/DeployerPolicy"), aws("AdministratorAccess"), aws("ReadOnlyAccess")]);
    expect(await arns({ OnlyAttached: true, PolicyUsageFilter: "PermissionsBoundary" })).toEqual([local("/boundaries/DeveloperBoundary")]);
    expect(await arns({ PathPrefix: "/job-function/", Scope: "AWS" })).toEqual(awsScope.filter((arn) => arn!.includes(":policy/job-function/")));
    const bad = await rejectionOf(iam.send(new ListPoliciesCommand({ Scope: "Mine" as never })));
    expect(bad.name).toBe("ValidationError");
    expect((await rejectionOf(iam.send(new ListPoliciesCommand({ PathPrefix: "no-slash" })))).name).toBe("ValidationError");
  });

  it("ListPolicies pages through every policy of the account at any page size", async () => {
    const expected = [...[...managementIam.policies].map((p) => p.arn), ...[...generated.model.awsManagedPolicies].map((p) => p.arn)];
    for (const pageSize of [1, 7, 1000]) {
      const { items, pages } = await collect(paginateListPolicies({ client: generatedIam, pageSize }, {}), (p) => p.Policies);
      expect(items.map((p) => p.Arn)).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / pageSize));
    }
  });

  it("GetPolicy, GetPolicyVersion and ListPolicyVersions; errors as IAM answers them", async () => {
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: local("/DeployerPolicy") }));
    expect(Policy).toMatchObject({ PolicyName: "DeployerPolicy", DefaultVersionId: "v2", AttachmentCount: 1, PermissionsBoundaryUsageCount: 0, IsAttachable: true });
    const { Versions } = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: local("/DeployerPolicy") }));
    expect(Versions!.map((v) => [v.VersionId, v.IsDefaultVersion, v.Document])).toEqual([
      ["v1", false, undefined],
      ["v2", true, undefined],
    ]);
    const v1 = await iam.send(new GetPolicyVersionCommand({ PolicyArn: local("/DeployerPolicy"), VersionId: "v1" }));
    expect(decode(v1.PolicyVersion!.Document).Statement[0]!.Action).toBe("cloudformation:Describe*");
    const admin = await iam.send(new GetPolicyVersionCommand({ PolicyArn: aws("AdministratorAccess"), VersionId: "v1" }));
    expect(decode(admin.PolicyVersion!.Document)).toEqual({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
    expect(admin.PolicyVersion!.IsDefaultVersion).toBe(true);

    expect(await rejectionOf(iam.send(new GetPolicyVersionCommand({ PolicyArn: local("/DeployerPolicy"), VersionId: "v9" })))).toBeInstanceOf(NoSuchEntityException);
    expect(await rejectionOf(iam.send(new GetPolicyCommand({ PolicyArn: local("/Nope") })))).toBeInstanceOf(NoSuchEntityException);
    expect(await rejectionOf(iam.send(new GetPolicyCommand({ PolicyArn: aws("NotInTheCatalogue") })))).toBeInstanceOf(NoSuchEntityException);
    const malformed = await rejectionOf(iam.send(new GetPolicyCommand({ PolicyArn: "arn:aws:iam::123:role/not-a-policy" })));
    expect(malformed).toBeInstanceOf(InvalidInputException);
    expect(malformed.$metadata?.httpStatusCode).toBe(400);
    const foreign = await rejectionOf(iam.send(new GetPolicyCommand({ PolicyArn: "arn:aws:iam::444455556666:policy/boundaries/DeveloperBoundary" })));
    expect(foreign.name).toBe("AccessDenied");
    expect(foreign.$metadata?.httpStatusCode).toBe(403);
  });

  it("ListEntitiesForPolicy: groups, users and roles, by entity type, path and usage", async () => {
    const entities = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: aws("ReadOnlyAccess") }));
    expect(entities.PolicyGroups).toEqual([]);
    expect(entities.PolicyUsers).toEqual([]);
    expect(entities.PolicyRoles!.map((r) => r.RoleName)).toEqual([
      "ConnectorReadOnly",
      [...example.model.accounts.get(MANAGEMENT)!.iam.roles].find((r) => r.name.startsWith("AWSReservedSSO_ReadOnlyAccess_"))!.name,
    ]);
    const boundary = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: local("/boundaries/DeveloperBoundary"), PolicyUsageFilter: "PermissionsBoundary" }));
    expect(boundary.PolicyUsers).toEqual([{ UserName: "ci-bot", UserId: example.model.accounts.get(MANAGEMENT)!.iam.users.get("ci-bot")!.id }]);
    const asPermissions = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: local("/boundaries/DeveloperBoundary"), PolicyUsageFilter: "PermissionsPolicy" }));
    expect(asPermissions.PolicyUsers).toEqual([]);
    const onlyRoles = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: aws("ReadOnlyAccess"), EntityFilter: "Role", PathPrefix: "/aws-reserved/" }));
    expect(onlyRoles.PolicyRoles).toHaveLength(1);

    // Across pages on a generated account: exactly the entities the model attaches the most used policy to.
    const counts = new Map<string, number>();
    for (const e of [...managementIam.groups, ...managementIam.users, ...managementIam.roles]) for (const a of e.attachedPolicies) counts.set(a, (counts.get(a) ?? 0) + 1);
    const [arn] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    const expected = [
      ...[...managementIam.groups].filter((g) => g.attachedPolicies.includes(arn)).map((g) => `group:${g.name}`),
      ...[...managementIam.users].filter((u) => u.attachedPolicies.includes(arn)).map((u) => `user:${u.name}`),
      ...[...managementIam.roles].filter((r) => r.attachedPolicies.includes(arn)).map((r) => `role:${r.name}`),
    ];
    expect(expected.length).toBeGreaterThan(2);
    const pages = await collect(paginateListEntitiesForPolicy({ client: generatedIam, pageSize: 1 }, { PolicyArn: arn }), (p) => [
      ...(p.PolicyGroups ?? []).map((g) => `group:${g.GroupName}`),
      ...(p.PolicyUsers ?? []).map((u) => `user:${u.UserName}`),
      ...(p.PolicyRoles ?? []).map((r) => `role:${r.RoleName}`),
    ]);
    expect(pages.items).toEqual(expected);
    expect(pages.pages).toBe(expected.length);
  });
});

describe("attached and inline policies of users, groups and roles", () => {
  it("ListAttached*Policies page through the model's attachments and filter on the policy path", async () => {
    const user = [...managementIam.users].find((u) => u.attachedPolicies.length >= 2)!;
    const role = [...managementIam.roles].find((r) => r.attachedPolicies.length >= 2)!;
    for (const pageSize of [1, 2, 100]) {
      const users = await collect(paginateListAttachedUserPolicies({ client: generatedIam, pageSize }, { UserName: user.name }), (p) => p.AttachedPolicies);
      expect(users.items.map((p) => p.PolicyArn)).toEqual(user.attachedPolicies);
      const roles = await collect(paginateListAttachedRolePolicies({ client: generatedIam, pageSize }, { RoleName: role.name }), (p) => p.AttachedPolicies);
      expect(roles.items.map((p) => p.PolicyArn)).toEqual(role.attachedPolicies);
      expect(roles.items[0]!.PolicyName).toBe(role.attachedPolicies[0]!.slice(role.attachedPolicies[0]!.lastIndexOf("/") + 1));
    }
    const filtered = await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: "Deployers", PathPrefix: "/boundaries/" }));
    expect(filtered.AttachedPolicies).toEqual([]);
    expect(await rejectionOf(iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: "Nobody" })))).toBeInstanceOf(NoSuchEntityException);
  });

  it("List*Policies and Get*Policy return inline policies URL-encoded; a missing one is NoSuchEntity", async () => {
    const { PolicyNames } = await iam.send(new ListGroupPoliciesCommand({ GroupName: "Deployers" }));
    expect(PolicyNames).toEqual(["read-artifacts"]);
    const group = await iam.send(new GetGroupPolicyCommand({ GroupName: "Deployers", PolicyName: "read-artifacts" }));
    expect(group.PolicyDocument).toMatch(/^%7B/);
    expect(decode(group.PolicyDocument).Statement[0]).toEqual({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::artifacts/*" });
    const missing = await rejectionOf(iam.send(new GetUserPolicyCommand({ UserName: "ci-bot", PolicyName: "none" })));
    expect(missing).toBeInstanceOf(NoSuchEntityException);
    expect(missing.message).toBe("The user policy with name none cannot be found.");

    const member = clientsFor(example, "member").iam;
    const reserved = [...example.model.accounts.get("444455556666")!.iam.roles].find((r) => r.name.startsWith("AWSReservedSSO_Developer_"))!;
    const rolePolicy = await member.send(new GetRolePolicyCommand({ RoleName: reserved.name, PolicyName: "AwsSSOInlinePolicy" }));
    expect(decode(rolePolicy.PolicyDocument).Statement[0]!.Resource).toBe("arn:aws:s3:::dev-*");

    const user = [...managementIam.users].find((u) => u.inlinePolicies.length > 0)!;
    const role = [...managementIam.roles].find((r) => r.inlinePolicies.length > 0)!;
    const users = await collect(paginateListUserPolicies({ client: generatedIam, pageSize: 1 }, { UserName: user.name }), (p) => p.PolicyNames);
    expect(users.items).toEqual(user.inlinePolicies.map((p) => p.name));
    const roles = await collect(paginateListRolePolicies({ client: generatedIam, pageSize: 1 }, { RoleName: role.name }), (p) => p.PolicyNames);
    expect(roles.items).toEqual(role.inlinePolicies.map((p) => p.name));
  });
});

describe("roles and users", () => {
  it("ListRoles carries Description and MaxSessionDuration; GetRole adds RoleLastUsed, boundary and tags", async () => {
    const { Roles } = await generatedIam.send(new ListRolesCommand({ MaxItems: 1000 }));
    expect(Roles!.map((r) => [r.RoleName, r.Description, r.MaxSessionDuration])).toEqual([...managementIam.roles].map((r) => [r.name, r.description, r.maxSessionDuration]));
    expect(Roles!.every((r) => r.RoleLastUsed === undefined && r.Tags === undefined)).toBe(true);
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: "ConnectorReadOnly" }));
    expect(Role).toMatchObject({ Description: "Assumed by the access-governance connector", MaxSessionDuration: 7200, RoleLastUsed: { LastUsedDate: new Date("2024-12-31T12:00:00Z"), Region: "eu-west-1" } });
    const bounded = [...managementIam.roles].find((r) => r.permissionsBoundary)!;
    const got = await generatedIam.send(new GetRoleCommand({ RoleName: bounded.name }));
    expect(got.Role!.PermissionsBoundary).toEqual({ PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: bounded.permissionsBoundary });
  });

  it("GetUser carries PasswordLastUsed and the permissions boundary", async () => {
    const { User } = await iam.send(new GetUserCommand({ UserName: "sim-admin" }));
    expect(User!.PasswordLastUsed).toEqual(new Date("2024-11-02T08:15:00Z"));
    const bot = await iam.send(new GetUserCommand({ UserName: "ci-bot" }));
    expect(bot.User!.PasswordLastUsed).toBeUndefined();
    expect(bot.User!.PermissionsBoundary!.PermissionsBoundaryArn).toBe(local("/boundaries/DeveloperBoundary"));
  });
});

describe("user credentials", () => {
  it("ListAccessKeys (the caller's own without UserName) and GetAccessKeyLastUsed, used or never used", async () => {
    const own = await iam.send(new ListAccessKeysCommand({}));
    expect(own.AccessKeyMetadata!.map((k) => [k.UserName, k.AccessKeyId, k.Status])).toEqual([["sim-admin", "AKIASIMMGMTADMIN0001", "Active"]]);
    const bot = await iam.send(new ListAccessKeysCommand({ UserName: "ci-bot" }));
    expect(bot.AccessKeyMetadata!.map((k) => k.Status)).toEqual(["Inactive", "Active"]);
    const [inactive, active] = bot.AccessKeyMetadata!;
    expect(inactive!.CreateDate).toEqual(new Date("2022-03-04T05:06:07Z"));
    const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: active!.AccessKeyId }));
    expect(used).toMatchObject({ UserName: "ci-bot", AccessKeyLastUsed: { LastUsedDate: new Date("2024-12-30T23:00:00Z"), ServiceName: "cloudformation", Region: "eu-west-1" } });
    const never = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: inactive!.AccessKeyId }));
    expect(never.AccessKeyLastUsed).toEqual({ ServiceName: "N/A", Region: "N/A" });
    expect(await rejectionOf(iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: "AKIAAAAAAAAAAAAAAAAA" })))).toBeInstanceOf(NoSuchEntityException);
    expect(await rejectionOf(iam.send(new ListAccessKeysCommand({ UserName: "ghost" })))).toBeInstanceOf(NoSuchEntityException);

    // Across pages: every key of every generated user.
    for (const user of [...managementIam.users].filter((u) => u.accessKeys.length === 2)) {
      const { items, pages } = await collect(paginateListAccessKeys({ client: generatedIam, pageSize: 1 }, { UserName: user.name }), (p) => p.AccessKeyMetadata);
      expect(pages).toBe(2);
      expect(items.map((k) => k.AccessKeyId)).toEqual(user.accessKeys.map((k) => k.id));
    }
  });

  it("a role session must name the user; it has no keys of its own", async () => {
    const sts = clientsFor(example).sts;
    const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MANAGEMENT}:role/ConnectorReadOnly`, RoleSessionName: "reader", ExternalId: "example-external-id" }));
    const session = new IAMClient({ ...example.clientConfig({ accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken }), retryStrategy: fastRetries() });
    const error = await rejectionOf(session.send(new ListAccessKeysCommand({})));
    expect(error.name).toBe("ValidationError");
    expect((await session.send(new ListAccessKeysCommand({ UserName: "ci-bot" }))).AccessKeyMetadata).toHaveLength(2);
  });

  it("GetLoginProfile, ListMFADevices, ListVirtualMFADevices, ListSigningCertificates, ListSSHPublicKeys, ListServiceSpecificCredentials", async () => {
    const profile = await iam.send(new GetLoginProfileCommand({ UserName: "sim-admin" }));
    expect(profile.LoginProfile).toEqual({ UserName: "sim-admin", CreateDate: new Date("2020-01-02T00:00:00Z"), PasswordResetRequired: false });
    const none = await rejectionOf(iam.send(new GetLoginProfileCommand({ UserName: "ci-bot" })));
    expect(none).toBeInstanceOf(NoSuchEntityException);
    expect(none.message).toBe("Login Profile for User ci-bot cannot be found.");

    const mfa = await iam.send(new ListMFADevicesCommand({ UserName: "sim-admin" }));
    expect(mfa.MFADevices).toEqual([{ UserName: "sim-admin", SerialNumber: `arn:aws:iam::${MANAGEMENT}:mfa/sim-admin`, EnableDate: new Date("2020-01-02T00:05:00Z") }]);
    const virtual = await iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: "Assigned" }));
    expect(virtual.VirtualMFADevices!.map((d) => [d.SerialNumber, d.User?.UserName])).toEqual([[`arn:aws:iam::${MANAGEMENT}:mfa/sim-admin`, "sim-admin"]]);
    expect((await iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: "Unassigned" }))).VirtualMFADevices).toEqual([]);

    expect((await iam.send(new ListSigningCertificatesCommand({ UserName: "ci-bot" }))).Certificates).toEqual([]);
    const ssh = await iam.send(new ListSSHPublicKeysCommand({ UserName: "ci-bot" }));
    expect(ssh.SSHPublicKeys!.map((k) => [k.UserName, k.Status, k.UploadDate])).toEqual([["ci-bot", "Active", new Date("2022-03-05T00:00:00Z")]]);
    expect(ssh.SSHPublicKeys![0]!.SSHPublicKeyId).toMatch(/^APKA[A-Z0-9]{16}$/);
    const creds = await iam.send(new ListServiceSpecificCredentialsCommand({ UserName: "ci-bot" }));
    expect(creds.ServiceSpecificCredentials!.map((c) => [c.ServiceName, c.ServiceUserName, c.Status])).toEqual([["codecommit.amazonaws.com", `ci-bot-at-${MANAGEMENT}`, "Active"]]);
    expect((await iam.send(new ListServiceSpecificCredentialsCommand({ UserName: "ci-bot", ServiceName: "cassandra.amazonaws.com" }))).ServiceSpecificCredentials).toEqual([]);

    const certified = [...managementIam.users].find((u) => u.signingCertificates.length > 0);
    if (certified) {
      const { Certificates } = await generatedIam.send(new ListSigningCertificatesCommand({ UserName: certified.name }));
      expect(Certificates!.map((c) => c.CertificateId)).toEqual(certified.signingCertificates.map((c) => c.id));
      expect(Certificates![0]!.CertificateBody).toMatch(/^-----BEGIN CERTIFICATE-----/);
    }
  });
});
