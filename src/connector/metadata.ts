import { ListAccountAliasesCommand } from "@aws-sdk/client-iam";
import type { AwsClients } from "../aws/clients.js";
import type { ConnectorConfig } from "../config/config.js";
import type { ConnectorMetadataInit } from "./connector.js";

/**
 * GetMetadata: "AWS (<account alias>)" like baton-aws, falling back to the account id.
 * PLACEHOLDER: completed by the connector-core work (issue #2).
 */
export async function describeConnector(
  _config: ConnectorConfig,
  aws: AwsClients,
  signal: AbortSignal,
): Promise<ConnectorMetadataInit> {
  const caller = await aws.callerIdentity();
  const iam = await aws.iam();
  const aliases = await iam.send(new ListAccountAliasesCommand({}), { abortSignal: signal });
  const alias = aliases.AccountAliases?.[0];
  return {
    displayName: `AWS (${alias ?? caller.accountId})`,
    description: "Identities, groups, roles and permission-set assignments of AWS IAM and IAM Identity Center.",
  };
}

/**
 * Validate: checks the AWS identity and that every configured feature is reachable.
 * PLACEHOLDER: completed by the connector-core work (issue #2).
 */
export async function validateConnector(_config: ConnectorConfig, aws: AwsClients, _signal: AbortSignal): Promise<void> {
  await aws.callerIdentity();
}
