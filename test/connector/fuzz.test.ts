/**
 * Random and malformed requests to every RPC over a real socket: each must end with a proper gRPC
 * status — a client-fault code or OK — never Internal/Unknown, never a crash; the server keeps
 * serving afterwards.
 */
import { connect, constants, type ClientHttp2Session } from "node:http2";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grpc, GrpcHost } from "./support/grpc-client.js";
import { serve } from "./support/server.js";
import { fakeServices } from "./support/services.js";

const ALLOWED = new Set([
  grpc.status.OK,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.UNIMPLEMENTED,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.RESOURCE_EXHAUSTED,
]);
const RUNS = 120;

// --- arbitraries ---
const odd = fc.constantFrom("", " ", "\u0000", "../../etc", "fake_user", "fake_group", "no_such_type", "%s%n", "🙂".repeat(300), "x".repeat(1025), "a:b:c");
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 }), odd, fc.string({ minLength: 2000, maxLength: 5000 }));
const typeId = fc.oneof(fc.constantFrom("fake_user", "fake_group"), text);
const resourceId = fc.record({ resource_type: typeId, resource: text }, { requiredKeys: [] });
const annotations = fc.array(fc.record({ type_url: text, value: fc.uint8Array({ maxLength: 64 }) }), { maxLength: 3 });
const resource = fc.record({ id: resourceId, display_name: text, annotations, parent_resource_id: resourceId }, { requiredKeys: [] });
const pageToken = (real: () => string[]) =>
  fc.oneof(
    fc.constant(""),
    text,
    fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."), maxLength: 120 }).map((s) => `v1.${s}`),
    fc.nat().map((i) => {
      const tokens = real();
      const t = tokens[i % Math.max(1, tokens.length)] ?? "";
      return t.length > 4 ? t.slice(0, i % t.length) + "A" + t.slice((i % t.length) + 1) : t;
    }),
    fc.nat().map((i) => real()[i % Math.max(1, real().length)] ?? ""),
  );
const listCommon = (real: () => string[]) => ({
  page_size: fc.oneof(fc.nat(300), fc.nat()),
  page_token: pageToken(real),
  active_sync_id: fc.oneof(text, fc.constant("")),
  annotations,
});
const entitlement = fc.record({ id: text, resource, display_name: text, slug: text, annotations }, { requiredKeys: [] });
const grant = fc.record({ id: text, entitlement, principal: resource, annotations }, { requiredKeys: [] });

function requestArbitraries(real: () => string[]) {
  return {
    "connector.GetMetadata": fc.constant({}),
    "connector.Validate": fc.constant({}),
    "connector.Cleanup": fc.record({ active_sync_id: text, annotations }, { requiredKeys: [] }),
    "resourceTypes.ListResourceTypes": fc.record({ ...listCommon(real), resource: resource }, { requiredKeys: [] }),
    "resources.ListResources": fc.record({ ...listCommon(real), resource_type_id: typeId, parent_resource_id: resourceId }, { requiredKeys: [] }),
    "resourceGetter.GetResource": fc.record({ resource_id: resourceId, parent_resource_id: resourceId, annotations, active_sync_id: text }, { requiredKeys: [] }),
    "entitlements.ListEntitlements": fc.record({ ...listCommon(real), resource }, { requiredKeys: [] }),
    "entitlements.ListStaticEntitlements": fc.record({ ...listCommon(real), resource_type_id: typeId }, { requiredKeys: [] }),
    "grants.ListGrants": fc.record({ ...listCommon(real), resource }, { requiredKeys: [] }),
    "grantManager.Grant": fc.record({ entitlement, principal: resource, annotations }, { requiredKeys: [] }),
    "grantManager.Revoke": fc.record({ grant, annotations }, { requiredKeys: [] }),
    "rateLimiter.Do": fc.record({ request_token: text, service: text }, { requiredKeys: [] }),
    "rateLimiter.Report": fc.record({ request_token: text, service: text }, { requiredKeys: [] }),
    "health.Check": fc.record({ service: text }, { requiredKeys: [] }),
  } as const;
}

const PATHS = [
  "/c1.connector.v2.ConnectorService/GetMetadata",
  "/c1.connector.v2.ConnectorService/Validate",
  "/c1.connector.v2.ConnectorService/Cleanup",
  "/c1.connector.v2.ResourceTypesService/ListResourceTypes",
  "/c1.connector.v2.ResourcesService/ListResources",
  "/c1.connector.v2.ResourceGetterService/GetResource",
  "/c1.connector.v2.EntitlementsService/ListEntitlements",
  "/c1.connector.v2.EntitlementsService/ListStaticEntitlements",
  "/c1.connector.v2.GrantsService/ListGrants",
  "/c1.connector.v2.GrantManagerService/Grant",
  "/c1.connector.v2.GrantManagerService/Revoke",
  "/c1.ratelimit.v1.RateLimiterService/Do",
  "/c1.ratelimit.v1.RateLimiterService/Report",
  "/grpc.health.v1.Health/Check",
  "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
  "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

/** POSTs raw bytes as a gRPC request body; resolves with the grpc-status the server sent. */
function rawCall(session: ClientHttp2Session, path: string, body: Uint8Array, encoding?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...(encoding ? { "grpc-encoding": encoding } : {}),
    });
    let status: number | undefined;
    stream.on("response", (headers) => {
      if (headers["grpc-status"] !== undefined) status = Number(headers["grpc-status"]);
    });
    stream.on("trailers", (trailers) => {
      status = Number(trailers["grpc-status"]);
    });
    stream.on("data", () => undefined);
    stream.on("close", () => (status === undefined ? reject(new Error(`no grpc-status for ${path} (rst ${stream.rstCode})`)) : resolve(status)));
    stream.on("error", () => undefined);
    stream.end(body);
  });
}

describe("fuzzing every RPC", () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let host: GrpcHost;
  const tokens: string[] = [];

  beforeAll(async () => {
    server = await serve(fakeServices({ provisioningEnabled: true }));
    host = new GrpcHost(server.target);
    // Real tokens to replay against other listings and to tamper with.
    for (const type of ["fake_user", "fake_group"]) {
      const res = await host.call("resources", "ListResources", { resource_type_id: type });
      tokens.push(res.next_page_token);
    }
    const devs = await host.call("grants", "ListGrants", { resource: { id: { resource_type: "fake_group", resource: "devs" } } });
    tokens.push(devs.next_page_token);
  });
  afterAll(async () => {
    host.close();
    await server.close();
  });

  it.each(Object.keys(requestArbitraries(() => tokens)))("%s: random field values", async (name) => {
    const [service, method] = name.split(".") as [Parameters<GrpcHost["code"]>[0], string];
    const arbitrary = requestArbitraries(() => tokens)[name as keyof ReturnType<typeof requestArbitraries>];
    await fc.assert(
      fc.asyncProperty(arbitrary, async (request) => {
        const { code, details } = await host.code(service, method, request);
        if (!ALLOWED.has(code)) throw new Error(`${name} answered ${grpc.status[code]}: ${details}`);
      }),
      { numRuns: RUNS },
    );
  });

  it("random bytes as message bodies, well and badly framed, on every path", async () => {
    const session = connect(`http://${server.target}`);
    session.on("error", () => undefined);
    const seen = new Map<number, number>();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...PATHS),
          fc.uint8Array({ maxLength: 512 }),
          fc.constantFrom("framed", "short", "long", "compressed-flag", "gzip-garbage", "bare"),
          async (path, payload, framing) => {
            const header = Buffer.alloc(5);
            header.writeUInt8(framing === "compressed-flag" || framing === "gzip-garbage" ? 1 : 0, 0);
            const declared = framing === "short" ? payload.length + 7 : framing === "long" ? Math.max(0, payload.length - 3) : payload.length;
            header.writeUInt32BE(declared, 1);
            const body = framing === "bare" ? payload : Buffer.concat([header, payload]);
            const status = await rawCall(session, path, body, framing === "gzip-garbage" ? "gzip" : undefined);
            seen.set(status, (seen.get(status) ?? 0) + 1);
            if (!ALLOWED.has(status)) throw new Error(`${path} (${framing}, ${payload.length} bytes) answered ${grpc.status[status]}`);
          },
        ),
        { numRuns: 1500 },
      );
    } finally {
      session.close();
    }
    // The property above must have exercised refusals, not only successes.
    expect(seen.get(grpc.status.INVALID_ARGUMENT) ?? 0).toBeGreaterThan(0);
  });

  it("keeps serving afterwards", async () => {
    expect(await host.call("health", "Check", { service: "" })).toEqual({ status: "SERVING" });
    const res = await host.call("resources", "ListResources", { resource_type_id: "fake_user" });
    expect(res.list).toHaveLength(2);
    const fresh = new GrpcHost(server.target);
    expect((await fresh.call("connector", "Validate", {})).sdk_version).toBe("v0.25.0");
    fresh.close();
    expect(constants.NGHTTP2_NO_ERROR).toBe(0);
  });
});
