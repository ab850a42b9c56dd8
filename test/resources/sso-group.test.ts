import { ListGroupMembershipsCommand, ListGroupsCommand } from "@aws-sdk/client-identitystore";
import { ListInstancesCommand } from "@aws-sdk/client-sso-admin";
import { afterEach, describe, expect, test } from "vitest";
import { GroupTraitSchema } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { V1IdentifierSchema } from "../../src/gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import { Entitlement_PurposeValue } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import { ResourceType_Trait } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { IDENTITY_STORE_ID, INSTANCE_ARN, annotationOf, call, readAll, unitSetup } from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

const groupArn = (id: string) => `arn:aws:identitystore:eu-west-1::${IDENTITY_STORE_ID}/group/${id}`;
const userArn = (id: string) => `arn:aws:identitystore:eu-west-1::${IDENTITY_STORE_ID}/user/${id}`;

function withGroups() {
  setup.mocks.sso.on(ListInstancesCommand).resolves({ Instances: [{ InstanceArn: INSTANCE_ARN, IdentityStoreId: IDENTITY_STORE_ID }] });
  setup.mocks.identityStore
    .on(ListGroupsCommand, { NextToken: undefined })
    .resolves({ Groups: [{ IdentityStoreId: IDENTITY_STORE_ID, GroupId: "g1", DisplayName: "Engineers", Description: "All engineers", ExternalIds: [{ Issuer: "scim", Id: "e1" }] }], NextToken: "n" })
    .on(ListGroupsCommand, { NextToken: "n" })
    .resolves({ Groups: [{ IdentityStoreId: IDENTITY_STORE_ID, GroupId: "g2", DisplayName: "Admins" }] });
}

async function groups() {
  return (await readAll((state) => setup.syncer("sso_group").listResources(undefined, state, call()))).items;
}

describe("sso_group", () => {
  test("groups streamed one ListGroups page per connector page, with trait, profile and V1 identifier", async () => {
    setup = unitSetup();
    expect(setup.syncer("sso_group").resourceType).toMatchObject({ id: "sso_group", displayName: "SSO Group", traits: [ResourceType_Trait.GROUP] });
    withGroups();
    const [eng, admins] = await groups();
    expect([eng!.id!.resource, admins!.id!.resource]).toEqual([groupArn("g1"), groupArn("g2")]);
    expect(eng!.displayName).toBe("Engineers");
    expect(eng!.description).toBe("All engineers");
    const profile = { aws_group_type: "sso", aws_group_name: "Engineers", aws_group_id: "g1", external_ids: [{ id: "e1", issuer: "scim" }] };
    expect(eng!.profile).toEqual(profile);
    expect(annotationOf(eng!.annotations, GroupTraitSchema)?.profile).toEqual(profile);
    expect(annotationOf(eng!.annotations, V1IdentifierSchema)?.id).toBe(groupArn("g1"));
    expect(setup.mocks.identityStore.commandCalls(ListGroupsCommand).map((c) => c.args[0].input.MaxResults)).toEqual([100, 100]);
  });

  test("member entitlement as baton-aws words it", async () => {
    setup = unitSetup();
    withGroups();
    const [eng] = await groups();
    const [member] = (await setup.syncer("sso_group").listEntitlements(eng!, undefined, call())).items;
    expect(member).toMatchObject({
      id: `sso_group:${groupArn("g1")}:member`,
      slug: "member",
      displayName: "Engineers Group Member",
      description: "Is member of the Engineers SSO group in AWS",
      purpose: Entitlement_PurposeValue.ASSIGNMENT,
    });
    expect(member!.grantableTo.map((t) => t.id)).toEqual(["sso_user"]);
    expect(annotationOf(member!.annotations, V1IdentifierSchema)?.id).toBe(`membership:${groupArn("g1")}`);
  });

  test("grants stream ListGroupMemberships pages; the grant id is the MembershipId", async () => {
    setup = unitSetup();
    withGroups();
    const [eng] = await groups();
    setup.mocks.identityStore
      .on(ListGroupMembershipsCommand, { NextToken: undefined })
      .resolves({ GroupMemberships: [{ IdentityStoreId: IDENTITY_STORE_ID, MembershipId: "m1", GroupId: "g1", MemberId: { UserId: "u1" } }], NextToken: "mt" })
      .on(ListGroupMembershipsCommand, { NextToken: "mt" })
      .resolves({
        GroupMemberships: [
          { IdentityStoreId: IDENTITY_STORE_ID, MembershipId: "m2", GroupId: "g1", MemberId: { UserId: "u2" } },
          // A member kind this connector does not model is skipped, not invented as a user.
          { IdentityStoreId: IDENTITY_STORE_ID, MembershipId: "m3", GroupId: "g1", MemberId: { $unknown: ["GroupId", "g9"] } as never },
        ],
      });
    const { items, pages } = await readAll((state) => setup.syncer("sso_group").listGrants(eng!, state, call()));
    expect(pages).toBe(2);
    expect(items.map((g) => [g.id, g.principal?.id?.resourceType, g.principal?.id?.resource])).toEqual([
      ["m1", "sso_user", userArn("u1")],
      ["m2", "sso_user", userArn("u2")],
    ]);
    expect(items[0]!.entitlement?.id).toBe(`sso_group:${groupArn("g1")}:member`);
    expect(annotationOf(items[0]!.annotations, V1IdentifierSchema)?.id).toBe(`grant:membership:${groupArn("g1")}:${userArn("u1")}`);
    expect(setup.mocks.identityStore.commandCalls(ListGroupMembershipsCommand).map((c) => c.args[0].input)).toEqual([
      { IdentityStoreId: IDENTITY_STORE_ID, GroupId: "g1", MaxResults: 100, NextToken: undefined },
      { IdentityStoreId: IDENTITY_STORE_ID, GroupId: "g1", MaxResults: 100, NextToken: "mt" },
    ]);
  });

  test("a group deleted since it was listed has no grants; access denied fails", async () => {
    setup = unitSetup();
    withGroups();
    const [eng] = await groups();
    setup.mocks.identityStore.on(ListGroupMembershipsCommand).rejectsOnce(Object.assign(new Error("no such group"), { name: "ResourceNotFoundException" }));
    expect(await setup.syncer("sso_group").listGrants(eng!, undefined, call())).toEqual({ items: [] });
    setup.mocks.identityStore.on(ListGroupMembershipsCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    await expect(setup.syncer("sso_group").listGrants(eng!, undefined, call())).rejects.toThrow(/denied/);
  });
});
