import {
  CreateGroupMembershipCommand,
  DeleteGroupMembershipCommand,
  GetGroupMembershipIdCommand,
  type IdentitystoreClient,
} from "@aws-sdk/client-identitystore";
import pRetry, { AbortError } from "p-retry";
import type { AwsClients } from "../aws/clients.js";
import { isConflict, isNotFound } from "../aws/errors.js";
import type { Provisioner } from "../connector/resource-syncer.js";
import type { Logger } from "../log.js";
import { ResourceTypeIds } from "../resources/ids.js";
import { ssoMembershipGrant } from "./grants.js";
import { requestIds } from "./request-ids.js";
import { ssoMembershipTarget, type SsoMembershipTarget } from "./targets.js";

/**
 * Identity Store group membership (`sso_group:<groupArn>:member` → `sso_user`).
 *
 * Grant creates first: CreateGroupMembership rejects a duplicate with ConflictException, and the
 * existing membership is then looked up and returned (its MembershipId is the grant id, as synced).
 * A ConflictException can also mean a concurrent modification; then no membership exists yet and
 * the create is retried with backoff.
 *
 * Revoke looks the membership up by (group, user) rather than trusting the grant id: a stale or
 * foreign MembershipId must never delete someone else's membership, and "already gone" must be
 * told apart from "deleted".
 */
export function createSsoGroupMembershipProvisioner(deps: { aws: AwsClients; log: Logger }): Provisioner {
  const { aws, log } = deps;

  async function findMembership(store: IdentitystoreClient, target: SsoMembershipTarget, signal: AbortSignal) {
    try {
      const out = await store.send(
        new GetGroupMembershipIdCommand({
          IdentityStoreId: target.identityStoreId,
          GroupId: target.groupId,
          MemberId: { UserId: target.userId },
        }),
        { abortSignal: signal },
      );
      return { membershipId: out.MembershipId, requestId: out.$metadata?.requestId };
    } catch (error) {
      if (isNotFound(error)) return { membershipId: undefined, requestId: undefined };
      throw error;
    }
  }

  return {
    resourceTypeId: ResourceTypeIds.ssoGroup,

    async grant(principal, entitlement, ctx) {
      const target = ssoMembershipTarget(entitlement, principal);
      const store = aws.identityStore();
      return pRetry(
        async () => {
          try {
            const out = await store.send(
              new CreateGroupMembershipCommand({
                IdentityStoreId: target.identityStoreId,
                GroupId: target.groupId,
                MemberId: { UserId: target.userId },
              }),
              { abortSignal: ctx.signal },
            );
            const membershipId = required(out.MembershipId, "CreateGroupMembership returned no MembershipId");
            log.info({ group: target.groupArn, user: target.userArn, membershipId }, "created Identity Store group membership");
            return {
              alreadyExists: false,
              grants: [ssoMembershipGrant(entitlement, principal, target, membershipId)],
              awsRequestIds: requestIds(out.$metadata?.requestId),
            };
          } catch (error) {
            if (!isConflict(error)) throw new AbortError(error as Error);
            const existing = await findMembership(store, target, ctx.signal);
            if (existing.membershipId === undefined) throw error; // concurrent modification: retry the create
            return {
              alreadyExists: true,
              grants: [ssoMembershipGrant(entitlement, principal, target, existing.membershipId)],
              awsRequestIds: requestIds(existing.requestId),
            };
          }
        },
        { retries: 4, minTimeout: 250, factor: 2, randomize: true, signal: ctx.signal },
      );
    },

    async revoke(grant, ctx) {
      const target = ssoMembershipTarget(grant.entitlement!, grant.principal!);
      const store = aws.identityStore();
      return pRetry(
        async () => {
          const existing = await findMembership(store, target, ctx.signal);
          if (existing.membershipId === undefined) return { alreadyRevoked: true, awsRequestIds: requestIds(existing.requestId) };
          try {
            const out = await store.send(
              new DeleteGroupMembershipCommand({ IdentityStoreId: target.identityStoreId, MembershipId: existing.membershipId }),
              { abortSignal: ctx.signal },
            );
            log.info({ group: target.groupArn, user: target.userArn, membershipId: existing.membershipId }, "deleted Identity Store group membership");
            return { alreadyRevoked: false, awsRequestIds: requestIds(out.$metadata?.requestId) };
          } catch (error) {
            if (isNotFound(error)) return { alreadyRevoked: true, awsRequestIds: requestIds(existing.requestId) };
            if (isConflict(error)) throw error; // concurrent modification: look again, then retry
            throw new AbortError(error as Error);
          }
        },
        { retries: 4, minTimeout: 250, factor: 2, randomize: true, signal: ctx.signal },
      );
    },
  };
}

function required<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new Error(message);
  return value;
}
