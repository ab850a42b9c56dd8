import { describe, expect, test } from "vitest";
import { actionMatches, documentPrivilege, wellKnownPolicyPrivilege } from "../../src/report/policy-privilege.js";

const doc = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

describe("privilege from a policy document", () => {
  test("* on * is administrator; so is *:*", () => {
    expect(documentPrivilege(doc({ Effect: "Allow", Action: "*", Resource: "*" }))).toEqual({ level: "admin", reason: "* on *" });
    expect(documentPrivilege(doc({ Effect: "Allow", Action: ["s3:GetObject", "*:*"], Resource: ["*"] }))?.level).toBe("admin");
  });

  test("* on one resource is not administrator, but still lets IAM be written there", () => {
    const found = documentPrivilege(doc({ Effect: "Allow", Action: "*", Resource: "arn:aws:iam::111111111111:role/x" }));
    expect(found).toEqual({ level: "iam-write", reason: "* on arn:aws:iam::111111111111:role/x" });
  });

  test("iam:* and escalation actions are IAM write; read-only IAM is not", () => {
    expect(documentPrivilege(doc({ Effect: "Allow", Action: "iam:*", Resource: "*" }))).toEqual({ level: "iam-write", reason: "iam:*" });
    expect(documentPrivilege(doc({ Effect: "Allow", Action: ["iam:Attach*"], Resource: "*" }))?.level).toBe("iam-write");
    expect(documentPrivilege(doc({ Effect: "Allow", Action: "IAM:putrolepolicy", Resource: "*" }))?.level).toBe("iam-write");
    expect(documentPrivilege(doc({ Effect: "Allow", Action: ["iam:Get*", "iam:List*", "s3:*"], Resource: "*" }))).toBeUndefined();
    // iam:PassRole alone hands no IAM power out.
    expect(documentPrivilege(doc({ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }))).toBeUndefined();
  });

  test("Identity Center assignment and group membership writes are Identity Center write", () => {
    expect(documentPrivilege(doc({ Effect: "Allow", Action: "sso:*", Resource: "*" }))?.level).toBe("sso-write");
    expect(documentPrivilege(doc({ Effect: "Allow", Action: "identitystore:CreateGroupMembership", Resource: "*" }))?.level).toBe("sso-write");
    expect(documentPrivilege(doc({ Effect: "Allow", Action: ["sso:List*", "sso:Describe*"], Resource: "*" }))).toBeUndefined();
  });

  test("NotAction allows everything it does not name: PowerUserAccess's shape reaches Identity Center", () => {
    const powerUser = doc({ Effect: "Allow", NotAction: ["iam:*", "organizations:*", "account:*"], Resource: "*" });
    expect(documentPrivilege(powerUser)).toEqual({ level: "sso-write", reason: "all actions except iam:*, organizations:*, account:*" });
    expect(documentPrivilege(doc({ Effect: "Allow", NotAction: ["s3:*"], Resource: "*" }))?.level).toBe("iam-write");
    expect(documentPrivilege(doc({ Effect: "Allow", NotAction: ["iam:*", "sso:*", "identitystore:*"], Resource: "*" }))).toBeUndefined();
  });

  test("the strongest statement wins; Deny statements are not subtracted; conditions are reported", () => {
    const found = documentPrivilege(
      doc({ Effect: "Allow", Action: "sso:CreateAccountAssignment", Resource: "*" }, { Effect: "Allow", Action: "*", Resource: "*", Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } }, { Effect: "Deny", Action: "*", Resource: "*" }),
    );
    expect(found).toEqual({ level: "admin", reason: "* on * (conditional)" });
  });

  test("documents as GetAccountAuthorizationDetails returns them (URL-encoded), a single statement object, or unreadable", () => {
    expect(documentPrivilege(encodeURIComponent(doc({ Effect: "Allow", Action: "*", Resource: "*" })))?.level).toBe("admin");
    expect(documentPrivilege(JSON.stringify({ Statement: { Effect: "Allow", Action: "iam:CreateAccessKey", Resource: "*" } }))?.level).toBe("iam-write");
    expect(documentPrivilege("not json")).toBeUndefined();
    expect(documentPrivilege(JSON.stringify({ Statement: "x" }))).toBeUndefined();
  });

  test("AWS's well-known admin policies without a document", () => {
    expect(wellKnownPolicyPrivilege("arn:aws:iam::aws:policy/AdministratorAccess")).toEqual({ level: "admin", reason: "AWS-managed AdministratorAccess" });
    expect(wellKnownPolicyPrivilege("arn:aws:iam::aws:policy/IAMFullAccess")?.level).toBe("iam-write");
    expect(wellKnownPolicyPrivilege("arn:aws:iam::aws:policy/ReadOnlyAccess")).toBeUndefined();
    expect(wellKnownPolicyPrivilege("arn:aws:iam::123456789012:policy/AdministratorAccess")).toBeUndefined();
  });

  test("action wildcards", () => {
    expect(actionMatches("iam:Put*Policy", "iam:PutRolePolicy")).toBe(true);
    expect(actionMatches("iam:?etRole", "iam:GetRole")).toBe(true);
    expect(actionMatches("iam:Put*", "iam:AttachRolePolicy")).toBe(false);
    expect(actionMatches("s3.*", "s3:Get")).toBe(false);
  });
});
