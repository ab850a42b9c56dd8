import { paginateListInstances } from "@aws-sdk/client-sso-admin";
import { Code, ConnectError } from "@connectrpc/connect";
import type { AwsClients } from "../aws/clients.js";
import type { ConnectorConfig } from "../config/config.js";
import type { Logger } from "../log.js";

export interface IdentityCenterInstance {
  instanceArn: string;
  identityStoreId: string;
}

/**
 * The IAM Identity Center instance assignments are written to: the configured one, else the only
 * (or first) one. Looked up once; a failed lookup is retried on the next call.
 */
export function identityCenterInstanceResolver(aws: AwsClients, config: ConnectorConfig, log: Logger) {
  let cached: Promise<IdentityCenterInstance> | undefined;

  async function lookup(signal: AbortSignal): Promise<IdentityCenterInstance> {
    const instances: IdentityCenterInstance[] = [];
    for await (const page of paginateListInstances({ client: aws.ssoAdmin() }, {}, { abortSignal: signal })) {
      for (const i of page.Instances ?? []) {
        if (i.InstanceArn && i.IdentityStoreId) instances.push({ instanceArn: i.InstanceArn, identityStoreId: i.IdentityStoreId });
      }
    }
    const wanted = config.features.identityCenterInstanceArn;
    const chosen = wanted ? instances.find((i) => i.instanceArn === wanted) : instances[0];
    if (!chosen) {
      throw new ConnectError(
        wanted ? `IAM Identity Center instance ${wanted} not found` : "no IAM Identity Center instance is visible to the connector",
        Code.FailedPrecondition,
      );
    }
    if (!wanted && instances.length > 1) log.warn({ chosen: chosen.instanceArn, count: instances.length }, "several Identity Center instances; using the first");
    return chosen;
  }

  return (signal: AbortSignal): Promise<IdentityCenterInstance> => {
    if (!cached) {
      cached = lookup(signal);
      cached.catch(() => (cached = undefined));
    }
    return cached;
  };
}
