/**
 * Write operations through the real SDK clients: each succeeds or fails as AWS answers, and every
 * change shows in later reads (GetAccountAuthorizationDetails included) and in the model; the
 * write hook reports each write served.
 */
import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteConflictException,
  DeleteLoginProfileCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteSigningCertificateCommand,
  DeleteSSHPublicKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DeleteVirtualMFADeviceCommand,
  DetachUserPolicyCommand,
  EntityAlreadyExistsException,
  GetAccountAuthorizationDetailsCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  InvalidInputException,
  LimitExceededException,
  ListAccessKeysCommand,
  ListEntitiesForPolicyCommand,
  ListMFADevicesCommand,
  ListServiceSpecificCredentialsCommand,
  ListSigningCertificatesCommand,
  ListSSHPublicKeysCommand,
  ListUsersCommand,
  ListVirtualMFADevicesCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PasswordPolicyViolationException,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  TagUserCommand,
  UnmodifiableEntityException,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import {
  ConflictException,
  CreateGroupCommand,
  CreateGroupMembershipCommand,
  CreateUserCommand as CreateSsoUserCommand,
  DeleteGroupCommand,
  DeleteUserCommand as DeleteSsoUserCommand,
  DescribeUserCommand,
  GetUserIdCommand,
  ListGroupMembershipsCommand,
  ListUsersCommand as ListSsoUsersCommand,
  ResourceNotFoundException,
  UpdateUserCommand,
  ValidationException,
} from "@aws-sdk/client-identitystore";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HIDDEN, startSimulator, type OrgSpec, type Simulator, type WriteEvent } from "../../src/simulator/index.js";
import { clientsFor, fastRetries, manualClock, rejectionOf, type Clients } from "./helpers.js";

const ACCOUNT = "210000000001";
const statement = (action: string) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });

const SPEC: OrgSpec = {
  version: 1,
  organization: { managementAccountId: ACCOUNT },
  accounts: [
    {
      id: ACCOUNT,
      name: "management",
      email: "management@example.com",
      iam: {
        policies: [{ name: "AppRead", document: statement("s3:GetObject") }],
        groups: [{ name: "Developers" }],
        users: [
          { name: "sim-admin" },
          {
            name: "leaver",
            groups: ["Developers"],
            loginProfile: {},
            accessKeys: [{}, { status: "Inactive" }],
            signingCertificates: [{}],
            sshPublicKeys: [{}, {}],
            serviceSpecificCredentials: [{ serviceName: "codecommit.amazonaws.com" }],
            mfaDevices: [{}],
            inlinePolicies: [{ name: "scratch", document: statement("s3:*") }],
            attachedPolicies: ["arn:aws:iam::aws:policy/ReadOnlyAccess", `arn:aws:iam::${ACCOUNT}:policy/AppRead`],
          },
        ],
        roles: [
          { name: "app", trustPolicy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] } },
          {
            name: "AWSReservedSSO_Admin_0123456789abcdef",
            path: "/aws-reserved/sso.amazonaws.com/",
            trustPolicy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Federated: "arn:aws:iam::210000000001:saml-provider/AWSSSO" }, Action: "sts:AssumeRoleWithSAML" }] },
          },
        ],
      },
    },
  ],
  identityCenter: {
    users: [{ userName: "ann@example.com", givenName: "Ann", familyName: "Archer", email: "ann@example.com" }],
    groups: [{ displayName: "Engineering", members: ["ann@example.com"] }],
    permissionSets: [],
  },
};

const clock = manualClock();
let sim: Simulator;
let clients: Clients;
let iam: IAMClient;
const events: WriteEvent[] = [];

beforeAll(async () => {
  sim = await startSimulator({ org: SPEC, clock: clock.now });
  clients = clientsFor(sim);
  iam = clients.iam;
  sim.writes.subscribe((event) => events.push(event));
});
afterAll(() => sim.stop());

const model = () => sim.model.accounts.get(ACCOUNT)!.iam;
const gaadUsers = async () => (await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["User"], MaxItems: 1000 }))).UserDetailList!;

describe("IAM users", () => {
  it("CreateUser with path, tags and boundary; visible in GetUser, ListUsers, GAAD and the model; a second (any case) is EntityAlreadyExists", async () => {
    const { User } = await iam.send(
      new CreateUserCommand({ UserName: "newbie", Path: "/people/", Tags: [{ Key: "email", Value: "newbie@example.com" }], PermissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/AppRead` }),
    );
    expect(User).toMatchObject({ UserName: "newbie", Path: "/people/", Arn: `arn:aws:iam::${ACCOUNT}:user/people/newbie`, Tags: [{ Key: "email", Value: "newbie@example.com" }] });
    expect(User!.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect(User!.CreateDate).toEqual(new Date(clock.now() - (clock.now() % 1000)));
    expect((await iam.send(new GetUserCommand({ UserName: "newbie" }))).User!.PermissionsBoundary!.PermissionsBoundaryArn).toBe(`arn:aws:iam::${ACCOUNT}:policy/AppRead`);
    expect((await iam.send(new ListUsersCommand({}))).Users!.map((u) => u.UserName)).toContain("newbie");
    expect((await gaadUsers()).find((u) => u.UserName === "newbie")!.Tags).toEqual([{ Key: "email", Value: "newbie@example.com" }]);
    expect(model().users.get("newbie")!.id).toBe(User!.UserId);

    const again = await rejectionOf(iam.send(new CreateUserCommand({ UserName: "NEWBIE" })));
    expect(again).toBeInstanceOf(EntityAlreadyExistsException);
    expect(again.$metadata?.httpStatusCode).toBe(409);
    expect(await rejectionOf(iam.send(new CreateUserCommand({ UserName: "x", PermissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/Nope` })))).toBeInstanceOf(NoSuchEntityException);
    expect((await rejectionOf(iam.send(new CreateUserCommand({ UserName: "bad name" })))).name).toBe("ValidationError");
  });

  it("TagUser merges tags, UntagUser removes them; more than 50 → LimitExceeded", async () => {
    await iam.send(new TagUserCommand({ UserName: "newbie", Tags: [{ Key: "team", Value: "web" }, { Key: "email", Value: "n@example.com" }] }));
    expect((await iam.send(new GetUserCommand({ UserName: "newbie" }))).User!.Tags).toEqual([{ Key: "email", Value: "n@example.com" }, { Key: "team", Value: "web" }]);
    await iam.send(new UntagUserCommand({ UserName: "newbie", TagKeys: ["team"] }));
    expect(model().users.get("newbie")!.tags).toEqual([{ key: "email", value: "n@example.com" }]);
    const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    expect(await rejectionOf(iam.send(new TagUserCommand({ UserName: "newbie", Tags: many })))).toBeInstanceOf(LimitExceededException);
    expect(await rejectionOf(iam.send(new TagUserCommand({ UserName: "newbie", Tags: [{ Key: "a", Value: "1" }, { Key: "A", Value: "2" }] })))).toBeInstanceOf(InvalidInputException);
  });

  it("console password: weak → PasswordPolicyViolation; create, duplicate → EntityAlreadyExists; delete, delete again → NoSuchEntity", async () => {
    expect(await rejectionOf(iam.send(new CreateLoginProfileCommand({ UserName: "newbie", Password: "short" })))).toBeInstanceOf(PasswordPolicyViolationException);
    const { LoginProfile } = await iam.send(new CreateLoginProfileCommand({ UserName: "newbie", Password: "Corr3ct-Horse", PasswordResetRequired: true }));
    expect(LoginProfile).toMatchObject({ UserName: "newbie", PasswordResetRequired: true });
    expect((await iam.send(new GetLoginProfileCommand({ UserName: "newbie" }))).LoginProfile!.PasswordResetRequired).toBe(true);
    expect(await rejectionOf(iam.send(new CreateLoginProfileCommand({ UserName: "newbie", Password: "Corr3ct-Horse" })))).toBeInstanceOf(EntityAlreadyExistsException);
    await iam.send(new DeleteLoginProfileCommand({ UserName: "newbie" }));
    expect(model().users.get("newbie")!.loginProfile).toBeUndefined();
    expect(await rejectionOf(iam.send(new DeleteLoginProfileCommand({ UserName: "newbie" })))).toBeInstanceOf(NoSuchEntityException);
  });

  it("access keys: at most two; a new key signs requests as its user until made inactive or deleted", async () => {
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: "newbie" }));
    expect(AccessKey).toMatchObject({ UserName: "newbie", Status: "Active" });
    expect(AccessKey!.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(AccessKey!.SecretAccessKey).toHaveLength(40);
    await iam.send(new CreateAccessKeyCommand({ UserName: "newbie" }));
    const third = await rejectionOf(iam.send(new CreateAccessKeyCommand({ UserName: "newbie" })));
    expect(third).toBeInstanceOf(LimitExceededException);
    expect(third.message).toBe("Cannot exceed quota for AccessKeysPerUser: 2");

    const config = { ...sim.clientConfig({ accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! }), retryStrategy: fastRetries() };
    const asNewbie = new STSClient(config);
    expect((await asNewbie.send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/people/newbie`);
    expect((await new IAMClient(config).send(new ListAccessKeysCommand({}))).AccessKeyMetadata).toHaveLength(2);

    await iam.send(new UpdateAccessKeyCommand({ UserName: "newbie", AccessKeyId: AccessKey!.AccessKeyId, Status: "Inactive" }));
    expect((await rejectionOf(asNewbie.send(new GetCallerIdentityCommand({})))).name).toBe("InvalidClientTokenId");
    await iam.send(new UpdateAccessKeyCommand({ UserName: "newbie", AccessKeyId: AccessKey!.AccessKeyId, Status: "Active" }));
    await iam.send(new DeleteAccessKeyCommand({ UserName: "newbie", AccessKeyId: AccessKey!.AccessKeyId }));
    expect((await rejectionOf(asNewbie.send(new GetCallerIdentityCommand({})))).name).toBe("InvalidClientTokenId");
    expect(await rejectionOf(iam.send(new DeleteAccessKeyCommand({ UserName: "newbie", AccessKeyId: AccessKey!.AccessKeyId })))).toBeInstanceOf(NoSuchEntityException);
    expect(model().users.get("newbie")!.accessKeys).toHaveLength(1);
  });

  it("DeleteUser answers DeleteConflict until every credential, policy and group membership is gone, then deletes", async () => {
    const UserName = "leaver";
    const conflict = async () => {
      const error = await rejectionOf(iam.send(new DeleteUserCommand({ UserName })));
      expect(error).toBeInstanceOf(DeleteConflictException);
      expect(error.$metadata?.httpStatusCode).toBe(409);
      return error.message;
    };
    expect(await conflict()).toBe("Cannot delete entity, must delete login profile first.");
    await iam.send(new DeleteLoginProfileCommand({ UserName }));
    expect(await conflict()).toBe("Cannot delete entity, must delete access keys first.");
    for (const key of (await iam.send(new ListAccessKeysCommand({ UserName }))).AccessKeyMetadata!) await iam.send(new DeleteAccessKeyCommand({ UserName, AccessKeyId: key.AccessKeyId }));
    expect(await conflict()).toBe("Cannot delete entity, must delete signing certificates first.");
    for (const c of (await iam.send(new ListSigningCertificatesCommand({ UserName }))).Certificates!) await iam.send(new DeleteSigningCertificateCommand({ UserName, CertificateId: c.CertificateId }));
    expect(await conflict()).toBe("Cannot delete entity, must delete SSH public keys first.");
    for (const k of (await iam.send(new ListSSHPublicKeysCommand({ UserName }))).SSHPublicKeys!) await iam.send(new DeleteSSHPublicKeyCommand({ UserName, SSHPublicKeyId: k.SSHPublicKeyId }));
    expect(await conflict()).toBe("Cannot delete entity, must delete service specific credentials first.");
    for (const c of (await iam.send(new ListServiceSpecificCredentialsCommand({ UserName }))).ServiceSpecificCredentials!) {
      await iam.send(new DeleteServiceSpecificCredentialCommand({ UserName, ServiceSpecificCredentialId: c.ServiceSpecificCredentialId }));
    }
    expect(await conflict()).toBe("Cannot delete entity, must delete MFA device first.");
    const [device] = (await iam.send(new ListMFADevicesCommand({ UserName }))).MFADevices!;
    expect(await rejectionOf(iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: device!.SerialNumber })))).toBeInstanceOf(DeleteConflictException);
    await iam.send(new DeactivateMFADeviceCommand({ UserName, SerialNumber: device!.SerialNumber }));
    expect(await conflict()).toBe("Cannot delete entity, must delete policies first.");
    await iam.send(new DeleteUserPolicyCommand({ UserName, PolicyName: "scratch" }));
    expect(await conflict()).toBe("Cannot delete entity, must detach all policies first.");
    for (const arn of [...model().users.get(UserName)!.attachedPolicies]) await iam.send(new DetachUserPolicyCommand({ UserName, PolicyArn: arn }));
    expect(await conflict()).toBe("Cannot delete entity, must remove users from group first.");
    await iam.send(new RemoveUserFromGroupCommand({ UserName, GroupName: "Developers" }));
    await iam.send(new DeleteUserCommand({ UserName }));

    expect(await rejectionOf(iam.send(new GetUserCommand({ UserName })))).toBeInstanceOf(NoSuchEntityException);
    expect(await rejectionOf(iam.send(new DeleteUserCommand({ UserName })))).toBeInstanceOf(NoSuchEntityException);
    expect((await gaadUsers()).map((u) => u.UserName)).not.toContain(UserName);
    expect(model().users.has(UserName)).toBe(false);
    expect(model().groups.get("Developers")!.members.has(UserName)).toBe(false);
    // The virtual MFA device outlives its user until deleted.
    expect((await iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: "Unassigned" }))).VirtualMFADevices!.map((d) => d.SerialNumber)).toEqual([device!.SerialNumber]);
    await iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: device!.SerialNumber }));
    expect(await rejectionOf(iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: device!.SerialNumber })))).toBeInstanceOf(NoSuchEntityException);
  });
});

describe("IAM policies", () => {
  const readOnly = "arn:aws:iam::aws:policy/ReadOnlyAccess";

  it("Attach*Policy is idempotent, counts in GetPolicy/ListEntitiesForPolicy/GAAD, and stops at the per-entity quota (knob)", async () => {
    await iam.send(new AttachUserPolicyCommand({ UserName: "newbie", PolicyArn: readOnly }));
    await iam.send(new AttachUserPolicyCommand({ UserName: "newbie", PolicyArn: readOnly }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: "Developers", PolicyArn: readOnly }));
    expect(model().users.get("newbie")!.attachedPolicies).toEqual([readOnly]);
    expect((await iam.send(new GetPolicyCommand({ PolicyArn: readOnly }))).Policy!.AttachmentCount).toBe(2);
    const entities = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: readOnly }));
    expect([entities.PolicyGroups!.map((g) => g.GroupName), entities.PolicyUsers!.map((u) => u.UserName)]).toEqual([["Developers"], ["newbie"]]);
    expect((await gaadUsers()).find((u) => u.UserName === "newbie")!.AttachedManagedPolicies).toEqual([{ PolicyName: "ReadOnlyAccess", PolicyArn: readOnly }]);

    const catalogue = [...sim.model.awsManagedPolicies].map((p) => p.arn).filter((arn) => arn !== readOnly);
    for (const arn of catalogue.slice(0, 9)) await iam.send(new AttachRolePolicyCommand({ RoleName: "app", PolicyArn: arn }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "app", PolicyArn: readOnly }));
    const full = await rejectionOf(iam.send(new AttachRolePolicyCommand({ RoleName: "app", PolicyArn: catalogue[9] })));
    expect(full).toBeInstanceOf(LimitExceededException);
    expect(full.message).toBe("Cannot exceed quota for PoliciesPerRole: 10");
    expect(full.$metadata?.httpStatusCode).toBe(409);
    expect(model().roles.get("app")!.attachedPolicies).toHaveLength(10);
    sim.knobs.update({ iamLimits: { managedPoliciesPerUser: 1 } });
    expect((await rejectionOf(iam.send(new AttachUserPolicyCommand({ UserName: "newbie", PolicyArn: catalogue[0] })))).message).toBe("Cannot exceed quota for PoliciesPerUser: 1");
    sim.knobs.update({ iamLimits: { managedPoliciesPerUser: 10 } });
  });

  it("Attach/Detach errors: unknown entity or policy, malformed ARN, not attached, roles only AWS may change", async () => {
    expect(await rejectionOf(iam.send(new AttachUserPolicyCommand({ UserName: "ghost", PolicyArn: readOnly })))).toBeInstanceOf(NoSuchEntityException);
    const unknown = await rejectionOf(iam.send(new AttachUserPolicyCommand({ UserName: "newbie", PolicyArn: "arn:aws:iam::aws:policy/Nope" })));
    expect(unknown).toBeInstanceOf(NoSuchEntityException);
    expect(unknown.message).toBe("Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable.");
    expect(await rejectionOf(iam.send(new AttachUserPolicyCommand({ UserName: "newbie", PolicyArn: "arn:aws:iam::999999999999:policy/Other" })))).toBeInstanceOf(NoSuchEntityException);
    expect(await rejectionOf(iam.send(new AttachUserPolicyCommand({ UserName: "newbie", PolicyArn: "not-an-arn-at-all-really" })))).toBeInstanceOf(InvalidInputException);
    const detached = await rejectionOf(iam.send(new DetachUserPolicyCommand({ UserName: "newbie", PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/AppRead` })));
    expect(detached).toBeInstanceOf(NoSuchEntityException);
    const reserved = await rejectionOf(iam.send(new AttachRolePolicyCommand({ RoleName: "AWSReservedSSO_Admin_0123456789abcdef", PolicyArn: readOnly })));
    expect(reserved).toBeInstanceOf(UnmodifiableEntityException);
    expect(await rejectionOf(iam.send(new PutRolePolicyCommand({ RoleName: "AWSReservedSSO_Admin_0123456789abcdef", PolicyName: "x", PolicyDocument: JSON.stringify(statement("*")) })))).toBeInstanceOf(UnmodifiableEntityException);
  });

  it("Put*Policy adds or replaces an inline policy (malformed → MalformedPolicyDocument, too big → LimitExceeded); Delete*Policy removes it", async () => {
    await iam.send(new PutUserPolicyCommand({ UserName: "newbie", PolicyName: "inline", PolicyDocument: JSON.stringify(statement("s3:GetObject")) }));
    await iam.send(new PutUserPolicyCommand({ UserName: "newbie", PolicyName: "inline", PolicyDocument: JSON.stringify(statement("iam:*")) }));
    const got = await iam.send(new GetUserPolicyCommand({ UserName: "newbie", PolicyName: "inline" }));
    expect(JSON.parse(decodeURIComponent(got.PolicyDocument!))).toEqual(statement("iam:*"));
    expect((await gaadUsers()).find((u) => u.UserName === "newbie")!.UserPolicyList!.map((p) => p.PolicyName)).toEqual(["inline"]);
    expect(await rejectionOf(iam.send(new PutUserPolicyCommand({ UserName: "newbie", PolicyName: "bad", PolicyDocument: "{not json" })))).toBeInstanceOf(MalformedPolicyDocumentException);
    const huge = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: Array.from({ length: 200 }, (_, i) => `s3:Action${i}`), Resource: "*" }] });
    const tooBig = await rejectionOf(iam.send(new PutUserPolicyCommand({ UserName: "newbie", PolicyName: "huge", PolicyDocument: huge })));
    expect(tooBig).toBeInstanceOf(LimitExceededException);
    expect(tooBig.message).toBe("Maximum policy size of 2048 bytes exceeded for user newbie");
    await iam.send(new PutRolePolicyCommand({ RoleName: "app", PolicyName: "huge", PolicyDocument: huge })); // roles allow 10,240
    await iam.send(new DeleteUserPolicyCommand({ UserName: "newbie", PolicyName: "inline" }));
    expect(model().users.get("newbie")!.inlinePolicies).toEqual([]);
    expect(await rejectionOf(iam.send(new DeleteUserPolicyCommand({ UserName: "newbie", PolicyName: "inline" })))).toBeInstanceOf(NoSuchEntityException);
  });
});

describe("Identity Store users and groups", () => {
  const IdentityStoreId = () => sim.model.identityStore!.id;

  it("CreateUser, duplicate user name → ConflictException, missing names → ValidationException; UpdateUser shows in every read; DeleteUser", async () => {
    const ids = clients.identitystore;
    const { UserId } = await ids.send(
      new CreateSsoUserCommand({ IdentityStoreId: IdentityStoreId(), UserName: "bo@example.com", DisplayName: "Bo Brook", Name: { GivenName: "Bo", FamilyName: "Brook" }, Emails: [{ Value: "bo@example.com", Type: "work", Primary: true }] }),
    );
    expect(UserId).toMatch(/^([0-9a-f]{10}-)?[0-9a-f-]{36}$/);
    const described = await ids.send(new DescribeUserCommand({ IdentityStoreId: IdentityStoreId(), UserId }));
    expect(described).toMatchObject({ UserName: "bo@example.com", DisplayName: "Bo Brook", UserStatus: "ENABLED", Emails: [{ Value: "bo@example.com" }] });
    const duplicate = await rejectionOf(ids.send(new CreateSsoUserCommand({ IdentityStoreId: IdentityStoreId(), UserName: "BO@example.com", DisplayName: "B", Name: { GivenName: "B", FamilyName: "B" } })));
    expect(duplicate).toBeInstanceOf(ConflictException);
    expect(duplicate.Reason).toBe("UNIQUENESS_CONSTRAINT_VIOLATION");
    expect(duplicate.$metadata?.httpStatusCode).toBe(409);
    const missing = await rejectionOf(ids.send(new CreateSsoUserCommand({ IdentityStoreId: IdentityStoreId(), UserName: "cy@example.com", Name: { GivenName: "Cy" } })));
    expect(missing).toBeInstanceOf(ValidationException);
    expect(missing.message).toBe("displayname: The attribute displayname is required, familyname: The attribute familyname is required");

    // Listed users are encoded once and cached: an update must still show in the listing.
    const listed = async () => (await ids.send(new ListSsoUsersCommand({ IdentityStoreId: IdentityStoreId() }))).Users!.find((u) => u.UserId === UserId);
    expect((await listed())!.DisplayName).toBe("Bo Brook");
    clock.advance(60_000);
    await ids.send(new UpdateUserCommand({ IdentityStoreId: IdentityStoreId(), UserId, Operations: [{ AttributePath: "displayName", AttributeValue: "Bo B." }, { AttributePath: "name.givenName", AttributeValue: "Bob" }] }));
    expect((await listed())!).toMatchObject({ DisplayName: "Bo B.", Name: { GivenName: "Bob" }, UpdatedAt: new Date(clock.now()) });
    expect(await rejectionOf(ids.send(new UpdateUserCommand({ IdentityStoreId: IdentityStoreId(), UserId, Operations: [{ AttributePath: "userName", AttributeValue: "ann@example.com" }] })))).toBeInstanceOf(ConflictException);
    expect(await rejectionOf(ids.send(new UpdateUserCommand({ IdentityStoreId: IdentityStoreId(), UserId, Operations: [{ AttributePath: "title", AttributeValue: "CEO" }] })))).toBeInstanceOf(ValidationException);

    const engineering = sim.model.identityStore!.groupsByName.get("engineering")!;
    await ids.send(new CreateGroupMembershipCommand({ IdentityStoreId: IdentityStoreId(), GroupId: engineering.id, MemberId: { UserId: UserId! } }));
    await ids.send(new DeleteSsoUserCommand({ IdentityStoreId: IdentityStoreId(), UserId }));
    const gone = await rejectionOf(ids.send(new DescribeUserCommand({ IdentityStoreId: IdentityStoreId(), UserId })));
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
    expect(gone.ResourceType).toBe("USER");
    expect(await rejectionOf(ids.send(new DeleteSsoUserCommand({ IdentityStoreId: IdentityStoreId(), UserId })))).toBeInstanceOf(ResourceNotFoundException);
    expect(await rejectionOf(ids.send(new GetUserIdCommand({ IdentityStoreId: IdentityStoreId(), AlternateIdentifier: { UniqueAttribute: { AttributePath: "userName", AttributeValue: "bo@example.com" } } })))).toBeInstanceOf(ResourceNotFoundException);
    const members = await ids.send(new ListGroupMembershipsCommand({ IdentityStoreId: IdentityStoreId(), GroupId: engineering.id }));
    expect(members.GroupMemberships!.map((m) => (m.MemberId as { UserId: string }).UserId)).not.toContain(UserId);
    expect(sim.model.identityStore!.users.has(UserId!)).toBe(false);
  });

  it("CreateGroup (duplicate display name → ConflictException) and DeleteGroup (with its memberships; then ResourceNotFoundException)", async () => {
    const ids = clients.identitystore;
    const { GroupId } = await ids.send(new CreateGroupCommand({ IdentityStoreId: IdentityStoreId(), DisplayName: "Platform", Description: "Platform team" }));
    expect(sim.model.identityStore!.groups.get(GroupId!)!.displayName).toBe("Platform");
    expect(await rejectionOf(ids.send(new CreateGroupCommand({ IdentityStoreId: IdentityStoreId(), DisplayName: "platform" })))).toBeInstanceOf(ConflictException);
    const ann = sim.model.identityStore!.usersByName.get("ann@example.com")!;
    await ids.send(new CreateGroupMembershipCommand({ IdentityStoreId: IdentityStoreId(), GroupId, MemberId: { UserId: ann.id } }));
    await ids.send(new DeleteGroupCommand({ IdentityStoreId: IdentityStoreId(), GroupId }));
    expect(sim.model.identityStore!.membershipsByUser.get(ann.id)!.has(GroupId!)).toBe(false);
    expect(await rejectionOf(ids.send(new DeleteGroupCommand({ IdentityStoreId: IdentityStoreId(), GroupId })))).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe("the write hook", () => {
  it("reports each write served (success or error) with parameters, principal, time and request id; secrets hidden; reads and refused requests are not reported", async () => {
    events.length = 0;
    clock.advance(1000);
    const created = await iam.send(new CreateUserCommand({ UserName: "audited" }));
    await iam.send(new CreateLoginProfileCommand({ UserName: "audited", Password: "S3cret-Passw0rd" }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: "audited" }));
    await rejectionOf(iam.send(new DeleteUserCommand({ UserName: "audited" })));
    await iam.send(new GetUserCommand({ UserName: "audited" }));
    sim.knobs.update({ faults: [{ kind: "throttle", rate: 1, count: 3, operations: ["TagUser"] }] });
    await rejectionOf(iam.send(new TagUserCommand({ UserName: "audited", Tags: [{ Key: "a", Value: "b" }] })));

    expect(events.map((e) => [e.service, e.operation, e.error?.code])).toEqual([
      ["iam", "CreateUser", undefined],
      ["iam", "CreateLoginProfile", undefined],
      ["iam", "CreateAccessKey", undefined],
      ["iam", "DeleteUser", "DeleteConflict"],
    ]);
    const [create, profile, accessKey, conflict] = events;
    expect(create).toMatchObject({ params: { Action: "CreateUser", UserName: "audited" }, principal: { kind: "user", userName: "sim-admin", accountId: ACCOUNT }, time: clock.now() });
    expect(create!.requestId).toBe(created.$metadata.requestId);
    expect((create!.result as { User: { UserId: string } }).User.UserId).toBe(created.User!.UserId);
    expect(profile!.params.Password).toBe(HIDDEN);
    expect(JSON.stringify(events)).not.toContain("S3cret-Passw0rd");
    expect((accessKey!.result as { AccessKey: { SecretAccessKey: string } }).AccessKey.SecretAccessKey).toBe(HIDDEN);
    expect(JSON.stringify(events)).not.toContain(key.AccessKey!.SecretAccessKey!);
    expect(conflict!.error!.message).toBe("Cannot delete entity, must delete login profile first.");
  });

  it("covers Identity Store and SSO Admin writes, and stops after unsubscribing", async () => {
    const seen: WriteEvent[] = [];
    const unsubscribe = sim.writes.subscribe((e) => seen.push(e));
    const { GroupId } = await clients.identitystore.send(new CreateGroupCommand({ IdentityStoreId: sim.model.identityStore!.id, DisplayName: "Audited" }));
    unsubscribe();
    await clients.identitystore.send(new DeleteGroupCommand({ IdentityStoreId: sim.model.identityStore!.id, GroupId }));
    expect(seen.map((e) => `${e.service}:${e.operation}`)).toEqual(["identitystore:CreateGroup"]);
    expect(seen[0]!.params).toMatchObject({ DisplayName: "Audited" });
  });
});
