import { DescribePermissionSetCommand, ListInstancesCommand, ListPermissionSetsCommand } from "@aws-sdk/client-sso-admin";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { afterEach, describe, expect, test } from "vitest";
import { ChildResourceTypeSchema, SkipEntitlementsAndGrantsSchema, SkipEntitlementsSchema } from "../../src/gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { OptInRequiredSchema } from "../../src/gen/c1/connector/v2/connector_pb.js";
import { RoleTraitSchema } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { V1IdentifierSchema } from "../../src/gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import { ResourceType_Trait } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { IDENTITY_STORE_ID, INSTANCE_ARN, annotationOf, call, readAll, unitSetup } from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

const ps = (n: number) => `arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-${String(n).padStart(16, "0")}`;

describe("permission_set", () => {
  test("resource type: ROLE trait, SkipEntitlements and OptInRequired, no V1 identifier (as baton-aws v0.4.9)", () => {
    setup = unitSetup();
    const type = setup.syncer("permission_set").resourceType;
    expect(type).toMatchObject({ id: "permission_set", displayName: "Permission Set", traits: [ResourceType_Trait.ROLE] });
    expect(annotationOf(type.annotations, SkipEntitlementsSchema)).toBeDefined();
    expect(annotationOf(type.annotations, OptInRequiredSchema)).toBeDefined();
    expect(annotationOf(type.annotations, SkipEntitlementsAndGrantsSchema)).toBeUndefined();
    expect(annotationOf(type.annotations, V1IdentifierSchema)).toBeUndefined();
  });

  test("every set from every ListPermissionSets page, described once; sets deleted in between are left out", async () => {
    setup = unitSetup();
    const { sso } = setup.mocks;
    const created = new Date("2023-01-01T00:00:00Z");
    sso.on(ListInstancesCommand).resolves({ Instances: [{ InstanceArn: INSTANCE_ARN, IdentityStoreId: IDENTITY_STORE_ID }] });
    sso.on(ListPermissionSetsCommand, { NextToken: undefined }).resolves({ PermissionSets: [ps(0), ps(1)], NextToken: "p2" });
    sso.on(ListPermissionSetsCommand, { NextToken: "p2" }).resolves({ PermissionSets: [ps(2)] });
    sso.on(DescribePermissionSetCommand, { PermissionSetArn: ps(0) }).resolves({
      PermissionSet: { PermissionSetArn: ps(0), Name: "Admin", Description: "Full access", SessionDuration: "PT8H", RelayState: "https://console", CreatedDate: created },
    });
    sso.on(DescribePermissionSetCommand, { PermissionSetArn: ps(1) }).rejects(Object.assign(new Error("gone"), { name: "ResourceNotFoundException" }));
    sso.on(DescribePermissionSetCommand, { PermissionSetArn: ps(2) }).resolves({ PermissionSet: { PermissionSetArn: ps(2), Name: "ReadOnly" } });

    const { items } = await readAll((s) => setup.syncer("permission_set").listResources(undefined, s, call()));
    expect(items.map((r) => [r.id!.resource, r.displayName])).toEqual([
      [ps(0), "Admin"],
      [ps(2), "ReadOnly"],
    ]);
    const admin = items[0]!;
    expect(admin.description).toBe("Full access");
    const profile = { aws_permission_set_arn: ps(0), aws_permission_set_name: "Admin", aws_session_duration: "PT8H", aws_relay_state: "https://console" };
    expect(admin.profile).toEqual(profile);
    expect(annotationOf(admin.annotations, RoleTraitSchema)?.profile).toEqual(profile);
    expect(timestampMs(admin.createdAt!)).toBe(created.getTime());
    // Its inline policy is listed as its child (inline_policy).
    expect(annotationOf(admin.annotations, ChildResourceTypeSchema)?.resourceTypeId).toBe("inline_policy");
    expect(sso.commandCalls(DescribePermissionSetCommand)).toHaveLength(3);
    expect(sso.commandCalls(ListPermissionSetsCommand).map((c) => c.args[0].input)).toEqual([
      { InstanceArn: INSTANCE_ARN, NextToken: undefined, MaxResults: 100 },
      { InstanceArn: INSTANCE_ARN, NextToken: "p2", MaxResults: 100 },
    ]);
  });

  test("a describe that fails transiently is retried alone: the others are not asked again", async () => {
    setup = unitSetup();
    const { sso } = setup.mocks;
    sso.on(ListInstancesCommand).resolves({ Instances: [{ InstanceArn: INSTANCE_ARN, IdentityStoreId: IDENTITY_STORE_ID }] });
    sso.on(ListPermissionSetsCommand).resolves({ PermissionSets: [ps(0), ps(1)] });
    sso.on(DescribePermissionSetCommand, { PermissionSetArn: ps(0) }).resolves({ PermissionSet: { PermissionSetArn: ps(0), Name: "A" } });
    sso.on(DescribePermissionSetCommand, { PermissionSetArn: ps(1) })
      .rejectsOnce(Object.assign(new Error("internal"), { name: "InternalServerException", $metadata: { httpStatusCode: 500 } }))
      .resolves({ PermissionSet: { PermissionSetArn: ps(1), Name: "B" } });
    await expect(setup.syncer("permission_set").listResources(undefined, undefined, call())).rejects.toThrow(/internal/);
    const page = await setup.syncer("permission_set").listResources(undefined, undefined, call());
    expect(page.items.map((r) => r.displayName)).toEqual(["A", "B"]);
    expect(sso.commandCalls(DescribePermissionSetCommand).map((c) => c.args[0].input.PermissionSetArn)).toEqual([ps(0), ps(1), ps(1)]);
    expect(sso.commandCalls(ListPermissionSetsCommand)).toHaveLength(1);
  });

  test("access denied is not swallowed", async () => {
    setup = unitSetup();
    setup.mocks.sso.on(ListInstancesCommand).resolves({ Instances: [{ InstanceArn: INSTANCE_ARN, IdentityStoreId: IDENTITY_STORE_ID }] });
    setup.mocks.sso.on(ListPermissionSetsCommand).rejects(Object.assign(new Error("not authorized to perform sso:ListPermissionSets"), { name: "AccessDeniedException" }));
    await expect(setup.syncer("permission_set").listResources(undefined, undefined, call())).rejects.toThrow(/sso:ListPermissionSets/);
  });
});

