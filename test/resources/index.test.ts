import { afterEach, describe, expect, test } from "vitest";
import { unitSetup } from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

describe("createResourceSyncers", () => {
  test.each([
    [{ organizations: true, identityCenter: true, crossAccountIam: true }, ["iam_user", "group", "role", "sso_user", "sso_group", "account", "permission_set", "account_iam"]],
    [{ organizations: true, identityCenter: true, crossAccountIam: false }, ["iam_user", "group", "role", "sso_user", "sso_group", "account", "permission_set"]],
    [{ organizations: false, identityCenter: true, crossAccountIam: true }, ["iam_user", "group", "role", "sso_user", "sso_group", "account", "permission_set", "account_iam"]],
    [{ organizations: true, identityCenter: false, crossAccountIam: true }, ["iam_user", "group", "role", "account_iam"]],
    [{ organizations: false, identityCenter: false, crossAccountIam: true }, ["iam_user", "group", "role"]],
    [{ organizations: false, identityCenter: false, crossAccountIam: false }, ["iam_user", "group", "role"]],
  ])("features %o → %o", (features, types) => {
    setup = unitSetup(features);
    expect(setup.syncerIds()).toEqual(types);
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
      for (const actions of Object.values(readPermissions({ organizations }))) {
        for (const action of actions) expect(granted, action).toContain(action);
      }
    }
  });
});
