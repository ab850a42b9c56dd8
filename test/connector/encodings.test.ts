/**
 * Every message the connector can put in a `google.protobuf.Any` annotation reaches clients in every
 * encoding the server answers — gRPC, gRPC-Web and Connect, each with protobuf and JSON messages.
 * The JSON encodings need the message type in the server's registry; the types are found here by
 * walking src/gen on disk, so a type added to proto/ is covered without touching this test.
 */
import { connect, type ClientHttp2Session } from "node:http2";
import { rmSync } from "node:fs";
import { create, fromBinary, fromJsonString, toBinary, toJsonString, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnector, type Connector } from "../../src/connector/build.js";
import { protoRegistry } from "../../src/connector/proto-files.js";
import { startConnectorServer, type RunningServer } from "../../src/connector/server.js";
import { GrantLifetimeSchema } from "../../src/gen/awsaccess/v1/grant_lifetime_pb.js";
import {
  ConnectorServiceGetMetadataResponseSchema,
  ConnectorServiceValidateResponseSchema,
} from "../../src/gen/c1/connector/v2/connector_pb.js";
import { EntitlementsServiceListEntitlementsResponseSchema } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import {
  GrantManagerServiceGrantResponseSchema,
  GrantManagerServiceRevokeResponseSchema,
  GrantsServiceListGrantsResponseSchema,
} from "../../src/gen/c1/connector/v2/grant_pb.js";
import {
  ResourcesServiceListResourcesResponseSchema,
  ResourceTypesServiceListResourceTypesResponseSchema,
  type Resource,
} from "../../src/gen/c1/connector/v2/resource_pb.js";
import type { Simulator } from "../../src/simulator/index.js";
import { fixtures, simConfig, startSim, tempStateDir } from "../provisioning/sim-rig.js";
import { fakeUserSyncer } from "./support/fake-syncers.js";
import { generatedOnDisk, type GeneratedOnDisk } from "./support/generated-files.js";
import { GrpcHost } from "./support/grpc-client.js";
import { ENCODINGS, isJson, unary, type Encoding } from "./support/raw-http2.js";
import { serve } from "./support/server.js";
import { fakeServices } from "./support/services.js";
import { typeNameOf, type WireAny } from "./support/wire-any.js";

let disk: GeneratedOnDisk;
beforeAll(async () => {
  disk = await generatedOnDisk();
});

describe("the server's type registry", () => {
  it("holds every message of every generated file on disk", () => {
    expect(disk.paths.length).toBeGreaterThan(10);
    const missing = disk.messages.map((m) => m.typeName).filter((name) => protoRegistry.getMessage(name) === undefined);
    expect(missing).toEqual([]);
  });
});

/** Calls `path` in `encoding`; the answer decoded with the registry built from disk, never the server's. */
async function call<Res extends DescMessage>(
  session: ClientHttp2Session,
  encoding: Encoding,
  path: string,
  requestSchema: DescMessage,
  request: object,
  responseSchema: Res,
): Promise<MessageShape<Res>> {
  const message = create(requestSchema, request as never);
  const answer = await unary(session, path, encoding, {
    binary: toBinary(requestSchema, message),
    json: toJsonString(requestSchema, message, { registry: disk.registry }),
  });
  if (answer.code !== 0) throw new Error(`${path} in ${encoding}: status ${answer.code} (HTTP ${answer.httpStatus}): ${answer.message}`);
  const payload = answer.payload ?? Buffer.alloc(0);
  return isJson(encoding)
    ? fromJsonString(responseSchema, payload.toString("utf8"), { registry: disk.registry })
    : fromBinary(responseSchema, payload);
}

/** The same call in every encoding: each must succeed, all must decode to the same message. */
async function sameInEveryEncoding<Res extends DescMessage>(
  session: ClientHttp2Session,
  path: string,
  requestSchema: DescMessage,
  request: object,
  responseSchema: Res,
): Promise<MessageShape<Res>> {
  const answers = await Promise.all(ENCODINGS.map((encoding) => call(session, encoding, path, requestSchema, request, responseSchema)));
  const canonical = answers.map((a) => toJsonString(responseSchema, a, { registry: disk.registry }));
  for (const [i, encoding] of ENCODINGS.entries()) expect(canonical[i], `${path} in ${encoding}`).toBe(canonical[0]);
  return answers[0]!;
}

const schemaOf = (typeName: string) => protoRegistry.getMessage(typeName)!;

describe("an annotation of every generated message type, in every encoding", () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let session: ClientHttp2Session;
  let host: GrpcHost;

  beforeAll(async () => {
    const annotations = disk.messages.map((desc) => anyPack(desc, create(desc)));
    const resourceType = { ...fakeUserSyncer.resourceType, annotations };
    server = await serve(fakeServices({ syncers: [{ ...fakeUserSyncer, resourceType }] }));
    session = connect(`http://${server.target}`);
    host = new GrpcHost(server.target);
  });
  afterAll(async () => {
    host.close();
    session.close();
    await server.close();
  });

  it("ListResourceTypes and GetMetadata carry them all", async () => {
    const expected = disk.messages.map((m) => m.typeName);
    const types = await sameInEveryEncoding(
      session,
      "/c1.connector.v2.ResourceTypesService/ListResourceTypes",
      schemaOf("c1.connector.v2.ResourceTypesServiceListResourceTypesRequest"),
      {},
      ResourceTypesServiceListResourceTypesResponseSchema,
    );
    expect(types.list[0]!.annotations.map((a) => a.typeUrl.split("/")[1])).toEqual(expected);
    const metadata = await sameInEveryEncoding(
      session,
      "/c1.connector.v2.ConnectorService/GetMetadata",
      schemaOf("c1.connector.v2.ConnectorServiceGetMetadataRequest"),
      {},
      ConnectorServiceGetMetadataResponseSchema,
    );
    const capability = metadata.metadata!.capabilities!.resourceTypeCapabilities[0]!;
    expect(capability.resourceType!.annotations).toHaveLength(expected.length);

    // And through @grpc/grpc-js, which knows none of our generated code.
    const viaGrpcJs = await host.call("resourceTypes", "ListResourceTypes", {});
    expect((viaGrpcJs.list[0].annotations as WireAny[]).map(typeNameOf)).toEqual(expected);
  });
});

describe("the connector against the simulator: what hosts call, in every encoding", () => {
  let sim: Simulator;
  let stateDir: string;
  let connector: Connector;
  let server: RunningServer;
  let session: ClientHttp2Session;

  beforeAll(async () => {
    sim = await startSim({ profile: "demo", seed: 11, knobs: { assignments: { fixedMs: 50, jitterMs: 50 } } });
    stateDir = tempStateDir();
    connector = createConnector(simConfig(sim, stateDir));
    server = await startConnectorServer(connector.services, { listen: "127.0.0.1:0" });
    session = connect(server.url);
  });
  afterAll(async () => {
    session.close();
    await server.close(1_000);
    await connector.close();
    await sim.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("GetMetadata, Validate, ListResourceTypes; ListResources, ListEntitlements, ListGrants of each type", async () => {
    const req = (name: string) => schemaOf(`c1.connector.v2.${name}`);
    await sameInEveryEncoding(session, "/c1.connector.v2.ConnectorService/GetMetadata", req("ConnectorServiceGetMetadataRequest"), {}, ConnectorServiceGetMetadataResponseSchema);
    await sameInEveryEncoding(session, "/c1.connector.v2.ConnectorService/Validate", req("ConnectorServiceValidateRequest"), {}, ConnectorServiceValidateResponseSchema);
    const types = await sameInEveryEncoding(
      session,
      "/c1.connector.v2.ResourceTypesService/ListResourceTypes",
      req("ResourceTypesServiceListResourceTypesRequest"),
      {},
      ResourceTypesServiceListResourceTypesResponseSchema,
    );
    const emitted = new Set(types.list.flatMap((t) => t.annotations.map((a) => a.typeUrl)));
    for (const type of types.list) {
      const activeSyncId = "encodings-sync";
      const resources = await sameInEveryEncoding(
        session,
        "/c1.connector.v2.ResourcesService/ListResources",
        req("ResourcesServiceListResourcesRequest"),
        { resourceTypeId: type.id, pageSize: 3, activeSyncId },
        ResourcesServiceListResourcesResponseSchema,
      );
      for (const resource of resources.list.slice(0, 2) as Resource[]) {
        for (const a of resource.annotations) emitted.add(a.typeUrl);
        const entitlements = await sameInEveryEncoding(
          session,
          "/c1.connector.v2.EntitlementsService/ListEntitlements",
          req("EntitlementsServiceListEntitlementsRequest"),
          { resource, pageSize: 5, activeSyncId },
          EntitlementsServiceListEntitlementsResponseSchema,
        );
        const grants = await sameInEveryEncoding(
          session,
          "/c1.connector.v2.GrantsService/ListGrants",
          req("GrantsServiceListGrantsRequest"),
          { resource, pageSize: 5, activeSyncId },
          GrantsServiceListGrantsResponseSchema,
        );
        for (const item of [...entitlements.list, ...grants.list]) for (const a of item.annotations) emitted.add(a.typeUrl);
      }
    }
    // The walk met the annotations the issue saw fail, and more.
    expect([...emitted]).toEqual(
      expect.arrayContaining([
        "type.googleapis.com/c1.connector.v2.SkipEntitlementsAndGrants",
        "type.googleapis.com/c1.connector.v2.V1Identifier",
        "type.googleapis.com/c1.connector.v2.GrantExpandable",
        "type.googleapis.com/c1.connector.v2.UserTrait",
      ]),
    );
  });

  it("Grant (time-bound) and Revoke answer their annotations in the JSON encodings", async () => {
    const fx = fixtures(sim.model);
    const account = fx.active[0]!;
    const ps = fx.permissionSets[0]!.arn;
    const users = fx.unassignedUsers(account.id, ps);
    const wire = fx.accountEntitlement(account.id, ps);
    const entitlement = { id: wire.id, resource: { id: { resourceType: wire.resource.id.resource_type, resource: wire.resource.id.resource } } };
    const lifetime = anyPack(GrantLifetimeSchema, create(GrantLifetimeSchema, { duration: { seconds: 3600n } }));
    for (const [i, encoding] of (["connect+json", "grpc-web+json", "grpc+json"] as const).entries()) {
      const principal = { id: { resourceType: "sso_user", resource: fx.userArn(users[i]!.id) } };
      const granted = await call(
        session,
        encoding,
        "/c1.connector.v2.GrantManagerService/Grant",
        schemaOf("c1.connector.v2.GrantManagerServiceGrantRequest"),
        { entitlement, principal, annotations: [lifetime] },
        GrantManagerServiceGrantResponseSchema,
      );
      expect(granted.annotations.map((a) => a.typeUrl.split("/")[1])).toEqual(expect.arrayContaining(["c1.connector.v2.RequestId", "awsaccess.v1.GrantExpiry"]));
      const revoked = await call(
        session,
        encoding,
        "/c1.connector.v2.GrantManagerService/Revoke",
        schemaOf("c1.connector.v2.GrantManagerServiceRevokeRequest"),
        { grant: granted.grants[0] },
        GrantManagerServiceRevokeResponseSchema,
      );
      expect(revoked.annotations.map((a) => a.typeUrl.split("/")[1])).toContain("c1.connector.v2.RequestId");
      expect(fx.assigned(account.id, ps, "USER", users[i]!.id)).toBe(false);
    }
  });
});
