/**
 * IAM content for generated accounts: the well-known principals the fixed access keys act as,
 * role trust policies naming IAM users and roles (some requiring sts:ExternalId), the
 * OrganizationAccountAccessRole in member accounts, and filler users/groups/roles by size.
 */
import { SIM_CREDENTIALS } from "../credentials.js";
import type { IamRoleSpec, IamSpec, IamUserSpec } from "../model/spec.js";
import { IAM_GROUP_NAMES } from "./names.js";
import type { Prng } from "./prng.js";
import type { IamSizes } from "./profiles.js";
import { createdTime } from "./time.js";

const AWS_POLICY = (name: string) => `arn:aws:iam::aws:policy/${name}`;

export function trustPolicy(principal: Record<string, unknown>, externalId?: string): Record<string, unknown> {
  const statement: Record<string, unknown> = { Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" };
  if (externalId) statement.Condition = { StringEquals: { "sts:ExternalId": externalId } };
  return { Version: "2012-10-17", Statement: [statement] };
}

const serviceRole = (name: string, service: string, prng: Prng): IamRoleSpec => ({
  name,
  path: "/service-role/",
  description: `Execution role for ${service}`,
  createdAt: createdTime(prng),
  trustPolicy: trustPolicy({ Service: service }),
  attachedPolicies: [AWS_POLICY("ReadOnlyAccess")],
});

function fillerUsers(count: number, personNames: () => string, groups: string[], prng: Prng): IamUserSpec[] {
  const users: IamUserSpec[] = [];
  const seen = new Set<string>();
  for (let i = 0; users.length < count && i < count * 4; i++) {
    const name = personNames();
    if (seen.has(name)) continue;
    seen.add(name);
    users.push({
      name,
      createdAt: createdTime(prng),
      tags: prng.chance(0.5) ? { team: prng.pick(["platform", "payments", "data", "web"]) } : undefined,
      groups: groups.length && prng.chance(0.8) ? [prng.pick(groups)] : undefined,
      passwordLastUsed: prng.chance(0.6) ? createdTime(prng) : undefined,
    });
  }
  return users;
}

function groupNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => IAM_GROUP_NAMES[i] ?? `team-${String(i).padStart(3, "0")}`);
}

export function managementIam(accountId: string, sizes: IamSizes, personNames: () => string, prng: Prng): IamSpec {
  const groups = groupNames(Math.max(sizes.groups, 3));
  const connectorExternalId = `ext-${prng.hex(16)}`;
  const users: IamUserSpec[] = [
    { name: SIM_CREDENTIALS.management.userName, createdAt: createdTime(prng), groups: ["Admins"], tags: { team: "platform", owner: "security" } },
    { name: "ci-bot", path: "/automation/", createdAt: createdTime(prng), groups: ["Deployers"], tags: { purpose: "ci" } },
    ...fillerUsers(Math.max(sizes.users - 2, 0), personNames, groups, prng),
  ];
  const roles: IamRoleSpec[] = [
    {
      name: "ConnectorReadOnly",
      description: "Read-only role assumed by the access-governance connector",
      createdAt: createdTime(prng),
      trustPolicy: trustPolicy({ AWS: `arn:aws:iam::${accountId}:user/${SIM_CREDENTIALS.management.userName}` }, connectorExternalId),
      attachedPolicies: [AWS_POLICY("ReadOnlyAccess")],
      tags: { purpose: "access-review" },
    },
    {
      name: "SecurityAudit",
      description: "Security team audit role",
      createdAt: createdTime(prng),
      trustPolicy: trustPolicy({ AWS: `arn:aws:iam::${accountId}:root` }),
      attachedPolicies: [AWS_POLICY("SecurityAudit")],
    },
    {
      name: "ci-deployer",
      maxSessionDuration: 7200,
      createdAt: createdTime(prng),
      trustPolicy: trustPolicy({ AWS: [`arn:aws:iam::${accountId}:user/automation/ci-bot`] }),
      attachedPolicies: [`arn:aws:iam::${accountId}:policy/DeployerPolicy`],
    },
    {
      name: "AWSServiceRoleForOrganizations",
      path: "/aws-service-role/organizations.amazonaws.com/",
      createdAt: createdTime(prng),
      trustPolicy: trustPolicy({ Service: "organizations.amazonaws.com" }),
    },
  ];
  for (let i = roles.length; i < sizes.roles; i++) roles.push(serviceRole(`app-role-${String(i).padStart(3, "0")}`, "lambda.amazonaws.com", prng));
  return {
    users,
    groups: groups.map((name) => ({
      name,
      createdAt: createdTime(prng),
      attachedPolicies: name === "Admins" ? [AWS_POLICY("AdministratorAccess")] : name === "Deployers" ? [`arn:aws:iam::${accountId}:policy/DeployerPolicy`] : undefined,
    })),
    roles,
    policies: [
      {
        name: "DeployerPolicy",
        description: "Deploy application stacks",
        createdAt: createdTime(prng),
        document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["cloudformation:*", "s3:PutObject"], Resource: "*" }] },
      },
    ],
  };
}

export interface MemberIamOptions {
  managementAccountId: string;
  /** The account the fixed member key acts in gets the sim-member user. */
  withMemberUser: boolean;
  /** Vendor account trusted (with an external id) by the ThirdPartyMonitoring role. */
  vendorAccountId: string;
}

export function memberIam(options: MemberIamOptions, sizes: IamSizes, personNames: () => string, prng: Prng): IamSpec {
  const { managementAccountId } = options;
  const groups = groupNames(sizes.groups);
  const users = fillerUsers(sizes.users, personNames, groups, prng);
  if (options.withMemberUser) {
    users.unshift({ name: SIM_CREDENTIALS.member.userName, createdAt: createdTime(prng), groups: groups.slice(0, 1), tags: { team: "platform" } });
  }
  const roles: IamRoleSpec[] = [
    {
      name: "OrganizationAccountAccessRole",
      createdAt: createdTime(prng),
      trustPolicy: trustPolicy({ AWS: `arn:aws:iam::${managementAccountId}:root` }),
      attachedPolicies: [AWS_POLICY("AdministratorAccess")],
    },
    {
      name: "AuditReadOnly",
      description: "Assumed by the management account's SecurityAudit role",
      createdAt: createdTime(prng),
      trustPolicy: trustPolicy({ AWS: `arn:aws:iam::${managementAccountId}:role/SecurityAudit` }),
      attachedPolicies: [AWS_POLICY("SecurityAudit")],
    },
    {
      name: "ThirdPartyMonitoring",
      description: "Vendor monitoring access",
      createdAt: createdTime(prng),
      trustPolicy: trustPolicy({ AWS: `arn:aws:iam::${options.vendorAccountId}:root` }, `vendor-${prng.hex(12)}`),
      attachedPolicies: [AWS_POLICY("ReadOnlyAccess")],
      tags: { vendor: "monitoring" },
    },
  ];
  for (let i = roles.length; i < sizes.roles; i++) roles.push(serviceRole(`service-role-${String(i).padStart(3, "0")}`, prng.pick(["ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com"]), prng));
  return { users, groups: groups.map((name) => ({ name, createdAt: createdTime(prng) })), roles };
}

export function standaloneIam(accountId: string, prng: Prng): IamSpec {
  return {
    users: [{ name: SIM_CREDENTIALS.standalone.userName, createdAt: createdTime(prng), groups: ["Admins"] }],
    groups: [{ name: "Admins", createdAt: createdTime(prng), attachedPolicies: [AWS_POLICY("AdministratorAccess")] }],
    roles: [
      {
        name: "StandaloneAdmin",
        createdAt: createdTime(prng),
        trustPolicy: trustPolicy({ AWS: `arn:aws:iam::${accountId}:root` }),
        attachedPolicies: [AWS_POLICY("AdministratorAccess")],
      },
    ],
  };
}
