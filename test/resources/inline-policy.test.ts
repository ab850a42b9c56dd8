import { GetAccountAuthorizationDetailsCommand } from "@aws-sdk/client-iam";
import { GetInlinePolicyForPermissionSetCommand, ListInstancesCommand } from "@aws-sdk/client-sso-admin";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, test } from "vitest";
import { GrantExpandableSchema } from "../../src/gen/c1/connector/v2/annotation_grant_pb.js";
import { RoleTraitSchema } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { V1IdentifierSchema } from "../../src/gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import { ResourceType_Trait } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { allow, group, role, user } from "./support/iam-fixtures.js";
import { IDENTITY_STORE_ID, INSTANCE_ARN, MEMBER_ACCOUNT, OWN_ACCOUNT, annotationOf, call, encodedPolicy, readAll, unitSetup } from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

const doc = (action: string) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });
const inline = (name: string, action: string) => ({ PolicyName: name, PolicyDocument: encodedPolicy(doc(action)) });
const PS = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-0000000000000001";

const alice = user(OWN_ACCOUNT, "alice", { UserPolicyList: [inline("s3-read", "s3:Get*"), inline("logs", "logs:*")] });
const admins = group(OWN_ACCOUNT, "admins", { GroupPolicyList: [inline("billing", "aws-portal:*")] });
const ops = role(OWN_ACCOUNT, "ops", allow({ AWS: alice.Arn }), { RolePolicyList: [inline("ec2", "ec2:*")] });

function iam() {
  setup.mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [alice], GroupDetailList: [admins], RoleDetailList: [ops] });
}
const under = async (resourceType: string, resource: string) =>
  (await readAll((s) => setup.syncer("inline_policy").listResources({ resourceType, resource } as never, s, call()))).items;

describe("inline_policy", () => {
  test("resource type as baton-aws: Inline Policy, ROLE trait, V1 identifier", () => {
    setup = unitSetup();
    const type = setup.syncer("inline_policy").resourceType;
    expect(type).toMatchObject({ id: "inline_policy", displayName: "Inline Policy", traits: [ResourceType_Trait.ROLE] });
    expect(annotationOf(type.annotations, V1IdentifierSchema)?.id).toBe("inline_policy");
  });

  test("listed under their IAM owner from the snapshot: <owner ARN>::inline::<name>, the decoded document, no extra AWS call", async () => {
    setup = unitSetup({ organizations: false, identityCenter: false });
    iam();
    const ofAlice = await under("iam_user", alice.Arn!);
    expect(ofAlice.map((p) => [p.id!.resource, p.displayName, p.parentResourceId?.resourceType, p.parentResourceId?.resource])).toEqual([
      [`${alice.Arn}::inline::s3-read`, "s3-read", "iam_user", alice.Arn],
      [`${alice.Arn}::inline::logs`, "logs", "iam_user", alice.Arn],
    ]);
    expect(ofAlice[0]!.description).toBe(`Inline policy s3-read attached to iam_user IAM ${alice.Arn}`);
    expect(ofAlice[0]!.profile).toMatchObject({ aws_policy_name: "s3-read", aws_parent_arn: alice.Arn });
    expect(JSON.parse(ofAlice[0]!.profile!.policy_document as string)).toEqual(doc("s3:Get*"));
    expect(annotationOf(ofAlice[0]!.annotations, RoleTraitSchema)).toBeDefined();
    expect((await under("group", admins.Arn!)).map((p) => p.id!.resource)).toEqual([`${admins.Arn}::inline::billing`]);
    expect((await under("role", ops.Arn!)).map((p) => p.id!.resource)).toEqual([`${ops.Arn}::inline::ec2`]);
    expect(setup.mocks.iam.commandCalls(GetAccountAuthorizationDetailsCommand)).toHaveLength(1);
    // Nothing at the top level; an owner the sync does not have is refused.
    expect((await setup.syncer("inline_policy").listResources(undefined, undefined, call())).items).toEqual([]);
    const error = await under("iam_user", `arn:aws:iam::${MEMBER_ACCOUNT}:user/bob`).catch((e: unknown) => e);
    expect((error as ConnectError).code).toBe(Code.NotFound);
    const mismatch = await under("group", alice.Arn!).catch((e: unknown) => e);
    expect((mismatch as ConnectError).code).toBe(Code.InvalidArgument);
  });

  test("a permission set's inline policy: GetInlinePolicyForPermissionSet once, id <ps ARN>::inline::inline; none when empty", async () => {
    setup = unitSetup();
    setup.mocks.sso.on(ListInstancesCommand).resolves({ Instances: [{ InstanceArn: INSTANCE_ARN, IdentityStoreId: IDENTITY_STORE_ID }] });
    setup.mocks.sso.on(GetInlinePolicyForPermissionSetCommand, { PermissionSetArn: PS }).resolves({ InlinePolicy: JSON.stringify(doc("sso:*")) });
    const [policy] = await under("permission_set", PS);
    expect(policy).toMatchObject({ id: { resourceType: "inline_policy", resource: `${PS}::inline::inline` }, displayName: "inline" });
    expect(policy!.description).toBe(`Inline policy attached to permission set ${PS}`);
    expect(JSON.parse(policy!.profile!.policy_document as string)).toEqual(doc("sso:*"));
    await under("permission_set", PS);
    expect(setup.mocks.sso.commandCalls(GetInlinePolicyForPermissionSetCommand).map((c) => c.args[0].input)).toEqual([
      { InstanceArn: INSTANCE_ARN, PermissionSetArn: PS },
    ]);
    const other = PS.replace(/1$/, "2");
    expect(await under("permission_set", other)).toEqual([]);
  });

  test("the attached entitlement, granted to the owner, expandable as the owner's managed policies are", async () => {
    setup = unitSetup({ organizations: false, identityCenter: false });
    iam();
    const syncer = setup.syncer("inline_policy");
    const check = async (ownerType: string, ownerArn: string, expandsFrom?: string[], shallow?: boolean) => {
      const [policy] = await under(ownerType, ownerArn);
      const [entitlement] = (await syncer.listEntitlements(policy!, undefined, call())).items;
      expect(entitlement).toMatchObject({
        id: `inline_policy:${policy!.id!.resource}:attached`,
        slug: "attached",
        displayName: `${policy!.displayName} Inline Policy`,
        description: `Has the ${policy!.displayName} inline policy in AWS`,
      });
      expect(entitlement!.grantableTo.map((t) => t.id)).toEqual([ownerType]);
      const [grant, ...rest] = (await syncer.listGrants(policy!, undefined, call())).items;
      expect(rest).toEqual([]);
      expect(grant!.id).toBe(`inline_policy:${policy!.id!.resource}:attached:${ownerType}:${ownerArn}`);
      const expandable = annotationOf(grant!.annotations, GrantExpandableSchema);
      expect(expandable?.entitlementIds).toEqual(expandsFrom);
      if (expandable) expect(expandable.shallow).toBe(shallow);
    };
    await check("iam_user", alice.Arn!);
    await check("group", admins.Arn!, [`group:${admins.Arn}:member`], true);
    await check("role", ops.Arn!, [`role:${ops.Arn}:assignment`], false);
  });

  test("GetResource: by id, from the owner's policies", async () => {
    setup = unitSetup({ organizations: false, identityCenter: false });
    iam();
    const get = (id: string) => setup.syncer("inline_policy").getResource!({ resourceType: "inline_policy", resource: id } as never, undefined, call());
    expect((await get(`${alice.Arn}::inline::logs`))?.parentResourceId?.resource).toBe(alice.Arn);
    expect(await get(`${alice.Arn}::inline::nope`)).toBeUndefined();
    await expect(get("not-an-inline-id")).rejects.toThrow(/not an inline policy id/);
  });
});
