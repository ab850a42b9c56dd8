/**
 * The simulator's in-memory organisation: what every service reads and writes, and what tests
 * read to compute expected results independently of the connector. Times are epoch
 * milliseconds; the protocol layer renders them as ISO-8601 (XML) or epoch seconds (JSON).
 */
import type { KeyedList } from "./keyed-list.js";

export type AccountState = "ACTIVE" | "SUSPENDED" | "PENDING_CLOSURE" | "CLOSED";
export type PrincipalType = "USER" | "GROUP";

export interface Tag {
  key: string;
  value: string;
}

export interface InlinePolicy {
  name: string;
  /** Policy JSON text, as stored by IAM (the wire carries it URL-encoded). */
  document: string;
}

interface IamEntity {
  name: string;
  id: string;
  arn: string;
  path: string;
  createdAt: number;
  /** Managed policy ARNs, in attachment order (AWS-managed or this account's own). */
  attachedPolicies: string[];
  inlinePolicies: InlinePolicy[];
}

export type CredentialStatus = "Active" | "Inactive";

export interface AccessKeyLastUsed {
  date: number;
  /** e.g. "s3", "iam" (AWS's ServiceName). */
  service: string;
  region: string;
}

export interface AccessKey {
  /** AKIA + 16. The secret is never kept: AWS shows it once, at creation. */
  id: string;
  status: CredentialStatus;
  createdAt: number;
  /** Absent: never used (GetAccessKeyLastUsed answers N/A). */
  lastUsed?: AccessKeyLastUsed;
}

export interface LoginProfile {
  createdAt: number;
  passwordResetRequired: boolean;
}

/** A virtual MFA device of the account; `user` is set while it is enabled for a user. */
export interface MfaDevice {
  serialNumber: string;
  createdAt: number;
  user?: IamUser;
  enableDate?: number;
}

export interface SigningCertificate {
  id: string;
  body: string;
  status: CredentialStatus;
  uploadDate: number;
}

export interface SshPublicKey {
  id: string;
  status: CredentialStatus;
  uploadDate: number;
}

export interface ServiceSpecificCredential {
  id: string;
  /** e.g. codecommit.amazonaws.com */
  serviceName: string;
  serviceUserName: string;
  status: CredentialStatus;
  createdAt: number;
}

export interface IamUser extends IamEntity {
  tags: Tag[];
  passwordLastUsed?: number;
  /** Managed policy ARN used as the permissions boundary. */
  permissionsBoundary?: string;
  /** Keyed by group name. */
  groups: KeyedList<IamGroup>;
  /** Console password; absent when the user cannot sign in to the console. */
  loginProfile?: LoginProfile;
  accessKeys: AccessKey[];
  /** MFA devices enabled for the user (the same objects as in IamAccount.mfaDevices). */
  mfaDevices: MfaDevice[];
  signingCertificates: SigningCertificate[];
  sshPublicKeys: SshPublicKey[];
  serviceSpecificCredentials: ServiceSpecificCredential[];
}

export interface IamGroup extends IamEntity {
  /** Keyed by user name. */
  members: KeyedList<IamUser>;
}

export interface RoleLastUsed {
  date: number;
  region: string;
}

export interface IamRole extends IamEntity {
  description?: string;
  maxSessionDuration: number;
  /** Trust policy JSON text. */
  trustPolicy: string;
  tags: Tag[];
  permissionsBoundary?: string;
  /** Absent: never assumed (GetRole answers an empty RoleLastUsed). */
  lastUsed?: RoleLastUsed;
}

export interface PolicyVersion {
  /** v1, v2, … */
  versionId: string;
  /** Policy JSON text. */
  document: string;
  createdAt: number;
}

export interface ManagedPolicy {
  name: string;
  id: string;
  arn: string;
  path: string;
  description?: string;
  /** The default version's document (JSON text). */
  document: string;
  defaultVersionId: string;
  /** Every version, oldest first (the default among them). */
  versions: PolicyVersion[];
  createdAt: number;
  updatedAt: number;
  tags: Tag[];
}

export interface IamAccount {
  accountId: string;
  /** AWS allows at most one alias per account. */
  alias?: string;
  users: KeyedList<IamUser>;
  groups: KeyedList<IamGroup>;
  roles: KeyedList<IamRole>;
  /** Customer-managed policies, keyed by ARN (AWS-managed ones are global: SimModel.awsManagedPolicies). */
  policies: KeyedList<ManagedPolicy>;
  /** Virtual MFA devices, keyed by serial number (assigned or not). */
  mfaDevices: KeyedList<MfaDevice>;
}

export interface Account {
  id: string;
  name: string;
  email: string;
  state: AccountState;
  /** False for an account that exists but belongs to no organisation. */
  inOrganization: boolean;
  joinedMethod: "CREATED" | "INVITED";
  joinedAt: number;
  /** The root or OU the account sits in (organisation members only). */
  parentId?: string;
  iam: IamAccount;
}

export interface OrganizationRoot {
  /** r-<4–32 [0-9a-z]> */
  id: string;
  arn: string;
  name: string;
}

export interface OrganizationalUnit {
  /** ou-<root suffix>-<8 [a-z0-9]> */
  id: string;
  arn: string;
  name: string;
  /** The root or OU this OU sits in. */
  parentId: string;
}

export interface Organization {
  id: string;
  arn: string;
  featureSet: "ALL" | "CONSOLIDATED_BILLING";
  managementAccountId: string;
  root: OrganizationRoot;
  /** Every OU, keyed by id, parents before children. */
  units: KeyedList<OrganizationalUnit>;
  /** Parent id (root or OU) → its child OUs and accounts, in insertion order. */
  children: Map<string, { units: KeyedList<OrganizationalUnit>; accounts: KeyedList<Account> }>;
}

export interface IdentityStoreUser {
  id: string;
  userName: string;
  givenName: string;
  familyName: string;
  displayName: string;
  email?: string;
  status: "ENABLED" | "DISABLED";
  createdAt: number;
  /** Last UpdateUser (default: createdAt). */
  updatedAt?: number;
}

export interface IdentityStoreGroup {
  id: string;
  displayName: string;
  description?: string;
  createdAt: number;
}

export interface GroupMembership {
  id: string;
  groupId: string;
  userId: string;
  createdAt: number;
}

export interface IdentityStore {
  id: string;
  /** The `<10 hex>` prefix new resource ids get in this store ("" for plain UUIDs). */
  idPrefix: string;
  users: KeyedList<IdentityStoreUser>;
  /** Lower-cased user name → user (IAM Identity Center user names are case-insensitive). */
  usersByName: Map<string, IdentityStoreUser>;
  groups: KeyedList<IdentityStoreGroup>;
  groupsByName: Map<string, IdentityStoreGroup>;
  memberships: Map<string, GroupMembership>;
  /** Group id → memberships keyed by user id. */
  membershipsByGroup: Map<string, KeyedList<GroupMembership>>;
  /** User id → memberships keyed by group id. */
  membershipsByUser: Map<string, KeyedList<GroupMembership>>;
}

export interface PermissionSet {
  arn: string;
  name: string;
  description?: string;
  /** ISO-8601 duration, e.g. PT1H. */
  sessionDuration: string;
  relayState?: string;
  createdAt: number;
  /** AWS-managed policy ARNs. */
  managedPolicies: string[];
  /** Customer-managed policies by name and path, resolved in each account it is provisioned to. */
  customerManagedPolicies: CustomerManagedPolicyReference[];
  /** Inline policy JSON text. */
  inlinePolicy?: string;
  permissionsBoundary?: PermissionsBoundary;
}

export interface CustomerManagedPolicyReference {
  name: string;
  /** Starts and ends with "/" (default "/"). */
  path: string;
}

/** Exactly one of the two is set. */
export interface PermissionsBoundary {
  managedPolicyArn?: string;
  customerManagedPolicyReference?: CustomerManagedPolicyReference;
}

export interface AccountAssignment {
  accountId: string;
  permissionSetArn: string;
  principalType: PrincipalType;
  principalId: string;
}

export interface SsoInstance {
  arn: string;
  identityStoreId: string;
  ownerAccountId: string;
  name?: string;
  createdAt: number;
  permissionSets: KeyedList<PermissionSet>;
  /** Account id → provisioned permission-set ARNs. */
  provisionedByAccount: Map<string, KeyedList<string>>;
  /** Permission-set ARN → account ids it is provisioned to. */
  provisionedByPermissionSet: Map<string, KeyedList<string>>;
  /** `account|permissionSetArn` → assignments keyed by `TYPE:principalId`. */
  assignmentsByTarget: Map<string, KeyedList<AccountAssignment>>;
  /** `TYPE:principalId` → assignments keyed by `account|permissionSetArn`. */
  assignmentsByPrincipal: Map<string, KeyedList<AccountAssignment>>;
}

/** A fixed dummy access key bound to a principal; `userName` absent means the account root. */
export interface CredentialBinding {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  userName?: string;
  /** What the key is for, shown in docs and the CLI banner. */
  label: string;
}

export interface SimModel {
  region: string;
  organization?: Organization;
  /** Every account the simulator knows, organisation members first in insertion order. */
  accounts: KeyedList<Account>;
  /** The AWS-managed policies this simulator knows (built-in catalogue plus the organisation file's), keyed by ARN. */
  awsManagedPolicies: KeyedList<ManagedPolicy>;
  identityStore?: IdentityStore;
  ssoInstance?: SsoInstance;
  credentials: CredentialBinding[];
}
