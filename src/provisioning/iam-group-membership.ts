import {
  AddUserToGroupCommand,
  paginateListGroupsForUser,
  RemoveUserFromGroupCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import type { AwsClients } from "../aws/clients.js";
import { isNotFound } from "../aws/errors.js";
import type { Provisioner } from "../connector/resource-syncer.js";
import type { Logger } from "../log.js";
import { ResourceTypeIds } from "../resources/ids.js";
import { iamMembershipGrant } from "./grants.js";
import { requestIds } from "./request-ids.js";
import { iamMembershipTarget, type IamMembershipTarget } from "./targets.js";

/**
 * IAM group membership (`group:<groupArn>:member` → `iam_user`), in the group's own account: the
 * connector's account directly, a member account through its member-account role.
 *
 * AddUserToGroup succeeds silently when the user is already a member, so membership is read first
 * (ListGroupsForUser: one page in practice, a user belongs to at most 10 groups) to tell "granted"
 * from "already there". IAM writes are synchronous: their success is AWS's confirmation.
 */
export function createIamGroupMembershipProvisioner(deps: { aws: AwsClients; log: Logger }): Provisioner {
  const { aws, log } = deps;

  /** Whether the user is in the group; undefined when the user does not exist. */
  async function membership(iam: IAMClient, target: IamMembershipTarget, signal: AbortSignal) {
    const seen: Array<string | undefined> = [];
    try {
      for await (const page of paginateListGroupsForUser({ client: iam }, { UserName: target.userName }, { abortSignal: signal })) {
        seen.push(page.$metadata?.requestId);
        // IAM names are unique case-insensitively; comparing names tolerates a stale group path in the ARN.
        if (page.Groups?.some((g) => g.GroupName?.toLowerCase() === target.groupName.toLowerCase())) {
          return { member: true as boolean | undefined, requestIds: requestIds(...seen) };
        }
      }
      return { member: false as boolean | undefined, requestIds: requestIds(...seen) };
    } catch (error) {
      if (isNotFound(error)) return { member: undefined, requestIds: requestIds(...seen) };
      throw error;
    }
  }

  return {
    resourceTypeId: ResourceTypeIds.iamGroup,

    async grant(principal, entitlement, ctx) {
      const target = iamMembershipTarget(entitlement, principal);
      const iam = await aws.iam(target.accountId);
      const grant = iamMembershipGrant(entitlement, principal, target);
      const before = await membership(iam, target, ctx.signal);
      if (before.member) return { alreadyExists: true, grants: [grant], awsRequestIds: before.requestIds };
      // A missing user surfaces as AddUserToGroup's NoSuchEntity (NotFound), naming the user.
      const out = await iam.send(new AddUserToGroupCommand({ GroupName: target.groupName, UserName: target.userName }), {
        abortSignal: ctx.signal,
      });
      log.info({ group: target.groupArn, user: target.userArn, requestId: out.$metadata?.requestId }, "added IAM user to group");
      return { alreadyExists: false, grants: [grant], awsRequestIds: requestIds(out.$metadata?.requestId) };
    },

    async revoke(grant, ctx) {
      const target = iamMembershipTarget(grant.entitlement!, grant.principal!);
      const iam = await aws.iam(target.accountId);
      const before = await membership(iam, target, ctx.signal);
      if (!before.member) return { alreadyRevoked: true, awsRequestIds: before.requestIds };
      try {
        const out = await iam.send(new RemoveUserFromGroupCommand({ GroupName: target.groupName, UserName: target.userName }), {
          abortSignal: ctx.signal,
        });
        log.info({ group: target.groupArn, user: target.userArn, requestId: out.$metadata?.requestId }, "removed IAM user from group");
        return { alreadyRevoked: false, awsRequestIds: requestIds(out.$metadata?.requestId) };
      } catch (error) {
        // Removed by someone else between our read and our write.
        if (isNotFound(error)) return { alreadyRevoked: true, awsRequestIds: before.requestIds };
        throw error;
      }
    },
  };
}
