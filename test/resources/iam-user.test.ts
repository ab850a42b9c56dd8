import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { GetAccessKeyLastUsedCommand, GetAccountAuthorizationDetailsCommand, ListAccessKeysCommand, ListUsersCommand } from "@aws-sdk/client-iam";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, test } from "vitest";
import { V1IdentifierSchema } from "../../src/gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import { ChildResourceTypeSchema, SkipEntitlementsAndGrantsSchema, SkipEntitlementsSchema } from "../../src/gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { UserTraitSchema, UserTrait_AccountType, UserTrait_Status_Status } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { CapabilityPermissionsSchema } from "../../src/gen/c1/connector/v2/connector_pb.js";
import { ResourceType_Trait, Status_ResourceStatus } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { CREATED, group, role, user, allow } from "./support/iam-fixtures.js";
import { MEMBER_ACCOUNT, OWN_ACCOUNT, annotationOf, call, readAll, unitSetup } from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

describe("iam_user", () => {
  test("resource type: USER trait, baton-aws id and annotations (SkipEntitlements, as with policy grants), the permissions we call", () => {
    setup = unitSetup();
    const type = setup.syncer("iam_user").resourceType;
    expect(type).toMatchObject({ id: "iam_user", displayName: "IAM User", traits: [ResourceType_Trait.USER] });
    expect(annotationOf(type.annotations, SkipEntitlementsSchema)).toBeDefined();
    expect(annotationOf(type.annotations, SkipEntitlementsAndGrantsSchema)).toBeUndefined();
    expect(annotationOf(type.annotations, V1IdentifierSchema)?.id).toBe("iam_user");
    expect(annotationOf(type.annotations, CapabilityPermissionsSchema)?.permissions.map((p) => p.permission)).toEqual([
      "iam:GetAccountAuthorizationDetails",
      "iam:ListUsers",
    ]);
    setup.restore();
    setup = unitSetup({ syncSecrets: true });
    expect(annotationOf(setup.syncer("iam_user").resourceType.annotations, CapabilityPermissionsSchema)?.permissions.map((p) => p.permission)).toEqual([
      "iam:GetAccountAuthorizationDetails",
      "iam:ListUsers",
      "iam:ListAccessKeys",
      "iam:GetAccessKeyLastUsed",
    ]);
  });

  test("users from GetAccountAuthorizationDetails, every page, with trait, profile and V1 identifier", async () => {
    setup = unitSetup();
    const alice = user(OWN_ACCOUNT, "alice@example.com", { Tags: [{ Key: "email", Value: "alice.work@example.com" }, { Key: "team", Value: "data" }] });
    const bob = user(OWN_ACCOUNT, "bob", { Path: "/eng/", Tags: [{ Key: "email", Value: "bob@example.com" }] });
    const carol = user(OWN_ACCOUNT, "carol");
    setup.mocks.iam
      .on(GetAccountAuthorizationDetailsCommand, { Marker: undefined })
      .resolves({ UserDetailList: [alice, bob], GroupDetailList: [group(OWN_ACCOUNT, "g")], IsTruncated: true, Marker: "m1" })
      .on(GetAccountAuthorizationDetailsCommand, { Marker: "m1" })
      .resolves({ UserDetailList: [carol], RoleDetailList: [role(OWN_ACCOUNT, "r", allow({ Service: "ec2.amazonaws.com" }))], IsTruncated: false });

    const { items } = await readAll((state) => setup.syncer("iam_user").listResources(undefined, state, call()));
    expect(items.map((r) => r.id!.resource)).toEqual([alice.Arn, bob.Arn, carol.Arn]);

    const calls = setup.mocks.iam.commandCalls(GetAccountAuthorizationDetailsCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([
      { Filter: ["User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy"], MaxItems: 1000, Marker: undefined },
      { Filter: ["User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy"], MaxItems: 1000, Marker: "m1" },
    ]);
    // The password's last use is the one thing ListUsers adds; one call per 1000 users.
    expect(setup.mocks.iam.commandCalls(ListUsersCommand).map((c) => c.args[0].input)).toEqual([{ MaxItems: 1000, Marker: undefined }]);

    const [a, b, c] = items;
    expect(a!.displayName).toBe("alice@example.com");
    expect(a!.parentResourceId).toBeUndefined();
    const profile = {
      aws_arn: alice.Arn,
      aws_path: "/",
      aws_user_type: "iam",
      aws_tags: { email: "alice.work@example.com", team: "data" },
      aws_user_id: alice.UserId,
      user_id: alice.UserId,
      login: "alice@example.com",
      email: "alice@example.com",
    };
    expect(a!.profile).toEqual(profile);
    expect(a!.status?.status).toBe(Status_ResourceStatus.ENABLED);
    expect(timestampMs(a!.createdAt!)).toBe(CREATED.getTime());
    expect(annotationOf(a!.annotations, V1IdentifierSchema)?.id).toBe(alice.Arn);
    expect(annotationOf(a!.annotations, ChildResourceTypeSchema)?.resourceTypeId).toBe("inline_policy");
    const trait = annotationOf(a!.annotations, UserTraitSchema)!;
    expect(trait.emails.map((e) => [e.address, e.isPrimary])).toEqual([
      ["alice@example.com", true],
      ["alice.work@example.com", false],
    ]);
    expect(trait.login).toBe("alice@example.com");
    expect(trait.accountType).toBe(UserTrait_AccountType.HUMAN);
    expect(trait.status?.status).toBe(UserTrait_Status_Status.ENABLED);
    // The deprecated trait fields carry the same data for older readers.
    expect(trait.profile).toEqual(profile);
    expect(timestampMs(trait.createdAt!)).toBe(CREATED.getTime());

    expect(annotationOf(b!.annotations, UserTraitSchema)!.emails.map((e) => [e.address, e.isPrimary])).toEqual([["bob@example.com", true]]);
    expect(b!.profile?.aws_path).toBe("/eng/");
    expect(annotationOf(c!.annotations, UserTraitSchema)!.emails).toEqual([]);
  });

  test("pages of 250 over one snapshot: one AWS call for 600 users", async () => {
    setup = unitSetup();
    const users = Array.from({ length: 600 }, (_, i) => user(OWN_ACCOUNT, `user-${i}`));
    setup.mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: users });
    const { items, pages } = await readAll((state) => setup.syncer("iam_user").listResources(undefined, state, call()));
    expect(items.map((r) => r.displayName)).toEqual(users.map((u) => u.UserName));
    expect(pages).toBe(3);
    expect(setup.mocks.iam.commandCalls(GetAccountAuthorizationDetailsCommand)).toHaveLength(1);
  });

  test("one snapshot per account per sync: users, groups and roles share it; a new sync reads again; Cleanup drops it", async () => {
    setup = unitSetup();
    setup.mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [user(OWN_ACCOUNT, "u")], GroupDetailList: [group(OWN_ACCOUNT, "g")] });
    for (const type of ["iam_user", "group", "role"]) await setup.syncer(type).listResources(undefined, undefined, call("s1"));
    expect(setup.mocks.iam.commandCalls(GetAccountAuthorizationDetailsCommand)).toHaveLength(1);
    await setup.syncer("iam_user").listResources(undefined, undefined, call("s2"));
    expect(setup.mocks.iam.commandCalls(GetAccountAuthorizationDetailsCommand)).toHaveLength(2);
    setup.ctx.cache.drop("s1");
    expect(setup.ctx.cache.size("s1")).toBe(0);
    await setup.syncer("iam_user").listResources(undefined, undefined, call("s1"));
    expect(setup.mocks.iam.commandCalls(GetAccountAuthorizationDetailsCommand)).toHaveLength(3);
  });

  test("a member account's users, under its account_iam, read through the member-account role", async () => {
    setup = unitSetup({ crossAccountIam: true, memberExternalId: "ext-123" });
    const member = user(MEMBER_ACCOUNT, "dave");
    setup.mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [member] });
    const parent = { resourceType: "account_iam", resource: MEMBER_ACCOUNT } as never;
    const page = await setup.syncer("iam_user").listResources(parent, undefined, call());
    expect(page.items.map((r) => [r.id!.resource, r.parentResourceId?.resourceType, r.parentResourceId?.resource])).toEqual([
      [member.Arn, "account_iam", MEMBER_ACCOUNT],
    ]);
    const assumed = setup.mocks.sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input);
    expect(assumed).toHaveLength(1);
    expect(assumed[0]).toMatchObject({ RoleArn: `arn:aws:iam::${MEMBER_ACCOUNT}:role/OrganizationAccountAccessRole`, ExternalId: "ext-123" });
  });

  test("access denied: fails for the connector's own account; a member account is reported and skipped", async () => {
    setup = unitSetup({ crossAccountIam: true });
    const denied = Object.assign(new Error("User is not authorized to perform iam:GetAccountAuthorizationDetails"), { name: "AccessDenied" });
    setup.mocks.iam.on(GetAccountAuthorizationDetailsCommand).rejects(denied);
    await expect(setup.syncer("iam_user").listResources(undefined, undefined, call())).rejects.toThrow(/not authorized/);

    const parent = { resourceType: "account_iam", resource: MEMBER_ACCOUNT } as never;
    const page = await setup.syncer("iam_user").listResources(parent, undefined, call());
    expect(page.items).toEqual([]);
    expect(setup.ctx.problems!.list("sync-1")).toEqual([
      expect.objectContaining({ kind: "member-account-iam-unreadable", accountId: MEMBER_ACCOUNT }),
    ]);
  });

  test("an IAM page that says it is truncated but gives no marker is an error, not the end", async () => {
    setup = unitSetup();
    setup.mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [user(OWN_ACCOUNT, "u")], IsTruncated: true });
    await expect(setup.syncer("iam_user").listResources(undefined, undefined, call())).rejects.toThrow(/IsTruncated without a Marker/);
  });

  test("a retried listing resumes at the AWS page that failed instead of re-reading the first", async () => {
    setup = unitSetup();
    setup.mocks.iam
      .on(GetAccountAuthorizationDetailsCommand, { Marker: undefined })
      .resolves({ UserDetailList: [user(OWN_ACCOUNT, "a")], IsTruncated: true, Marker: "m1" })
      .on(GetAccountAuthorizationDetailsCommand, { Marker: "m1" })
      .rejectsOnce(Object.assign(new Error("Rate exceeded"), { name: "Throttling" }))
      .resolves({ UserDetailList: [user(OWN_ACCOUNT, "b")] });
    await expect(setup.syncer("iam_user").listResources(undefined, undefined, call())).rejects.toThrow(/Rate exceeded/);
    const page = await setup.syncer("iam_user").listResources(undefined, undefined, call());
    expect(page.items.map((r) => r.displayName)).toEqual(["a", "b"]);
    expect(setup.mocks.iam.commandCalls(GetAccountAuthorizationDetailsCommand).map((c) => c.args[0].input.Marker)).toEqual([undefined, "m1", "m1"]);
  });

  test("last login: the password's last use (ListUsers), or a later access-key use with sync-secrets", async () => {
    const alice = user(OWN_ACCOUNT, "alice");
    const bob = user(OWN_ACCOUNT, "bob");
    const passwordUsed = new Date("2025-01-10T08:00:00Z");
    const keyUsed = new Date("2025-02-01T09:00:00Z");
    const mock = (s: typeof setup) => {
      s.mocks.iam
        .on(GetAccountAuthorizationDetailsCommand)
        .resolves({ UserDetailList: [alice, bob] })
        .on(ListUsersCommand)
        .resolves({ Users: [{ ...alice, PasswordLastUsed: passwordUsed } as never, bob as never] })
        .on(ListAccessKeysCommand, { UserName: "alice" })
        .resolves({ AccessKeyMetadata: [{ AccessKeyId: "AKIAALICE1", UserName: "alice", Status: "Active", CreateDate: CREATED }] })
        .on(ListAccessKeysCommand, { UserName: "bob" })
        .resolves({ AccessKeyMetadata: [] })
        .on(GetAccessKeyLastUsedCommand)
        .resolves({ UserName: "alice", AccessKeyLastUsed: { LastUsedDate: keyUsed, ServiceName: "s3", Region: "us-east-1" } });
    };
    const lastLogins = async () => {
      const { items } = await readAll((state) => setup.syncer("iam_user").listResources(undefined, state, call()));
      return items.map((r) => {
        const at = annotationOf(r.annotations, UserTraitSchema)!.lastLogin;
        return [r.displayName, at && new Date(timestampMs(at)).toISOString()];
      });
    };

    setup = unitSetup();
    mock(setup);
    expect(await lastLogins()).toEqual([["alice", passwordUsed.toISOString()], ["bob", undefined]]);
    // Without sync-secrets no access key is read.
    expect(setup.mocks.iam.commandCalls(ListAccessKeysCommand)).toHaveLength(0);
    setup.restore();

    setup = unitSetup({ syncSecrets: true });
    mock(setup);
    expect(await lastLogins()).toEqual([["alice", keyUsed.toISOString()], ["bob", undefined]]);
    expect(setup.mocks.iam.commandCalls(ListAccessKeysCommand)).toHaveLength(2);
    expect(setup.mocks.iam.commandCalls(GetAccessKeyLastUsedCommand)).toHaveLength(1);
  });

  test("GetResource: one user from its account's snapshot; unknown ARNs and unsynced accounts are not found", async () => {
    setup = unitSetup({ crossAccountIam: false });
    const alice = user(OWN_ACCOUNT, "alice");
    setup.mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [alice] });
    const get = (arn: string) => setup.syncer("iam_user").getResource!({ resourceType: "iam_user", resource: arn } as never, undefined, call());
    expect((await get(alice.Arn!))?.displayName).toBe("alice");
    expect(await get(`arn:aws:iam::${OWN_ACCOUNT}:user/nobody`)).toBeUndefined();
    expect(await get(`arn:aws:iam::${MEMBER_ACCOUNT}:user/alice`)).toBeUndefined();
    expect(setup.mocks.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  test("only account_iam parents are accepted", async () => {
    setup = unitSetup();
    const parent = { resourceType: "group", resource: "x" } as never;
    const error = await setup.syncer("iam_user").listResources(parent, undefined, call()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
  });

  test("no entitlements or grants of its own", async () => {
    setup = unitSetup();
    const syncer = setup.syncer("iam_user");
    const resource = { id: { resourceType: "iam_user", resource: "arn" } } as never;
    expect(await syncer.listEntitlements(resource, undefined, call())).toEqual({ items: [] });
    expect(await syncer.listGrants(resource, undefined, call())).toEqual({ items: [] });
  });
});
