/**
 * An independent baton-host stand-in: @grpc/grpc-js with message types loaded from our .proto files
 * by @grpc/proto-loader, sharing no code with the server.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const PROTO_ROOT = fileURLToPath(new URL("../../../proto", import.meta.url));
const FILES = [
  "c1/connector/v2/connector.proto",
  "c1/connector/v2/resource.proto",
  "c1/connector/v2/entitlement.proto",
  "c1/connector/v2/grant.proto",
  "c1/connector/v2/annotation_ratelimit.proto",
  "c1/connector/v2/annotation_grant.proto",
  "c1/connector/v2/annotation_request.proto",
  "c1/connector/v2/event_feed.proto",
  "c1/ratelimit/v1/ratelimit.proto",
  "google/rpc/status.proto",
  "grpc/health/v1/health.proto",
  "grpc/reflection/v1/reflection.proto",
  "grpc/reflection/v1alpha/reflection.proto",
];

export const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO_ROOT] };
export const packageDefinition = protoLoader.loadSync(FILES, LOADER_OPTIONS);
const loaded = grpc.loadPackageDefinition(packageDefinition) as any;

export const SERVICES = {
  connector: loaded.c1.connector.v2.ConnectorService,
  resourceTypes: loaded.c1.connector.v2.ResourceTypesService,
  resources: loaded.c1.connector.v2.ResourcesService,
  resourceGetter: loaded.c1.connector.v2.ResourceGetterService,
  entitlements: loaded.c1.connector.v2.EntitlementsService,
  grants: loaded.c1.connector.v2.GrantsService,
  grantManager: loaded.c1.connector.v2.GrantManagerService,
  events: loaded.c1.connector.v2.EventService,
  rateLimiter: loaded.c1.ratelimit.v1.RateLimiterService,
  health: loaded.grpc.health.v1.Health,
  reflectionV1: loaded.grpc.reflection.v1.ServerReflection,
  reflectionV1alpha: loaded.grpc.reflection.v1alpha.ServerReflection,
} as const;

export type ServiceName = keyof typeof SERVICES;

export interface ClientOptions {
  credentials?: grpc.ChannelCredentials;
  token?: string;
}

/** One grpc-js client per service on one channel-credentials setting. */
export class GrpcHost {
  readonly #clients = new Map<ServiceName, grpc.Client>();
  constructor(
    readonly target: string,
    readonly options: ClientOptions = {},
  ) {}

  client(service: ServiceName): any {
    let client = this.#clients.get(service);
    if (!client) {
      client = new SERVICES[service](this.target, this.options.credentials ?? grpc.credentials.createInsecure(), {
        "grpc.ssl_target_name_override": "localhost",
      }) as grpc.Client;
      this.#clients.set(service, client);
    }
    return client;
  }

  /** Unary call; resolves with the response or rejects with the grpc-js ServiceError. */
  call<T = any>(service: ServiceName, method: string, request: object, metadata?: grpc.Metadata): Promise<T> {
    const md = metadata ?? new grpc.Metadata();
    if (this.options.token && !md.get("authorization").length) md.set("authorization", `Bearer ${this.options.token}`);
    return new Promise((resolve, reject) => {
      this.client(service)[method](request, md, { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null, response: T) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  /** The status code a call ends with (0 = OK). */
  async code(service: ServiceName, method: string, request: object, metadata?: grpc.Metadata): Promise<{ code: number; details: string; error?: grpc.ServiceError }> {
    try {
      await this.call(service, method, request, metadata);
      return { code: grpc.status.OK, details: "" };
    } catch (error) {
      const e = error as grpc.ServiceError;
      return { code: e.code, details: e.details, error: e };
    }
  }

  close(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}

export { grpc };
