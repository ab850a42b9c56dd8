import type { STSClient } from "@aws-sdk/client-sts";
import { fromNodeProviderChain, fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import type { ConnectorConfig } from "../config/config.js";
import type { Logger } from "../log.js";

const SESSION_NAME = "aws-access-connector";
const MEMBER_SESSION_SECONDS = 3600;

/**
 * The connector's own credentials: static keys or the default chain, then each configured
 * assume-role hop in order (each with its own external ID).
 */
export function baseCredentials(
  config: ConnectorConfig,
  _log: Logger,
): AwsCredentialIdentity | AwsCredentialIdentityProvider {
  let credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider =
    config.aws.staticCredentials ?? fromNodeProviderChain(config.aws.profile ? { profile: config.aws.profile } : {});
  for (const hop of config.aws.assumeRoleChain) {
    credentials = fromTemporaryCredentials({
      masterCredentials: credentials,
      params: {
        RoleArn: hop.roleArn,
        RoleSessionName: hop.sessionName ?? SESSION_NAME,
        ...(hop.externalId ? { ExternalId: hop.externalId } : {}),
      },
      clientConfig: stsClientConfig(config),
    });
  }
  return credentials;
}

/** Credentials in a member account through the configured member-account role. */
export function memberAccountCredentials(
  config: ConnectorConfig,
  _sts: STSClient,
  accountId: string,
): AwsCredentialIdentityProvider {
  return fromTemporaryCredentials({
    masterCredentials: baseCredentials(config, undefined as never),
    params: {
      RoleArn: `arn:aws:iam::${accountId}:role/${config.features.memberRoleName}`,
      RoleSessionName: SESSION_NAME,
      DurationSeconds: MEMBER_SESSION_SECONDS,
      ...(config.features.memberExternalId ? { ExternalId: config.features.memberExternalId } : {}),
    },
    clientConfig: stsClientConfig(config),
  });
}

function stsClientConfig(config: ConnectorConfig) {
  return {
    region: config.aws.region,
    endpoint: config.aws.serviceEndpoints.sts ?? config.aws.endpoint,
    maxAttempts: config.aws.maxAttempts,
    retryMode: config.aws.retryMode,
  };
}
