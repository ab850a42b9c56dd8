/**
 * The serialisable description of an organisation: the JSON file format (`--org FILE`, see
 * docs/simulator.md) and what the generator produces. References between objects are by name
 * (IAM group names, Identity Store user names and group display names, permission-set names),
 * which keeps hand-written files readable. Ids left out are generated from `seed`.
 */
import type { AccountState, PrincipalType } from "./types.js";

export interface OrgSpec {
  version: 1;
  /** Seed for ids not given in the file (default 1). */
  seed?: number;
  /** Region the Identity Center instance lives in (default us-east-1). */
  region?: string;
  organization?: OrganizationSpec | null;
  accounts: AccountSpec[];
  identityCenter?: IdentityCenterSpec | null;
  /** Access keys and the principals they act as; see credentials.ts for the defaults. */
  credentials?: CredentialSpec[];
  /** AWS-managed policies beyond the built-in catalogue (model/aws-managed-policies.ts). */
  awsManagedPolicies?: AwsManagedPolicySpec[];
}

export interface OrganizationSpec {
  id?: string;
  featureSet?: "ALL" | "CONSOLIDATED_BILLING";
  managementAccountId: string;
  /** `r-<4–32 [0-9a-z]>` */
  rootId?: string;
  /** The OU tree under the root. */
  organizationalUnits?: OrganizationalUnitSpec[];
}

export interface OrganizationalUnitSpec {
  /** `ou-<root suffix>-<8–32 [a-z0-9]>` */
  id?: string;
  /** Unique among its siblings; no "/" (accounts name their OU by path, e.g. "Workloads/Prod"). */
  name: string;
  children?: OrganizationalUnitSpec[];
}

export interface AccountSpec {
  id: string;
  name: string;
  email: string;
  state?: AccountState;
  /** Default: true when there is an organisation. */
  inOrganization?: boolean;
  joinedMethod?: "CREATED" | "INVITED";
  joinedAt?: string;
  alias?: string;
  /** Path of the OU the account sits in, e.g. "Workloads/Prod"; absent: directly under the root. */
  organizationalUnit?: string;
  iam?: IamSpec;
}

export interface IamSpec {
  users?: IamUserSpec[];
  groups?: IamGroupSpec[];
  roles?: IamRoleSpec[];
  /** Customer-managed policies. */
  policies?: ManagedPolicySpec[];
}

interface IamEntitySpec {
  name: string;
  path?: string;
  id?: string;
  createdAt?: string;
  /** Managed policy ARNs (AWS-managed `arn:aws:iam::aws:policy/...` or this account's own). */
  attachedPolicies?: string[];
  inlinePolicies?: Array<{ name: string; document: Record<string, unknown> }>;
}

export interface IamUserSpec extends IamEntitySpec {
  tags?: Record<string, string>;
  /** Names of IAM groups of the same account. */
  groups?: string[];
  passwordLastUsed?: string;
  /** Managed policy ARN. */
  permissionsBoundary?: string;
  /** A console password (its value is never kept). */
  loginProfile?: { createdAt?: string; passwordResetRequired?: boolean };
  accessKeys?: AccessKeySpec[];
  /** Virtual MFA devices enabled for the user; serial default `arn:aws:iam::<acct>:mfa/<user>[-N]`. */
  mfaDevices?: Array<{ serialNumber?: string; enableDate?: string }>;
  signingCertificates?: Array<{ id?: string; status?: "Active" | "Inactive"; uploadDate?: string }>;
  sshPublicKeys?: Array<{ id?: string; status?: "Active" | "Inactive"; uploadDate?: string }>;
  serviceSpecificCredentials?: Array<{ serviceName: string; id?: string; status?: "Active" | "Inactive"; createdAt?: string }>;
}

export interface AccessKeySpec {
  /** `AKIA` + 16 characters; generated when absent. */
  id?: string;
  status?: "Active" | "Inactive";
  createdAt?: string;
  /** Absent: never used. */
  lastUsed?: { date: string; service: string; region: string };
}

export type IamGroupSpec = IamEntitySpec;

export interface IamRoleSpec extends IamEntitySpec {
  description?: string;
  maxSessionDuration?: number;
  trustPolicy: Record<string, unknown>;
  tags?: Record<string, string>;
  permissionsBoundary?: string;
  lastUsed?: { date: string; region: string };
}

export interface ManagedPolicySpec {
  name: string;
  path?: string;
  id?: string;
  description?: string;
  createdAt?: string;
  /** The default version's document. */
  document: Record<string, unknown>;
  /** Older, non-default versions, oldest first (they become v1…vN; the default is vN+1). */
  previousVersions?: Array<{ document: Record<string, unknown>; createdAt?: string }>;
  /** When the default version was created (default: createdAt). */
  updatedAt?: string;
  tags?: Record<string, string>;
}

export interface AwsManagedPolicySpec {
  name: string;
  /** e.g. "/job-function/" (default "/"). */
  path?: string;
  description?: string;
  document: Record<string, unknown>;
}

export interface IdentityCenterSpec {
  /** `ssoins-<16 hex>`. */
  instanceId?: string;
  /** `d-<10 hex>`. */
  identityStoreId?: string;
  name?: string;
  /** Default: the management account (or the first account without an organisation). */
  homeAccountId?: string;
  createdAt?: string;
  users: IdentityStoreUserSpec[];
  groups: IdentityStoreGroupSpec[];
  permissionSets: PermissionSetSpec[];
  assignments?: AssignmentSpec[];
  /** Extra provisioned (account, permission set) pairs beyond those implied by assignments. */
  provisioned?: Array<{ accountId: string; permissionSet: string }>;
}

export interface IdentityStoreUserSpec {
  id?: string;
  userName: string;
  givenName: string;
  familyName: string;
  displayName?: string;
  email?: string;
  status?: "ENABLED" | "DISABLED";
  createdAt?: string;
}

export interface IdentityStoreGroupSpec {
  id?: string;
  displayName: string;
  description?: string;
  createdAt?: string;
  /** User names. */
  members?: string[];
}

export interface PermissionSetSpec {
  /** `ps-<16 hex>`. */
  id?: string;
  name: string;
  description?: string;
  sessionDuration?: string;
  relayState?: string;
  createdAt?: string;
  /** AWS-managed policy ARNs. */
  managedPolicies?: string[];
  /** Customer-managed policies every account it is provisioned to must have. */
  customerManagedPolicies?: Array<{ name: string; path?: string }>;
  inlinePolicy?: Record<string, unknown>;
  /** Exactly one of the two. */
  permissionsBoundary?: { managedPolicyArn?: string; customerManagedPolicy?: { name: string; path?: string } };
}

export interface AssignmentSpec {
  accountId: string;
  /** Permission-set name. */
  permissionSet: string;
  principalType: PrincipalType;
  /** User name (USER) or group display name (GROUP). */
  principal: string;
}

export interface CredentialSpec {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  /** IAM user in that account; absent means the account root. */
  userName?: string;
  label?: string;
}
