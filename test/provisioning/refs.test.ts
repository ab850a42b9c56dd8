import { describe, expect, it } from "vitest";
import { entitlementFromId, grantFromId, principalFromRef } from "../../src/cli/provisioning-refs.js";
import { UserError } from "../../src/cli/fatal.js";
import { parseAccountGrantId, parseSlugGrantId } from "../../src/resources/ids.js";

const GROUP = "arn:aws:iam::123456789012:group/eng/Dev";
const USER = "arn:aws:iam::123456789012:user/alice";
const SSO_USER = "arn:aws:identitystore:eu-west-1::d-1234567890/user/9067639464-11111111-2222-3333-4444-555555555555";
const SSO_GROUP = "arn:aws:identitystore:eu-west-1::d-1234567890/group/g-1";
const PS = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222";

describe("ids on the command line", () => {
  it("builds the entitlement's resource from each provisionable entitlement id form", () => {
    expect(entitlementFromId(`group:${GROUP}:member`).resource!.id).toMatchObject({ resourceType: "group", resource: GROUP });
    expect(entitlementFromId(`sso_group:${SSO_GROUP}:member`).resource!.id).toMatchObject({ resourceType: "sso_group", resource: SSO_GROUP });
    expect(entitlementFromId(`123456789012|${PS}`).resource!.id).toMatchObject({ resourceType: "account", resource: "123456789012" });
    expect(() => entitlementFromId(`role:${USER}:assignment`)).toThrow(UserError);
  });

  it("splits TYPE:ID principals only for principal types", () => {
    expect(principalFromRef(`sso_user:${SSO_USER}`).id).toMatchObject({ resourceType: "sso_user", resource: SSO_USER });
    expect(() => principalFromRef(USER)).toThrow(UserError); // "arn" is not a type
    expect(() => principalFromRef("account:123456789012")).toThrow(UserError);
  });

  it("takes grant ids apart into entitlement and principal", () => {
    const account = grantFromId(`grant:sso_user:${SSO_USER}:123456789012|${PS}`);
    expect(account.entitlement!.id).toBe(`123456789012|${PS}`);
    expect(account.principal!.id).toMatchObject({ resourceType: "sso_user", resource: SSO_USER });
    const member = grantFromId(`group:${GROUP}:member:iam_user:${USER}`);
    expect(member.entitlement!.id).toBe(`group:${GROUP}:member`);
    expect(member.principal!.id).toMatchObject({ resourceType: "iam_user", resource: USER });
    const binding = grantFromId(`grant:sso_group:${SSO_GROUP}:permission_set_assignment:${PS}-123456789012:assigned`);
    expect(binding.entitlement!.resource!.id).toMatchObject({ resourceType: "permission_set_assignment", resource: `${PS}-123456789012` });
    expect(binding.principal!.id).toMatchObject({ resourceType: "sso_group", resource: SSO_GROUP });
    const policy = grantFromId(`iam_policy:arn:aws:iam::aws:policy/job-function/ViewOnlyAccess:attached:role:arn:aws:iam::123456789012:role/ops/Deployer`);
    expect(policy.entitlement!.resource!.id).toMatchObject({ resourceType: "iam_policy", resource: "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess" });
    expect(policy.principal!.id).toMatchObject({ resourceType: "role", resource: "arn:aws:iam::123456789012:role/ops/Deployer" });
    const inline = grantFromId(`inline_policy:${GROUP}::inline::s3-read:attached:group:${GROUP}`);
    expect(inline.entitlement!.id).toBe(`inline_policy:${GROUP}::inline::s3-read:attached`);
    expect(inline.principal!.id).toMatchObject({ resourceType: "group", resource: GROUP });
    expect(() => grantFromId(`iam_policy:arn:aws:iam::aws:policy/X:attached:sso_user:${SSO_USER}`)).toThrow(UserError);
    expect(() => grantFromId("9067639464-11111111-2222-3333-4444-555555555555")).toThrow(/MembershipId/);
  });

  it("parses only what the syncers emit", () => {
    expect(parseAccountGrantId(`grant:sso_group:${SSO_GROUP}:123456789012|${PS}`)).toEqual({
      principalTypeId: "sso_group",
      principalId: SSO_GROUP,
      entitlementId: `123456789012|${PS}`,
    });
    expect(parseAccountGrantId(`grant:iam_user:${USER}:123456789012|${PS}`)).toBeUndefined();
    expect(parseSlugGrantId(`group:${GROUP}:member:iam_user:${USER}`, "group", "member", "iam_user")).toEqual({ resourceId: GROUP, principalId: USER });
    expect(parseSlugGrantId(`group:${GROUP}:member:iam_user:`, "group", "member", "iam_user")).toBeUndefined();
    expect(parseSlugGrantId(`sso_group:${SSO_GROUP}:member:sso_user:${SSO_USER}`, "group", "member", "iam_user")).toBeUndefined();
  });
});
