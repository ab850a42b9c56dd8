import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { policyDocumentText, withoutSecretValues } from "./policy-documents.js";

/**
 * Reads a role's trust policy: which IAM users and roles may call sts:AssumeRole on it (the grants
 * of the role's `assignment` entitlement), what else it trusts (shown in the profile, never turned
 * into grants), and baton-aws's non-human-identity classification.
 *
 * Grant rules (docs/resources.md explains them):
 *  - an Allow statement counts when its Action (or the complement of its NotAction) matches
 *    sts:AssumeRole with IAM's case-insensitive wildcards (so "sts:*" counts; baton-aws needs the
 *    exact string);
 *  - its Principal.AWS entries that are IAM user or role ARNs become grants; unique ids (AIDA…,
 *    AROA…: the principal was deleted and IAM shows its id) become grants only when they name a
 *    principal that still exists in the same account; account roots, bare account ids, "*",
 *    session ARNs and NotPrincipal are *not* grants (they trust whoever the other side's policies
 *    allow, which this role's policy cannot name) and are reported in the profile instead;
 *  - an unconditional Deny of sts:AssumeRole that covers the principal ("*", its ARN, its account)
 *    removes the grant; a conditional Deny, or conditions on every Allow naming the principal, keep
 *    the grant and are recorded in its GrantMetadata.
 */

export type AssumerKind = "user" | "role";

export interface TrustedAssumer {
  kind: AssumerKind;
  arn: string;
  /** Conditions of the Allow statements naming the principal; empty when one of them has none. */
  conditions: JsonObject[];
  /** Conditions of Deny statements that may apply to the principal. */
  conditionalDenies: JsonObject[];
}

export interface TrustAnalysis {
  assumers: TrustedAssumer[];
  /** Accounts trusted as a whole (root ARN or bare id): any principal those accounts allow. */
  trustedAccounts: string[];
  /** Principal "*" (or Allow with NotPrincipal): anyone whose own policies allow it. */
  trustsAnyone: boolean;
  /** AWS principals that name no current IAM user or role (deleted principals' ids, sessions, …). */
  unresolvedPrincipals: string[];
  services: string[];
  federated: string[];
  nhi: { managed: boolean; detail: string };
  /** Set when the document could not be read; nothing is granted then. */
  error?: string;
}

/** Resolves a unique id (AIDA…/AROA…) to a principal of the role's own account, if one has it. */
export type UniqueIdResolver = (uniqueId: string) => { kind: AssumerKind; arn: string } | undefined;

interface Statement {
  effect: string;
  actions?: string[];
  notActions?: string[];
  principal?: "*" | Record<string, string[]>;
  notPrincipal?: "*" | Record<string, string[]>;
  condition?: JsonObject;
}

const ASSUME_ROLE = "sts:AssumeRole";
/** The ways into a role: services and federated identities use the last two. */
const ASSUME_ROLE_ACTIONS = [ASSUME_ROLE, "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"];

export function analyzeTrustPolicy(
  role: { arn: string; path: string; document: string | undefined },
  resolveId: UniqueIdResolver = () => undefined,
): TrustAnalysis {
  const analysis: TrustAnalysis = {
    assumers: [],
    trustedAccounts: [],
    trustsAnyone: false,
    unresolvedPrincipals: [],
    services: [],
    federated: [],
    nhi: { managed: false, detail: "aws.role" },
  };
  let statements: Statement[];
  try {
    statements = role.document === undefined ? [] : parseStatements(decodePolicy(role.document));
  } catch (error) {
    analysis.error = error instanceof Error ? error.message : String(error);
    statements = [];
  }
  analysis.nhi = classifyNhi(role, statements, analysis.error !== undefined);

  const allows = statements.filter((s) => s.effect === "Allow" && allowsAction(s, ASSUME_ROLE));
  const denies = statements.filter((s) => s.effect === "Deny" && allowsAction(s, ASSUME_ROLE));
  const byArn = new Map<string, TrustedAssumer & { unconditional: boolean }>();
  const accounts = new Set<string>();
  const unresolved = new Set<string>();
  const services = new Set<string>();
  const federated = new Set<string>();

  // Who else gets in (services, identity providers): shown in the profile, whatever the assume-role flavour.
  for (const statement of statements) {
    if (statement.effect !== "Allow" || statement.principal === undefined || statement.principal === "*") continue;
    if (!ASSUME_ROLE_ACTIONS.some((action) => allowsAction(statement, action))) continue;
    for (const value of statement.principal.Service ?? []) services.add(value);
    for (const value of statement.principal.Federated ?? []) federated.add(value);
  }

  for (const statement of allows) {
    if (statement.notPrincipal !== undefined || statement.principal === "*") {
      analysis.trustsAnyone = true;
      continue;
    }
    for (const value of statement.principal?.AWS ?? []) {
      const principal = classifyAwsPrincipal(value, resolveId);
      switch (principal.kind) {
        case "anyone":
          analysis.trustsAnyone = true;
          break;
        case "account":
          accounts.add(principal.accountId);
          break;
        case "unresolved":
          unresolved.add(value);
          break;
        default: {
          let entry = byArn.get(principal.arn);
          if (!entry) {
            entry = { kind: principal.kind, arn: principal.arn, conditions: [], conditionalDenies: [], unconditional: false };
            byArn.set(principal.arn, entry);
          }
          if (statement.condition === undefined) entry.unconditional = true;
          else entry.conditions.push(statement.condition);
        }
      }
    }
  }

  for (const entry of byArn.values()) {
    let denied = false;
    for (const deny of denies) {
      if (!denyCovers(deny, entry.arn)) continue;
      if (deny.condition === undefined) denied = true;
      else entry.conditionalDenies.push(deny.condition);
    }
    if (denied) continue;
    analysis.assumers.push({
      kind: entry.kind,
      arn: entry.arn,
      conditions: entry.unconditional ? [] : entry.conditions,
      conditionalDenies: entry.conditionalDenies,
    });
  }
  const unconditionalDenies = denies.filter((d) => d.condition === undefined);
  const deniesEveryone = unconditionalDenies.some((d) => d.principal === "*" || (d.principal?.AWS ?? []).includes("*"));
  analysis.trustsAnyone &&= !deniesEveryone;
  analysis.trustedAccounts = [...accounts].filter(
    (account) => !unconditionalDenies.some((d) => denyCovers(d, `arn:aws:iam::${account}:root`)),
  );
  analysis.unresolvedPrincipals = [...unresolved];
  analysis.services = [...services];
  analysis.federated = [...federated];
  return analysis;
}

export function decodePolicy(document: string): unknown {
  return JSON.parse(policyDocumentText(document)) as unknown;
}

function parseStatements(policy: unknown): Statement[] {
  if (!isObject(policy)) throw new Error("trust policy is not a JSON object");
  const raw = policy.Statement;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map((s, index) => {
    if (!isObject(s)) throw new Error(`statement ${index} is not an object`);
    return {
      effect: typeof s.Effect === "string" ? s.Effect : "",
      actions: s.Action === undefined ? undefined : stringList(s.Action, "Action"),
      notActions: s.NotAction === undefined ? undefined : stringList(s.NotAction, "NotAction"),
      principal: s.Principal === undefined ? undefined : principalMap(s.Principal),
      notPrincipal: s.NotPrincipal === undefined ? undefined : principalMap(s.NotPrincipal),
      condition: isObject(s.Condition) ? withoutSecretValues(s.Condition as JsonObject) : undefined,
    };
  });
}

function principalMap(value: unknown): "*" | Record<string, string[]> {
  if (value === "*") return "*";
  if (!isObject(value)) throw new Error("Principal must be \"*\" or an object");
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, stringList(v, `Principal.${key}`)]));
}

function stringList(value: unknown, field: string): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  throw new Error(`${field} must be a string or a list of strings`);
}

function allowsAction(statement: Statement, action: string): boolean {
  if (statement.actions) return statement.actions.some((pattern) => actionMatches(pattern, action));
  if (statement.notActions) return !statement.notActions.some((pattern) => actionMatches(pattern, action));
  return false;
}

/** IAM action patterns: case-insensitive, `*` any run, `?` one character. */
export function actionMatches(pattern: string, action: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "i").test(action);
}

type AwsPrincipal =
  | { kind: "anyone" }
  | { kind: "account"; accountId: string }
  | { kind: "unresolved" }
  | { kind: AssumerKind; arn: string };

const ACCOUNT_ROOT = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;
const USER_OR_ROLE = /^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/.+$/;
const UNIQUE_ID = /^(AIDA|AROA)[A-Z0-9]+$/;

function classifyAwsPrincipal(value: string, resolveId: UniqueIdResolver): AwsPrincipal {
  if (value === "*") return { kind: "anyone" };
  if (/^\d{12}$/.test(value)) return { kind: "account", accountId: value };
  const root = ACCOUNT_ROOT.exec(value);
  if (root) return { kind: "account", accountId: root[1]! };
  const entity = USER_OR_ROLE.exec(value);
  if (entity) return { kind: entity[1] as AssumerKind, arn: value };
  if (UNIQUE_ID.test(value)) {
    const resolved = resolveId(value);
    return resolved ? { kind: resolved.kind, arn: resolved.arn } : { kind: "unresolved" };
  }
  return { kind: "unresolved" };
}

/** Does this Deny statement name the principal (directly, by its account, or by "*")? */
function denyCovers(deny: Statement, principalArn: string): boolean {
  const account = /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(principalArn)?.[1];
  const names = (list: string[]) =>
    list.some((v) => v === "*" || v === principalArn || (account !== undefined && (v === account || v === `arn:aws:iam::${account}:root`)));
  if (deny.principal !== undefined) return deny.principal === "*" || names(deny.principal.AWS ?? []);
  if (deny.notPrincipal !== undefined) return deny.notPrincipal !== "*" && !names(deny.notPrincipal.AWS ?? []);
  return false;
}

/**
 * baton-aws's classification, kept identical so reviews keyed on it keep working: service-linked
 * roles are managed identities; other roles are assumable, detailed by the first trusted service
 * (sorted), else the federation kind, else "cross_account" when an AWS principal ARN belongs to
 * another account. baton-aws considers Allow statements whose Action starts with sts:AssumeRole.
 */
function classifyNhi(role: { arn: string; path: string }, statements: Statement[], unreadable: boolean): TrustAnalysis["nhi"] {
  if (role.path.startsWith("/aws-service-role/")) return { managed: true, detail: "aws.service_linked_role" };
  const base = "aws.role";
  if (unreadable) return { managed: false, detail: base };
  const aws: string[] = [];
  const services: string[] = [];
  const federated: string[] = [];
  for (const s of statements) {
    if (s.effect !== "Allow" || !(s.actions ?? []).some((a) => a.startsWith(ASSUME_ROLE))) continue;
    if (s.principal === undefined || s.principal === "*") continue;
    aws.push(...(s.principal.AWS ?? []));
    services.push(...(s.principal.Service ?? []));
    federated.push(...(s.principal.Federated ?? []));
  }
  const shortServices = services
    .map((s) => s.split(".")[0]!.replaceAll("-", "_").toLowerCase())
    .filter((s) => s !== "")
    .sort();
  if (shortServices.length > 0) return { managed: false, detail: `${base}.${shortServices[0]}` };
  if (federated.length > 0) {
    for (const f of federated) {
      if (f.includes(":oidc-provider/")) return { managed: false, detail: `${base}.oidc` };
      if (f.includes(":saml-provider/")) return { managed: false, detail: `${base}.saml` };
    }
    return { managed: false, detail: `${base}.federated` };
  }
  const roleAccount = arnAccount(role.arn);
  if (roleAccount && aws.some((p) => {
    const account = arnAccount(p);
    return account !== undefined && account !== roleAccount;
  })) {
    return { managed: false, detail: `${base}.cross_account` };
  }
  return { managed: false, detail: base };
}

/** The account field of an ARN (as Go's arn.Parse reads it), undefined when absent. */
function arnAccount(value: string): string | undefined {
  if (!value.startsWith("arn:")) return undefined;
  const parts = value.split(":");
  if (parts.length < 6) return undefined;
  return parts[4] === "" ? undefined : parts[4];
}

function isObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
