import type { ConnectRouter } from "@connectrpc/connect";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { API_SERVICE_NAMES, API_SERVICES, type ApiServiceImpls, type ApiServiceName } from "./api-services.js";
import type { ConnectorServices } from "./connector.js";
import { createHealthService, type HealthState } from "./health.js";
import { createReflectionServices } from "./reflection.js";

/** Everything the server answers, by full name (health checks and reflection list these). */
export const SERVED_SERVICE_NAMES: readonly string[] = [
  ...API_SERVICE_NAMES.map((name) => API_SERVICES[name].typeName),
  Health.typeName,
  ReflectionV1.typeName,
  ReflectionV1alpha.typeName,
];

/** One service of the baton API, with its implementation (a generic function keeps the pair's types together). */
function mount<N extends ApiServiceName>(router: ConnectRouter, name: N, services: ApiServiceImpls<N>): void {
  router.service(API_SERVICES[name], services[name]);
}

/** Mounts the connector's service objects (connector.ts) plus health and reflection. */
export function connectorRoutes(services: ConnectorServices, health: HealthState) {
  const reflection = createReflectionServices(SERVED_SERVICE_NAMES);
  return (router: ConnectRouter) => {
    for (const name of API_SERVICE_NAMES) mount(router, name, services);
    router.service(Health, createHealthService(health));
    router.service(ReflectionV1, reflection.v1);
    router.service(ReflectionV1alpha, reflection.v1alpha);
  };
}
