/**
 * AWS-managed policies are global (`arn:aws:iam::aws:policy/...`), not part of any account. The
 * simulator knows a built-in catalogue of commonly attached ones (documents abridged to what
 * matters for access reviews: the admin-like ones grant `*`, `iam:*`, `sso:*`, `organizations:*`,
 * the rest are scoped) plus any an organisation file declares. Ids and versions are derived from
 * the ARN, so every model agrees on them.
 */
import { createPrng } from "../generate/prng.js";
import { iamId } from "./ids.js";
import { KeyedList } from "./keyed-list.js";
import type { AwsManagedPolicySpec } from "./spec.js";
import type { ManagedPolicy } from "./types.js";

export const AWS_MANAGED_POLICY_PREFIX = "arn:aws:iam::aws:policy";

export const isAwsManagedPolicy = (arn: string) => arn.startsWith(`${AWS_MANAGED_POLICY_PREFIX}/`);

export const awsManagedPolicyArn = (pathAndName: string) => `${AWS_MANAGED_POLICY_PREFIX}/${pathAndName}`;

// Fixed times: AWS-managed policies predate any simulated account.
const AWS_POLICY_CREATED = Date.UTC(2015, 1, 6, 18, 39, 46);
const AWS_POLICY_UPDATED = Date.UTC(2023, 10, 14, 9, 12, 0);

const allow = (action: string | string[], resource: string | string[] = "*") => ({ Effect: "Allow", Action: action, Resource: resource });
const doc = (...statements: Array<Record<string, unknown>>) => ({ Version: "2012-10-17", Statement: statements });

interface CatalogEntry extends AwsManagedPolicySpec {
  path: string;
  /** How many versions AWS has published (the default is the last). */
  versions: number;
}

const entry = (pathAndName: string, versions: number, description: string, document: Record<string, unknown>): CatalogEntry => {
  const slash = pathAndName.lastIndexOf("/");
  return { name: pathAndName.slice(slash + 1), path: slash < 0 ? "/" : `/${pathAndName.slice(0, slash + 1)}`, versions, description, document };
};

/** The built-in catalogue, by `path/name` without the leading slash. */
const CATALOG: CatalogEntry[] = [
  entry("AdministratorAccess", 1, "Provides full access to AWS services and resources.", doc(allow("*"))),
  entry("PowerUserAccess", 5, "Provides full access to AWS services and resources, but does not allow management of Users and groups.", doc(
    { Effect: "Allow", NotAction: ["iam:*", "organizations:*", "account:*"], Resource: "*" },
    allow(["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization", "account:ListRegions"]),
  )),
  entry("ReadOnlyAccess", 4, "Provides read-only access to AWS services and resources.", doc(
    allow(["ec2:Describe*", "s3:Get*", "s3:List*", "iam:Get*", "iam:List*", "lambda:Get*", "lambda:List*", "rds:Describe*", "dynamodb:Describe*", "dynamodb:List*", "cloudwatch:Get*", "cloudwatch:List*", "logs:Describe*", "logs:Get*", "sso:Describe*", "sso:List*", "organizations:Describe*", "organizations:List*"]),
  )),
  entry("job-function/ViewOnlyAccess", 3, "This policy grants permissions to view resources and basic metadata across all AWS services.", doc(
    allow(["ec2:Describe*", "s3:ListAllMyBuckets", "s3:ListBucket", "iam:List*", "lambda:List*", "rds:Describe*", "dynamodb:List*", "cloudwatch:List*", "logs:Describe*", "organizations:List*"]),
  )),
  entry("SecurityAudit", 3, "The security audit template grants access to read security configuration metadata.", doc(
    allow(["iam:GenerateCredentialReport", "iam:Get*", "iam:List*", "cloudtrail:Describe*", "cloudtrail:Get*", "config:Describe*", "guardduty:Get*", "guardduty:List*", "kms:Describe*", "kms:List*", "s3:GetBucketPolicy", "s3:GetBucketAcl", "sso:Describe*", "sso:List*", "organizations:Describe*", "organizations:List*"]),
  )),
  entry("job-function/Billing", 2, "Grants permissions for billing and cost management.", doc(
    allow(["aws-portal:*Billing", "aws-portal:*Usage", "aws-portal:*PaymentMethods", "budgets:ViewBudget", "budgets:ModifyBudget", "ce:*", "cur:*", "pricing:*"]),
  )),
  entry("IAMFullAccess", 2, "Provides full access to IAM via the AWS Management Console.", doc(
    allow("iam:*"),
    allow(["organizations:DescribeAccount", "organizations:DescribeOrganization", "organizations:DescribeOrganizationalUnit", "organizations:DescribePolicy", "organizations:ListChildren", "organizations:ListParents", "organizations:ListPoliciesForTarget", "organizations:ListRoots", "organizations:ListPolicies", "organizations:ListTargetsForPolicy"]),
  )),
  entry("IAMReadOnlyAccess", 3, "Provides read only access to IAM via the AWS Management Console.", doc(allow(["iam:GenerateCredentialReport", "iam:GenerateServiceLastAccessedDetails", "iam:Get*", "iam:List*", "iam:SimulateCustomPolicy", "iam:SimulatePrincipalPolicy"]))),
  entry("IAMUserChangePassword", 2, "Provides the ability for an IAM user to change their own password.", doc(allow("iam:ChangePassword", "arn:aws:iam::*:user/${aws:username}"), allow("iam:GetAccountPasswordPolicy"))),
  entry("AWSSSOMasterAccountAdministrator", 6, "Provides access within AWS SSO to manage AWS Organizations master and member accounts and cloud applications.", doc(
    allow(["sso:*", "sso-directory:*", "identitystore:*"]),
    allow(["organizations:Describe*", "organizations:List*", "organizations:EnableAWSServiceAccess"]),
    allow(["iam:AttachRolePolicy", "iam:CreateRole", "iam:PutRolePolicy", "iam:ListRoles"], "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*"),
  )),
  entry("AWSSSOReadOnly", 4, "Provides read-only access to AWS SSO configurations.", doc(allow(["sso:Describe*", "sso:Get*", "sso:List*", "sso-directory:Describe*", "sso-directory:List*", "identitystore:Describe*", "identitystore:List*"]))),
  entry("AWSOrganizationsFullAccess", 6, "Provides full access to AWS Organizations.", doc(allow("organizations:*"), allow(["account:*", "iam:CreateServiceLinkedRole"]))),
  entry("AWSOrganizationsReadOnlyAccess", 2, "Provides read-only access to AWS Organizations.", doc(allow(["organizations:Describe*", "organizations:List*", "account:GetAlternateContact", "account:ListRegions"]))),
  entry("AmazonS3FullAccess", 2, "Provides full access to all buckets via the AWS Management Console.", doc(allow(["s3:*", "s3-object-lambda:*"]))),
  entry("AmazonS3ReadOnlyAccess", 3, "Provides read only access to all buckets via the AWS Management Console.", doc(allow(["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"]))),
  entry("AmazonEC2FullAccess", 6, "Provides full access to Amazon EC2 via the AWS Management Console.", doc(allow(["ec2:*", "elasticloadbalancing:*", "cloudwatch:*", "autoscaling:*"]))),
  entry("AmazonEC2ReadOnlyAccess", 3, "Provides read only access to Amazon EC2 via the AWS Management Console.", doc(allow(["ec2:Describe*", "elasticloadbalancing:Describe*", "cloudwatch:ListMetrics", "cloudwatch:GetMetricStatistics", "autoscaling:Describe*"]))),
  entry("AWSLambda_FullAccess", 2, "Grants full access to AWS Lambda service, AWS Lambda console features, and other related AWS services.", doc(allow(["lambda:*", "logs:DescribeLogGroups", "logs:FilterLogEvents", "cloudformation:DescribeStacks"]), allow("iam:PassRole"))),
  entry("service-role/AWSLambdaBasicExecutionRole", 1, "Provides write permissions to CloudWatch Logs.", doc(allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]))),
  entry("AmazonDynamoDBFullAccess", 5, "Provides full access to Amazon DynamoDB via the AWS Management Console.", doc(allow(["dynamodb:*", "dax:*", "application-autoscaling:*", "cloudwatch:GetMetricData"]))),
  entry("AmazonRDSFullAccess", 8, "Provides full access to Amazon RDS via the AWS Management Console.", doc(allow(["rds:*", "application-autoscaling:*", "cloudwatch:GetMetricStatistics", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"]))),
  entry("CloudWatchReadOnlyAccess", 4, "Provides read only access to CloudWatch.", doc(allow(["cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "logs:Get*", "logs:List*", "logs:Describe*", "logs:FilterLogEvents"]))),
  entry("AWSCloudTrail_ReadOnlyAccess", 2, "Provides read only access to AWS CloudTrail.", doc(allow(["cloudtrail:Describe*", "cloudtrail:Get*", "cloudtrail:List*", "cloudtrail:LookupEvents"]))),
  entry("AWSCloudFormationFullAccess", 1, "Provides full access to AWS CloudFormation.", doc(allow("cloudformation:*"))),
  entry("SecretsManagerReadWrite", 3, "Provides read/write access to AWS Secrets Manager via the AWS Management Console.", doc(allow(["secretsmanager:*", "kms:DescribeKey", "kms:ListAliases", "rds:DescribeDBInstances", "tag:GetResources"]))),
  entry("AWSKeyManagementServicePowerUser", 2, "Provides access to AWS Key Management Service (KMS).", doc(allow(["kms:CreateAlias", "kms:CreateKey", "kms:DeleteAlias", "kms:Describe*", "kms:GenerateRandom", "kms:Get*", "kms:List*", "kms:TagResource", "kms:UntagResource"]))),
  entry("AWSSupportAccess", 1, "Allows users to access the AWS Support Center.", doc(allow("support:*"))),
  entry("job-function/DatabaseAdministrator", 3, "Grants full access permissions to AWS services and actions required to set up and configure AWS database services.", doc(allow(["rds:*", "dynamodb:*", "elasticache:*", "redshift:*", "cloudwatch:*", "s3:CreateBucket", "s3:GetObject", "s3:PutObject"]), allow("iam:PassRole", "arn:aws:iam::*:role/rds-monitoring-role"))),
  entry("job-function/NetworkAdministrator", 4, "Grants full access permissions to AWS services and actions required to set up and configure AWS network resources.", doc(allow(["ec2:*Vpc*", "ec2:*Subnet*", "ec2:*Gateway*", "ec2:*Route*", "ec2:*NetworkAcl*", "route53:*", "directconnect:*", "elasticloadbalancing:*"]))),
  entry("job-function/SystemAdministrator", 5, "Grants full access permissions necessary for resources required for application and development operations.", doc(allow(["ec2:*", "ssm:*", "autoscaling:*", "cloudwatch:*", "logs:*", "lambda:*", "s3:*", "sns:*", "sqs:*"]), allow("iam:PassRole", "arn:aws:iam::*:role/*"))),
  entry("job-function/DataScientist", 3, "Grants permissions to AWS data analytics services.", doc(allow(["athena:*", "glue:*", "sagemaker:*", "s3:GetObject", "s3:ListBucket", "s3:PutObject", "redshift:Describe*", "elasticmapreduce:*"]))),
  entry("AWSBillingReadOnlyAccess", 2, "Allows users to view bills on the Billing Console.", doc(allow(["aws-portal:View*", "budgets:ViewBudget", "ce:Get*", "ce:Describe*", "cur:Describe*", "pricing:*"]))),
];

/** `path/name` (no leading slash) of every built-in AWS-managed policy. */
export const BUILT_IN_AWS_MANAGED_POLICIES: readonly string[] = CATALOG.map((e) => `${e.path.slice(1)}${e.name}`);

function toManagedPolicy(spec: AwsManagedPolicySpec, versions: number): ManagedPolicy {
  const path = spec.path ?? "/";
  const arn = `${AWS_MANAGED_POLICY_PREFIX}${path}${spec.name}`;
  const document = JSON.stringify(spec.document);
  const day = 24 * 3600 * 1000;
  // Earlier versions are kept with the current document: only the default matters to readers.
  const list = Array.from({ length: versions }, (_, i) => ({
    versionId: `v${i + 1}`,
    document,
    createdAt: i === versions - 1 ? AWS_POLICY_UPDATED : AWS_POLICY_CREATED + i * 90 * day,
  }));
  return {
    name: spec.name,
    id: iamId(createPrng(arn, "aws-managed-policy"), "ANPA"),
    arn,
    path,
    description: spec.description,
    document,
    defaultVersionId: `v${versions}`,
    versions: list,
    createdAt: AWS_POLICY_CREATED,
    updatedAt: versions > 1 ? AWS_POLICY_UPDATED : AWS_POLICY_CREATED,
    tags: [],
  };
}

// Built once: the catalogue is immutable (the simulator has no CreatePolicyVersion for AWS policies).
let builtIn: ManagedPolicy[] | undefined;

/** The catalogue plus extra declarations (an extra with a built-in ARN replaces it); undefined on a duplicate extra. */
export function awsManagedPolicies(extra: AwsManagedPolicySpec[] = []): { policies: KeyedList<ManagedPolicy>; duplicate?: number } {
  builtIn ??= CATALOG.map((e) => toManagedPolicy(e, e.versions));
  const declared = extra.map((spec) => toManagedPolicy(spec, 1));
  const declaredArns = new Set<string>();
  for (let i = 0; i < declared.length; i++) {
    if (declaredArns.has(declared[i]!.arn)) return { policies: new KeyedList((p) => p.arn), duplicate: i };
    declaredArns.add(declared[i]!.arn);
  }
  const policies = new KeyedList<ManagedPolicy>((p) => p.arn);
  for (const policy of builtIn) if (!declaredArns.has(policy.arn)) policies.add(policy);
  for (const policy of declared) policies.add(policy);
  return { policies };
}
