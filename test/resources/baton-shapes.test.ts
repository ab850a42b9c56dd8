import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { annotation } from "../../src/connector/annotations.js";
import { GrantMetadataSchema } from "../../src/gen/c1/connector/v2/annotation_grant_pb.js";
import { GrantSchema } from "../../src/gen/c1/connector/v2/grant_pb.js";
import { ResourceTypeSchema, ResourceType_Trait } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { entitlementRef, groupResource, newGrant, type GrantInit } from "../../src/resources/baton-shapes.js";

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ["a", "Z", "0", ":", "-", "é", "日", "😀", ""];

describe("newGrant", () => {
  it("builds exactly what create(GrantSchema, …) builds, field for field and byte for byte", () => {
    const next = random(19);
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
