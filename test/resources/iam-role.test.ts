import { GetAccountAuthorizationDetailsCommand, ListRolesCommand } from "@aws-sdk/client-iam";
import { afterEach, describe, expect, test } from "vitest";
import { GrantExpandableSchema, GrantMetadataSchema } from "../../src/gen/c1/connector/v2/annotation_grant_pb.js";
import { NonHumanIdentityTraitSchema, NonHumanIdentityTrait_NhiType, RoleTraitSchema } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { V1IdentifierSchema } from "../../src/gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import { ResourceType_Trait } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { allow, role, user } from "./support/iam-fixtures.js";
import { OWN_ACCOUNT, annotationOf, call, readAll, unitSetup } from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

const OTHER = "333333333333";
const alice = user(OWN_ACCOUNT, "alice");
const ops = role(OWN_ACCOUNT, "Ops", allow({ Service: "ec2.amazonaws.com" }));

async function rolesOf(...roles: ReturnType<typeof role>[]) {
  setup.mocks.iam.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [alice], RoleDetailList: roles });
  return (await readAll((state) => setup.syncer("role").listResources(undefined, state, call()))).items;
}

describe("role (IAM)", () => {
  test("roles with ROLE and non-human-identity traits, profile and V1 identifier", async () => {
    setup = unitSetup();
    expect(setup.syncer("role").resourceType).toMatchObject({ id: "role", displayName: "IAM Role", traits: [ResourceType_Trait.ROLE] });
    const deployer = role(OWN_ACCOUNT, "deployer", allow({ AWS: alice.Arn }), {
      Path: "/ci/",
      Tags: [{ Key: "team", Value: "platform" }],
      RoleLastUsed: { LastUsedDate: new Date("2025-01-02T03:04:05Z"), Region: "eu-west-1" },
    });
    const linked = role(OWN_ACCOUNT, "AWSServiceRoleForX", allow({ Service: "x.amazonaws.com" }), { Path: "/aws-service-role/x.amazonaws.com/" });
    const vendor = role(OWN_ACCOUNT, "vendor", allow({ AWS: `arn:aws:iam::${OTHER}:root` }));
    const saml = role(OWN_ACCOUNT, "sso", { Statement: [{ Effect: "Allow", Principal: { Federated: `arn:aws:iam::${OWN_ACCOUNT}:saml-provider/IdP` }, Action: "sts:AssumeRoleWithSAML" }] });
    // What GetAccountAuthorizationDetails does not return comes from ListRoles (one call per 1000 roles).
    setup.mocks.iam.on(ListRolesCommand).resolves({
      Roles: [{ ...deployer, Description: "Deploys from CI", MaxSessionDuration: 7200 } as never, { ...vendor, MaxSessionDuration: 3600 } as never],
    });
    const [d, l, v, s, o] = await rolesOf(deployer, linked, vendor, saml, ops);
    expect(setup.mocks.iam.commandCalls(ListRolesCommand).map((c) => c.args[0].input)).toEqual([{ MaxItems: 1000, Marker: undefined }]);
    expect(d!.description).toBe("Deploys from CI");
    expect(v!.profile).toMatchObject({ aws_role_description: "", aws_max_session_duration_seconds: 3600 });
    expect(l!.profile?.aws_max_session_duration_seconds).toBeUndefined();

    expect(d!.id).toMatchObject({ resourceType: "role", resource: deployer.Arn });
    expect(d!.displayName).toBe("deployer");
    const profile = {
      aws_arn: deployer.Arn,
      aws_path: "/ci/",
      aws_tags: { team: "platform" },
      aws_role_name: "deployer",
      aws_role_description: "Deploys from CI",
      aws_role_id: deployer.RoleId,
      aws_max_session_duration_seconds: 7200,
      aws_role_last_used_at: "2025-01-02T03:04:05.000Z",
      aws_role_last_used_region: "eu-west-1",
    };
    expect(d!.profile).toEqual(profile);
    expect(annotationOf(d!.annotations, RoleTraitSchema)?.profile).toEqual(profile);
    expect(annotationOf(d!.annotations, V1IdentifierSchema)?.id).toBe(deployer.Arn);

    const nhi = (r: typeof d) => {
      const t = annotationOf(r!.annotations, NonHumanIdentityTraitSchema)!;
      return [t.nhiType, t.nhiDetail];
    };
    const A = NonHumanIdentityTrait_NhiType.ASSUMABLE_ROLE;
    expect(nhi(d)).toEqual([A, "aws.role"]);
    expect(nhi(l)).toEqual([NonHumanIdentityTrait_NhiType.MANAGED_IDENTITY, "aws.service_linked_role"]);
    expect(nhi(v)).toEqual([A, "aws.role.cross_account"]);
    expect(nhi(s)).toEqual([A, "aws.role.saml"]);
    expect(nhi(o)).toEqual([A, "aws.role.ec2"]);
    // What the trust policy trusts besides named principals is visible, never a grant.
    expect(v!.profile?.aws_trusted_accounts).toEqual([OTHER]);
    expect(o!.profile?.aws_trusted_services).toEqual(["ec2.amazonaws.com"]);
    expect(s!.profile?.aws_trusted_federated).toEqual([`arn:aws:iam::${OWN_ACCOUNT}:saml-provider/IdP`]);
  });

  test("one assignment entitlement, as baton-aws words it", async () => {
    setup = unitSetup();
    const [resource] = await rolesOf(ops);
    const { items } = await setup.syncer("role").listEntitlements(resource!, undefined, call());
    expect(items.map((e) => [e.id, e.slug, e.displayName, e.description])).toEqual([
      [`role:${ops.Arn}:assignment`, "assignment", "Ops Role", "Can assume the Ops role in AWS"],
    ]);
    expect(items[0]!.grantableTo.map((t) => t.id)).toEqual(["iam_user", "role", "group", "sso_user"]);
    expect(annotationOf(items[0]!.annotations, V1IdentifierSchema)?.id).toBe(`membership:${ops.Arn}`);
  });

  test("trust grants: users direct, roles expandable, conditions in metadata, nothing for roots, services or *", async () => {
    setup = unitSetup();
    const chained = `arn:aws:iam::${OTHER}:role/Pipeline`;
    const trusted = role(OWN_ACCOUNT, "shared", {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { AWS: [alice.Arn, `arn:aws:iam::${OTHER}:root`, "*"] }, Action: "sts:AssumeRole" },
        { Effect: "Allow", Principal: { AWS: chained }, Action: ["sts:AssumeRole", "sts:TagSession"], Condition: { StringEquals: { "sts:ExternalId": "x" } } },
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    });
    const [resource] = await rolesOf(trusted);
    const { items } = await setup.syncer("role").listGrants(resource!, undefined, call());
    expect(items.map((g) => g.id)).toEqual([
      `role:${trusted.Arn}:assignment:iam_user:${alice.Arn}`,
      `role:${trusted.Arn}:assignment:role:${chained}`,
    ]);
    const [toUser, toRole] = items;
    expect(toUser!.entitlement?.id).toBe(`role:${trusted.Arn}:assignment`);
    expect(toUser!.annotations).toEqual([]);
    expect(toRole!.principal?.id).toMatchObject({ resourceType: "role", resource: chained });
    expect(annotationOf(toRole!.annotations, GrantExpandableSchema)?.entitlementIds).toEqual([`role:${chained}:assignment`]);
    // The external ID is a secret shared with a third party: the key is kept, the value never leaves.
    expect(annotationOf(toRole!.annotations, GrantMetadataSchema)?.metadata).toEqual({ conditions: [{ StringEquals: { "sts:ExternalId": "[redacted]" } }] });
    expect(resource!.profile?.aws_trusts_any_principal).toBe(true);
  });

  test("an unreadable trust policy grants nothing and says so in the profile", async () => {
    setup = unitSetup();
    const broken = role(OWN_ACCOUNT, "broken", {}, { AssumeRolePolicyDocument: "%7Bnot-json" });
    const [resource] = await rolesOf(broken);
    expect(resource!.profile?.aws_trust_policy_error).toMatch(/JSON/);
    expect(await setup.syncer("role").listGrants(resource!, undefined, call())).toEqual({ items: [] });
  });

  test("a role that is not in its account's snapshot any more has no grants", async () => {
    setup = unitSetup();
    await rolesOf();
    const resource = { id: { resourceType: "role", resource: ops.Arn }, displayName: "Ops", annotations: [] } as never;
    expect(await setup.syncer("role").listGrants(resource, undefined, call())).toEqual({ items: [] });
  });
});
