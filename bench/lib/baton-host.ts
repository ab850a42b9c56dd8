/**
 * A baton-host stand-in for the serving benchmark: @grpc/grpc-js clients with message types loaded
 * from our .proto files by @grpc/proto-loader — no code shared with the server. Each host has its
 * own channel (and so its own HTTP/2 connection), as separate baton hosts would.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import { stringField1, typeNameOf, type WireAny } from "../../test/connector/support/wire-any.js";

const PROTO_ROOT = fileURLToPath(new URL("../../proto", import.meta.url));
const definition = protoLoader.loadSync(["c1/connector/v2/resource.proto", "c1/connector/v2/grant.proto"], {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  includeDirs: [PROTO_ROOT],
});
// proto-loader's package definitions are untyped by nature.
const v2 = (grpc.loadPackageDefinition(definition) as any).c1.connector.v2;

export interface WireResourceId {
  resource_type: string;
  resource: string;
}
export interface WireResource {
  id: WireResourceId | null;
  annotations: WireAny[];
  [field: string]: unknown;
}
export interface WireResourceType {
  id: string;
  annotations: WireAny[];
}

interface ListReply<T> {
  list: T[];
  next_page_token: string;
}

/** c1.connector.v2.ChildResourceType{resource_type_id = 1}, decoded by hand. */
export function childResourceTypeId(any: WireAny): string | undefined {
  return typeNameOf(any) === "c1.connector.v2.ChildResourceType" ? stringField1(any.value) : undefined;
}

export class BatonHost {
  readonly #resourceTypes: grpc.Client;
  readonly #resources: grpc.Client;
  readonly #grants: grpc.Client;

  constructor(target: string) {
    // A local subchannel pool: this host gets its own connection instead of sharing one with every client in the process.
    const options = { "grpc.use_local_subchannel_pool": 1, "grpc.max_receive_message_length": 64 * 1024 * 1024 };
    this.#resources = new v2.ResourcesService(target, grpc.credentials.createInsecure(), options);
    const channelOverride = this.#resources.getChannel();
    this.#resourceTypes = new v2.ResourceTypesService(target, grpc.credentials.createInsecure(), { channelOverride });
    this.#grants = new v2.GrantsService(target, grpc.credentials.createInsecure(), { channelOverride });
  }

  listResourceTypes(request: { page_token: string; active_sync_id: string }): Promise<ListReply<WireResourceType>> {
    return this.#call(this.#resourceTypes, "ListResourceTypes", request);
  }

  listResources(request: { resource_type_id: string; parent_resource_id?: WireResourceId; page_token: string; active_sync_id: string }): Promise<ListReply<WireResource>> {
    return this.#call(this.#resources, "ListResources", request);
  }

  listGrants(request: { resource: WireResource; page_token: string; active_sync_id: string }): Promise<ListReply<unknown>> {
    return this.#call(this.#grants, "ListGrants", request);
  }

  close(): void {
    this.#resources.close();
  }

  #call<T>(client: grpc.Client, method: string, request: object): Promise<T> {
    return new Promise((resolve, reject) => {
      (client as any)[method](request, { deadline: Date.now() + 120_000 }, (error: grpc.ServiceError | null, reply: T) => (error ? reject(error) : resolve(reply)));
    });
  }
}
