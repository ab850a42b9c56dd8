/**
 * IAM user credential reads: access keys and their last use, console password (login profile),
 * MFA devices, signing certificates, SSH public keys and service-specific credentials. Where
 * UserName is optional, the calling IAM user is meant (root: its own, none here).
 */
import { SimError } from "../errors.js";
import { sequenceOf } from "../model/keyed-list.js";
import type { AccessKey, IamUser, MfaDevice } from "../model/types.js";
import { timestamp } from "../protocol/timestamp.js";
import { optionalString, requiredString } from "../validate.js";
import { credentialId, iamOf, targetUser, truncation, USER_NAME, userShape } from "./iam-support.js";
import { page, type Handler, type RequestContext } from "./service.js";

const ASSIGNMENT_STATUS = ["Assigned", "Unassigned", "Any"] as const;

export const accessKeyShape = (user: IamUser, k: AccessKey) => ({ UserName: user.name, AccessKeyId: k.id, Status: k.status, CreateDate: timestamp(k.createdAt) });
const mfaShape = (d: MfaDevice) => ({ UserName: d.user?.name, SerialNumber: d.serialNumber, EnableDate: d.enableDate === undefined ? undefined : timestamp(d.enableDate) });

/** The user in the caller's account that owns an access key. */
export function accessKeyOwner(ctx: RequestContext, keyId: string): { user: IamUser; key: AccessKey } | undefined {
  for (const user of iamOf(ctx).users) {
    const key = user.accessKeys.find((k) => k.id === keyId);
    if (key) return { user, key };
  }
  return undefined;
}

export const credentialReadOperations: Record<string, Handler> = {
  ListAccessKeys(ctx, input) {
    const user = targetUser(ctx, input);
    const result = page(ctx, sequenceOf(user?.accessKeys ?? []), input, user?.id ?? "root");
    return { AccessKeyMetadata: result.items.map((k) => accessKeyShape(user!, k)), ...truncation(result) };
  },
  GetAccessKeyLastUsed(ctx, input) {
    const keyId = requiredString(input, "AccessKeyId", credentialId(16));
    const found = accessKeyOwner(ctx, keyId);
    // The model lists no error for this operation; an unknown key answers as moto does.
    if (!found) throw SimError.coded("NoSuchEntity", `The Access Key with id ${keyId} cannot be found`);
    const used = found.key.lastUsed;
    return {
      UserName: found.user.name,
      // Never used: IAM answers N/A for service and region and no date.
      AccessKeyLastUsed: used ? { LastUsedDate: timestamp(used.date), ServiceName: used.service, Region: used.region } : { ServiceName: "N/A", Region: "N/A" },
    };
  },
  GetLoginProfile(ctx, input) {
    const user = targetUser(ctx, input, USER_NAME);
    if (!user?.loginProfile) throw SimError.coded("NoSuchEntity", `Login Profile for User ${user?.name ?? "root"} cannot be found.`);
    return { LoginProfile: { UserName: user.name, CreateDate: timestamp(user.loginProfile.createdAt), PasswordResetRequired: user.loginProfile.passwordResetRequired } };
  },
  ListMFADevices(ctx, input) {
    const user = targetUser(ctx, input);
    const result = page(ctx, sequenceOf(user?.mfaDevices ?? []), input, user?.id ?? "root");
    return { MFADevices: result.items.map(mfaShape), ...truncation(result) };
  },
  ListVirtualMFADevices(ctx, input) {
    const status = optionalString(input, "AssignmentStatus", { oneOf: ASSIGNMENT_STATUS }) ?? "Any";
    const devices = [...iamOf(ctx).mfaDevices].filter((d) => status === "Any" || (status === "Assigned") === (d.user !== undefined));
    const result = page(ctx, sequenceOf(devices), input, status);
    return {
      VirtualMFADevices: result.items.map((d) => ({
        SerialNumber: d.serialNumber,
        User: d.user ? userShape(d.user) : undefined,
        EnableDate: d.enableDate === undefined ? undefined : timestamp(d.enableDate),
      })),
      ...truncation(result),
    };
  },
  ListSigningCertificates(ctx, input) {
    const user = targetUser(ctx, input);
    const result = page(ctx, sequenceOf(user?.signingCertificates ?? []), input, user?.id ?? "root");
    return {
      Certificates: result.items.map((c) => ({ UserName: user!.name, CertificateId: c.id, CertificateBody: c.body, Status: c.status, UploadDate: timestamp(c.uploadDate) })),
      ...truncation(result),
    };
  },
  ListSSHPublicKeys(ctx, input) {
    const user = targetUser(ctx, input, USER_NAME);
    const result = page(ctx, sequenceOf(user?.sshPublicKeys ?? []), input, user?.id ?? "root");
    return { SSHPublicKeys: result.items.map((k) => ({ UserName: user!.name, SSHPublicKeyId: k.id, Status: k.status, UploadDate: timestamp(k.uploadDate) })), ...truncation(result) };
  },
  ListServiceSpecificCredentials(ctx, input) {
    const serviceName = optionalString(input, "ServiceName");
    // AllUsers (newer API) lists every user's credentials in the account.
    const users = String(input.AllUsers ?? "false") === "true" ? [...iamOf(ctx).users] : [targetUser(ctx, input, USER_NAME)].filter((u) => u !== undefined);
    const items = users.flatMap((user) => user.serviceSpecificCredentials.filter((c) => !serviceName || c.serviceName === serviceName).map((c) => ({ user, c })));
    const result = page(ctx, sequenceOf(items), input, `${users.length === 1 ? users[0]!.id : "all"}/${serviceName ?? ""}`);
    return {
      ServiceSpecificCredentials: result.items.map(({ user, c }) => ({
        UserName: user.name,
        Status: c.status,
        ServiceUserName: c.serviceUserName,
        CreateDate: timestamp(c.createdAt),
        ServiceSpecificCredentialId: c.id,
        ServiceName: c.serviceName,
      })),
      ...truncation(result),
    };
  },
};
