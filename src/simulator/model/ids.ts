/** Identifier and ARN formats as AWS writes them (aws-behaviour.md §8). */
import type { Prng } from "../generate/prng.js";

const IAM_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export type IamIdPrefix = "AIDA" | "AGPA" | "AROA" | "ANPA";

/** 21-character IAM unique id: AIDA (user), AGPA (group), AROA (role), ANPA (policy). */
export function iamId(prng: Prng, prefix: IamIdPrefix): string {
  return prefix + prng.chars(IAM_ID_ALPHABET, 17);
}

export function accountId(prng: Prng): string {
  return String(prng.between(1, 9)) + prng.chars("0123456789", 11);
}

export const iamArn = (account: string, kind: "user" | "group" | "role" | "policy", path: string, name: string) =>
  `arn:aws:iam::${account}:${kind}${path}${name}`;

export const rootArn = (account: string) => `arn:aws:iam::${account}:root`;

export const assumedRoleArn = (account: string, roleName: string, sessionName: string) =>
  `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`;

export const organizationId = (prng: Prng) => `o-${prng.chars("abcdefghijklmnopqrstuvwxyz0123456789", 10)}`;
export const organizationArn = (management: string, orgId: string) =>
  `arn:aws:organizations::${management}:organization/${orgId}`;
export const organizationAccountArn = (management: string, orgId: string, account: string) =>
  `arn:aws:organizations::${management}:account/${orgId}/${account}`;

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
export const IDENTITY_STORE_ID = /^(d-[0-9a-f]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
export const RESOURCE_ID = /^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$/;
export const INSTANCE_ARN = /^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::instance\/(sso)?ins-[a-zA-Z0-9-.]{16}$/;
export const PERMISSION_SET_ARN =
  /^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::permissionSet\/(sso)?ins-[a-zA-Z0-9-.]{16}\/ps-[a-zA-Z0-9-./]{16}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const IAM_NAME = /^[\w+=,.@-]+$/;
