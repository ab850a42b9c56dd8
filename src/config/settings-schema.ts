import { z } from "zod";
import { parseListenAddress } from "./listen-address.js";
import { ACCOUNT_RESOURCE_TYPES } from "./config.js";
import { parseAwsRates } from "./aws-rates.js";
import { LOG_FORMATS, LOG_LEVELS, RETRY_MODES } from "./options.js";

/**
 * zod schema of the flat settings (one entry per option key). Values arrive as strings from flags
 * and environment variables and as YAML scalars from the config file, so every entry accepts both
 * and coerces. Messages never echo the value (some options are secrets).
 */
const bool = z.union([z.boolean(), z.stringbool()], { error: "expected true or false" });

function numberIn(min: number, max: number, integer: boolean) {
  const fromString = z
    .string()
    .trim()
    .regex(/^[+-]?\d+(\.\d+)?$/)
    .transform(Number);
  let target = z.number({ error: "expected a number" }).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
  if (integer) target = target.int("expected a whole number");
  return z.union([z.number(), fromString], { error: integer ? "expected a whole number" : "expected a number" }).pipe(target);
}

const text = z.string({ error: "expected a string" }).trim().min(1, "must not be empty");
const pattern = (re: RegExp, what: string) => text.regex(re, `expected ${what}`);

const region = pattern(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, "an AWS region such as us-east-1");
const roleArn = pattern(/^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, "an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)");
/** STS ExternalId: 2-1224 characters of [\w+=,.@:/-]. */
const externalId = pattern(/^[\w+=,.@:/-]{2,1224}$/, "2 to 1224 characters of letters, digits and +=,.@:/-");
const endpoint = text.refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}, "expected an http(s) URL");
const listen = text.refine((value) => {
  try {
    parseListenAddress(value);
    return true;
  } catch {
    return false;
  }
}, "expected HOST:PORT (e.g. 127.0.0.1:50051 or [::1]:50051)");
const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  text.toLowerCase().pipe(z.enum(values, { error: `expected one of ${values.join(", ")}` }));

/** `--aws-rate`: per-service pacing, e.g. "sso=10,identitystore=5" or "all=unlimited" (see parseAwsRates). */
const awsRates = z.string({ error: "expected SERVICE=RATE pairs separated by commas" }).transform((value, ctx) => {
  try {
    return parseAwsRates(value);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
});

export const settingsSchema = z.object({
  "global-region": region.optional(),
  "global-aws-sso-region": region.optional(),
  "global-access-key-id": pattern(/^[A-Z0-9]{16,128}$/, "an AWS access key id").optional(),
  "global-secret-access-key": text.optional(),
  "aws-profile": text.optional(),
  "use-assume": bool.optional(),
  "global-role-arn": roleArn.optional(),
  "global-binding-external-id": externalId.optional(),
  "role-arn": roleArn.optional(),
  "external-id": externalId.optional(),
  "aws-endpoint": endpoint.optional(),
  "aws-max-attempts": numberIn(1, 100, true).optional(),
  "aws-retry-mode": oneOf(RETRY_MODES as unknown as readonly [string, ...string[]]).optional(),

  "global-aws-orgs-enabled": bool.optional(),
  "global-aws-sso-enabled": bool.optional(),
  "global-aws-cross-account-iam-enabled": bool.optional(),
  "iam-assume-role-name": pattern(/^[\w+=,.@-]{1,64}$/, "an IAM role name").optional(),
  "member-external-id": externalId.optional(),
  "sync-unattached-policies": bool.optional(),
  "sync-only-attached-policies": bool.optional(),
  "sync-secrets": bool.optional(),
  "sync-org-tree": bool.optional(),
  "cloudtrail-delay": numberIn(0, 86_400, true).optional(),
  "identity-center-instance-arn": pattern(/^arn:aws(-cn|-us-gov)?:sso:::instance\/[\w.-]+$/, "an Identity Center instance ARN (arn:aws:sso:::instance/ssoins-…)").optional(),

  "aws-rate": awsRates.optional(),
  "rate-limit-iam": numberIn(0.01, 10_000, false).optional(),
  "rate-limit-sts": numberIn(0.01, 10_000, false).optional(),
  "rate-limit-identitystore": numberIn(0.01, 10_000, false).optional(),
  "rate-limit-sso": numberIn(0.01, 10_000, false).optional(),
  "rate-limit-organizations": numberIn(0.01, 10_000, false).optional(),
  "rate-limit-concurrency": numberIn(1, 1_000, true).optional(),

  provisioning: bool.optional(),
  "assignment-timeout": numberIn(1, 86_400, true).optional(),
  "max-outstanding-assignments": numberIn(1, 1_000, true).optional(),
  "create-account-resource-type": oneOf(ACCOUNT_RESOURCE_TYPES).optional(),

  listen: listen.optional(),
  "tls-cert": text.optional(),
  "tls-key": text.optional(),
  "tls-client-ca": text.optional(),
  "auth-token-file": text.optional(),

  "state-dir": text.optional(),
  "page-token-secret": text.min(16, "must be at least 16 characters").optional(),
  "log-level": oneOf(LOG_LEVELS as unknown as readonly [string, ...string[]]).optional(),
  "log-format": oneOf(LOG_FORMATS as unknown as readonly [string, ...string[]]).optional(),
});

export type Settings = z.infer<typeof settingsSchema>;
