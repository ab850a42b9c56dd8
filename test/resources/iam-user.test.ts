import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { GetAccountAuthorizationDetailsCommand } from "@aws-sdk/client-iam";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, test } from "vitest";
import { V1IdentifierSchema } from "../../src/gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import { SkipEntitlementsAndGrantsSchema } from "../../src/gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { UserTraitSchema, UserTrait_AccountType, UserTrait_Status_Status } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { CapabilityPermissionsSchema } from "../../src/gen/c1/connector/v2/connector_pb.js";
import { ResourceType_Trait, Status_ResourceStatus } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { CREATED, group, role, user, allow } from "./support/iam-fixtures.js";
import { MEMBER_ACCOUNT, OWN_ACCOUNT, annotationOf, call, readAll, unitSetup } from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

describe("iam_user", () => {
  test("resource type: USER trait, baton-aws id and annotations, the permissions we call", () => {
    setup = unitSetup();
    const type = setup.syncer("iam_user").resourceType;
    expect(type).toMatchObject({ id: "iam_user", displayName: "IAM User", traits: [ResourceType_Trait.USER] });
    expect(annotationOf(type.annotations, SkipEntitlementsAndGrantsSchema)).toBeDefined();
    expect(annotationOf(type.annotations, V1IdentifierSchema)?.id).toBe("iam_user");
    expect(annotationOf(type.annotations, CapabilityPermissionsSchema)?.permissions.map((p) => p.permission)).toEqual([
      "iam:GetAccountAuthorizationDetails",
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
      { Filter: ["User", "Group", "Role"], MaxItems: 1000, Marker: undefined },
      { Filter: ["User", "Group", "Role"], MaxItems: 1000, Marker: "m1" },
    ]);

    const [a, b, c] = items;
    expect(a!.displayName).toBe("alice@example.com");
    expect(a!.parentResourceId).toBeUndefined();
    const profile = { aws_arn: alice.Arn, aws_path: "/", aws_user_type: "iam", aws_tags: { email: "alice.work@example.com", team: "data" }, aws_user_id: alice.UserId };
    expect(a!.profile).toEqual(profile);
    expect(a!.status?.status).toBe(Status_ResourceStatus.ENABLED);
    expect(timestampMs(a!.createdAt!)).toBe(CREATED.getTime());
    expect(annotationOf(a!.annotations, V1IdentifierSchema)?.id).toBe(alice.Arn);
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
