import type { ServiceImpl } from "@connectrpc/connect";
import { ConnectorService } from "../gen/c1/connector/v2/connector_pb.js";
import { EntitlementsService } from "../gen/c1/connector/v2/entitlement_pb.js";
import { EventService } from "../gen/c1/connector/v2/event_feed_pb.js";
import { GrantManagerService, GrantsService } from "../gen/c1/connector/v2/grant_pb.js";
import {
  AccountManagerService,
  ResourceDeleterService,
  ResourceGetterService,
  ResourceManagerService,
  ResourcesService,
  ResourceTypesService,
} from "../gen/c1/connector/v2/resource_pb.js";
import { RateLimiterService } from "../gen/c1/ratelimit/v1/ratelimit_pb.js";

/**
 * The baton connector API, each service under the name the connector's service objects
 * (connector.ts), the server's routes and the ConnectorApi clients all use: one list for the three.
 * The order is the Go connector wrapper's registration order.
 */
export const API_SERVICES = {
  connector: ConnectorService,
  resourceTypes: ResourceTypesService,
  resources: ResourcesService,
  resourceGetter: ResourceGetterService,
  entitlements: EntitlementsService,
  grants: GrantsService,
  grantManager: GrantManagerService,
  events: EventService,
  accountManager: AccountManagerService,
  resourceManager: ResourceManagerService,
  resourceDeleter: ResourceDeleterService,
  rateLimiter: RateLimiterService,
} as const;

export type ApiServices = typeof API_SERVICES;
export type ApiServiceName = keyof ApiServices;

/** An implementation of each service (methods a connector does not offer answer Unimplemented). */
export type ApiServiceImpls<N extends ApiServiceName = ApiServiceName> = { [K in N]: Partial<ServiceImpl<ApiServices[K]>> };

export const API_SERVICE_NAMES = Object.keys(API_SERVICES) as ApiServiceName[];
