import { describe, expect, test } from "vitest";
import { actionMatches, analyzeTrustPolicy } from "../../src/resources/trust-policy.js";

const ROLE = "arn:aws:iam::111111111111:role/Target";
const ALICE = "arn:aws:iam::111111111111:user/alice";
const BOB = "arn:aws:iam::111111111111:user/team/bob";
const PIPELINE = "arn:aws:iam::222222222222:role/Pipeline";

const analyze = (policy: unknown, resolve?: Parameters<typeof analyzeTrustPolicy>[1]) =>
  analyzeTrustPolicy({ arn: ROLE, path: "/", document: encodeURIComponent(JSON.stringify(policy)) }, resolve);
const assumers = (policy: unknown, resolve?: Parameters<typeof analyzeTrustPolicy>[1]) =>
  analyze(policy, resolve).assumers.map((a) => `${a.kind}:${a.arn}`);
const statement = (s: Record<string, unknown>) => ({ Version: "2012-10-17", Statement: s });

describe("trust policy analysis", () => {
  test("Allow with sts:AssumeRole names users and roles; Statement may be an object or a list", () => {
    expect(assumers(statement({ Effect: "Allow", Principal: { AWS: [ALICE, PIPELINE] }, Action: "sts:AssumeRole" }))).toEqual([
      `user:${ALICE}`,
      `role:${PIPELINE}`,
    ]);
    expect(assumers({ Statement: [{ Effect: "Allow", Principal: { AWS: BOB }, Action: ["sts:TagSession", "sts:AssumeRole"] }] })).toEqual([`user:${BOB}`]);
  });

  test("actions match with IAM wildcards, case-insensitively; NotAction counts when it spares AssumeRole", () => {
    expect(actionMatches("sts:*", "sts:AssumeRole")).toBe(true);
    expect(actionMatches("STS:assumerole", "sts:AssumeRole")).toBe(true);
    expect(actionMatches("sts:Assume?ole", "sts:AssumeRole")).toBe(true);
    expect(actionMatches("sts:AssumeRoleWithSAML", "sts:AssumeRole")).toBe(false);
    expect(assumers(statement({ Effect: "Allow", Principal: { AWS: ALICE }, Action: "*" }))).toEqual([`user:${ALICE}`]);
    expect(assumers(statement({ Effect: "Allow", Principal: { AWS: ALICE }, NotAction: "sts:TagSession" }))).toEqual([`user:${ALICE}`]);
    expect(assumers(statement({ Effect: "Allow", Principal: { AWS: ALICE }, NotAction: "sts:*" }))).toEqual([]);
    expect(assumers(statement({ Effect: "Allow", Principal: { AWS: ALICE }, Action: "sts:AssumeRoleWithWebIdentity" }))).toEqual([]);
  });

  test("account roots, bare account ids, * and sessions are not grants but are reported", () => {
    const result = analyze({
      Statement: [
        { Effect: "Allow", Principal: { AWS: ["arn:aws:iam::222222222222:root", "333333333333", "arn:aws:sts::111111111111:assumed-role/R/s"] }, Action: "sts:AssumeRole" },
        { Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" },
      ],
    });
    expect(result.assumers).toEqual([]);
    expect(result.trustedAccounts).toEqual(["222222222222", "333333333333"]);
    expect(result.trustsAnyone).toBe(true);
    expect(result.unresolvedPrincipals).toEqual(["arn:aws:sts::111111111111:assumed-role/R/s"]);
  });

  test("unique ids grant only when they name a principal that still exists in the account", () => {
    const policy = statement({ Effect: "Allow", Principal: { AWS: ["AIDAEXISTING00000001", "AROADELETED000000001"] }, Action: "sts:AssumeRole" });
    const resolve = (id: string) => (id === "AIDAEXISTING00000001" ? { kind: "user" as const, arn: ALICE } : undefined);
    const result = analyze(policy, resolve);
    expect(result.assumers.map((a) => a.arn)).toEqual([ALICE]);
    expect(result.unresolvedPrincipals).toEqual(["AROADELETED000000001"]);
  });

  test("an unconditional Deny removes the grant; a conditional one is recorded", () => {
    const allowBoth = { Effect: "Allow", Principal: { AWS: [ALICE, BOB] }, Action: "sts:AssumeRole" };
    expect(assumers({ Statement: [allowBoth, { Effect: "Deny", Principal: { AWS: ALICE }, Action: "sts:AssumeRole" }] })).toEqual([`user:${BOB}`]);
    expect(assumers({ Statement: [allowBoth, { Effect: "Deny", Principal: { AWS: "111111111111" }, Action: "sts:*" }] })).toEqual([]);
    expect(assumers({ Statement: [allowBoth, { Effect: "Deny", Principal: "*", Action: "sts:AssumeRole" }] })).toEqual([]);
    expect(assumers({ Statement: [allowBoth, { Effect: "Deny", NotPrincipal: { AWS: BOB }, Action: "sts:AssumeRole" }] })).toEqual([`user:${BOB}`]);
    expect(assumers({ Statement: [allowBoth, { Effect: "Deny", Principal: { AWS: ALICE }, Action: "s3:*" }] })).toEqual([`user:${ALICE}`, `user:${BOB}`]);
    const conditional = analyze({
      Statement: [allowBoth, { Effect: "Deny", Principal: { AWS: ALICE }, Action: "sts:AssumeRole", Condition: { Bool: { "aws:MultiFactorAuthPresent": "false" } } }],
    });
    expect(conditional.assumers.find((a) => a.arn === ALICE)?.conditionalDenies).toEqual([{ Bool: { "aws:MultiFactorAuthPresent": "false" } }]);
  });

  test("conditions are kept when every Allow naming the principal has one; one unconditional Allow wins", () => {
    const mfa = { Bool: { "aws:MultiFactorAuthPresent": "true" } };
    const conditional = analyze(statement({ Effect: "Allow", Principal: { AWS: ALICE }, Action: "sts:AssumeRole", Condition: mfa }));
    expect(conditional.assumers).toEqual([{ kind: "user", arn: ALICE, conditions: [mfa], conditionalDenies: [] }]);
    const both = analyze({
      Statement: [
        { Effect: "Allow", Principal: { AWS: ALICE }, Action: "sts:AssumeRole", Condition: mfa },
        { Effect: "Allow", Principal: { AWS: ALICE }, Action: "sts:AssumeRole" },
      ],
    });
    expect(both.assumers).toEqual([{ kind: "user", arn: ALICE, conditions: [], conditionalDenies: [] }]);
  });

  test("raw (not URL-encoded) documents are read too; garbage is an error, not a grant", () => {
    const raw = analyzeTrustPolicy({ arn: ROLE, path: "/", document: JSON.stringify(statement({ Effect: "Allow", Principal: { AWS: ALICE }, Action: "sts:AssumeRole" })) });
    expect(raw.assumers.map((a) => a.arn)).toEqual([ALICE]);
    const broken = analyzeTrustPolicy({ arn: ROLE, path: "/", document: "{" });
    expect(broken.assumers).toEqual([]);
    expect(broken.error).toBeDefined();
    expect(analyzeTrustPolicy({ arn: ROLE, path: "/", document: encodeURIComponent('{"Statement":[{"Effect":"Allow","Action":7}]}') }).error).toMatch(/Action/);
  });

  test("non-human identity classification follows baton-aws", () => {
    const nhi = (policy: unknown, path = "/") => analyzeTrustPolicy({ arn: ROLE, path, document: encodeURIComponent(JSON.stringify(policy)) }).nhi;
    const allow = (principal: unknown, action = "sts:AssumeRole") => statement({ Effect: "Allow", Principal: principal, Action: action });
    expect(nhi(allow({ Service: "ec2.amazonaws.com" }), "/aws-service-role/x/")).toEqual({ managed: true, detail: "aws.service_linked_role" });
    expect(nhi(allow({ Service: ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com"] }))).toEqual({ managed: false, detail: "aws.role.ecs_tasks" });
    expect(nhi(allow({ Federated: "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com" }, "sts:AssumeRoleWithWebIdentity"))).toEqual({ managed: false, detail: "aws.role.oidc" });
    expect(nhi(allow({ Federated: "cognito-identity.amazonaws.com" }, "sts:AssumeRoleWithWebIdentity"))).toEqual({ managed: false, detail: "aws.role.federated" });
    expect(nhi(allow({ AWS: PIPELINE }))).toEqual({ managed: false, detail: "aws.role.cross_account" });
    expect(nhi(allow({ AWS: "222222222222" }))).toEqual({ managed: false, detail: "aws.role" });
    expect(nhi(allow({ AWS: ALICE }))).toEqual({ managed: false, detail: "aws.role" });
  });
});
