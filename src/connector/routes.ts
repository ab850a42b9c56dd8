import type { ConnectRouter } from "@connectrpc/connect";
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
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { ConnectorServices } from "./connector.js";
import { createHealthService, type HealthState } from "./health.js";
import { createReflectionServices } from "./reflection.js";

/** The baton connector API, as a baton host calls it (the Go connector wrapper registers the same set). */
export const BATON_SERVICES = [
  ConnectorService,
  ResourceTypesService,
  ResourcesService,
  ResourceGetterService,
  EntitlementsService,
  GrantsService,
  GrantManagerService,
  EventService,
  AccountManagerService,
  ResourceManagerService,
  ResourceDeleterService,
  RateLimiterService,
] as const;

/** Everything the server answers, by full name (health checks and reflection list these). */
export const SERVED_SERVICE_NAMES: readonly string[] = [
  ...BATON_SERVICES.map((s) => s.typeName),
  Health.typeName,
  ReflectionV1.typeName,
  ReflectionV1alpha.typeName,
];

/** Mounts the connector's service objects (connector.ts) plus health and reflection. */
export function connectorRoutes(services: ConnectorServices, health: HealthState) {
  const reflection = createReflectionServices(SERVED_SERVICE_NAMES);
  return (router: ConnectRouter) => {
    router.service(ConnectorService, services.connector);
    router.service(ResourceTypesService, services.resourceTypes);
    router.service(ResourcesService, services.resources);
    router.service(ResourceGetterService, services.resourceGetter);
    router.service(EntitlementsService, services.entitlements);
    router.service(GrantsService, services.grants);
    router.service(GrantManagerService, services.grantManager);
    router.service(EventService, services.events);
    router.service(AccountManagerService, services.accountManager);
    router.service(ResourceManagerService, services.resourceManager);
    router.service(ResourceDeleterService, services.resourceDeleter);
    router.service(RateLimiterService, services.rateLimiter);
    router.service(Health, createHealthService(health));
    router.service(ReflectionV1, reflection.v1);
    router.service(ReflectionV1alpha, reflection.v1alpha);
  };
}
