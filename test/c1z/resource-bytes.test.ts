import { create, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { AnySchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, test } from "vitest";
import { deterministicBinary } from "../../src/c1z/proto-bytes.js";
import { encodeResources } from "../../src/c1z/resource-bytes.js";
import { blobAt } from "../../src/c1z/rows.js";
import { ResourceSchema, type Resource } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { createPrng } from "../../src/simulator/generate/prng.js";

// Empty, unicode (two-, three-, four-byte), lone surrogates, integer-like keys, long text (multi-byte lengths).
const PIECES = ["a", "Z", "0", "7", ":", "é", "日", "😀", "\ud800", "\uffff", "x".repeat(70), "y".repeat(200)];

describe("encodeResources", () => {
  test("writes exactly deterministicBinary's bytes for random resources", () => {
    const prng = createPrng(11, "resource-bytes.test.ts");
    const next = () => prng.next();
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
    const text = (max = 4) => Array.from({ length: Math.floor(next() * max) }, () => pick(PIECES)).join("");
    const json = (depth: number): JsonValue => {
      const roll = next();
      if (roll < 0.15) return null;
      if (roll < 0.3) return pick([0, -0, 1, -1, 0.5, 1e300, -123456789.25, 2 ** 53, 5e-324]);
      if (roll < 0.45) return next() < 0.5;
      if (roll < 0.65 || depth > 2) return text();
      if (roll < 0.8) return Array.from({ length: Math.floor(next() * 4) }, () => json(depth + 1));
      return object(depth + 1);
    };
    const object = (depth: number): JsonObject => {
      const out: JsonObject = {};
      for (let k = Math.floor(next() * 6); k > 0; k--) out[text(2)] = json(depth);
      return out;
    };
    const id = () => ({ resourceType: text(), resource: text(), batonResource: next() < 0.1 });
    for (let page = 0; page < 60; page++) {
      const list: Resource[] = Array.from({ length: 1 + Math.floor(next() * 30) }, () => {
        const r = create(ResourceSchema, {
          id: next() < 0.95 ? id() : undefined,
          parentResourceId: next() < 0.4 ? id() : undefined,
          displayName: text(),
          description: next() < 0.3 ? text(8) : "",
          annotations: Array.from({ length: Math.floor(next() * 3) }, () =>
            create(AnySchema, { typeUrl: text(), value: Uint8Array.from({ length: Math.floor(next() * 300) }, () => Math.floor(next() * 256)) }),
          ),
          batonResource: next() < 0.1,
          creationSource: next() < 0.1 ? 2 : 0,
          profile: next() < 0.7 ? object(0) : undefined,
          status: next() < 0.3 ? { status: Math.floor(next() * 4), details: text() } : undefined,
          createdAt: next() < 0.5 ? timestampFromMs(Math.floor(next() * 2e12)) : undefined,
        });
        // Rare shapes the encoder hands to the reflective path.
        const roll = next();
        if (roll < 0.03) r.externalId = { $typeName: "c1.connector.v2.ExternalId", id: text(), link: "", description: "" };
        else if (roll < 0.06) r.$unknown = [{ no: 99, wireType: 0, data: Uint8Array.of(1) }];
        else if (roll < 0.09 && r.createdAt) r.createdAt.seconds = -5n;
        return r;
      });
      const rows = encodeResources(list);
      list.forEach((r, i) => {
        expect(Buffer.from(blobAt(rows, i)), `page ${page}, resource ${i}`).toEqual(Buffer.from(deterministicBinary(ResourceSchema, r)));
      });
    }
  });

  test("a resource of more than the scratch buffer's size", () => {
    const r = create(ResourceSchema, { id: { resourceType: "t", resource: "r" }, profile: { big: "é".repeat(40_000), list: Array.from({ length: 3000 }, (_, i) => i) } });
    const rows = encodeResources([r, r]);
    expect(Buffer.from(blobAt(rows, 1))).toEqual(Buffer.from(deterministicBinary(ResourceSchema, r)));
  });
});
