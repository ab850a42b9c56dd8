/**
 * How much power an IAM policy document gives, decided from the document itself: administrator
 * (every action on every resource), IAM write (any action that lets its holder grant itself more:
 * create users or keys, attach or write policies, change trust), or Identity Center write (assign
 * permission sets, change them, add group members). Only Allow statements are read: Deny
 * statements, conditions, permission boundaries and SCPs are not evaluated, so the answer is the
 * power the policy *can* give — what an access review should look at.
 */

export type PrivilegeLevel = "admin" | "iam-write" | "sso-write";

/** Most powerful first. */
export const PRIVILEGE_LEVELS: readonly PrivilegeLevel[] = ["admin", "iam-write", "sso-write"];

export const PRIVILEGE_LABELS: Record<PrivilegeLevel, string> = {
  admin: "Administrator",
  "iam-write": "IAM write",
  "sso-write": "Identity Center write",
};

export interface Privilege {
  level: PrivilegeLevel;
  /** Why, in a few words: "* on *", "iam:* (conditional)", "AWS-managed AdministratorAccess". */
  reason: string;
}

/** Actions that let a principal raise its own (or anyone's) access through IAM. */
const IAM_ESCALATION_ACTIONS = [
  "iam:CreateUser",
  "iam:CreateAccessKey",
  "iam:CreateLoginProfile",
  "iam:UpdateLoginProfile",
  "iam:AttachUserPolicy",
  "iam:AttachGroupPolicy",
  "iam:AttachRolePolicy",
  "iam:PutUserPolicy",
  "iam:PutGroupPolicy",
  "iam:PutRolePolicy",
  "iam:CreatePolicy",
  "iam:CreatePolicyVersion",
  "iam:SetDefaultPolicyVersion",
  "iam:AddUserToGroup",
  "iam:CreateRole",
  "iam:UpdateAssumeRolePolicy",
  "iam:DeleteUserPermissionsBoundary",
  "iam:DeleteRolePermissionsBoundary",
];

/** Actions that hand out or reshape access through IAM Identity Center. */
const SSO_ESCALATION_ACTIONS = [
  "sso:CreateAccountAssignment",
  "sso:CreatePermissionSet",
  "sso:UpdatePermissionSet",
  "sso:ProvisionPermissionSet",
  "sso:PutInlinePolicyToPermissionSet",
  "sso:AttachManagedPolicyToPermissionSet",
  "sso:AttachCustomerManagedPolicyReferenceToPermissionSet",
  "sso:DeletePermissionsBoundaryFromPermissionSet",
  "identitystore:CreateGroupMembership",
  "identitystore:CreateUser",
  "identitystore:UpdateUser",
];

/**
 * AWS-managed policies whose power is known without their document (a sync need not hold the
 * documents of AWS-managed policies). A document, when present, is what decides.
 */
const WELL_KNOWN_POLICIES: Record<string, PrivilegeLevel> = {
  "arn:aws:iam::aws:policy/AdministratorAccess": "admin",
  "arn:aws:iam::aws:policy/IAMFullAccess": "iam-write",
  "arn:aws:iam::aws:policy/AWSSSOMasterAccountAdministrator": "sso-write",
  "arn:aws:iam::aws:policy/AWSSSODirectoryAdministrator": "sso-write",
  "arn:aws:iam::aws:policy/AWSSSOMemberAccountAdministrator": "sso-write",
  // Everything but iam:*, organizations:* and account:* — so sso:* and identitystore:* included.
  "arn:aws:iam::aws:policy/PowerUserAccess": "sso-write",
};

export function wellKnownPolicyPrivilege(policyArn: string): Privilege | undefined {
  const level = WELL_KNOWN_POLICIES[policyArn];
  return level ? { level, reason: `AWS-managed ${policyArn.slice(policyArn.lastIndexOf("/") + 1)}` } : undefined;
}

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
}

/** The document's privilege, or undefined when it gives none of the three (or cannot be read). */
export function documentPrivilege(document: string | object): Privilege | undefined {
  const statements = parseStatements(document);
  if (!statements) return undefined;
  let best: Privilege | undefined;
  for (const statement of statements) {
    if (typeof statement.Effect !== "string" || statement.Effect.toLowerCase() !== "allow") continue;
    const found = statementPrivilege(statement);
    if (found && (!best || rank(found.level) < rank(best.level))) best = found;
  }
  return best;
}

export function rank(level: PrivilegeLevel | undefined): number {
  return level === undefined ? PRIVILEGE_LEVELS.length : PRIVILEGE_LEVELS.indexOf(level);
}

/** The more powerful of two (the first when equal). */
export function stronger(a: Privilege | undefined, b: Privilege | undefined): Privilege | undefined {
  if (!b) return a;
  if (!a) return b;
  return rank(b.level) < rank(a.level) ? b : a;
}

function statementPrivilege(statement: Statement): Privilege | undefined {
  const conditional = statement.Condition !== undefined && statement.Condition !== null && Object.keys(statement.Condition as object).length > 0;
  const suffix = conditional ? " (conditional)" : "";
  const resources = strings(statement.Resource);
  const allResources = statement.NotResource === undefined && resources.some((r) => r === "*");
  const scope = allResources ? "" : statement.NotResource !== undefined ? " on all but some resources" : ` on ${resources.length === 1 ? resources[0] : `${resources.length} resources`}`;
  if (statement.Action !== undefined) {
    const actions = strings(statement.Action);
    if (allResources && actions.some((a) => a === "*" || a === "*:*")) return { level: "admin", reason: `* on *${suffix}` };
    const allows = (action: string) => actions.some((pattern) => actionMatches(pattern, action));
    return escalation(allows, actions.filter((a) => IAM_ESCALATION_ACTIONS.some((x) => actionMatches(a, x)) || SSO_ESCALATION_ACTIONS.some((x) => actionMatches(a, x))), scope + suffix);
  }
  if (statement.NotAction !== undefined) {
    const excluded = strings(statement.NotAction);
    const allows = (action: string) => !excluded.some((pattern) => actionMatches(pattern, action));
    return escalation(allows, [`all actions except ${excluded.join(", ")}`], scope + suffix);
  }
  return undefined;
}

function escalation(allows: (action: string) => boolean, what: string[], suffix: string): Privilege | undefined {
  const shown = what.length > 3 ? `${what.slice(0, 3).join(", ")} and ${what.length - 3} more` : what.join(", ");
  if (IAM_ESCALATION_ACTIONS.some(allows)) return { level: "iam-write", reason: `${shown}${suffix}` };
  if (SSO_ESCALATION_ACTIONS.some(allows)) return { level: "sso-write", reason: `${shown}${suffix}` };
  return undefined;
}

/** IAM action matching: case-insensitive, `*` any run of characters, `?` one character. */
export function actionMatches(pattern: string, action: string): boolean {
  const p = pattern.toLowerCase();
  const a = action.toLowerCase();
  if (p === "*") return true;
  if (!p.includes("*") && !p.includes("?")) return p === a;
  const regex = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return regex.test(a);
}

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
}

function parseStatements(document: string | object): Statement[] | undefined {
  let parsed: unknown = document;
  if (typeof document === "string") {
    let text = document.trim();
    // GetAccountAuthorizationDetails returns documents URL-encoded; connectors usually decode them.
    if (text.startsWith("%7B") || text.startsWith("%7b")) {
      try {
        text = decodeURIComponent(text);
      } catch {
        return undefined;
      }
    }
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  if (!parsed || typeof parsed !== "object") return undefined;
  const statement = (parsed as { Statement?: unknown }).Statement;
  if (Array.isArray(statement)) return statement.filter((s): s is Statement => !!s && typeof s === "object");
  if (statement && typeof statement === "object") return [statement as Statement];
  return undefined;
}
