import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { annotation } from "../../src/connector/annotations.js";
import { GrantMetadataSchema } from "../../src/gen/c1/connector/v2/annotation_grant_pb.js";
import { GrantSchema } from "../../src/gen/c1/connector/v2/grant_pb.js";
import { ResourceTypeSchema, ResourceType_Trait } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { CapabilityPermissionsSchema } from "../../src/gen/c1/connector/v2/connector_pb.js";
import { assignmentEntitlement, entitlementRef, groupResource, newGrant, type GrantInit } from "../../src/resources/baton-shapes.js";
import { createResourceTypes } from "../../src/resources/resource-types.js";
import { createPrng } from "../../src/simulator/generate/prng.js";

const ALPHABET = ["a", "Z", "0", ":", "-", "é", "日", "😀", ""];

describe("newGrant", () => {
  it("builds exactly what create(GrantSchema, …) builds, field for field and byte for byte", () => {
    const prng = createPrng(19, "baton-shapes.test.ts");
    const next = () => prng.next();
    const text = () => Array.from({ length: Math.floor(next() * 12) }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join("");
    const groupType = create(ResourceTypeSchema, { id: "group", displayName: "Group", traits: [ResourceType_Trait.GROUP] });
    for (let i = 0; i < 500; i++) {
      const group = groupResource({ type: groupType, id: text(), displayName: text(), profile: next() < 0.5 ? { k: text() } : undefined });
      const entitlement = entitlementRef(group, text());
      const principal = { resourceType: text(), resource: text() };
      const init: GrantInit = { entitlement, principal };
      if (next() < 0.3) init.id = text();
      if (next() < 0.3) init.annotations = [annotation(GrantMetadataSchema, { metadata: { n: i } })];
      const expected = create(GrantSchema, {
        entitlement,
        principal: { id: { resourceType: principal.resourceType, resource: principal.resource } },
        id: init.id ?? `${entitlement.id}:${principal.resourceType}:${principal.resource}`,
        annotations: init.annotations ?? [],
      });
      const grant = newGrant(init);
      expect(grant).toStrictEqual(expected);
      expect(Object.keys(grant.principal!).sort()).toEqual(Object.keys(expected.principal!).sort());
      expect(Object.keys(grant.principal!.id!).sort()).toEqual(Object.keys(expected.principal!.id!).sort());
      expect(toBinary(GrantSchema, grant)).toEqual(toBinary(GrantSchema, expected));
    }
  });
});

describe("assignmentEntitlement", () => {
  it("names grantable types as baton-aws declares them: no description, no CapabilityPermissions", () => {
    const types = createResourceTypes({ organizations: true, syncSecrets: true, organizationTree: true, managedPolicies: "customer-and-attached" });
    const group = groupResource({ type: types.iamGroup, id: "arn:aws:iam::111111111111:group/admins", displayName: "admins" });
    const entitlement = assignmentEntitlement({ resource: group, slug: "member", displayName: "admins Group Member", description: "", grantableTo: [types.iamUser, types.iamRole] });
    const capabilityUrl = `type.googleapis.com/${CapabilityPermissionsSchema.typeName}`;
    expect(types.iamUser.description).not.toBe("");
    expect(types.iamUser.annotations.map((a) => a.typeUrl)).toContain(capabilityUrl);
    expect(entitlement.grantableTo).toStrictEqual(
      [types.iamUser, types.iamRole].map((t) =>
        create(ResourceTypeSchema, { id: t.id, displayName: t.displayName, traits: t.traits, annotations: t.annotations.filter((a) => a.typeUrl !== capabilityUrl) }),
      ),
    );
    // baton-aws's annotations stay, in order (SkipEntitlements, then V1Identifier).
    expect(entitlement.grantableTo[0]!.annotations.map((a) => a.typeUrl.split(".").pop())).toEqual(["SkipEntitlements", "V1Identifier"]);
    // The ListResourceTypes descriptors are untouched.
    expect(types.iamUser.annotations.map((a) => a.typeUrl)).toContain(capabilityUrl);
  });
});
