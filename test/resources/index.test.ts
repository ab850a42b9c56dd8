import { afterEach, describe, expect, test } from "vitest";
import { unitSetup } from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

const IAM = ["iam_user", "group", "role", "iam_policy", "inline_policy"];
const SSO = ["sso_user", "sso_group", "account", "permission_set", "permission_set_assignment"];

describe("createResourceSyncers", () => {
  test.each([
    [{ organizations: true, identityCenter: true, crossAccountIam: true }, [...SSO, ...IAM, "account_iam"]],
    [{ organizations: true, identityCenter: true, crossAccountIam: false }, [...SSO, ...IAM]],
    [{ organizations: false, identityCenter: true, crossAccountIam: true }, [...SSO, ...IAM, "account_iam"]],
    [{ organizations: true, identityCenter: false, crossAccountIam: true }, [...IAM, "account_iam"]],
    [{ organizations: false, identityCenter: false, crossAccountIam: true }, IAM],
    [{ organizations: false, identityCenter: false, crossAccountIam: false }, IAM],
    [{ organizations: true, identityCenter: true, crossAccountIam: true, organizationTree: true, syncSecrets: true }, [...SSO, ...IAM, "account_iam", "organization", "organizational_unit", "access-key"]],
    // The tree needs Organizations.
    [{ organizations: false, identityCenter: true, crossAccountIam: false, organizationTree: true }, [...SSO, ...IAM]],
  ])("features %o → %o", (features, types) => {
    setup = unitSetup(features);
    expect(setup.syncerIds()).toEqual(types);
  });
});

describe("capabilities", () => {
  test("opt-in types say so (opt_in_required), and each type names the permissions it calls, as baton-sdk's builder derives them", async () => {
    const { buildCapabilities } = await import("../../src/connector/connector.js");
    setup = unitSetup({ organizationTree: true, syncSecrets: true, crossAccountIam: true });
    const capabilities = buildCapabilities(setup.syncerIds().map((id) => setup.syncer(id)), new Map());
    const optIn = capabilities.resourceTypeCapabilities.filter((c) => c.optInRequired).map((c) => c.resourceType!.id).sort();
    expect(optIn).toEqual(["organization", "organizational_unit", "permission_set", "permission_set_assignment"]);
    const account = capabilities.resourceTypeCapabilities.find((c) => c.resourceType!.id === "account")!;
    expect(account.permissions?.permissions.map((p) => p.permission)).toContain("sso:ListAccountAssignments");
  });
});

describe("docs/resources.md", () => {
  test("its policy grants every action the resource types declare they call", async () => {
    const { readFileSync } = await import("node:fs");
    const { readPermissions } = await import("../../src/resources/resource-types.js");
    const text = readFileSync(new URL("../../docs/resources.md", import.meta.url), "utf8");
    const policy = JSON.parse(/```json\n(\{[\s\S]*?\n\})\n```/.exec(text)![1]!) as { Statement: Array<{ Action: string[] }> };
    const granted = new Set(policy.Statement.flatMap((s) => s.Action));
    for (const organizations of [true, false]) {
      const features = { organizations, syncSecrets: true, organizationTree: true, managedPolicies: "all" as const };
      for (const actions of Object.values(readPermissions(features))) {
        for (const action of actions) expect(granted, action).toContain(action);
      }
    }
  });
});
