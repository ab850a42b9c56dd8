import { describe, expect, it } from "vitest";
import { entitlementFromId, grantFromId, principalFromRef } from "../../src/cli/provisioning-refs.js";
import { UserError } from "../../src/cli/fatal.js";
import { parseAccountGrantId, parseMemberGrantId } from "../../src/resources/ids.js";

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
    expect(() => grantFromId("9067639464-11111111-2222-3333-4444-555555555555")).toThrow(/MembershipId/);
  });

  it("parses only what the syncers emit", () => {
    expect(parseAccountGrantId(`grant:sso_group:${SSO_GROUP}:123456789012|${PS}`)).toEqual({
      principalTypeId: "sso_group",
      principalId: SSO_GROUP,
      entitlementId: `123456789012|${PS}`,
    });
    expect(parseAccountGrantId(`grant:iam_user:${USER}:123456789012|${PS}`)).toBeUndefined();
    expect(parseMemberGrantId(`group:${GROUP}:member:iam_user:${USER}`, "group", "iam_user")).toEqual({ resourceId: GROUP, principalId: USER });
    expect(parseMemberGrantId(`group:${GROUP}:member:iam_user:`, "group", "iam_user")).toBeUndefined();
    expect(parseMemberGrantId(`sso_group:${SSO_GROUP}:member:sso_user:${SSO_USER}`, "group", "iam_user")).toBeUndefined();
  });
});
