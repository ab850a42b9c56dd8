import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Provisioner } from "../../src/connector/resource-syncer.js";
import { makePki, type Pki } from "./support/certs.js";
import { fakeGroupProvisioner, GROUPS, MEMBERS, USERS } from "./support/fake-syncers.js";
import { grpc, GrpcHost } from "./support/grpc-client.js";
import { serve } from "./support/server.js";
import { fakeServices } from "./support/services.js";

const pki: Record<"rsa" | "ed25519", Pki> = {} as never;
beforeAll(() => {
  pki.rsa = makePki("rsa");
  pki.ed25519 = makePki("ed25519");
});

type Mode = "plain" | "tls" | "mtls-rsa" | "mtls-ed25519";

function serverTls(mode: Mode) {
  if (mode === "plain") return undefined;
  const p = mode === "mtls-ed25519" ? pki.ed25519 : pki.rsa;
  return { cert: p.read(p.serverCert), key: p.read(p.serverKey), clientCa: mode.startsWith("mtls") ? p.read(p.caCert) : undefined };
}

function clientCredentials(mode: Mode, who: "client" | "stranger" | "none" = "client") {
  if (mode === "plain") return grpc.credentials.createInsecure();
  const p = mode === "mtls-ed25519" ? pki.ed25519 : pki.rsa;
  if (mode === "tls" || who === "none") return grpc.credentials.createSsl(p.read(p.caCert));
  const [cert, key] = who === "client" ? [p.clientCert, p.clientKey] : [p.strangerCert, p.strangerKey];
  return grpc.credentials.createSsl(p.read(p.caCert), p.read(key), p.read(cert));
}

/** Follows next_page_token to the end; returns every item. */
async function drain(host: GrpcHost, service: "resources" | "grants" | "entitlements", method: string, request: object) {
  const items: any[] = [];
  let pageToken = "";
  for (let pages = 0; pages < 100; pages++) {
    const res = await host.call(service, method, { ...request, page_token: pageToken });
    items.push(...res.list);
    pageToken = res.next_page_token;
    if (pageToken === "") return items;
  }
  throw new Error("listing did not end");
}

describe.each<Mode>(["plain", "tls", "mtls-rsa", "mtls-ed25519"])("every RPC over a real socket (%s)", (mode) => {
  let server: Awaited<ReturnType<typeof serve>>;
  let host: GrpcHost;
  const requesters: string[] = [];
  const recordingProvisioner: Provisioner = {
    ...fakeGroupProvisioner,
    async grant(principal, entitlement, ctx) {
      requesters.push(ctx.requester.id);
      return fakeGroupProvisioner.grant(principal, entitlement, ctx);
    },
  };

  beforeAll(async () => {
    server = await serve(fakeServices(), { tls: serverTls(mode) });
    host = new GrpcHost(server.target, { credentials: clientCredentials(mode) });
  });
  afterAll(async () => {
    host.close();
    await server.close();
  });

  it("ConnectorService: GetMetadata, Validate, Cleanup", async () => {
    const { metadata } = await host.call("connector", "GetMetadata", {});
    expect(metadata.display_name).toBe("AWS (fake)");
    expect(metadata.capabilities.resource_type_capabilities.map((c: any) => c.resource_type.id)).toEqual(["fake_user", "fake_group"]);
    const validated = await host.call("connector", "Validate", {});
    expect(validated.sdk_version).toBe("v0.25.0");
    await expect(host.call("connector", "Cleanup", { active_sync_id: "sync-1" })).resolves.toBeDefined();
  });

  it("ListResourceTypes, ListResources (paged to the end), GetResource", async () => {
    const types = await host.call("resourceTypes", "ListResourceTypes", {});
    expect(types.list.map((t: any) => t.id)).toEqual(["fake_user", "fake_group"]);
    const users = await drain(host, "resources", "ListResources", { resource_type_id: "fake_user" });
    expect(users.map((u) => u.id.resource)).toEqual(USERS);
    const got = await host.call("resourceGetter", "GetResource", { resource_id: { resource_type: "fake_group", resource: "devs" } });
    expect(got.resource.display_name).toBe("devs");
    const noGetter = await host.code("resourceGetter", "GetResource", { resource_id: { resource_type: "fake_user", resource: "bob" } });
    expect(noGetter.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it("ListEntitlements, ListStaticEntitlements (empty), ListGrants (paged)", async () => {
    const group = { id: { resource_type: "fake_group", resource: "devs" } };
    const entitlements = await drain(host, "entitlements", "ListEntitlements", { resource: group });
    expect(entitlements.map((e) => e.slug)).toEqual(["member"]);
    const statics = await host.call("entitlements", "ListStaticEntitlements", { resource_type_id: "fake_group" });
    expect(statics.list).toEqual([]);
    const grants = await drain(host, "grants", "ListGrants", { resource: group });
    expect(grants.map((g) => g.principal.id.resource)).toEqual(MEMBERS.devs);
  });

  it("Grant and Revoke answer FailedPrecondition while provisioning is off", async () => {
    const grant = await host.code("grantManager", "Grant", {
      entitlement: { id: "fake_group:devs:member", resource: { id: { resource_type: "fake_group", resource: "devs" } } },
      principal: { id: { resource_type: "fake_user", resource: "erin" } },
    });
    expect(grant).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: "provisioning is not enabled" });
    const revoke = await host.code("grantManager", "Revoke", { grant: { id: "x" } });
    expect(revoke).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: "provisioning is not enabled" });
  });

  it("RateLimiterService Do/Report let every call through", async () => {
    const done = await host.call("rateLimiter", "Do", { request_token: "t-1", service: "connector" });
    expect(done).toMatchObject({ request_token: "t-1", description: { status: "STATUS_OK" } });
    await expect(host.call("rateLimiter", "Report", { request_token: "t-1" })).resolves.toBeDefined();
  });

  it("Health Check answers SERVING for the server and each service, NOT_FOUND for others", async () => {
    expect(await host.call("health", "Check", { service: "" })).toEqual({ status: "SERVING" });
    expect(await host.call("health", "Check", { service: "c1.connector.v2.GrantsService" })).toEqual({ status: "SERVING" });
    expect((await host.code("health", "Check", { service: "no.such.Service" })).code).toBe(grpc.status.NOT_FOUND);
  });

  it("passes the caller (address, port, client certificate) to provisioners", async () => {
    const provisioning = await serve(fakeServices({ provisioningEnabled: true, provisioners: [recordingProvisioner] }), { tls: serverTls(mode) });
    const client = new GrpcHost(provisioning.target, { credentials: clientCredentials(mode) });
    try {
      const res = await client.call("grantManager", "Grant", {
        entitlement: { id: "fake_group:ops:member", resource: { id: { resource_type: "fake_group", resource: "ops" } } },
        principal: { id: { resource_type: "fake_user", resource: "erin" } },
      });
      expect(res.grants).toHaveLength(1);
      const id = requesters.at(-1)!;
      expect(id).toMatch(/^grpc:127\.0\.0\.1:\d+/);
      expect(Number(id.split(":")[2]!.split(" ")[0])).toBeGreaterThan(0);
      if (mode.startsWith("mtls")) expect(id).toMatch(/\(CN=baton-host,O=Connector Tests\)$/);
      else expect(id).not.toContain("CN=");
    } finally {
      client.close();
      await provisioning.close();
    }
  });

  if (mode.startsWith("mtls")) {
    it("refuses clients without a certificate or with one from another CA", async () => {
      for (const who of ["none", "stranger"] as const) {
        const stranger = new GrpcHost(server.target, { credentials: clientCredentials(mode, who) });
        const result = await stranger.code("health", "Check", { service: "" });
        stranger.close();
        expect(result.code, who).toBe(grpc.status.UNAVAILABLE);
      }
    });
  }
});

describe("bearer token", () => {
  const token = "s3cret-token-0123456789abcdef";
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve(fakeServices(), { authToken: token });
  });
  afterAll(() => server.close());

  it("refuses every connector RPC without the right token, without parsing the request", async () => {
    const anonymous = new GrpcHost(server.target);
    const wrong = new GrpcHost(server.target, { token: "not-the-token" });
    try {
      for (const host of [anonymous, wrong]) {
        for (const [service, method] of [
          ["connector", "Validate"],
          ["resourceTypes", "ListResourceTypes"],
          ["rateLimiter", "Do"],
          ["grantManager", "Grant"],
        ] as const) {
          const result = await host.code(service, method, {});
          expect(result.code, `${service}.${method}`).toBe(grpc.status.UNAUTHENTICATED);
          expect(result.details).not.toContain(token);
        }
      }
      expect((await anonymous.code("connector", "Validate", {})).details).toMatch(/missing bearer token/);
      expect((await wrong.code("connector", "Validate", {})).details).toBe("invalid bearer token");
    } finally {
      anonymous.close();
      wrong.close();
    }
  });

  it("lets the right token through and keeps health checks open", async () => {
    const good = new GrpcHost(server.target, { token });
    const anonymous = new GrpcHost(server.target);
    try {
      expect((await good.call("connector", "Validate", {})).sdk_version).toBe("v0.25.0");
      expect(await anonymous.call("health", "Check", { service: "" })).toEqual({ status: "SERVING" });
      const lowercase = new grpc.Metadata();
      lowercase.set("authorization", `bearer ${token}`);
      expect((await anonymous.code("connector", "Validate", {}, lowercase)).code).toBe(grpc.status.OK);
    } finally {
      good.close();
      anonymous.close();
    }
  });
});

describe("graceful shutdown", () => {
  it("turns health NOT_SERVING, ends Watch streams, lets the close finish", async () => {
    const server = await serve(fakeServices());
    const host = new GrpcHost(server.target);
    const seen: string[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      const stream = host.client("health").Watch({ service: "" });
      stream.on("data", (msg: { status: string }) => {
        seen.push(msg.status);
        if (msg.status === "SERVING") void server.close(5_000);
      });
      stream.on("end", () => resolve());
      stream.on("error", (e: Error) => reject(e));
    });
    await ended;
    await server.close();
    host.close();
    expect(seen).toEqual(["SERVING", "NOT_SERVING"]);
  });

  it("answers in-flight calls before closing; refuses new connections after", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const server = await serve(
      fakeServices({
        validate: async () => {
          entered();
          await gate;
        },
      }),
    );
    const host = new GrpcHost(server.target);
    const call = host.call("connector", "Validate", {});
    await inside;
    const closed = server.close(5_000);
    release();
    expect((await call).sdk_version).toBe("v0.25.0");
    await closed;
    host.close();
    const late = new GrpcHost(server.target);
    expect((await late.code("health", "Check", { service: "" })).code).toBe(grpc.status.UNAVAILABLE);
    late.close();
  });
});

describe("unknown paths and groups of fake data", () => {
  it("answers Unimplemented for methods the server does not have", async () => {
    const server = await serve(fakeServices());
    const host = new GrpcHost(server.target);
    const client = host.client("connector");
    const result = await new Promise<number>((resolve) => {
      client.makeUnaryRequest("/c1.connector.v2.CredentialManagerService/RotateCredential", (x: Buffer) => x, (x: Buffer) => x, Buffer.alloc(0), (e: grpc.ServiceError | null) =>
        resolve(e?.code ?? 0),
      );
    });
    expect(result).toBe(grpc.status.UNIMPLEMENTED);
    expect(GROUPS).toContain("devs");
    host.close();
    await server.close();
  });
});
