import {
  CreateAccountAssignmentCommand,
  DeleteAccountAssignmentCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  paginateListAccountAssignments,
  type AccountAssignmentOperationStatus,
  type SSOAdminClient,
} from "@aws-sdk/client-sso-admin";
import { handlesThrottling } from "../aws/middleware.js";
import type { IdentityCenterInstance } from "./identity-center.js";
import { requestIds } from "./request-ids.js";
import type { AssignmentTarget } from "./targets.js";
import type { StatusAnswer } from "./wait-for-assignment.js";

export type AssignmentKind = "create" | "delete";

/**
 * The SSO Admin calls behind one account assignment, creations and deletions alike: its current
 * state, the write, and the status of the write's operation.
 */
export function createAssignmentCalls(sso: () => SSOAdminClient, signal: AbortSignal) {
  return {
    /** Whether the principal holds the assignment: the pair's assignments, read until found or to the last page. */
    async exists(ic: IdentityCenterInstance, target: AssignmentTarget): Promise<{ exists: boolean; requestIds: string[] }> {
      const seen: Array<string | undefined> = [];
      const pages = paginateListAccountAssignments(
        { client: sso(), pageSize: 100 },
        { InstanceArn: ic.instanceArn, AccountId: target.accountId, PermissionSetArn: target.permissionSetArn },
        { abortSignal: signal },
      );
      for await (const page of pages) {
        seen.push(page.$metadata?.requestId);
        if (page.AccountAssignments?.some((a) => a.PrincipalType === target.principalType && a.PrincipalId === target.principalId)) {
          return { exists: true, requestIds: requestIds(...seen) };
        }
      }
      return { exists: false, requestIds: requestIds(...seen) };
    },

    /**
     * CreateAccountAssignment or DeleteAccountAssignment; both answer with the operation's status.
     * AWS throttles a write when the instance has too many operations outstanding: each throttled
     * attempt is reported to `onThrottled` (and does not slow the rest of SSO Admin down).
     */
    async write(
      kind: AssignmentKind,
      ic: IdentityCenterInstance,
      target: AssignmentTarget,
      onThrottled: () => void = () => undefined,
    ): Promise<{ status?: AccountAssignmentOperationStatus; requestId?: string }> {
      const input = {
        InstanceArn: ic.instanceArn,
        TargetId: target.accountId,
        TargetType: "AWS_ACCOUNT" as const,
        PermissionSetArn: target.permissionSetArn,
        PrincipalType: target.principalType,
        PrincipalId: target.principalId,
      };
      if (kind === "create") {
        const out = await sso().send(handlesThrottling(new CreateAccountAssignmentCommand(input), onThrottled), { abortSignal: signal });
        return { status: out.AccountAssignmentCreationStatus, requestId: out.$metadata?.requestId };
      }
      const out = await sso().send(handlesThrottling(new DeleteAccountAssignmentCommand(input), onThrottled), { abortSignal: signal });
      return { status: out.AccountAssignmentDeletionStatus, requestId: out.$metadata?.requestId };
    },

    /** DescribeAccountAssignmentCreationStatus or …DeletionStatus of an operation. */
    async status(kind: AssignmentKind, ic: IdentityCenterInstance, operationRequestId: string, pollSignal: AbortSignal): Promise<StatusAnswer> {
      if (kind === "create") {
        const out = await sso().send(
          new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn: ic.instanceArn, AccountAssignmentCreationRequestId: operationRequestId }),
          { abortSignal: pollSignal },
        );
        return { status: out.AccountAssignmentCreationStatus, requestId: out.$metadata?.requestId };
      }
      const out = await sso().send(
        new DescribeAccountAssignmentDeletionStatusCommand({ InstanceArn: ic.instanceArn, AccountAssignmentDeletionRequestId: operationRequestId }),
        { abortSignal: pollSignal },
      );
      return { status: out.AccountAssignmentDeletionStatus, requestId: out.$metadata?.requestId };
    },
  };
}
