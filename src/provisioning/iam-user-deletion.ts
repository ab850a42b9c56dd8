import {
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteSigningCertificateCommand,
  DeleteSSHPublicKeyCommand,
  DeleteUserCommand,
  DeleteVirtualMFADeviceCommand,
  GetUserCommand,
  ListServiceSpecificCredentialsCommand,
  paginateListAccessKeys,
  paginateListGroupsForUser,
  paginateListMFADevices,
  paginateListSigningCertificates,
  paginateListSSHPublicKeys,
  RemoveUserFromGroupCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { Code } from "@connectrpc/connect";
import { awsErrorKind, isNotFound } from "../aws/errors.js";
import type { Logger } from "../log.js";
import { provisioningError } from "./errors.js";
import { attachedPolicies, deleteInlinePolicy, detachPolicy, inlinePolicies } from "./iam-policies.js";
import { requestIds } from "./request-ids.js";
import type { IamHolder } from "./targets.js";
import { systemClock } from "./wait-for-assignment.js";

/**
 * Deleting an IAM user: AWS refuses DeleteUser (DeleteConflict) while the user still has a console
 * password, access keys, signing certificates, SSH keys, service-specific credentials, MFA devices,
 * inline or attached policies, or group memberships. Each is listed to its last page and removed,
 * then the user is deleted and its absence read back.
 *
 * Every step asks AWS what is left instead of remembering what it did, so a deletion cut short (the
 * process killed half-way) simply runs again: what was removed is not listed any more. Something
 * that disappears under us (NoSuchEntity) is already what we wanted; the user itself vanishing
 * half-way means someone else finished the job.
 */
export interface UserDeletion {
  /** The user did not exist when asked: nothing was deleted. */
  alreadyGone: boolean;
  awsRequestIds: string[];
  /** What was removed before DeleteUser, by kind (for the log). */
  removed: Record<string, number>;
}

/** Rounds of clean-up + DeleteUser when something is added to the user while we work. */
const MAX_ROUNDS = 3;

export async function deleteIamUser(iam: IAMClient, user: IamHolder, signal: AbortSignal, log: Logger): Promise<UserDeletion> {
  const ids: Array<string | undefined> = [];
  const removed: Record<string, number> = {};
  const options = { abortSignal: signal };
  const UserName = user.name;

  try {
    ids.push((await iam.send(new GetUserCommand({ UserName }), options)).$metadata?.requestId);
  } catch (error) {
    if (isNotFound(error)) return { alreadyGone: true, awsRequestIds: requestIds(awsId(error)), removed };
    throw error;
  }

  /** Runs one removal; a NoSuchEntity (already removed) counts as done. */
  async function remove(kind: string, write: () => Promise<{ $metadata?: { requestId?: string } }>): Promise<void> {
    try {
      ids.push((await write()).$metadata?.requestId);
      removed[kind] = (removed[kind] ?? 0) + 1;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async function cleanUp(): Promise<void> {
    await remove("login profile", () => iam.send(new DeleteLoginProfileCommand({ UserName }), options));

    for await (const page of paginateListAccessKeys({ client: iam }, { UserName }, options)) {
      ids.push(page.$metadata?.requestId);
      for (const key of page.AccessKeyMetadata ?? []) {
        await remove("access keys", () => iam.send(new DeleteAccessKeyCommand({ UserName, AccessKeyId: key.AccessKeyId }), options));
      }
    }
    for await (const page of paginateListSigningCertificates({ client: iam }, { UserName }, options)) {
      ids.push(page.$metadata?.requestId);
      for (const cert of page.Certificates ?? []) {
        await remove("signing certificates", () => iam.send(new DeleteSigningCertificateCommand({ UserName, CertificateId: cert.CertificateId }), options));
      }
    }
    for await (const page of paginateListSSHPublicKeys({ client: iam }, { UserName }, options)) {
      ids.push(page.$metadata?.requestId);
      for (const key of page.SSHPublicKeys ?? []) {
        await remove("SSH public keys", () => iam.send(new DeleteSSHPublicKeyCommand({ UserName, SSHPublicKeyId: key.SSHPublicKeyId }), options));
      }
    }
    // ListServiceSpecificCredentials has no pagination in IAM's API: one answer holds them all.
    const service = await iam.send(new ListServiceSpecificCredentialsCommand({ UserName }), options);
    ids.push(service.$metadata?.requestId);
    for (const credential of service.ServiceSpecificCredentials ?? []) {
      await remove("service-specific credentials", () =>
        iam.send(new DeleteServiceSpecificCredentialCommand({ UserName, ServiceSpecificCredentialId: credential.ServiceSpecificCredentialId }), options),
      );
    }
    for await (const page of paginateListMFADevices({ client: iam }, { UserName }, options)) {
      ids.push(page.$metadata?.requestId);
      for (const device of page.MFADevices ?? []) {
        const SerialNumber = device.SerialNumber;
        await remove("MFA devices", () => iam.send(new DeactivateMFADeviceCommand({ UserName, SerialNumber }), options));
        // A virtual device (its serial is an ARN) would stay behind in the account, unassigned.
        if (SerialNumber?.startsWith("arn:")) await remove("virtual MFA devices", () => iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber }), options));
      }
    }

    const inline = await inlinePolicies(iam, user, signal);
    ids.push(...inline.requestIds);
    for (const name of inline.names ?? []) await remove("inline policies", () => deleteInlinePolicy(iam, user, name, signal));

    const attached = await attachedPolicies(iam, user, signal);
    ids.push(...attached.requestIds);
    for (const arn of attached.policies ?? []) await remove("attached policies", () => detachPolicy(iam, user, arn, signal));

    for await (const page of paginateListGroupsForUser({ client: iam }, { UserName }, options)) {
      ids.push(page.$metadata?.requestId);
      for (const group of page.Groups ?? []) {
        await remove("group memberships", () => iam.send(new RemoveUserFromGroupCommand({ UserName, GroupName: group.GroupName }), options));
      }
    }
  }

  for (let round = 1; ; round++) {
    try {
      await cleanUp();
      ids.push((await iam.send(new DeleteUserCommand({ UserName }), options)).$metadata?.requestId);
      break;
    } catch (error) {
      // Deleted by someone else meanwhile: the job is done.
      if (isNotFound(error)) break;
      // Something was added while we cleaned up: look again.
      if (deleteConflict(error) && round < MAX_ROUNDS) {
        log.info({ user: user.arn, round }, "IAM user gained an attachment during deletion; cleaning up again");
        continue;
      }
      throw error;
    }
  }

  await confirmGone(iam, user, signal, ids);
  log.info({ user: user.arn, removed }, "deleted IAM user");
  return { alreadyGone: false, awsRequestIds: requestIds(...ids), removed };
}

/** IAM is eventually consistent: reads back until GetUser says NoSuchEntity (100 ms, doubling, 6 reads). */
async function confirmGone(iam: IAMClient, user: IamHolder, signal: AbortSignal, ids: Array<string | undefined>): Promise<void> {
  let waitMs = 100;
  for (let attempt = 1; attempt <= 6; attempt++) {
    try {
      await iam.send(new GetUserCommand({ UserName: user.name }), { abortSignal: signal });
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    await systemClock.sleep(waitMs, signal);
    waitMs *= 2;
  }
  throw provisioningError(`IAM accepted the deletion of ${user.arn} but still shows the user; repeat the request to check again`, Code.Unavailable, requestIds(...ids));
}

const deleteConflict = (error: unknown): boolean => awsErrorKind(error) === "conflict";

function awsId(error: unknown): string | undefined {
  return (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
}
