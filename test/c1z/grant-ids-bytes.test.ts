import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";
import { blobAt, RowEncoder, splitExpansion } from "../../src/c1z/rows.js";
import { deterministicBinary } from "../../src/c1z/proto-bytes.js";
import { EntitlementSchema } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema } from "../../src/gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { createPrng } from "../../src/simulator/generate/prng.js";

// Empty parts, separators inside parts, two-, three- and four-byte characters, lone surrogates.
const PIECES = ["a", "Z", "0", ":", "-", "é", "日", "😀", "\ud800", "\udfff", "x".repeat(90)];

describe("grant rows: conventional ids written from their parts", () => {
  test("every grant's bytes are deterministicBinary's, whether its id is conventional or not", () => {
    const prng = createPrng(7, "grant-ids-bytes.test.ts");
    const next = () => prng.next();
    const text = () => Array.from({ length: Math.floor(next() * 6) }, () => PIECES[Math.floor(next() * PIECES.length)]).join("");
    const encoder = new RowEncoder();
    for (let page = 0; page < 200; page++) {
      // A few entitlements per page, so grants sometimes switch between them.
      const entitlements = Array.from({ length: 1 + Math.floor(next() * 3) }, () => {
        const resource = create(ResourceSchema, { id: { resourceType: text(), resource: text() } });
        return create(EntitlementSchema, { id: text(), resource });
      });
      const grants = Array.from({ length: 1 + Math.floor(next() * 40) }, () => {
        const entitlement = entitlements[Math.floor(next() * entitlements.length)]!;
        const principal = { resourceType: text(), resource: text() };
        const roll = next();
        const id =
          roll < 0.7
            ? `${entitlement.id}:${principal.resourceType}:${principal.resource}`
            : roll < 0.85
              ? text()
              : `${entitlement.id}:${principal.resourceType}:${principal.resource}x`;
        return create(GrantSchema, { entitlement, principal: { id: principal }, id });
      });
      const rows = encoder.grants(grants);
      grants.forEach((grant, i) => {
        expect(Buffer.from(blobAt(rows, i))).toEqual(Buffer.from(deterministicBinary(GrantSchema, splitExpansion(grant).stored)));
      });
      const ids = grants.map((g) => g.id);
      const conventional = grants.every((g) => g.id === `${g.entitlement!.id}:${g.principal!.id!.resourceType}:${g.principal!.id!.resource}`);
      expect(rows.ids).toEqual(conventional ? undefined : ids);
    }
  });
});
