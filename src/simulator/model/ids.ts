/** Identifier and ARN formats as AWS writes them (aws-behaviour.md §8). */
import type { Prng } from "../generate/prng.js";

const IAM_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export type IamIdPrefix = "AIDA" | "AGPA" | "AROA" | "ANPA" | "AKIA" | "APKA" | "ACCA";

/**
 * IAM unique ids: AIDA (user), AGPA (group), AROA (role), ANPA (policy), 21 characters; access
 * keys AKIA and SSH public keys APKA, 20 characters; service-specific credentials ACCA, 21.
 */
export function iamId(prng: Prng, prefix: IamIdPrefix): string {
  return prefix + prng.chars(IAM_ID_ALPHABET, prefix === "AKIA" || prefix === "APKA" ? 16 : 17);
}

/** Signing-certificate ids are 32 upper-case alphanumerics. */
export const certificateId = (prng: Prng) => prng.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 32);

export const mfaSerial = (account: string, name: string) => `arn:aws:iam::${account}:mfa/${name}`;

/** User names of service-specific credentials: `<user>-at-<account>`, `<user>+1-at-<account>` for a second one. */
export const serviceUserName = (userName: string, account: string, index = 0) => `${userName}${index ? `+${index}` : ""}-at-${account}`;

export function accountId(prng: Prng): string {
  return String(prng.between(1, 9)) + prng.chars("0123456789", 11);
}

export const iamArn = (account: string, kind: "user" | "group" | "role" | "policy", path: string, name: string) =>
  `arn:aws:iam::${account}:${kind}${path}${name}`;

export const accountRootArn = (account: string) => `arn:aws:iam::${account}:root`;

export const assumedRoleArn = (account: string, roleName: string, sessionName: string) =>
  `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`;

export const organizationId = (prng: Prng) => `o-${prng.chars("abcdefghijklmnopqrstuvwxyz0123456789", 10)}`;
export const organizationArn = (management: string, orgId: string) =>
  `arn:aws:organizations::${management}:organization/${orgId}`;
export const organizationAccountArn = (management: string, orgId: string, account: string) =>
  `arn:aws:organizations::${management}:account/${orgId}/${account}`;
const ORG_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
export const rootId = (prng: Prng) => `r-${prng.chars(ORG_ALPHABET, 4)}`;
/** OU ids embed the root's suffix: `ou-<root suffix>-<8 [a-z0-9]>`. */
export const organizationalUnitId = (prng: Prng, root: string) => `ou-${root.slice(2)}-${prng.chars(ORG_ALPHABET, 8)}`;
export const rootArn = (management: string, orgId: string, root: string) => `arn:aws:organizations::${management}:root/${orgId}/${root}`;
export const organizationalUnitArn = (management: string, orgId: string, ou: string) => `arn:aws:organizations::${management}:ou/${orgId}/${ou}`;

export const identityStoreId = (prng: Prng) => `d-${prng.hex(10)}`;
export const ssoInstanceId = (prng: Prng) => `ssoins-${prng.hex(16)}`;
export const instanceArn = (instanceId: string) => `arn:aws:sso:::instance/${instanceId}`;
export const permissionSetId = (prng: Prng) => `ps-${prng.hex(16)}`;
export const permissionSetArn = (instanceId: string, psId: string) => `arn:aws:sso:::permissionSet/${instanceId}/${psId}`;

/** Identity Store user/group/membership id: `<10 hex>-<uuid>` or a plain UUID. */
export function identityStoreResourceId(prng: Prng, prefix: string): string {
  return prefix ? `${prefix}-${prng.uuid()}` : prng.uuid();
}

export const ACCOUNT_ID = /^\d{12}$/;
export const ROOT_ID = /^r-[0-9a-z]{4,32}$/;
export const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
export const IDENTITY_STORE_ID = /^(d-[0-9a-f]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
export const RESOURCE_ID = /^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$/;
export const INSTANCE_ARN = /^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::instance\/(sso)?ins-[a-zA-Z0-9-.]{16}$/;
export const PERMISSION_SET_ARN =
  /^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::permissionSet\/(sso)?ins-[a-zA-Z0-9-.]{16}\/ps-[a-zA-Z0-9-./]{16}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const IAM_NAME = /^[\w+=,.@-]+$/;
