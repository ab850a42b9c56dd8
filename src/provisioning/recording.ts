import { create, type JsonObject } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { toConnectError } from "../connector/errors.js";
import type { AccountCreator, GrantOutcome, Provisioner, ResourceDeleter, RevokeOutcome } from "../connector/resource-syncer.js";
import { GrantSchema } from "../gen/c1/connector/v2/grant_pb.js";
import type { Logger } from "../log.js";
import type { AuditAttemptEnd, AuditAttemptStart, AuditLog } from "./audit-log.js";
import { describeFailure, errorRequestIds } from "./errors.js";
import type { GrantLedger, Reservation } from "./ledger.js";
import { expiryOf, grantExpiryAnnotation, requestedLifetime, type Lifetime } from "./lifetime.js";
import { principalRef } from "./targets.js";

export interface Recorder {
  audit: AuditLog;
  ledger: GrantLedger;
  log: Logger;
  /** Added to a duration for the provisional expiry of a grant AWS has not confirmed yet. */
  confirmationAllowanceMs: number;
  now: () => number;
}

/**
 * Errors after which AWS certainly did not change anything: the request was refused or AWS reported
 * the operation FAILED. Any other failure (deadline, cancellation, transient) leaves the outcome
 * open: a time-bound reservation keeps its provisional expiry, a revoke is left for the scheduler
 * to finish.
 */
const NOTHING_CHANGED = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.PermissionDenied,
  Code.FailedPrecondition,
  Code.Aborted,
  Code.ResourceExhausted,
  Code.Unimplemented,
  Code.Unauthenticated,
]);

/**
 * Wraps a provisioner so that every attempt is audited and time-bound grants are recorded in the
 * JIT ledger: applied once around each provisioner in index.ts, so no provisioner deals with either.
 * The recorder is resolved on first use (the state database is opened only when provisioning runs).
 * When the audit log cannot be written the attempt is refused: no unaudited changes.
 */
export function withRecording(inner: Provisioner, recorder: () => Recorder): Provisioner {
  return {
    resourceTypeId: inner.resourceTypeId,

    async grant(principal, entitlement, ctx): Promise<GrantOutcome> {
      const rec = recorder();
      const principalText = principalRef(principal);
      let lifetime: Lifetime | undefined;
      let lifetimeError: unknown;
      try {
        lifetime = requestedLifetime(ctx.requestAnnotations, rec.now());
      } catch (error) {
        lifetimeError = error;
      }
      const attempt = rec.audit.start({
        action: "grant",
        requester: ctx.requester.id,
        entitlementId: entitlement.id,
        principal: principalText,
        ...(lifetime ? { lifetime: describeLifetime(lifetime) } : {}),
      });
      let reservation: Reservation | undefined;
      try {
        if (lifetimeError) throw lifetimeError;
        if (lifetime) {
          const requestedAt = rec.now();
          reservation = rec.ledger.reserve({
            grant: create(GrantSchema, { entitlement, principal }),
            requestedBy: ctx.requester.id,
            provisionalExpiresAt: expiryOf(lifetime, requestedAt + rec.confirmationAllowanceMs),
          });
        }
        const outcome = await inner.grant(principal, entitlement, ctx);
        let expiresAt: number | undefined;
        if (reservation && lifetime) {
          const grant = outcome.grants[0] ?? create(GrantSchema, { entitlement, principal });
          expiresAt = rec.ledger.confirm(reservation, grant, expiryOf(lifetime, rec.now()), !outcome.alreadyExists);
          if (expiresAt === undefined) {
            rec.log.warn(
              { entitlement: entitlement.id, principal: principalText },
              "time-bound grant asked for access that already existed as standing access; it was left as it is and will not expire",
            );
          }
        }
        rec.audit.finish(attempt, {
          outcome: outcome.alreadyExists ? "already-exists" : "granted",
          awsRequestIds: outcome.awsRequestIds,
          ...(outcome.grants[0] ? { grantId: outcome.grants[0].id } : {}),
          ...(expiresAt !== undefined ? { expiresAt } : {}),
        });
        return {
          ...outcome,
          annotations: [...(outcome.annotations ?? []), ...(expiresAt !== undefined ? [grantExpiryAnnotation(expiresAt)] : [])],
        };
      } catch (error) {
        const failure = describeFailure(error);
        if (reservation) {
          if (NOTHING_CHANGED.has(toConnectError(error).code)) rec.ledger.release(reservation);
          else rec.ledger.leaveUnconfirmed(reservation, `${failure.code}: ${failure.message}`);
        }
        rec.audit.finish(attempt, { outcome: "failed", awsRequestIds: errorRequestIds(error), errorCode: failure.code, errorMessage: failure.message });
        throw error;
      }
    },

    async revoke(grant, ctx): Promise<RevokeOutcome> {
      const rec = recorder();
      const entitlementId = grant.entitlement?.id ?? "";
      const principalText = principalRef(grant.principal);
      const attempt = rec.audit.start({
        action: "revoke",
        requester: ctx.requester.id,
        entitlementId,
        principal: principalText,
        grantId: grant.id,
      });
      // Recorded (and the generation read) before AWS is asked: a revoke cut short is finished by the
      // scheduler, and a time-bound grant made again meanwhile is never marked revoked.
      const generation = rec.ledger.beginRevoke(entitlementId, principalText);
      try {
        const outcome = await inner.revoke(grant, ctx);
        if (generation !== undefined) rec.ledger.markRevoked(entitlementId, principalText, generation, ctx.requester.id);
        rec.audit.finish(attempt, { outcome: outcome.alreadyRevoked ? "already-revoked" : "revoked", awsRequestIds: outcome.awsRequestIds });
        return outcome;
      } catch (error) {
        if (generation !== undefined) {
          const refused = NOTHING_CHANGED.has(toConnectError(error).code);
          rec.ledger.revokeNotConfirmed(entitlementId, principalText, generation, refused ? "refused" : "unconfirmed");
        }
        const failure = describeFailure(error);
        rec.audit.finish(attempt, { outcome: "failed", awsRequestIds: errorRequestIds(error), errorCode: failure.code, errorMessage: failure.message });
        throw error;
      }
    },
  };
}

function describeLifetime(lifetime: Lifetime): string {
  return "durationMs" in lifetime ? `for ${formatDuration(lifetime.durationMs)}` : `until ${new Date(lifetime.expiresAt).toISOString()}`;
}

/** 7_500_000 → "2h5m". */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [["d", 86_400], ["h", 3_600], ["m", 60], ["s", 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join("") || `${ms}ms`;
}

/**
 * Audits every CreateAccount attempt, like withRecording does grants: `principal` names what was
 * asked for ("<type>:<login>"), `grant_id` the account's resource id once made.
 */
export function withAuditedAccounts(inner: AccountCreator, recorder: () => Recorder): AccountCreator {
  return {
    resourceTypeId: inner.resourceTypeId,
    schema: inner.schema,
    credentialDetails: inner.credentialDetails,
    async createAccount(request, ctx) {
      const info = request.accountInfo;
      const login = info?.login || stringField(info?.profile, "username") || info?.emails[0]?.address || stringField(info?.profile, "email") || "";
      return audited(
        recorder(),
        { action: "create-account", requester: ctx.requester.id, entitlementId: "", principal: `${inner.resourceTypeId}:${login}` },
        () => inner.createAccount(request, ctx),
        (outcome) => ({ outcome: outcome.alreadyExists ? "already-exists" : "created", grantId: outcome.resource.id?.resource ?? "", awsRequestIds: outcome.awsRequestIds }),
      );
    },
  };
}

/** Audits every DeleteResource attempt; `principal` names the resource ("<type>:<id>"). */
export function withAuditedDeletion(inner: ResourceDeleter, recorder: () => Recorder): ResourceDeleter {
  return {
    resourceTypeId: inner.resourceTypeId,
    async deleteResource(id, parent, ctx) {
      return audited(
        recorder(),
        { action: "delete-resource", requester: ctx.requester.id, entitlementId: "", principal: `${id.resourceType}:${id.resource}` },
        () => inner.deleteResource(id, parent, ctx),
        (outcome) => ({ outcome: outcome.alreadyGone ? "already-deleted" : "deleted", awsRequestIds: outcome.awsRequestIds }),
      );
    },
  };
}

/** One audited attempt: `started` before AWS is asked, `finished` with the outcome or the failure. */
async function audited<T>(rec: Recorder, start: AuditAttemptStart, run: () => Promise<T>, end: (result: T) => AuditAttemptEnd): Promise<T> {
  const attempt = rec.audit.start(start);
  try {
    const result = await run();
    rec.audit.finish(attempt, end(result));
    return result;
  } catch (error) {
    const failure = describeFailure(error);
    rec.audit.finish(attempt, { outcome: "failed", awsRequestIds: errorRequestIds(error), errorCode: failure.code, errorMessage: failure.message });
    throw error;
  }
}

function stringField(profile: JsonObject | undefined, key: string): string {
  const value = profile?.[key];
  return typeof value === "string" ? value : "";
}
