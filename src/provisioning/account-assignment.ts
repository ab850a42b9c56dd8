import type { AccountAssignmentOperationStatus } from "@aws-sdk/client-sso-admin";
import { Code } from "@connectrpc/connect";
import pRetry, { AbortError } from "p-retry";
import type { AwsClients } from "../aws/clients.js";
import { awsErrorKind, isNotFound, retryAfterSeconds } from "../aws/errors.js";
import type { ConnectorConfig } from "../config/config.js";
import { toConnectError } from "../connector/errors.js";
import type { Provisioner } from "../connector/resource-syncer.js";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import type { Logger } from "../log.js";
import { ResourceTypeIds } from "../resources/ids.js";
import { createAccountStatusCheck } from "./account-status.js";
import { createAssignmentCalls, type AssignmentKind as Kind } from "./assignment-calls.js";
import { AssignmentQueue, CallerStoppedWaiting, OperationDropped, type OperationHandle, type Slot } from "./assignment-queue.js";
import { provisioningError } from "./errors.js";
import { assignmentGrant } from "./grants.js";
import { identityCenterInstanceResolver, type IdentityCenterInstance } from "./identity-center.js";
import { CompletionEstimator } from "./poll-schedule.js";
import { requestIds } from "./request-ids.js";
import { assignmentTarget, bindingAssignmentTarget, invalidArgument, type AssignmentTarget } from "./targets.js";
import { OperationUnconfirmedError, systemClock, waitForAssignment, type Clock } from "./wait-for-assignment.js";

interface OperationResult {
  /** False when AWS already was in the requested state; nothing was written. */
  changed: boolean;
  awsRequestIds: string[];
}

/** Where the learned outstanding-operation window is remembered (pacing-memory.ts; one instance per connector). */
const ASSIGNMENT_WINDOW_KEY = "sso:account-assignments";

/** How long an operation keeps polling after its callers' deadline, so its slot is freed only when AWS is done. */
const BACKGROUND_GRACE_MS = 10 * 60_000;

export interface AccountAssignmentDeps {
  aws: AwsClients;
  config: ConnectorConfig;
  log: Logger;
  /** Aborted when the connector shuts down; operations run under it, not under any one caller. */
  shutdown: AbortSignal;
  clock?: Clock;
}

/**
 * Permission-set assignments, granted to `sso_user`/`sso_group` through either entitlement shape:
 * the flat `<accountId>|<permissionSetArn>` on `account`, or the scope binding's `assigned` on
 * `permission_set_assignment`. One engine serves both (one queue, one coalescing, one ledger key):
 * a grant through one shape and a concurrent grant of the same assignment through the other share
 * a single AWS operation, and a revoke through either removes the one assignment.
 *
 * Each request reads the pair's assignments first (so "already there" / "already gone" are answers,
 * not guesses), refuses inactive accounts, then writes through the per-instance queue and answers
 * only once AWS reports the operation SUCCEEDED. ConflictException (an operation on the same
 * assignment still propagating) and throttling are retried with backoff until the deadline,
 * re-reading the assignments before each retry.
 */
export function createAccountAssignmentProvisioners(deps: AccountAssignmentDeps): { provisioners: Provisioner[]; readonly queue: AssignmentQueue } {
  const { aws, config, log, shutdown } = deps;
  const clock = deps.clock ?? systemClock;
  const instance = identityCenterInstanceResolver(aws, config, log);
  const accountStatus = createAccountStatusCheck({ aws, log, enabled: config.features.organizations });
  const memory = aws.limiter.memory;
  const queue = new AssignmentQueue(config.provisioning.maxOutstandingAssignments, {
    learned: memory.window(ASSIGNMENT_WINDOW_KEY),
    onLearn: (learned) => memory.setWindow(ASSIGNMENT_WINDOW_KEY, learned),
  });
  const estimators: Record<Kind, CompletionEstimator> = { create: new CompletionEstimator(), delete: new CompletionEstimator() };
  const deadlineMs = config.provisioning.assignmentDeadlineMs;
  const calls = createAssignmentCalls(() => aws.ssoAdmin(), shutdown);
  const assignmentExists = calls.exists;

  /**
   * Sends the write, retrying conflicts and throttling until the operation's budget runs out.
   * Returns the accepted operation's status, or `reached` when a re-read shows AWS already is in the
   * requested state (another operation finished meanwhile; possibly ours, if a transient error hid
   * that AWS had accepted it).
   */
  async function write(kind: Kind, ic: IdentityCenterInstance, target: AssignmentTarget, handle: OperationHandle, slot: Slot, budgetMs: number) {
    let rejected = false;
    let mayHaveWritten = false;
    type Written = { status: AccountAssignmentOperationStatus; requestId?: string };
    return pRetry(
      async (): Promise<Written | { reached: true; byUs: boolean; requestIds: string[] }> => {
        if (rejected) {
          const now = await assignmentExists(ic, target);
          if (kind === "create" ? now.exists : !now.exists) return { reached: true, byUs: mayHaveWritten, requestIds: now.requestIds };
          if (handle.abandoned.aborted) throw new AbortError(new OperationDropped());
        }
        handle.progress.writeStarted = true;
        try {
          // A throttled write: the instance's outstanding-operation cap; fewer at once from now on.
          const { status, requestId } = await calls.write(kind, ic, target, slot.refused);
          if (!status) throw new Error(`${kind} account assignment answered without a status`);
          slot.accepted();
          return { status, requestId };
        } catch (error) {
          // Deleted by someone else since our read.
          if (kind === "delete" && isNotFound(error)) return { reached: true, byUs: mayHaveWritten, requestIds: [] };
          const kindOfError = awsErrorKind(error);
          if (kindOfError === "transient") mayHaveWritten = true;
          // AWS refused these outright: nothing was accepted, so callers that left may still drop the operation.
          if (kindOfError === "conflict" || kindOfError === "throttling") handle.progress.writeStarted = false;
          rejected = true;
          if (kindOfError === "conflict" || kindOfError === "throttling" || kindOfError === "transient") throw error;
          throw new AbortError(error as Error);
        }
      },
      {
        retries: 30,
        minTimeout: 500,
        maxTimeout: 8_000,
        factor: 2,
        randomize: true,
        maxRetryTime: budgetMs,
        signal: shutdown,
        onFailedAttempt: async ({ error, attemptNumber }) => {
          log.debug({ kind, target: targetKey(target), attempt: attemptNumber, err: error.name }, "assignment write refused; retrying");
          const hint = retryAfterSeconds(error);
          if (hint !== undefined) await clock.sleep(hint * 1000, shutdown);
        },
      },
    );
  }

  /** One AWS operation, shared by every caller asking for the same thing at the same time. */
  async function operate(kind: Kind, ic: IdentityCenterInstance, target: AssignmentTarget, handle: OperationHandle): Promise<OperationResult> {
    const startedAt = Date.now();
    const before = await assignmentExists(ic, target);
    if (kind === "create" ? before.exists : !before.exists) return { changed: false, awsRequestIds: before.requestIds };
    await accountStatus.check(target.accountId, shutdown);

    return queue.withSlot(handle.abandoned, async (slot) => {
      const budgetMs = Math.max(0, startedAt + deadlineMs - Date.now());
      const written = await write(kind, ic, target, handle, slot, budgetMs);
      if ("reached" in written) return { changed: written.byUs, awsRequestIds: written.requestIds };
      const operationRequestId = written.status.RequestId;
      handle.progress.operationRequestId = operationRequestId;
      const context = { kind, target: targetKey(target), operationRequestId };
      log.debug({ ...context, status: written.status.Status }, "assignment operation accepted");
      let waited;
      try {
        waited = await waitForAssignment({
          initial: written.status,
          describe: (id, signal) => calls.status(kind, ic, id, signal),
          estimator: estimators[kind],
          giveUpAfterMs: deadlineMs + BACKGROUND_GRACE_MS,
          signal: shutdown,
          clock,
        });
      } catch (error) {
        if (error instanceof OperationUnconfirmedError) log.error({ ...context, polls: error.polls }, error.message);
        const mapped = toConnectError(error);
        throw provisioningError(
          `AWS accepted the ${kind} of ${context.target} (operation ${operationRequestId}) but it could not be confirmed: ${mapped.rawMessage}`,
          error instanceof OperationUnconfirmedError ? Code.DeadlineExceeded : mapped.code,
          requestIds(operationRequestId, written.requestId),
          error,
        );
      }
      const ids = requestIds(operationRequestId, written.requestId, waited.confirmingRequestId);
      if (waited.final.Status === "FAILED") {
        const reason = waited.final.FailureReason ?? "no reason given";
        log.warn({ ...context, reason, polls: waited.polls }, "AWS reported the assignment operation FAILED");
        throw provisioningError(
          `AWS reported the account-assignment ${kind === "create" ? "creation" : "deletion"} FAILED: ${reason} [operation request id ${operationRequestId}]`,
          Code.Aborted,
          ids,
        );
      }
      log.info({ ...context, polls: waited.polls, confirmedAfterMs: Math.round(waited.elapsedMs) }, "assignment operation SUCCEEDED");
      return { changed: true, awsRequestIds: ids };
    });
  }

  async function request(kind: Kind, target: AssignmentTarget, signal: AbortSignal): Promise<OperationResult> {
    const ic = await instance(shutdown);
    if (target.identityStoreId !== ic.identityStoreId) {
      throw invalidArgument(
        `principal ${target.principalArn} belongs to identity store ${target.identityStoreId}, but the Identity Center instance uses ${ic.identityStoreId}`,
      );
    }
    try {
      return await queue.run(targetKey(target), kind, (handle) => operate(kind, ic, target, handle), {
        signal,
        deadlineAt: Date.now() + deadlineMs,
      });
    } catch (error) {
      if (error instanceof CallerStoppedWaiting) throw stoppedWaiting(kind, target, error);
      throw error;
    }
  }

  /** The Provisioner of one entitlement shape: its own parsing, the shared engine. */
  function shape(resourceTypeId: string, parse: (entitlement: Entitlement, principal: Resource) => AssignmentTarget): Provisioner {
    return {
      resourceTypeId,
      async grant(principal, entitlement, ctx) {
        const target = parse(entitlement, principal);
        const result = await request("create", target, ctx.signal);
        return {
          alreadyExists: !result.changed,
          grants: [assignmentGrant(entitlement, principal, target)],
          awsRequestIds: result.awsRequestIds,
        };
      },
      async revoke(grant, ctx) {
        const target = parse(grant.entitlement!, grant.principal!);
        const result = await request("delete", target, ctx.signal);
        return { alreadyRevoked: !result.changed, awsRequestIds: result.awsRequestIds };
      },
    };
  }

  return {
    queue,
    provisioners: [shape(ResourceTypeIds.account, assignmentTarget), shape(ResourceTypeIds.permissionSetAssignment, bindingAssignmentTarget)],
  };
}

export function targetKey(target: AssignmentTarget): string {
  return `${target.accountId}|${target.permissionSetArn}|${target.principalType}:${target.principalId}`;
}

function stoppedWaiting(kind: Kind, target: AssignmentTarget, stop: CallerStoppedWaiting) {
  const what = `${kind === "create" ? "creation" : "deletion"} of ${targetKey(target)}`;
  const seconds = Math.round(stop.waitedMs / 1000);
  const id = stop.progress.operationRequestId;
  const detail = id
    ? `AWS operation ${id} was still IN_PROGRESS after ${seconds} s; it continues: check it with DescribeAccountAssignment${kind === "create" ? "Creation" : "Deletion"}Status, or repeat the request (it joins the same operation)`
    : stop.progress.writeStarted
      ? `the write was sent but AWS had not answered after ${seconds} s; its outcome is unknown`
      : `it waited ${seconds} s for earlier assignment operations (at most the configured number run at once); nothing was sent to AWS`;
  const code = stop.reason === "deadline" ? Code.DeadlineExceeded : Code.Canceled;
  return provisioningError(`${what} not confirmed: ${detail}`, code, requestIds(id));
}
