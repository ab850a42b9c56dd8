import { randomBytes } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDirectConnectorApi } from "../../src/connector/direct-client.js";
import { InvalidPageTokenError, MAX_PAGE_TOKEN_BYTES, PageTokenCodec, type PageTokenScope } from "../../src/connector/page-token.js";
import { USERS } from "./support/fake-syncers.js";
import { grpc, GrpcHost } from "./support/grpc-client.js";
import { serve } from "./support/server.js";
import { fakeServices } from "./support/services.js";

const scope: PageTokenScope = { rpc: "ListResources", resourceTypeId: "iam_user", resourceId: "" };
const codec = new PageTokenCodec(randomBytes(32));
const token = codec.encode(scope, { marker: "AAA", index: 3, nested: { list: [1, "two", null] } });

function invalid(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPageTokenError);
    return (error as Error).message;
  }
  throw new Error("expected the token to be refused");
}

describe("PageTokenCodec", () => {
  it("round-trips the syncer state; the empty token is the first page", () => {
    expect(codec.decode(scope, token)).toEqual({ marker: "AAA", index: 3, nested: { list: [1, "two", null] } });
    expect(codec.decode(scope, "")).toBeUndefined();
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it("refuses garbage", () => {
    for (const garbage of ["x", "....", "v1..", "v1.abc", "null", "{}", "v1.e30.", "\u0000\u0001", "🙂.🙂.🙂"]) {
      expect(invalid(() => codec.decode(scope, garbage))).toMatch(/^invalid page token: /);
    }
  });

  it("refuses truncated and extended tokens", () => {
    for (let cut = 1; cut < token.length; cut += 3) invalid(() => codec.decode(scope, token.slice(0, cut)));
    invalid(() => codec.decode(scope, `${token}A`));
    invalid(() => codec.decode(scope, `${token}.`));
  });

  it("refuses every single-character change (payload, MAC or version)", () => {
    for (let i = 0; i < token.length; i++) {
      if (token[i] === ".") continue;
      const swapped = token[i] === "A" ? "B" : "A";
      invalid(() => codec.decode(scope, token.slice(0, i) + swapped + token.slice(i + 1)));
    }
  });

  it("refuses a MAC spelled with characters base64url decoding would skip", () => {
    const [v, payload, mac] = token.split(".") as [string, string, string];
    invalid(() => codec.decode(scope, `${v}.${payload}.${mac.slice(0, 4)}!${mac.slice(4)}`));
    invalid(() => codec.decode(scope, `${v}.${payload}.${mac}==`));
  });

  it("refuses a token issued for another listing, or by another key", () => {
    for (const other of [
      { ...scope, rpc: "ListGrants" },
      { ...scope, resourceTypeId: "iam_group" },
      { ...scope, resourceId: "iam_group:admins" },
      { rpc: "ListResources:iam_user", resourceTypeId: "", resourceId: "" },
    ]) {
      expect(invalid(() => codec.decode(other, token))).toMatch(/another listing/);
    }
    invalid(() => new PageTokenCodec(randomBytes(32)).decode(scope, token));
  });

  it("refuses tokens over 1 MiB without looking inside; issues only tokens under 1 MiB", () => {
    expect(invalid(() => codec.decode(scope, "v1." + "A".repeat(MAX_PAGE_TOKEN_BYTES)))).toMatch(/longer than 1 MiB/);
    expect(() => codec.encode(scope, { blob: "x".repeat(MAX_PAGE_TOKEN_BYTES) })).toThrow(/not under 1 MiB/);
    const big = codec.encode(scope, { blob: "x".repeat(700_000) });
    expect(big.length).toBeLessThan(MAX_PAGE_TOKEN_BYTES);
    expect(codec.decode(scope, big)).toEqual({ blob: "x".repeat(700_000) });
  });

  it("does not echo token contents in its messages", () => {
    expect(invalid(() => codec.decode(scope, "evil<script>.x.y"))).not.toContain("evil");
  });
});

describe("page tokens through the connector API", () => {
  const api = createDirectConnectorApi(fakeServices());
  const code = async (p: Promise<unknown>) => {
    try {
      await p;
      return Code[0];
    } catch (error) {
      return Code[ConnectError.from(error).code];
    }
  };

  it("pages to the end and refuses garbage, tampered, foreign and oversized tokens with InvalidArgument", async () => {
    const first = await api.resources.listResources({ resourceTypeId: "fake_user" });
    expect(first.nextPageToken).not.toBe("");
    const all = [...first.list];
    for (let t = first.nextPageToken; t !== ""; ) {
      const page = await api.resources.listResources({ resourceTypeId: "fake_user", pageToken: t });
      all.push(...page.list);
      t = page.nextPageToken;
    }
    expect(all.map((r) => r.id?.resource)).toEqual(USERS);

    const bad = [
      "garbage",
      first.nextPageToken.slice(0, -2),
      first.nextPageToken.replace(/\.(.)/, (_, c: string) => `.${c === "e" ? "f" : "e"}`),
      "v1." + "A".repeat(MAX_PAGE_TOKEN_BYTES + 10),
    ];
    for (const pageToken of bad) {
      expect(await code(api.resources.listResources({ resourceTypeId: "fake_user", pageToken }))).toBe("InvalidArgument");
    }
    // A token from the users listing replayed against groups, grants or another resource.
    const foreign = first.nextPageToken;
    expect(await code(api.resources.listResources({ resourceTypeId: "fake_group", pageToken: foreign }))).toBe("InvalidArgument");
    const devs = { id: { resourceType: "fake_group", resource: "devs" } };
    const grantsPage = await api.grants.listGrants({ resource: devs });
    expect(await code(api.grants.listGrants({ resource: devs, pageToken: foreign }))).toBe("InvalidArgument");
    expect(await code(api.grants.listGrants({ resource: { id: { resourceType: "fake_group", resource: "admins" } }, pageToken: grantsPage.nextPageToken }))).toBe(
      "InvalidArgument",
    );
    expect(await code(api.resourceTypes.listResourceTypes({ pageToken: foreign }))).toBe("InvalidArgument");
  });

  it("reports a clear message", async () => {
    await expect(api.resources.listResources({ resourceTypeId: "fake_user", pageToken: "v2.a.b" })).rejects.toThrow(/invalid page token: unsupported version/);
  });
});

describe("every listing checks its page token (gRPC over a real socket)", () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let host: GrpcHost;
  beforeAll(async () => {
    server = await serve(fakeServices());
    host = new GrpcHost(server.target);
  });
  afterAll(async () => {
    host.close();
    await server.close();
  });

  it("refuses garbage, tampered and foreign tokens with InvalidArgument, ListStaticEntitlements included", async () => {
    const devs = { id: { resource_type: "fake_group", resource: "devs" } };
    const real = (await host.call("resources", "ListResources", { resource_type_id: "fake_user" })).next_page_token as string;
    const tampered = real.replace(/\.(.)/, (_, c: string) => `.${c === "e" ? "f" : "e"}`);
    // A well-formed token for the static listing itself, signed with a key this server does not have.
    const otherKey = new PageTokenCodec(randomBytes(32)).encode({ rpc: "ListStaticEntitlements", resourceTypeId: "fake_group" }, { offset: 2 });
    const listings = [
      ["resourceTypes", "ListResourceTypes", {}],
      ["resources", "ListResources", { resource_type_id: "fake_group" }],
      ["entitlements", "ListEntitlements", { resource: devs }],
      ["entitlements", "ListStaticEntitlements", { resource_type_id: "fake_group" }],
      ["grants", "ListGrants", { resource: devs }],
    ] as const;
    for (const [service, method, request] of listings) {
      expect((await host.code(service, method, { ...request, page_token: "" })).code, `${method} first page`).toBe(grpc.status.OK);
      for (const page_token of ["garbage", "v1.e30.AAAA", tampered, real, otherKey]) {
        const answer = await host.code(service, method, { ...request, page_token });
        expect(answer.code, `${method} with ${page_token.slice(0, 12)}…`).toBe(grpc.status.INVALID_ARGUMENT);
        expect(answer.details).toMatch(/^invalid page token: /);
      }
    }
  });
});
