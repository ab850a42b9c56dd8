/**
 * Change scripts: AWS writes (and sign-ins) applied to a running simulator without a client, e.g.
 * to prepare an incremental-sync scenario (`connector sim --changes FILE`, `POST /_sim/changes`,
 * `Simulator.applyChanges`). Each write runs the operation's own handler through the path a
 * client's request takes (server.ts applyOperation), so it has AWS's effects and errors and is
 * reported to the write hook — CloudTrail records it like any other write.
 *
 *   { "changes": [
 *       { "service": "identitystore", "operation": "CreateGroupMembership", "params": { … } },
 *       { "service": "iam", "operation": "AttachRolePolicy", "params": { … }, "account": "210987654321" },
 *       { "signIn": { "kind": "portal", "userId": "…" } } ] }
 *
 * A write acts as the management account's admin key, or `as` (an access key id the simulator
 * knows), or, with `account`, as a session of the member-account role assumed in that account.
 */
import { z } from "zod";
import type { Logger } from "../log.js";
import type { SignIn } from "./cloudtrail-log.js";
import { SIM_CREDENTIALS } from "./credentials.js";
import { SERVICE_NAMES, type ServiceName } from "./errors.js";
import type { SimRuntime } from "./runtime.js";
import { applyOperation } from "./serve.js";
import { SERVICES } from "./services/index.js";

const signInSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("console"), accountId: z.string().regex(/^\d{12}$/), userName: z.string().min(1), success: z.boolean().optional() }),
  z.strictObject({ kind: z.literal("portal"), userId: z.string().min(1) }),
  z.strictObject({ kind: z.literal("federate"), userId: z.string().min(1), accountId: z.string().regex(/^\d{12}$/), permissionSetName: z.string().optional() }),
]);

const changeSchema = z.union([
  z.strictObject({
    service: z.enum(SERVICE_NAMES as [ServiceName, ...ServiceName[]]),
    operation: z.string().min(1),
    params: z.record(z.string(), z.unknown()).default({}),
    as: z.string().optional(),
    account: z.string().regex(/^\d{12}$/).optional(),
  }),
  z.strictObject({ signIn: signInSchema }),
]);

export const changeScriptSchema = z.strictObject({ changes: z.array(changeSchema) });
export type ChangeScript = z.infer<typeof changeScriptSchema>;
export type Change = ChangeScript["changes"][number];

export interface ChangeOutcome {
  index: number;
  ok: boolean;
  /** The AWS error code and message of a refused write. */
  error?: { code: string; message: string };
}

/** Validates a script from outside (file, admin route), naming the bad field. */
export function parseChangeScript(value: unknown): ChangeScript {
  const result = changeScriptSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "(root)";
    throw new Error(`invalid change script at ${where}: ${issue?.message ?? "invalid value"}`);
  }
  return result.data;
}

/** Applies every change in order; a refused write is reported and the script goes on. */
export function applyChanges(runtime: SimRuntime, script: ChangeScript, logger: Logger): ChangeOutcome[] {
  return script.changes.map((change, index) => {
    if ("signIn" in change) {
      runtime.cloudTrail.signIn(change.signIn as SignIn, runtime.clock());
      return { index, ok: true };
    }
    const accessKeyId = change.account ? memberSession(runtime, change.account, logger) : (change.as ?? SIM_CREDENTIALS.management.accessKeyId);
    const input = SERVICES[change.service].protocol === "query" ? { Action: change.operation, ...queryFields(change.params) } : change.params;
    const outcome = applyOperation(runtime, { service: change.service, operation: change.operation, input, accessKeyId }, logger);
    return outcome.ok ? { index, ok: true } : { index, ok: false, error: { code: outcome.error.code, message: outcome.error.message } };
  });
}

/** A session of the member-account role in `accountId`, assumed with the management key (as the connector does). */
function memberSession(runtime: SimRuntime, accountId: string, logger: Logger): string {
  const roleArn = `arn:aws:iam::${accountId}:role/OrganizationAccountAccessRole`;
  const outcome = applyOperation(
    runtime,
    { service: "sts", operation: "AssumeRole", input: { Action: "AssumeRole", RoleArn: roleArn, RoleSessionName: "change-script" }, accessKeyId: SIM_CREDENTIALS.management.accessKeyId },
    logger,
  );
  if (!outcome.ok) throw new Error(`change script: cannot act in account ${accountId} (${outcome.error.code}: ${outcome.error.message})`);
  const credentials = (outcome.result as { Credentials?: { AccessKeyId?: string } }).Credentials;
  if (!credentials?.AccessKeyId) throw new Error(`change script: AssumeRole into ${accountId} returned no credentials`);
  return credentials.AccessKeyId;
}

/** JSON parameters as awsQuery form fields: lists as `.member.N`, structures as `.Field`. */
export function queryFields(params: Record<string, unknown>, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        const member = `${name}.member.${i + 1}`;
        if (typeof item === "object" && item !== null) Object.assign(out, queryFields(item as Record<string, unknown>, member));
        else out[member] = String(item);
      });
    } else if (typeof value === "object") {
      Object.assign(out, queryFields(value as Record<string, unknown>, name));
    } else {
      out[name] = String(value);
    }
  }
  return out;
}
