import type { ServiceName } from "../errors.js";
import { cloudTrailService } from "./cloudtrail.js";
import { iamService } from "./iam.js";
import { identityStoreService } from "./identitystore.js";
import { organizationsService } from "./organizations.js";
import type { ServiceDefinition } from "./service.js";
import { ssoAdminService } from "./sso-admin.js";
import { stsService } from "./sts.js";

export const SERVICES: Record<ServiceName, ServiceDefinition> = {
  iam: iamService,
  sts: stsService,
  identitystore: identityStoreService,
  "sso-admin": ssoAdminService,
  organizations: organizationsService,
  cloudtrail: cloudTrailService,
};
