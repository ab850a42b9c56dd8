/**
 * Evaluates a role trust policy for sts:AssumeRole: Allow statements whose Principal names the
 * caller (its ARN, its role for a role session, its account root or id, or "*") and whose
 * Conditions hold; an explicit Deny wins. Supported conditions: StringEquals, StringLike,
 * StringNotEquals and their IgnoreCase forms on sts:ExternalId, aws:PrincipalArn and
 * aws:PrincipalAccount. Anything else makes the statement not apply (fail closed).
 */
import type { Caller } from "./credentials.js";
import { accountRootArn } from "./model/ids.js";

export interface AssumeRoleRequest {
  caller: Caller;
  externalId?: string;
}

type Statement = {
  Effect?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Condition?: unknown;
};

export function trustAllows(policyJson: string, request: AssumeRoleRequest): boolean {
  let policy: { Statement?: unknown };
  try {
    policy = JSON.parse(policyJson) as { Statement?: unknown };
  } catch {
    return false;
  }
  const statements = asArray(policy.Statement) as Statement[];
  const applicable = statements.filter((s) => typeof s === "object" && s !== null && statementApplies(s, request));
  return applicable.some((s) => s.Effect === "Allow") && !applicable.some((s) => s.Effect === "Deny");
}

function statementApplies(s: Statement, request: AssumeRoleRequest): boolean {
  if (s.NotPrincipal !== undefined || s.NotAction !== undefined) return false;
  if (!asArray(s.Action).some((a) => typeof a === "string" && actionMatches(a))) return false;
  if (!principalMatches(s.Principal, request.caller)) return false;
  return conditionsHold(s.Condition, request);
}

const actionMatches = (pattern: string) => wildcard(pattern.toLowerCase()).test("sts:assumerole");

function principalMatches(principal: unknown, caller: Caller): boolean {
  if (principal === "*") return true;
  if (typeof principal !== "object" || principal === null) return false;
  const aws = asArray((principal as Record<string, unknown>).AWS);
  const identities = new Set([caller.arn, accountRootArn(caller.accountId), caller.accountId]);
  if (caller.roleArn) identities.add(caller.roleArn);
  return aws.some((p) => p === "*" || (typeof p === "string" && identities.has(p)));
}

function conditionsHold(condition: unknown, request: AssumeRoleRequest): boolean {
  if (condition === undefined) return true;
  if (typeof condition !== "object" || condition === null) return false;
  const context: Record<string, string | undefined> = {
    "sts:externalid": request.externalId,
    "aws:principalarn": request.caller.roleArn ?? request.caller.arn,
    "aws:principalaccount": request.caller.accountId,
  };
  for (const [operator, block] of Object.entries(condition)) {
    if (typeof block !== "object" || block === null) return false;
    for (const [key, expected] of Object.entries(block as Record<string, unknown>)) {
      const lowerKey = key.toLowerCase();
      if (!(lowerKey in context)) return false;
      if (!operatorHolds(operator, context[lowerKey], asArray(expected).map(String))) return false;
    }
  }
  return true;
}

function operatorHolds(operator: string, actual: string | undefined, expected: string[]): boolean {
  const ignoreCase = operator.endsWith("IgnoreCase");
  const norm = (v: string) => (ignoreCase ? v.toLowerCase() : v);
  switch (operator) {
    case "StringEquals":
    case "StringEqualsIgnoreCase":
      return actual !== undefined && expected.some((e) => norm(e) === norm(actual));
    case "StringNotEquals":
    case "StringNotEqualsIgnoreCase":
      return actual === undefined || expected.every((e) => norm(e) !== norm(actual));
    case "StringLike":
      return actual !== undefined && expected.some((e) => wildcard(e).test(actual));
    default:
      return false;
  }
}

function wildcard(pattern: string): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`);
}

const asArray = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
