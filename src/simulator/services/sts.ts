/**
 * STS (awsQuery, 2011-06-15): GetCallerIdentity and AssumeRole. AssumeRole checks that the role
 * exists in a known, active account and that its trust policy allows the caller (including
 * sts:ExternalId conditions); the temporary access key it returns maps back to the role session,
 * so later calls made with it act in the role's account.
 */
import { roleSessionCaller } from "../credentials.js";
import { SimError } from "../errors.js";
import { findRoleByArn } from "../model/iam.js";
import { timestamp } from "../protocol/timestamp.js";
import { trustAllows } from "../trust-policy.js";
import { optionalInt, optionalString, requiredString } from "../validate.js";
import type { RequestContext, ServiceDefinition, Input } from "./service.js";

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?[\w+=,.@-]{1,64}$/;
const CHAINED_SESSION_LIMIT_SECONDS = 3600;
const KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function assumeRole(ctx: RequestContext, input: Input) {
  const roleArn = requiredString(input, "RoleArn", { min: 20, max: 2048 });
  const sessionName = requiredString(input, "RoleSessionName", { min: 2, max: 64, pattern: /^[\w+=,.@-]*$/ });
  const externalId = optionalString(input, "ExternalId", { min: 2, max: 1224, pattern: /^[\w+=,.@:/-]*$/ });
  const duration = optionalInt(input, "DurationSeconds", { min: 900, max: 43200 }) ?? 3600;
  const caller = ctx.caller;
  const denied = () =>
    SimError.of("accessDenied", `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);

  const match = ROLE_ARN.exec(roleArn);
  if (!match) throw SimError.of("validation", `${roleArn} is invalid`);
  const account = ctx.sim.model.accounts.get(match[1]!);
  // AWS does not reveal whether a role exists: a missing role is the same AccessDenied.
  const role = account?.state === "ACTIVE" ? findRoleByArn(account.iam, roleArn) : undefined;
  if (!role || !trustAllows(role.trustPolicy, { caller, externalId })) throw denied();
  if (caller.kind === "assumed-role" && duration > CHAINED_SESSION_LIMIT_SECONDS) {
    throw SimError.of("validation", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
  }
  if (duration > role.maxSessionDuration) {
    throw SimError.of("validation", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  }

  const ids = ctx.sim.prng("ids");
  const expiresAt = ctx.now + duration * 1000;
  const session = {
    accessKeyId: `ASIA${ids.chars(KEY_ALPHABET, 16)}`,
    secretAccessKey: ids.chars(SECRET_ALPHABET, 40),
    sessionToken: `IQoJb3JpZ2luX2VjE${ids.chars(SECRET_ALPHABET, 300)}`,
    caller: roleSessionCaller(account!.id, role.name, role.arn, role.id, sessionName, expiresAt),
    expiresAt,
  };
  ctx.sim.credentials.addSession(session);
  return {
    Credentials: {
      AccessKeyId: session.accessKeyId,
      SecretAccessKey: session.secretAccessKey,
      SessionToken: session.sessionToken,
      Expiration: timestamp(expiresAt),
    },
    AssumedRoleUser: { AssumedRoleId: session.caller.userId, Arn: session.caller.arn },
  };
}

export const stsService: ServiceDefinition = {
  name: "sts",
  protocol: "query",
  writes: new Set<string>(),
  // Per account, like IAM's.
  quotaScope: (caller) => caller.accountId,
  operations: {
    GetCallerIdentity: (ctx) => ({ UserId: ctx.caller.userId, Account: ctx.caller.accountId, Arn: ctx.caller.arn }),
    AssumeRole: assumeRole,
  },
};
