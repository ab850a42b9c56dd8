import type { IAMClient } from "@aws-sdk/client-iam";
import { awsErrorKind } from "../aws/errors.js";
import type { CallContext } from "../connector/resource-syncer.js";
import type { ResourceContext } from "./index.js";
import type { SyncProblemKind } from "./sync-problems.js";

/**
 * Which account's IAM a call is about, and the IAM client for it. The connector's own account is
 * read with its own credentials; a member account through the member-account role (assumed in
 * src/aws/session.ts, with the configured external ID). A member account whose role cannot be
 * assumed, or whose IAM refuses to be read, is recorded once per sync as a problem — logged,
 * listed for the sync summary, and shown on its `account_iam` resource — and the sync goes on.
 */
export type IamAccess = { ok: true; client: IAMClient } | { ok: false; reason: string };

export class MemberAccounts {
  constructor(private readonly ctx: ResourceContext) {}

  async ownAccountId(): Promise<string> {
    return (await this.ctx.aws.callerIdentity()).accountId;
  }

  /** The IAM client for an account; `ok: false` when it is a member account we cannot get into. */
  async iam(accountId: string, call: CallContext, accountName?: string): Promise<IamAccess> {
    const { aws, cache, config } = this.ctx;
    if (accountId === (await this.ownAccountId())) return { ok: true, client: await aws.iam() };
    // Probed once per sync: the outcome (success or a recorded problem) is reused by every caller.
    const probe = await cache.getOrLoad(call.syncId, `assume:${accountId}`, async (): Promise<{ ok: true } | { ok: false; reason: string }> => {
      try {
        await aws.iam(accountId);
        return { ok: true };
      } catch (error) {
        if (isRetryable(error, call)) throw error;
        const role = `arn:aws:iam::${accountId}:role/${config.features.memberRoleName}`;
        const reason = `cannot assume ${role}${config.features.memberExternalId ? " (with the configured external ID)" : ""}: ${describeError(error)}`;
        this.report(call, "member-account-unreachable", accountId, reason, accountName);
        return { ok: false, reason };
      }
    });
    return probe.ok ? { ok: true, client: await aws.iam(accountId) } : probe;
  }

  /** Records a problem with a member account (once per sync) and logs it. */
  report(call: CallContext, kind: SyncProblemKind, accountId: string, message: string, accountName?: string): void {
    this.ctx.log.warn({ accountId, accountName, problem: kind }, message);
    this.ctx.problems?.add(call.syncId, { kind, accountId, ...(accountName ? { accountName } : {}), message });
  }
}

/** Throttling, 5xx and cancellation are worth a retry by the host; anything else is the account's problem. */
export function isRetryable(error: unknown, call: CallContext): boolean {
  if (call.signal.aborted) return true;
  const kind = awsErrorKind(error);
  return kind === "throttling" || kind === "transient";
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
