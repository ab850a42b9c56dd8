import type { AwsClients } from "../aws/clients.js";
import type { ConnectorConfig } from "../config/config.js";
import type { Provisioner } from "../connector/resource-syncer.js";
import type { Logger } from "../log.js";

export interface ProvisioningContext {
  aws: AwsClients;
  config: ConnectorConfig;
  log: Logger;
}

/**
 * Grant/Revoke handlers by resource type.
 * PLACEHOLDER: filled in by the provisioning work (issue #6).
 */
export function createProvisioners(_ctx: ProvisioningContext): Provisioner[] {
  return [];
}
