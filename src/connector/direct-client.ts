import { create, isMessage, type DescMessage, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import {
  createClient,
  createHandlerContext,
  type CallOptions,
  type Client,
  type ServiceImpl,
  type Transport,
} from "@connectrpc/connect";
import { ConnectorService } from "../gen/c1/connector/v2/connector_pb.js";
import { EntitlementsService } from "../gen/c1/connector/v2/entitlement_pb.js";
import { GrantManagerService, GrantsService } from "../gen/c1/connector/v2/grant_pb.js";
import {
  ResourceGetterService,
  ResourcesService,
  ResourceTypesService,
} from "../gen/c1/connector/v2/resource_pb.js";
import type { ConnectorServices } from "./connector.js";

/**
 * The connector API as a baton host sees it: one client per service. The sync engine and the CLI
 * talk to the connector only through this, whether it runs in-process (createDirectConnectorApi)
 * or behind a gRPC socket (createRemoteConnectorApi).
 */
export interface ConnectorApi {
  connector: Client<typeof ConnectorService>;
  resourceTypes: Client<typeof ResourceTypesService>;
  resources: Client<typeof ResourcesService>;
  resourceGetter: Client<typeof ResourceGetterService>;
  entitlements: Client<typeof EntitlementsService>;
  grants: Client<typeof GrantsService>;
  grantManager: Client<typeof GrantManagerService>;
}

/** In-process: calls the service implementations directly, without serialising messages. */
export function createDirectConnectorApi(services: ConnectorServices): ConnectorApi {
  return {
    connector: directClient(ConnectorService, services.connector),
    resourceTypes: directClient(ResourceTypesService, services.resourceTypes),
    resources: directClient(ResourcesService, services.resources),
    resourceGetter: directClient(ResourceGetterService, services.resourceGetter),
    entitlements: directClient(EntitlementsService, services.entitlements),
    grants: directClient(GrantsService, services.grants),
    grantManager: directClient(GrantManagerService, services.grantManager),
  };
}

/** Over any connect transport (gRPC over HTTP/2 to `connector serve`, or another baton connector). */
export function createRemoteConnectorApi(transport: Transport): ConnectorApi {
  return {
    connector: createClient(ConnectorService, transport),
    resourceTypes: createClient(ResourceTypesService, transport),
    resources: createClient(ResourcesService, transport),
    resourceGetter: createClient(ResourceGetterService, transport),
    entitlements: createClient(EntitlementsService, transport),
    grants: createClient(GrantsService, transport),
    grantManager: createClient(GrantManagerService, transport),
  };
}

type UnaryHandler = (request: unknown, context: ReturnType<typeof createHandlerContext>) => Promise<unknown>;

/** A Client whose unary methods invoke `impl` in this process, with a real HandlerContext. */
function directClient<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): Client<S> {
  const client: Record<string, unknown> = {};
  for (const method of service.methods) {
    if (method.methodKind !== "unary") continue;
    const handler = (impl as Record<string, UnaryHandler | undefined>)[method.localName];
    if (!handler) continue;
    client[method.localName] = async (request: MessageInitShape<DescMessage>, options?: CallOptions) => {
      const context = createHandlerContext({
        service,
        method,
        protocolName: "in-process",
        requestMethod: "POST",
        url: `in-process:///${service.typeName}/${method.name}`,
        timeoutMs: options?.timeoutMs,
        requestSignal: options?.signal,
        contextValues: options?.contextValues,
      });
      try {
        const input = isMessage(request, method.input) ? request : create(method.input, request);
        const output = await handler.call(impl, input, context);
        return isMessage(output, method.output) ? output : create(method.output, output as MessageInitShape<DescMessage>);
      } finally {
        context.abort();
      }
    };
  }
  return client as Client<S>;
}
