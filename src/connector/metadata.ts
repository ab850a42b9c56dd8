import { GetAccountAuthorizationDetailsCommand, ListAccountAliasesCommand } from "@aws-sdk/client-iam";
import { ListUsersCommand as ListIdentityStoreUsersCommand } from "@aws-sdk/client-identitystore";
import { DescribeOrganizationCommand, ListAccountsCommand } from "@aws-sdk/client-organizations";
import { ListInstancesCommand, type InstanceMetadata } from "@aws-sdk/client-sso-admin";
import { Code, ConnectError } from "@connectrpc/connect";
import type { AwsClients } from "../aws/clients.js";
import { awsErrorKind } from "../aws/errors.js";
import type { ConnectorConfig } from "../config/config.js";
import { envName } from "../config/options.js";
import type { ConnectorMetadataInit } from "./connector.js";
import { toConnectError } from "./errors.js";

const DESCRIPTION = "Identities, groups, roles and permission-set assignments of AWS IAM and IAM Identity Center.";

/** GetMetadata: "AWS (<account alias>)" like baton-aws, falling back to the account id. */
export async function describeConnector(config: ConnectorConfig, aws: AwsClients, signal: AbortSignal): Promise<ConnectorMetadataInit> {
  const caller = await aws.callerIdentity();
  let alias: string | undefined;
  try {
    const iam = await aws.iam();
    alias = (await iam.send(new ListAccountAliasesCommand({}), { abortSignal: signal })).AccountAliases?.[0];
  } catch (error) {
    // The alias is cosmetic: a policy without iam:ListAccountAliases still gets a name (as in baton-aws).
    if (awsErrorKind(error) !== "access-denied") throw error;
  }
  const features = [
    "IAM",
    ...(config.features.organizations ? ["Organizations"] : []),
    ...(config.features.identityCenter ? ["IAM Identity Center"] : []),
  ];
  return {
    displayName: `AWS (${alias ?? caller.accountId})`,
    description: `${DESCRIPTION} Syncing: ${features.join(", ")}.`,
    profile: { account_id: caller.accountId, ...(alias ? { account_name: alias } : {}) },
  };
}

/**
 * Validate: the AWS identity works and every enabled feature is reachable, with one cheap call
 * each. A failure names the missing permission and the setting that turns the feature off.
 */
export async function validateConnector(config: ConnectorConfig, aws: AwsClients, signal: AbortSignal): Promise<void> {
  const opts = { abortSignal: signal };
  await check("sts:GetCallerIdentity", "check the connector's AWS credentials", () => aws.callerIdentity());

  const iam = await check("sts:AssumeRole", "check the role chain", () => aws.iam());
  // The very call the sync makes, so Validate needs no permission the sync does not.
  await check("iam:GetAccountAuthorizationDetails", "add it to the connector's policy", () =>
    iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["User"], MaxItems: 1 }), opts),
  );

  if (config.features.organizations) {
    const off = `or set ${envName("global-aws-orgs-enabled")}=false`;
    const orgs = aws.organizations();
    await check(
      "organizations:DescribeOrganization",
      `add it to the connector's policy ${off}`,
      () => orgs.send(new DescribeOrganizationCommand({}), opts),
      // Both switches: with Organizations off, Identity Center needs an instance in this account.
      `the account is not a member of an AWS Organization — set ${envName("global-aws-orgs-enabled")}=false, and ${envName("global-aws-sso-enabled")}=false unless this account has its own IAM Identity Center instance`,
    );
    await check("organizations:ListAccounts", `add it to the connector's policy (it must run in the management or a delegated administrator account) ${off}`, () =>
      orgs.send(new ListAccountsCommand({ MaxResults: 1 }), opts),
    );
  }

  if (config.features.identityCenter) {
    const off = `or set ${envName("global-aws-sso-enabled")}=false`;
    const instances: InstanceMetadata[] = [];
    let nextToken: string | undefined;
    do {
      const page = await check("sso:ListInstances", `add it to the connector's policy ${off}`, () =>
        aws.ssoAdmin().send(new ListInstancesCommand({ NextToken: nextToken }), opts),
      );
      instances.push(...(page.Instances ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    const instance = chooseInstance(config, instances);
    await check("identitystore:ListUsers", `add it to the connector's policy ${off}`, () =>
      aws.identityStore().send(new ListIdentityStoreUsersCommand({ IdentityStoreId: instance.IdentityStoreId, MaxResults: 1 }), opts),
    );
  }
}

/** The configured instance, else the only one; several without a choice is an error, not a guess. */
function chooseInstance(config: ConnectorConfig, instances: InstanceMetadata[]): InstanceMetadata {
  const region = config.aws.ssoRegion;
  const wanted = config.features.identityCenterInstanceArn;
  const setting = envName("identity-center-instance-arn");
  if (wanted) {
    const found = instances.find((i) => i.InstanceArn === wanted);
    if (!found) {
      throw new ConnectError(`Identity Center instance ${wanted} (${setting}) not found in ${region}; found: ${arns(instances)}`, Code.FailedPrecondition);
    }
    return found;
  }
  if (instances.length === 0) {
    throw new ConnectError(
      `no IAM Identity Center instance in ${region} — set ${envName("global-aws-sso-region")} to the instance's region or ${envName("global-aws-sso-enabled")}=false`,
      Code.FailedPrecondition,
    );
  }
  if (instances.length > 1) {
    throw new ConnectError(`${instances.length} Identity Center instances in ${region} (${arns(instances)}) — set ${setting} to the one to use`, Code.FailedPrecondition);
  }
  return instances[0]!;
}

function arns(instances: InstanceMetadata[]): string {
  return instances.map((i) => i.InstanceArn ?? "?").join(", ") || "none";
}

/**
 * Runs one probe. A denial becomes "<action> denied — <remedy> (AWS: …)"; transient failures keep
 * their retryable code so a host retries Validate instead of giving up.
 */
async function check<T>(action: string, remedy: string, probe: () => Promise<T>, notInOrganization?: string): Promise<T> {
  try {
    return await probe();
  } catch (error) {
    const mapped = toConnectError(error);
    if (notInOrganization && awsErrorKind(error) === "not-in-organization") {
      throw new ConnectError(`${notInOrganization} (${mapped.rawMessage})`, Code.FailedPrecondition, undefined, undefined, error);
    }
    if (mapped.code === Code.PermissionDenied || mapped.code === Code.FailedPrecondition) {
      const failed = (error as { awsAction?: string }).awsAction ?? action;
      const what = mapped.code === Code.PermissionDenied ? `${failed} denied` : `${failed} failed`;
      throw new ConnectError(`${what} — ${remedy} (${mapped.rawMessage})`, mapped.code, undefined, undefined, error);
    }
    throw mapped;
  }
}
