import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  DeleteGroupPolicyCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  paginateListAttachedGroupPolicies,
  paginateListAttachedRolePolicies,
  paginateListAttachedUserPolicies,
  paginateListGroupPolicies,
  paginateListRolePolicies,
  paginateListUserPolicies,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { Code, ConnectError } from "@connectrpc/connect";
import type { AwsClients } from "../aws/clients.js";
import { awsErrorKind, isNotFound } from "../aws/errors.js";
import { describeAwsError } from "../connector/errors.js";
import type { Provisioner } from "../connector/resource-syncer.js";
import type { Logger } from "../log.js";
import { newGrant } from "../resources/baton-shapes.js";
import { policyGrantExpansion } from "../resources/iam-policy.js";
import { ResourceTypeIds } from "../resources/ids.js";
import { provisioningError } from "./errors.js";
import { requestIds } from "./request-ids.js";
import { systemClock } from "./wait-for-assignment.js";
import { inlinePolicyTarget, policyAttachmentTarget, type IamHolder } from "./targets.js";

/**
 * IAM policies held by users, groups and roles, changed in the holder's own account (member
 * accounts through their member-account role, as IAM groups are):
 *
 *  - `iam_policy:<policyArn>:attached`: Grant attaches the managed policy, Revoke detaches it.
 *  - `inline_policy:<ownerArn>::inline::<name>:attached`: Revoke deletes the inline policy; Grant
 *    is refused (an inline policy's document is not something a grant can recreate).
 *
 * IAM answers these writes with nothing to confirm and succeeds silently for an attachment that
 * already exists, so each one reads the holder's policies first ("already there/gone" are answers,
 * not guesses) and reads them again afterwards: success is reported only once IAM shows the change.
 */
export function createIamPolicyProvisioners(deps: { aws: AwsClients; log: Logger; confirmAttempts?: number }): Provisioner[] {
  const { aws, log } = deps;
  const confirmAttempts = deps.confirmAttempts ?? 6;

  /**
   * Reads until `done(current)` holds: IAM is eventually consistent, so a change just made may
   * take a moment to show. Waits 100 ms, doubling, between reads.
   */
  async function readBack<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, signal: AbortSignal, ids: string[]): Promise<void> {
    let waitMs = 100;
    for (let attempt = 1; ; attempt++) {
      if (done(await read())) return;
      if (attempt >= confirmAttempts) {
        throw provisioningError(`IAM accepted the change but does not show it yet (${what}); repeat the request to check again`, Code.Unavailable, ids);
      }
      await systemClock.sleep(waitMs, signal);
      waitMs *= 2;
    }
  }

  const managed: Provisioner = {
    resourceTypeId: ResourceTypeIds.iamPolicy,

    async grant(principal, entitlement, ctx) {
      const target = policyAttachmentTarget(entitlement, principal);
      const { holder, policyArn } = target;
      const iam = await aws.iam(holder.accountId);
      const grant = newGrant({ entitlement, principal: { resourceType: holder.typeId, resource: holder.arn }, annotations: policyGrantExpansion(holder.typeId, holder.arn) });
      const before = await attachedPolicies(iam, holder, ctx.signal);
      if (!before.policies) throw unknownHolder(holder);
      if (before.policies.has(policyArn)) return { alreadyExists: true, grants: [grant], awsRequestIds: before.requestIds };
      let requestId: string | undefined;
      try {
        requestId = (await attachPolicy(iam, holder, policyArn, ctx.signal)).$metadata?.requestId;
      } catch (error) {
        throw explainPolicyWriteError(error, holder, policyArn);
      }
      const ids = requestIds(requestId);
      await readBack(() => attachedPolicies(iam, holder, ctx.signal), (now) => now.policies?.has(policyArn) === true, `${policyArn} on ${holder.arn}`, ctx.signal, ids);
      log.info({ policy: policyArn, holder: holder.arn, requestId }, "attached managed policy");
      return { alreadyExists: false, grants: [grant], awsRequestIds: ids };
    },

    async revoke(grant, ctx) {
      const { holder, policyArn } = policyAttachmentTarget(grant.entitlement!, grant.principal!);
      const iam = await aws.iam(holder.accountId);
      const before = await attachedPolicies(iam, holder, ctx.signal);
      // A holder that no longer exists holds nothing.
      if (!before.policies?.has(policyArn)) return { alreadyRevoked: true, awsRequestIds: before.requestIds };
      let requestId: string | undefined;
      try {
        requestId = (await detachPolicy(iam, holder, policyArn, ctx.signal)).$metadata?.requestId;
      } catch (error) {
        // Detached (or the holder deleted) by someone else between our read and our write.
        if (isNotFound(error)) return { alreadyRevoked: true, awsRequestIds: before.requestIds };
        throw error;
      }
      const ids = requestIds(requestId);
      await readBack(() => attachedPolicies(iam, holder, ctx.signal), (now) => !now.policies?.has(policyArn), `${policyArn} off ${holder.arn}`, ctx.signal, ids);
      log.info({ policy: policyArn, holder: holder.arn, requestId }, "detached managed policy");
      return { alreadyRevoked: false, awsRequestIds: ids };
    },
  };

  const inline: Provisioner = {
    resourceTypeId: ResourceTypeIds.inlinePolicy,

    async grant(principal, entitlement) {
      // Checked first, so a permission set's inline policy gets its own answer.
      inlinePolicyTarget(entitlement, principal);
      throw new ConnectError(
        `inline policy grants are not supported: an inline policy exists only as its owner's own document, which a grant cannot recreate once deleted; attach a managed policy (iam_policy …:attached) instead`,
        Code.Unimplemented,
      );
    },

    async revoke(grant, ctx) {
      const { holder, policyName } = inlinePolicyTarget(grant.entitlement!, grant.principal!);
      const iam = await aws.iam(holder.accountId);
      const before = await inlinePolicies(iam, holder, ctx.signal);
      if (!before.names?.has(policyName)) return { alreadyRevoked: true, awsRequestIds: before.requestIds };
      let requestId: string | undefined;
      try {
        requestId = (await deleteInlinePolicy(iam, holder, policyName, ctx.signal)).$metadata?.requestId;
      } catch (error) {
        if (isNotFound(error)) return { alreadyRevoked: true, awsRequestIds: before.requestIds };
        throw error;
      }
      const ids = requestIds(requestId);
      await readBack(() => inlinePolicies(iam, holder, ctx.signal), (now) => !now.names?.has(policyName), `inline policy ${policyName} off ${holder.arn}`, ctx.signal, ids);
      log.info({ policy: policyName, holder: holder.arn, requestId }, "deleted inline policy");
      return { alreadyRevoked: false, awsRequestIds: ids };
    },
  };

  return [managed, inline];
}

/** The ARNs of the holder's managed policies, every page; `policies` undefined when the holder does not exist. */
export async function attachedPolicies(iam: IAMClient, holder: IamHolder, signal: AbortSignal): Promise<{ policies?: Set<string>; requestIds: string[] }> {
  const seen: Array<string | undefined> = [];
  const policies = new Set<string>();
  const config = { client: iam };
  const pages =
    holder.kind === "user"
      ? paginateListAttachedUserPolicies(config, { UserName: holder.name }, { abortSignal: signal })
      : holder.kind === "group"
        ? paginateListAttachedGroupPolicies(config, { GroupName: holder.name }, { abortSignal: signal })
        : paginateListAttachedRolePolicies(config, { RoleName: holder.name }, { abortSignal: signal });
  try {
    for await (const page of pages) {
      seen.push(page.$metadata?.requestId);
      for (const p of page.AttachedPolicies ?? []) if (p.PolicyArn) policies.add(p.PolicyArn);
    }
  } catch (error) {
    if (isNotFound(error)) return { requestIds: requestIds(...seen) };
    throw error;
  }
  return { policies, requestIds: requestIds(...seen) };
}

/** The names of the holder's inline policies, every page; `names` undefined when the holder does not exist. */
export async function inlinePolicies(iam: IAMClient, holder: IamHolder, signal: AbortSignal): Promise<{ names?: Set<string>; requestIds: string[] }> {
  const seen: Array<string | undefined> = [];
  const names = new Set<string>();
  const config = { client: iam };
  const pages =
    holder.kind === "user"
      ? paginateListUserPolicies(config, { UserName: holder.name }, { abortSignal: signal })
      : holder.kind === "group"
        ? paginateListGroupPolicies(config, { GroupName: holder.name }, { abortSignal: signal })
        : paginateListRolePolicies(config, { RoleName: holder.name }, { abortSignal: signal });
  try {
    for await (const page of pages) {
      seen.push(page.$metadata?.requestId);
      for (const name of page.PolicyNames ?? []) names.add(name);
    }
  } catch (error) {
    if (isNotFound(error)) return { requestIds: requestIds(...seen) };
    throw error;
  }
  return { names, requestIds: requestIds(...seen) };
}

type IamWrite = Promise<{ $metadata?: { requestId?: string } }>;

export function detachPolicy(iam: IAMClient, holder: IamHolder, policyArn: string, signal: AbortSignal): IamWrite {
  const options = { abortSignal: signal };
  if (holder.kind === "user") return iam.send(new DetachUserPolicyCommand({ UserName: holder.name, PolicyArn: policyArn }), options);
  if (holder.kind === "group") return iam.send(new DetachGroupPolicyCommand({ GroupName: holder.name, PolicyArn: policyArn }), options);
  return iam.send(new DetachRolePolicyCommand({ RoleName: holder.name, PolicyArn: policyArn }), options);
}

export function deleteInlinePolicy(iam: IAMClient, holder: IamHolder, policyName: string, signal: AbortSignal): IamWrite {
  const options = { abortSignal: signal };
  if (holder.kind === "user") return iam.send(new DeleteUserPolicyCommand({ UserName: holder.name, PolicyName: policyName }), options);
  if (holder.kind === "group") return iam.send(new DeleteGroupPolicyCommand({ GroupName: holder.name, PolicyName: policyName }), options);
  return iam.send(new DeleteRolePolicyCommand({ RoleName: holder.name, PolicyName: policyName }), options);
}

function attachPolicy(iam: IAMClient, holder: IamHolder, policyArn: string, signal: AbortSignal): IamWrite {
  const options = { abortSignal: signal };
  if (holder.kind === "user") return iam.send(new AttachUserPolicyCommand({ UserName: holder.name, PolicyArn: policyArn }), options);
  if (holder.kind === "group") return iam.send(new AttachGroupPolicyCommand({ GroupName: holder.name, PolicyArn: policyArn }), options);
  return iam.send(new AttachRolePolicyCommand({ RoleName: holder.name, PolicyArn: policyArn }), options);
}

function unknownHolder(holder: IamHolder): ConnectError {
  return new ConnectError(`IAM ${holder.kind} ${holder.arn} does not exist in account ${holder.accountId}`, Code.NotFound);
}

/** The attach failures a caller can act on, said plainly; anything else keeps the usual mapping. */
function explainPolicyWriteError(error: unknown, holder: IamHolder, policyArn: string): unknown {
  const kind = awsErrorKind(error);
  if (kind === "quota-exceeded") {
    return provisioningError(
      `IAM ${holder.kind} ${holder.arn} already has as many managed policies as IAM allows (10 by default, an adjustable quota): detach one first or raise the quota. ${describeAwsError(error)}`,
      Code.ResourceExhausted,
      requestIds((error as { $metadata?: { requestId?: string } }).$metadata?.requestId),
      error,
    );
  }
  if (kind === "not-found") {
    return provisioningError(`cannot attach ${policyArn} to ${holder.arn}: ${describeAwsError(error)}`, Code.NotFound, [], error);
  }
  return error;
}
