import { ListUsersCommand } from "@aws-sdk/client-identitystore";
import { ListInstancesCommand } from "@aws-sdk/client-sso-admin";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, test } from "vitest";
import { SkipEntitlementsAndGrantsSchema } from "../../src/gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { UserTraitSchema, UserTrait_Status_Status } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { V1IdentifierSchema } from "../../src/gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import { ResourceType_Trait, Status_ResourceStatus } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { IDENTITY_STORE_ID, INSTANCE_ARN, annotationOf, call, readAll, unitSetup } from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

const arn = (id: string) => `arn:aws:identitystore:eu-west-1::${IDENTITY_STORE_ID}/user/${id}`;
const withInstance = () => setup.mocks.sso.on(ListInstancesCommand).resolves({ Instances: [{ InstanceArn: INSTANCE_ARN, IdentityStoreId: IDENTITY_STORE_ID }] });

describe("sso_user", () => {
  test("resource type as baton-aws: USER trait, no entitlements or grants", () => {
    setup = unitSetup();
    const type = setup.syncer("sso_user").resourceType;
    expect(type).toMatchObject({ id: "sso_user", displayName: "SSO User", traits: [ResourceType_Trait.USER] });
    expect(annotationOf(type.annotations, SkipEntitlementsAndGrantsSchema)).toBeDefined();
  });

  test("one ListUsers page (100) per connector page, the AWS token in the page state", async () => {
    setup = unitSetup();
    withInstance();
    setup.mocks.identityStore
      .on(ListUsersCommand, { NextToken: undefined })
      .resolves({ Users: [{ IdentityStoreId: IDENTITY_STORE_ID, UserId: "u1", UserName: "one" }], NextToken: "t2" })
      .on(ListUsersCommand, { NextToken: "t2" })
      .resolves({ Users: [{ IdentityStoreId: IDENTITY_STORE_ID, UserId: "u2", UserName: "two" }] });
    const { items, pages, states } = await readAll((state) => setup.syncer("sso_user").listResources(undefined, state, call()));
    expect(items.map((r) => r.id!.resource)).toEqual([arn("u1"), arn("u2")]);
    expect(pages).toBe(2);
    expect(states).toEqual([{ t: "t2" }]);
    expect(setup.mocks.identityStore.commandCalls(ListUsersCommand).map((c) => c.args[0].input)).toEqual([
      { IdentityStoreId: IDENTITY_STORE_ID, MaxResults: 100, NextToken: undefined },
      { IdentityStoreId: IDENTITY_STORE_ID, MaxResults: 100, NextToken: "t2" },
    ]);
    expect(setup.mocks.sso.commandCalls(ListInstancesCommand)).toHaveLength(1);
  });

  test("e-mails (user name first when it is one, then AWS's primary), login, status, profile", async () => {
    setup = unitSetup();
    withInstance();
    const created = new Date("2024-05-06T07:08:09Z");
    setup.mocks.identityStore.on(ListUsersCommand).resolves({
      Users: [
        {
          IdentityStoreId: IDENTITY_STORE_ID,
          UserId: "u1",
          UserName: "jane@example.com",
          DisplayName: "Jane Doe",
          Name: { GivenName: "Jane", FamilyName: "Doe" },
          Emails: [{ Value: "jane.alt@example.com" }, { Value: "jane.doe@example.com", Primary: true }],
          ExternalIds: [{ Issuer: "okta", Id: "00u1" }],
          UserStatus: "DISABLED",
          CreatedAt: created,
        },
        { IdentityStoreId: IDENTITY_STORE_ID, UserId: "u2", UserName: "kim", Emails: [{ Value: "kim@example.com" }], UserStatus: "ENABLED" },
        { IdentityStoreId: IDENTITY_STORE_ID, UserId: "u3", UserName: "lee" },
      ],
    });
    const [jane, kim, lee] = (await setup.syncer("sso_user").listResources(undefined, undefined, call())).items;

    expect(jane!.displayName).toBe("jane@example.com");
    const trait = annotationOf(jane!.annotations, UserTraitSchema)!;
    expect(trait.emails.map((e) => [e.address, e.isPrimary])).toEqual([
      ["jane@example.com", true],
      ["jane.doe@example.com", false],
      ["jane.alt@example.com", false],
    ]);
    expect(trait.login).toBe("jane@example.com");
    expect(trait.structuredName).toMatchObject({ givenName: "Jane", familyName: "Doe" });
    expect(trait.status?.status).toBe(UserTrait_Status_Status.DISABLED);
    expect(jane!.status?.status).toBe(Status_ResourceStatus.DISABLED);
    const profile = {
      aws_user_type: "sso",
      aws_user_name: "Jane Doe",
      aws_user_id: "u1",
      // The keys baton's reader fills its name and id columns from.
      user_id: "u1",
      login: "jane@example.com",
      first_name: "Jane",
      last_name: "Doe",
      email: "jane@example.com",
      aws_user_status: "DISABLED",
      external_ids: [{ id: "00u1", issuer: "okta" }],
    };
    expect(jane!.profile).toEqual(profile);
    expect(trait.profile).toEqual(profile);
    expect(timestampMs(jane!.createdAt!)).toBe(created.getTime());
    expect(annotationOf(jane!.annotations, V1IdentifierSchema)?.id).toBe(arn("u1"));

    expect(annotationOf(kim!.annotations, UserTraitSchema)!.emails.map((e) => [e.address, e.isPrimary])).toEqual([["kim@example.com", true]]);
    expect(kim!.status?.status).toBe(Status_ResourceStatus.ENABLED);
    // No status from AWS: unspecified on the resource (the trait keeps baton's enabled default, as baton-aws).
    expect(lee!.status?.status).toBe(Status_ResourceStatus.UNSPECIFIED);
    expect(annotationOf(lee!.annotations, UserTraitSchema)!.status?.status).toBe(UserTrait_Status_Status.ENABLED);
  });

  test("no Identity Center instance is a clear FailedPrecondition", async () => {
    setup = unitSetup();
    setup.mocks.sso.on(ListInstancesCommand).resolves({ Instances: [] });
    const error = await setup.syncer("sso_user").listResources(undefined, undefined, call()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((error as ConnectError).rawMessage).toMatch(/no IAM Identity Center instance in eu-west-1/);
  });

  test("the configured instance is used when there are several", async () => {
    setup = unitSetup({ identityCenterInstanceArn: "arn:aws:sso:::instance/ssoins-2222222222222222" });
    setup.mocks.sso.on(ListInstancesCommand).resolves({
      Instances: [
        { InstanceArn: INSTANCE_ARN, IdentityStoreId: IDENTITY_STORE_ID },
        { InstanceArn: "arn:aws:sso:::instance/ssoins-2222222222222222", IdentityStoreId: "d-2222222222" },
      ],
    });
    setup.mocks.identityStore.on(ListUsersCommand).resolves({ Users: [{ IdentityStoreId: "d-2222222222", UserId: "u9" }] });
    const page = await setup.syncer("sso_user").listResources(undefined, undefined, call());
    expect(page.items[0]!.id!.resource).toBe("arn:aws:identitystore:eu-west-1::d-2222222222/user/u9");
  });

  test("access denied is not swallowed", async () => {
    setup = unitSetup();
    withInstance();
    setup.mocks.identityStore.on(ListUsersCommand).rejects(Object.assign(new Error("not authorized"), { name: "AccessDeniedException" }));
    await expect(setup.syncer("sso_user").listResources(undefined, undefined, call())).rejects.toThrow(/not authorized/);
  });
});

test("several Identity Center instances and none configured: refused rather than guessed", async () => {
  setup = unitSetup();
  setup.mocks.sso.on(ListInstancesCommand).resolves({
    Instances: [
      { InstanceArn: INSTANCE_ARN, IdentityStoreId: IDENTITY_STORE_ID },
      { InstanceArn: "arn:aws:sso:::instance/ssoins-2222222222222222", IdentityStoreId: "d-2222222222" },
    ],
  });
  const error = await setup.syncer("sso_user").listResources(undefined, undefined, call()).catch((e: unknown) => e);
  expect((error as ConnectError).code).toBe(Code.FailedPrecondition);
});
