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
  attachedPolicies: string[];
  inlinePolicies: InlinePolicy[];
}

export interface IamUser extends IamEntity {
  tags: Tag[];
  passwordLastUsed?: number;
  /** Keyed by group name. */
  groups: KeyedList<IamGroup>;
}

export interface IamGroup extends IamEntity {
  /** Keyed by user name. */
  members: KeyedList<IamUser>;
}

export interface IamRole extends IamEntity {
  description?: string;
  maxSessionDuration: number;
  /** Trust policy JSON text. */
  trustPolicy: string;
  tags: Tag[];
}

export interface ManagedPolicy {
  name: string;
  id: string;
  arn: string;
  path: string;
  description?: string;
  document: string;
  createdAt: number;
}

export interface IamAccount {
  accountId: string;
  /** AWS allows at most one alias per account. */
  alias?: string;
  users: KeyedList<IamUser>;
  groups: KeyedList<IamGroup>;
  roles: KeyedList<IamRole>;
  /** Customer-managed policies (AWS-managed ones are shared, see aws-managed-policies.ts). */
  policies: KeyedList<ManagedPolicy>;
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
  iam: IamAccount;
}

export interface Organization {
  id: string;
  arn: string;
  featureSet: "ALL" | "CONSOLIDATED_BILLING";
  managementAccountId: string;
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
  managedPolicies: string[];
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
  identityStore?: IdentityStore;
  ssoInstance?: SsoInstance;
  credentials: CredentialBinding[];
}
