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
}

export interface OrganizationSpec {
  id?: string;
  featureSet?: "ALL" | "CONSOLIDATED_BILLING";
  managementAccountId: string;
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
}

export type IamGroupSpec = IamEntitySpec;

export interface IamRoleSpec extends IamEntitySpec {
  description?: string;
  maxSessionDuration?: number;
  trustPolicy: Record<string, unknown>;
  tags?: Record<string, string>;
}

export interface ManagedPolicySpec {
  name: string;
  path?: string;
  id?: string;
  description?: string;
  createdAt?: string;
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
  managedPolicies?: string[];
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
