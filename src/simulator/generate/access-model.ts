/**
 * The access model layered on generated accounts: customer-managed policies (organisation-wide
 * ones every account has, account-specific ones, a few admin-like), managed and inline policy
 * attachments, permissions boundaries, console passwords, access keys with last use, MFA devices
 * and other user credentials, role descriptions, session limits and last use, and the policies
 * permission sets carry. It runs after the base generator on forked PRNG streams, so adding it
 * changed none of the base organisation's names or assignments.
 *
 * Most documents are scoped; some are admin-like on purpose (`*` on `*`, `iam:*`, `sso:*`, AWS's
 * AdministratorAccess / IAMFullAccess attached), for privileged-access reports to find.
 */
import { SIM_CREDENTIALS } from "../credentials.js";
import type { IamRoleSpec, IamSpec, IamUserSpec, ManagedPolicySpec, PermissionSetSpec } from "../model/spec.js";
import type { Prng } from "./prng.js";
import { timeBetween } from "./time.js";

/** At most this many managed policies per user, group or role: AWS's default quota. */
export const GENERATED_ATTACHMENT_LIMIT = 10;

const AWS = (name: string) => `arn:aws:iam::aws:policy/${name}`;
const doc = (...statements: Array<Record<string, unknown>>) => ({ Version: "2012-10-17", Statement: statements });
const allow = (action: string | string[], resource: string | string[] = "*") => ({ Effect: "Allow", Action: action, Resource: resource });
const deny = (action: string | string[], resource: string | string[] = "*") => ({ Effect: "Deny", Action: action, Resource: resource });

export const ORG_POLICY_PATH = "/org/";
export const BOUNDARY_PATH = "/boundaries/";
const REGIONS = ["us-east-1", "us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"];
const KEY_SERVICES = ["s3", "sts", "ec2", "iam", "lambda", "dynamodb", "cloudformation", "ecr", "secretsmanager"];
const APPS = ["billing", "checkout", "search", "reporting", "ingest", "auth", "catalog", "notifications", "ledger", "media"];

/** Policies deployed to every account; permission sets reference them by name and path. */
function organizationPolicies(createdAt: string, prng: Prng): ManagedPolicySpec[] {
  const readBaseline = ["cloudwatch:Get*", "cloudwatch:List*", "logs:Describe*", "logs:Get*", "tag:GetResources", "health:Describe*"];
  return [
    {
      name: "OrgReadOnlyBaseline",
      path: ORG_POLICY_PATH,
      description: "Organisation-wide read access to monitoring and health data",
      createdAt,
      document: doc(allow(readBaseline)),
    },
    {
      name: "DeveloperAccess",
      path: ORG_POLICY_PATH,
      description: "Developer access to application services, without IAM",
      createdAt,
      previousVersions: [{ document: doc(allow(["lambda:*", "logs:*"])), createdAt }],
      updatedAt: "2022-03-01T10:00:00.000Z",
      document: doc(allow(["lambda:*", "logs:*", "sqs:*", "sns:*", "dynamodb:*", "s3:*Object", "s3:ListBucket"]), deny(["iam:*", "organizations:*"])),
    },
    {
      name: "OperatorAccess",
      path: ORG_POLICY_PATH,
      description: "Day-to-day operations on compute and monitoring",
      createdAt: timeBetween(prng, createdAt),
      document: doc(allow(["ec2:*", "ssm:*", "autoscaling:*", "cloudwatch:*", "logs:*"])),
    },
    {
      name: "DeveloperBoundary",
      path: BOUNDARY_PATH,
      description: "Permissions boundary for developer-created roles and users",
      createdAt,
      document: doc(allow("*"), deny(["iam:CreateUser", "iam:CreateAccessKey", "iam:DeleteRolePermissionsBoundary", "organizations:*", "account:*"])),
    },
  ];
}

export const orgPolicyArn = (accountId: string, name: string) =>
  `arn:aws:iam::${accountId}:policy${name === "DeveloperBoundary" ? BOUNDARY_PATH : ORG_POLICY_PATH}${name}`;

type Template = (app: string, accountId: string, createdAt: string) => ManagedPolicySpec;

const TEMPLATES: Template[] = [
  (app, acct, createdAt) => ({
    name: `${app}-deploy`,
    description: `Deploy the ${app} stack`,
    createdAt,
    document: doc(allow("cloudformation:*"), allow("s3:PutObject", `arn:aws:s3:::${app}-artifacts-${acct}/*`), allow("iam:PassRole", `arn:aws:iam::${acct}:role/${app}-*`)),
  }),
  (app, acct, createdAt) => ({
    name: `${app}-s3-read`,
    description: `Read the ${app} data bucket`,
    createdAt,
    document: doc(allow(["s3:GetObject", "s3:ListBucket"], [`arn:aws:s3:::${app}-data-${acct}`, `arn:aws:s3:::${app}-data-${acct}/*`])),
  }),
  (app, acct, createdAt) => ({
    name: `${app}-kms-decrypt`,
    createdAt,
    document: doc(allow(["kms:Decrypt", "kms:DescribeKey"], `arn:aws:kms:us-east-1:${acct}:alias/${app}`)),
  }),
  (app, acct, createdAt) => ({
    name: `${app}-dynamodb-rw`,
    description: `Read and write the ${app} tables`,
    createdAt,
    document: doc(allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"], `arn:aws:dynamodb:us-east-1:${acct}:table/${app}-*`)),
  }),
  (app, acct, createdAt) => ({
    name: `${app}-secrets-read`,
    createdAt,
    document: doc(allow("secretsmanager:GetSecretValue", `arn:aws:secretsmanager:us-east-1:${acct}:secret:${app}/*`)),
  }),
  (app, acct, createdAt) => ({
    name: `${app}-ecr-push`,
    description: `Push ${app} images`,
    createdAt,
    document: doc(allow(["ecr:GetAuthorizationToken"]), allow(["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"], `arn:aws:ecr:us-east-1:${acct}:repository/${app}`)),
  }),
];

/** Admin-like customer policies: the findings a privileged-access review must surface. */
const ADMIN_LIKE: Record<string, (createdAt: string) => ManagedPolicySpec> = {
  LegacyFullAdmin: (createdAt) => ({ name: "LegacyFullAdmin", description: "Old catch-all admin policy", createdAt, document: doc(allow("*")) }),
  IamManager: (createdAt) => ({ name: "IamManager", description: "Manage IAM users, groups, roles and policies", createdAt, document: doc(allow("iam:*")) }),
  SsoOperators: (createdAt) => ({ name: "SsoOperators", path: "/identity/", description: "Operate IAM Identity Center", createdAt, document: doc(allow(["sso:*", "identitystore:*", "sso-directory:*"])) }),
  BreakGlassAdmin: (createdAt) => ({
    name: "BreakGlassAdmin",
    description: "Emergency administrator access (MFA required)",
    createdAt,
    document: doc({ ...allow("*"), Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } }),
  }),
};

const INLINE_SCOPED = [
  (name: string) => ({ name: "self-service-mfa", document: doc(allow(["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices"], `arn:aws:iam::*:user/${name}`)) }),
  (name: string) => ({ name: "personal-bucket", document: doc(allow("s3:*", [`arn:aws:s3:::home-${name.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`, `arn:aws:s3:::home-${name.toLowerCase().replace(/[^a-z0-9-]/g, "-")}/*`])) }),
  () => ({ name: "sqs-consume", document: doc(allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], "arn:aws:sqs:us-east-1:*:jobs-*")) }),
  () => ({ name: "logs-write", document: doc(allow(["logs:CreateLogStream", "logs:PutLogEvents"], "arn:aws:logs:*:*:log-group:/app/*")) }),
];
const INLINE_ADMIN = [
  () => ({ name: "legacy-admin", document: doc(allow("*")) }),
  () => ({ name: "bootstrap-iam", document: doc(allow("iam:*")) }),
];

export interface AccessModelOptions {
  accountId: string;
  kind: "management" | "member" | "standalone";
  /** Account-specific customer-managed policies (besides organisation-wide and admin-like ones). */
  customerPolicies: number;
}

/** Adds the access model to one generated account's IAM (in place). */
export function addAccessModel(iam: IamSpec, options: AccessModelOptions, prng: Prng): void {
  const { accountId, kind } = options;
  const created = "2019-06-01T00:00:00.000Z";
  const policies = (iam.policies ??= []);
  policies.push(...organizationPolicies(created, prng));
  const apps = pickDistinct(APPS, Math.min(options.customerPolicies, APPS.length), prng);
  const appPolicies = apps.map((app, i) => {
    const spec = TEMPLATES[i % TEMPLATES.length]!(app, accountId, timeBetween(prng, created));
    if (prng.chance(0.3)) {
      // An older, narrower version: the first statement only.
      const first = (spec.document.Statement as unknown[]).slice(0, 1);
      spec.previousVersions = [{ document: doc(...(first as Array<Record<string, unknown>>)), createdAt: spec.createdAt }];
      spec.updatedAt = timeBetween(prng, spec.createdAt!);
    }
    return spec;
  });
  policies.push(...appPolicies);
  const adminLike = kind === "management" ? ["SsoOperators", "BreakGlassAdmin", "IamManager"] : kind === "standalone" ? ["LegacyFullAdmin"] : [];
  if (kind === "member" && prng.chance(0.15)) adminLike.push("LegacyFullAdmin");
  if (kind === "member" && prng.chance(0.1)) adminLike.push("IamManager");
  for (const name of adminLike) policies.push(ADMIN_LIKE[name]!(timeBetween(prng, created)));

  const local = (name: string, path = "/") => `arn:aws:iam::${accountId}:policy${path}${name}`;
  const appArns = appPolicies.map((p) => local(p.name));
  const adminArns = adminLike.map((name) => local(name, ADMIN_LIKE[name]!("").path ?? "/"));
  const sharedPool = [...appArns, AWS("AmazonS3ReadOnlyAccess"), AWS("CloudWatchReadOnlyAccess"), AWS("AWSLambda_FullAccess"), AWS("AmazonDynamoDBFullAccess")];

  for (const group of iam.groups ?? []) {
    if (!group.attachedPolicies?.length) group.attachedPolicies = groupPolicies(group.name, accountId, appArns, sharedPool, prng);
    if (group.name === "Admins" && adminArns.length && prng.chance(0.5)) attach(group, prng.pick(adminArns));
    if (prng.chance(0.25)) group.inlinePolicies = [INLINE_SCOPED[prng.int(2) + 2]!("")];
  }
  for (const user of iam.users ?? []) decorateUser(user, { accountId, sharedPool, adminArns }, prng);
  for (const role of iam.roles ?? []) decorateRole(role, { accountId, appArns }, prng);
}

function groupPolicies(name: string, accountId: string, appArns: string[], pool: string[], prng: Prng): string[] {
  switch (name) {
    case "Admins":
      return [AWS("AdministratorAccess")];
    case "Deployers":
      return appArns.length ? [appArns[0]!, AWS("AWSCloudFormationFullAccess")] : [AWS("AWSCloudFormationFullAccess")];
    case "Auditors":
      return [AWS("SecurityAudit"), AWS("IAMReadOnlyAccess")];
    case "Developers":
      return [orgPolicyArn(accountId, "DeveloperAccess"), AWS("ReadOnlyAccess")];
    case "Operators":
      return [orgPolicyArn(accountId, "OperatorAccess"), AWS("AmazonEC2FullAccess")];
    case "BillingViewers":
      return [AWS("job-function/Billing")];
    default:
      return pickDistinct(pool, 1 + prng.int(2), prng);
  }
}

interface UserContext {
  accountId: string;
  sharedPool: string[];
  adminArns: string[];
}

const FIXED_KEY_USERS = new Map<string, string>(Object.values(SIM_CREDENTIALS).map((c) => [c.userName, c.accessKeyId]));

function decorateUser(user: IamUserSpec, ctx: UserContext, prng: Prng): void {
  const createdAt = user.createdAt ?? "2021-01-04T09:30:00.000Z";
  const fixedKey = FIXED_KEY_USERS.get(user.name);
  const human = user.path !== "/automation/" && !fixedKey;

  if (human && !user.attachedPolicies?.length) {
    if (prng.chance(0.2)) user.attachedPolicies = pickDistinct(ctx.sharedPool, 1 + prng.int(2), prng);
    if (prng.chance(0.03)) attach(user, AWS("IAMFullAccess"));
    if (prng.chance(0.02)) attach(user, AWS("AdministratorAccess"));
    if (ctx.adminArns.length && prng.chance(0.02)) attach(user, prng.pick(ctx.adminArns));
  }
  if (human && prng.chance(0.15)) user.inlinePolicies = [prng.pick(INLINE_SCOPED)(user.name)];
  if (human && prng.chance(0.04)) (user.inlinePolicies ??= []).push(prng.pick(INLINE_ADMIN)());
  if (human && prng.chance(0.1)) user.permissionsBoundary = orgPolicyArn(ctx.accountId, "DeveloperBoundary");

  // Console password: everyone who ever signed in has one (last use after creation), plus a few who never did.
  if (user.passwordLastUsed !== undefined || (human && prng.chance(0.1))) {
    const profileCreated = timeBetween(prng, createdAt, Date.parse(createdAt) + 30 * 24 * 3600 * 1000);
    user.loginProfile = { createdAt: profileCreated, passwordResetRequired: user.passwordLastUsed === undefined && prng.chance(0.5) };
    if (user.passwordLastUsed !== undefined) user.passwordLastUsed = timeBetween(prng, profileCreated);
    if (prng.chance(0.5)) user.mfaDevices = [{ enableDate: timeBetween(prng, profileCreated) }];
  }

  if (fixedKey) {
    user.accessKeys = [{ id: fixedKey, createdAt, lastUsed: { date: timeBetween(prng, createdAt), service: "sts", region: "us-east-1" } }];
  } else if (user.path === "/automation/") {
    const old = timeBetween(prng, createdAt);
    user.accessKeys = [
      { status: "Inactive", createdAt, lastUsed: { date: old, service: "cloudformation", region: "us-east-1" } },
      { createdAt: old, lastUsed: { date: timeBetween(prng, old), service: "cloudformation", region: "us-east-1" } },
    ];
  } else {
    const keys = prng.chance(0.5) ? (prng.chance(0.2) ? 2 : 1) : 0;
    if (keys > 0) {
      user.accessKeys = Array.from({ length: keys }, () => {
        const keyCreated = timeBetween(prng, createdAt);
        return {
          status: prng.chance(0.2) ? ("Inactive" as const) : ("Active" as const),
          createdAt: keyCreated,
          lastUsed: prng.chance(0.7) ? { date: timeBetween(prng, keyCreated), service: prng.pick(KEY_SERVICES), region: prng.pick(REGIONS) } : undefined,
        };
      });
    }
  }
  if (human && prng.chance(0.03)) user.signingCertificates = [{ uploadDate: timeBetween(prng, createdAt) }];
  if (human && prng.chance(0.05)) user.sshPublicKeys = Array.from({ length: 1 + prng.int(2) }, () => ({ uploadDate: timeBetween(prng, createdAt), status: "Active" as const }));
  if (human && prng.chance(0.03)) user.serviceSpecificCredentials = [{ serviceName: "codecommit.amazonaws.com", createdAt: timeBetween(prng, createdAt) }];
}

const SERVICE_ROLE_DESCRIPTIONS = ["Runs the nightly batch jobs", "Processes queue messages", "Serves the public API", "Exports reports to S3"];

function decorateRole(role: IamRoleSpec, ctx: { accountId: string; appArns: string[] }, prng: Prng): void {
  const createdAt = role.createdAt ?? "2021-01-04T09:30:00.000Z";
  const isServiceRole = role.path === "/service-role/" || role.name.startsWith("app-role-");
  if (isServiceRole) {
    role.description ??= prng.pick(SERVICE_ROLE_DESCRIPTIONS);
    role.maxSessionDuration ??= prng.pick([3600, 3600, 7200, 14400, 43200]);
    if (ctx.appArns.length && prng.chance(0.4)) attach(role, prng.pick(ctx.appArns));
    if (prng.chance(0.3)) role.inlinePolicies = [prng.pick(INLINE_SCOPED.slice(2))("")];
    if (prng.chance(0.05)) (role.inlinePolicies ??= []).push(INLINE_ADMIN[1]!());
    if (prng.chance(0.2)) role.permissionsBoundary = orgPolicyArn(ctx.accountId, "DeveloperBoundary");
  }
  if (prng.chance(0.6)) role.lastUsed = { date: timeBetween(prng, createdAt), region: prng.pick(REGIONS) };
}

/** Managed, customer-managed, inline and boundary policies of generated permission sets (in place). */
export function addPermissionSetPolicies(permissionSets: PermissionSetSpec[], prng: Prng): void {
  const org = (name: string) => ({ name, path: name === "DeveloperBoundary" ? BOUNDARY_PATH : ORG_POLICY_PATH });
  permissionSets.forEach((p, i) => {
    const managed = (p.managedPolicies ??= []);
    const role = p.name.slice(p.name.lastIndexOf("-") + 1);
    switch (p.name === role ? p.name : role) {
      case "ReadOnlyAccess":
      case "SecurityAudit":
      case "ReadOnly":
        p.customerManagedPolicies = [org("OrgReadOnlyBaseline")];
        break;
      case "PowerUserAccess":
        p.inlinePolicy = doc(deny(["organizations:LeaveOrganization", "account:CloseAccount"]));
        p.permissionsBoundary = { customerManagedPolicy: org("DeveloperBoundary") };
        break;
      case "Developer":
        p.customerManagedPolicies = [org("DeveloperAccess")];
        p.inlinePolicy = doc(allow("s3:*", [`arn:aws:s3:::team-${i}-*`, `arn:aws:s3:::team-${i}-*/*`]));
        p.permissionsBoundary = { customerManagedPolicy: org("DeveloperBoundary") };
        break;
      case "Operator":
        p.customerManagedPolicies = [org("OperatorAccess")];
        managed.push(AWS("AmazonEC2FullAccess"));
        break;
      case "Analyst":
        managed.push(AWS("AmazonS3ReadOnlyAccess"), AWS("job-function/DataScientist"));
        p.inlinePolicy = doc(allow(["athena:StartQueryExecution", "athena:GetQueryResults"], "*"));
        break;
    }
    // A sprinkling of admin-like grants among the generated sets.
    if (i >= 6 && i % 7 === 3) managed.push(AWS("IAMFullAccess"));
    if (i >= 6 && i % 13 === 6) managed.push(AWS("AWSSSOMasterAccountAdministrator"));
    if (i >= 6 && i % 8 === 1) p.inlinePolicy = doc(allow("*"));
    if (i >= 6 && i % 9 === 2 && !p.permissionsBoundary) p.permissionsBoundary = { managedPolicyArn: AWS("PowerUserAccess") };
    if (prng.chance(0.1)) p.relayState ??= "https://console.aws.amazon.com/cloudwatch/home";
  });
}

function attach(entity: { attachedPolicies?: string[] }, arn: string): void {
  const list = (entity.attachedPolicies ??= []);
  if (!list.includes(arn) && list.length < GENERATED_ATTACHMENT_LIMIT) list.push(arn);
}

function pickDistinct<T>(items: readonly T[], count: number, prng: Prng): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < count && pool.length > 0) out.push(pool.splice(prng.int(pool.length), 1)[0]!);
  return out;
}
