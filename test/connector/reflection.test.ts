import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grpc, GrpcHost, LOADER_OPTIONS } from "./support/grpc-client.js";
import { serve } from "./support/server.js";
import { fakeServices } from "./support/services.js";

/** Sends reflection requests on one stream and collects one response per request. */
function reflect(host: GrpcHost, service: "reflectionV1" | "reflectionV1alpha", requests: object[]): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const stream = host.client(service).ServerReflectionInfo();
    const responses: any[] = [];
    stream.on("data", (msg: any) => {
      responses.push(msg);
      if (responses.length === requests.length) stream.end();
    });
    stream.on("end", () => resolve(responses));
    stream.on("error", reject);
    for (const request of requests) stream.write(request);
  });
}

/** FileDescriptorSet bytes (field 1, repeated FileDescriptorProto) built by hand from the reflected files. */
function descriptorSet(files: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    const length: number[] = [];
    let n = file.length;
    do {
      length.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
      n >>>= 7;
    } while (n > 0);
    parts.push(Buffer.from([0x0a, ...length]), file);
  }
  return Buffer.concat(parts);
}

describe("server reflection", () => {
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

  it.each(["reflectionV1", "reflectionV1alpha"] as const)("%s lists our services", async (service) => {
    const [res] = await reflect(host, service, [{ list_services: "*" }]);
    const names = res.list_services_response.service.map((s: any) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "c1.connector.v2.ConnectorService",
        "c1.connector.v2.ResourceTypesService",
        "c1.connector.v2.ResourcesService",
        "c1.connector.v2.ResourceGetterService",
        "c1.connector.v2.EntitlementsService",
        "c1.connector.v2.GrantsService",
        "c1.connector.v2.GrantManagerService",
        "c1.ratelimit.v1.RateLimiterService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]),
    );
  });

  it("file_containing_symbol returns descriptors a grpc-js client can be built from and call with", async () => {
    const responses = await reflect(host, "reflectionV1", [
      { file_containing_symbol: "c1.connector.v2.ConnectorService" },
      { file_containing_symbol: "c1.connector.v2.ResourcesService.ListResources" },
      { file_containing_symbol: "c1.connector.v2.GrantsService" },
    ]);
    const received = responses.flatMap((r) => r.file_descriptor_response.file_descriptor_proto as Buffer[]);
    // The file asked for always comes back; imports only once per stream (as grpc-go does). Clients keep one copy.
    const files = [...new Map(received.map((b) => [b.toString("hex"), b])).values()];
    expect(files.length).toBeLessThan(received.length);
    const definition = protoLoader.loadFileDescriptorSetFromBuffer(descriptorSet(files), LOADER_OPTIONS);
    expect(Object.keys(definition)).toEqual(expect.arrayContaining(["c1.connector.v2.ConnectorService", "c1.connector.v2.ResourcesService", "google.protobuf.Any"]));
    const loaded = grpc.loadPackageDefinition(definition) as any;
    const client = new loaded.c1.connector.v2.ResourcesService(server.target, grpc.credentials.createInsecure());
    const res = await new Promise<any>((resolve, reject) =>
      client.ListResources({ resource_type_id: "fake_group" }, (e: Error | null, r: any) => (e ? reject(e) : resolve(r))),
    );
    client.close();
    expect(res.list.map((r: any) => r.id.resource)).toEqual(["admins", "devs"]);
  });

  it("file_by_filename, unknown symbols and files, extension queries", async () => {
    const [byName, unknownSymbol, unknownFile, extensions, unknownType] = await reflect(host, "reflectionV1alpha", [
      { file_by_filename: "c1/connector/v2/grant.proto" },
      { file_containing_symbol: "no.such.Symbol" },
      { file_by_filename: "nope.proto" },
      { all_extension_numbers_of_type: "c1.connector.v2.Resource" },
      { all_extension_numbers_of_type: "no.such.Type" },
    ]);
    expect(byName.file_descriptor_response.file_descriptor_proto.length).toBeGreaterThanOrEqual(1);
    expect(unknownSymbol.error_response.error_code).toBe(grpc.status.NOT_FOUND);
    expect(unknownFile.error_response.error_code).toBe(grpc.status.NOT_FOUND);
    expect(extensions.all_extension_numbers_response).toEqual({ base_type_name: "c1.connector.v2.Resource", extension_number: [] });
    expect(unknownType.error_response.error_code).toBe(grpc.status.NOT_FOUND);
  });
});
