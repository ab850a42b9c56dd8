import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";
import { encodeGrantSources } from "../../src/c1z/grant-bytes.js";
import { deterministicBinary } from "../../src/c1z/proto-bytes.js";
import { GrantSources_GrantSourceSchema, GrantSourcesSchema } from "../../src/gen/c1/connector/v2/grant_pb.js";

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

// No integer-like keys: deterministicBinary cannot order those (proto-bytes.ts), the encoder can.
const PARTS = ["", "group:g1:member", "permission_set_assignment:arn:aws:sso:::permissionSet/ssoins-1/ps-2|123456789012:assigned", "é", "日本", "😀", "\uffff", "Z", "a"];

describe("encodeGrantSources", () => {
  test("writes the bytes deterministicBinary writes: Go's key order, false is_direct left out, unicode keys", () => {
    const next = random(7);
    for (let i = 0; i < 500; i++) {
      const sources = create(GrantSourcesSchema, {});
      const entries = Math.floor(next() * 8);
      for (let e = 0; e < entries; e++) {
        const key = PARTS[Math.floor(next() * PARTS.length)]! + PARTS[Math.floor(next() * PARTS.length)]!;
        sources.sources[key] = create(GrantSources_GrantSourceSchema, { isDirect: next() < 0.5 });
      }
      expect(Buffer.from(encodeGrantSources(sources)).toString("hex")).toBe(Buffer.from(deterministicBinary(GrantSourcesSchema, sources)).toString("hex"));
    }
  });

  test("keys with surrogates sort by code point, as Go's bytes do, not by UTF-16 unit", () => {
    const sources = create(GrantSourcesSchema, {});
    // U+FFFF is after U+1F600's high surrogate in UTF-16, before it by code point.
    for (const key of ["😀", "\uffff"]) sources.sources[key] = create(GrantSources_GrantSourceSchema, { isDirect: true });
    const bytes = Buffer.from(encodeGrantSources(sources));
    expect(bytes.indexOf(Buffer.from("\uffff", "utf8"))).toBeLessThan(bytes.indexOf(Buffer.from("😀", "utf8")));
    expect(bytes.toString("hex")).toBe(Buffer.from(deterministicBinary(GrantSourcesSchema, sources)).toString("hex"));
  });

  test("an empty message is empty", () => {
    expect(encodeGrantSources(create(GrantSourcesSchema, {})).length).toBe(0);
  });
});
