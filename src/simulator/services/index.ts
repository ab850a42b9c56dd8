import type { ServiceName } from "../errors.js";
import { identityStoreChangeWrites, iamChangeWrites, organizationsChangeWrites, ssoAdminChangeWrites } from "./change-writes.js";
import { cloudTrailService } from "./cloudtrail.js";
import { iamService } from "./iam.js";
import { identityStoreService } from "./identitystore.js";
import { organizationsService } from "./organizations.js";
import type { ServiceDefinition } from "./service.js";
import { ssoAdminService } from "./sso-admin.js";
import { stsService } from "./sts.js";

/** A service with more write operations (change-writes.ts). */
function withWrites(service: ServiceDefinition, writes: ServiceDefinition["operations"]): ServiceDefinition {
  return { ...service, operations: { ...service.operations, ...writes }, writes: new Set([...service.writes, ...Object.keys(writes)]) };
}

export const SERVICES: Record<ServiceName, ServiceDefinition> = {
  iam: withWrites(iamService, iamChangeWrites),
  sts: stsService,
  identitystore: withWrites(identityStoreService, identityStoreChangeWrites),
  "sso-admin": withWrites(ssoAdminService, ssoAdminChangeWrites),
  organizations: withWrites(organizationsService, organizationsChangeWrites),
  cloudtrail: cloudTrailService,
};
