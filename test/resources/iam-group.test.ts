import { GetAccountAuthorizationDetailsCommand } from "@aws-sdk/client-iam";
import { afterEach, describe, expect, test } from "vitest";
import { GroupTraitSchema } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { V1IdentifierSchema } from "../../src/gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import { Entitlement_PurposeValue } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import { ResourceType_Trait } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { group, user } from "./support/iam-fixtures.js";
import { MEMBER_ACCOUNT, OWN_ACCOUNT, annotationOf, call, readAll, unitSetup } from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

const admins = group(OWN_ACCOUNT, "Admins");
const devs = group(OWN_ACCOUNT, "Devs", { Path: "/eng/" });

async function groupResources() {
  return (await readAll((state) => setup.syncer("group").listResources(undefined, state, call()))).items;
}

describe("group (IAM)", () => {
  test("groups with GROUP trait, profile and V1 identifier", async () => {
    setup = unitSetup();
    expect(setup.syncer("group").resourceType).toMatchObject({ id: "group", displayName: "Group", traits: [ResourceType_Trait.GROUP] });
    setup.mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves({ GroupDetailList: [admins, devs] });
    const [a, d] = await groupResources();
    expect(a!.id).toMatchObject({ resourceType: "group", resource: admins.Arn });
    expect(a!.displayName).toBe("Admins");
    const profile = { aws_arn: admins.Arn, aws_path: "/", aws_group_type: "iam", aws_group_name: "Admins", aws_group_id: admins.GroupId };
    expect(a!.profile).toEqual(profile);
    expect(annotationOf(a!.annotations, GroupTraitSchema)?.profile).toEqual(profile);
    expect(annotationOf(a!.annotations, V1IdentifierSchema)?.id).toBe(admins.Arn);
    expect(d!.profile?.aws_path).toBe("/eng/");
  });

  test("one member entitlement, as baton-aws words it", async () => {
    setup = unitSetup();
    setup.mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves({ GroupDetailList: [admins] });
    const [resource] = await groupResources();
    const { items } = await setup.syncer("group").listEntitlements(resource!, undefined, call());
    expect(items).toHaveLength(1);
    const member = items[0]!;
    expect(member).toMatchObject({
      id: `group:${admins.Arn}:member`,
      slug: "member",
      displayName: "Admins Group Member",
      description: "Is member of the Admins IAM group in AWS",
      purpose: Entitlement_PurposeValue.ASSIGNMENT,
    });
    expect(member.grantableTo.map((t) => t.id)).toEqual(["iam_user"]);
    expect(member.resource?.id?.resource).toBe(admins.Arn);
    expect(annotationOf(member.annotations, V1IdentifierSchema)?.id).toBe(`membership:${admins.Arn}`);
  });

  test("members come from the users' group lists in the same snapshot (no GetGroup)", async () => {
    setup = unitSetup();
    const alice = user(OWN_ACCOUNT, "alice", { GroupList: ["Admins", "Devs"] });
    const bob = user(OWN_ACCOUNT, "bob", { GroupList: ["Devs"] });
    const carol = user(OWN_ACCOUNT, "carol", { GroupList: ["Gone"] });
    setup.mocks.iam
      .on(GetAccountAuthorizationDetailsCommand, { Marker: undefined })
      .resolves({ UserDetailList: [alice], GroupDetailList: [admins], IsTruncated: true, Marker: "p2" })
      .on(GetAccountAuthorizationDetailsCommand, { Marker: "p2" })
      .resolves({ UserDetailList: [bob, carol], GroupDetailList: [devs] });
    const [a, d] = await groupResources();
    const grantsOf = async (resource: typeof a) => (await readAll((s) => setup.syncer("group").listGrants(resource!, s, call()))).items;

    const adminGrants = await grantsOf(a);
    expect(adminGrants.map((g) => g.id)).toEqual([`group:${admins.Arn}:member:iam_user:${alice.Arn}`]);
    const grant = adminGrants[0]!;
    expect(grant.entitlement?.id).toBe(`group:${admins.Arn}:member`);
    expect(grant.entitlement?.resource?.id?.resource).toBe(admins.Arn);
    expect(grant.principal?.id).toMatchObject({ resourceType: "iam_user", resource: alice.Arn });
    expect(annotationOf(grant.annotations, V1IdentifierSchema)?.id).toBe(`grant:membership:${admins.Arn}:${alice.Arn}`);

    expect((await grantsOf(d)).map((g) => g.principal?.id?.resource)).toEqual([alice.Arn, bob.Arn]);
    expect(setup.mocks.iam.commandCalls(GetAccountAuthorizationDetailsCommand)).toHaveLength(2);
  });

  test("a big group's members are paged (250 per page) across connector pages", async () => {
    setup = unitSetup();
    const users = Array.from({ length: 520 }, (_, i) => user(OWN_ACCOUNT, `u${i}`, { GroupList: ["Admins"] }));
    setup.mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: users, GroupDetailList: [admins] });
    const [a] = await groupResources();
    const { items, pages } = await readAll((s) => setup.syncer("group").listGrants(a!, s, call()));
    expect(pages).toBe(3);
    expect(items.map((g) => g.principal?.id?.resource)).toEqual(users.map((u) => u.Arn));
  });

  test("a member account's group is looked up in that account's snapshot", async () => {
    setup = unitSetup({ crossAccountIam: true });
    const memberGroup = group(MEMBER_ACCOUNT, "Ops");
    const memberUser = user(MEMBER_ACCOUNT, "eve", { GroupList: ["Ops"] });
    setup.mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [memberUser], GroupDetailList: [memberGroup] });
    const parent = { resourceType: "account_iam", resource: MEMBER_ACCOUNT } as never;
    const [resource] = (await setup.syncer("group").listResources(parent, undefined, call())).items;
    const grants = await setup.syncer("group").listGrants(resource!, undefined, call());
    expect(grants.items.map((g) => g.principal?.id?.resource)).toEqual([memberUser.Arn]);
  });

  test("a group that is not in its account's snapshot any more has no grants", async () => {
    setup = unitSetup();
    setup.mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves({ GroupDetailList: [] });
    const resource = { id: { resourceType: "group", resource: admins.Arn }, displayName: "Admins", annotations: [] } as never;
    expect(await setup.syncer("group").listGrants(resource, undefined, call())).toEqual({ items: [] });
  });
});
