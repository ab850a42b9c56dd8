import { DescribeAccountCommand } from "@aws-sdk/client-organizations";
import { Code, ConnectError } from "@connectrpc/connect";
import type { AwsClients } from "../aws/clients.js";
import { awsErrorKind } from "../aws/errors.js";
import type { Logger } from "../log.js";

/** How long an ACTIVE answer is reused: a burst of grants into one account asks Organizations once. */
const ACTIVE_TTL_MS = 60_000;

/**
 * Refuses assignment writes into accounts that are not ACTIVE (suspended, closing, closed): AWS
 * would otherwise answer with an opaque ConflictException or a FAILED status. When the connector may
 * not call organizations:DescribeAccount (or the organization is not readable) the write goes ahead
 * and the log says the status could not be verified.
 */
export function createAccountStatusCheck(deps: { aws: AwsClients; log: Logger; enabled: boolean; now?: () => number }) {
  const { aws, log } = deps;
  const now = deps.now ?? Date.now;
  const active = new Map<string, { until: number }>();
  const inFlight = new Map<string, Promise<void>>();

  async function verify(accountId: string, signal: AbortSignal): Promise<void> {
    let state: string | undefined;
    try {
      const out = await aws.organizations().send(new DescribeAccountCommand({ AccountId: accountId }), { abortSignal: signal });
      state = out.Account?.State ?? out.Account?.Status;
    } catch (error) {
      const kind = awsErrorKind(error);
      if (kind === "access-denied" || kind === "not-in-organization") {
        log.warn(
          { accountId, reason: kind },
          "could not verify the account's status (organizations:DescribeAccount refused); continuing with the assignment",
        );
        return;
      }
      if (kind === "not-found") throw new ConnectError(`account ${accountId} is not part of the organization`, Code.NotFound);
      throw error;
    }
    if (state !== "ACTIVE") {
      throw new ConnectError(
        `account ${accountId} is ${state ?? "of unknown status"}, not ACTIVE: permission sets cannot be assigned in it`,
        Code.FailedPrecondition,
      );
    }
    active.set(accountId, { until: now() + ACTIVE_TTL_MS });
  }

  return {
    /** Resolves when the account may receive assignment writes; throws FailedPrecondition/NotFound otherwise. */
    async check(accountId: string, signal: AbortSignal): Promise<void> {
      if (!deps.enabled) return;
      const cached = active.get(accountId);
      if (cached && cached.until > now()) return;
      let pending = inFlight.get(accountId);
      if (!pending) {
        pending = verify(accountId, signal).finally(() => inFlight.delete(accountId));
        inFlight.set(accountId, pending);
      }
      return pending;
    },
  };
}

export type AccountStatusCheck = ReturnType<typeof createAccountStatusCheck>;
