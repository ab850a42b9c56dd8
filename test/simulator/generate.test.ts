import { describe, expect, it } from "vitest";
import { PROFILES, createOrganization, createPrng, generateOrgSpec, modelQueries, type Account, type SimModel } from "../../src/simulator/index.js";

describe("seeded PRNG", () => {
  it("repeats for a seed and stream, differs across seeds and streams", () => {
    const draw = (seed: number, stream: string) => Array.from({ length: 5 }, createPrng(seed, stream).next);
    expect(draw(1, "a")).toEqual(draw(1, "a"));
    expect(draw(1, "a")).not.toEqual(draw(2, "a"));
    expect(draw(1, "a")).not.toEqual(draw(1, "b"));
    const prng = createPrng(9);
    expect(prng.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (let i = 0; i < 1000; i++) expect(prng.int(7)).toBeLessThan(7);
  });
});

describe("organisation generator", () => {
  it("is deterministic for a seed and varies with it", () => {
    expect(generateOrgSpec({ profile: "small", seed: 5 })).toEqual(generateOrgSpec({ profile: "small", seed: 5 }));
    expect(generateOrgSpec({ profile: "small", seed: 6 })).not.toEqual(generateOrgSpec({ profile: "small", seed: 5 }));
  });

  it("demo: a readable organisation with the pieces tests and the demo rely on", () => {
    const model = createOrganization({ profile: "demo" });
    const management = model.organization!.managementAccountId;
    const members = modelQueries.organizationAccounts(model).filter((a) => a.id !== management);
    expect(members).toHaveLength(4);
    expect(members.filter((a) => a.state === "SUSPENDED")).toHaveLength(1);
    expect([...model.accounts].filter((a) => !a.inOrganization)).toHaveLength(1);
    expect(model.accounts.get(management)!.iam.alias).toBe("example-corp");
    for (const member of members) {
      const role = member.iam.roles.get("OrganizationAccountAccessRole")!;
      expect(JSON.parse(role.trustPolicy).Statement[0].Principal.AWS).toBe(`arn:aws:iam::${management}:root`);
    }
    expect(modelQueries.requiredExternalId(model, management, "ConnectorReadOnly")).toMatch(/^ext-[0-9a-f]{16}$/);
    expect(model.identityStore!.users.length).toBe(10);
    expect(model.identityStore!.groups.length).toBe(4);
    const names = [...model.ssoInstance!.permissionSets].map((p) => p.name);
    expect(names).toEqual(["AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "SecurityAudit", "Billing"]);
    const assignments = modelQueries.allAssignments(model);
    expect(new Set(assignments.map((a) => a.principalType))).toEqual(new Set(["USER", "GROUP"]));
    const user = model.identityStore!.users.at(0)!;
    expect(user.email).toMatch(/^[a-z]+\.[a-z]+\d*@example\.com$/);
  });

  it("uses real id formats everywhere", () => {
    const model = createOrganization({ profile: "small", seed: 2 });
    expect(model.organization!.id).toMatch(/^o-[a-z0-9]{10}$/);
    expect(model.identityStore!.id).toMatch(/^d-[0-9a-f]{10}$/);
    expect(model.ssoInstance!.arn).toMatch(/^arn:aws:sso:::instance\/ssoins-[0-9a-f]{16}$/);
    for (const p of model.ssoInstance!.permissionSets) expect(p.arn).toMatch(/^arn:aws:sso:::permissionSet\/ssoins-[0-9a-f]{16}\/ps-[0-9a-f]{16}$/);
    for (const a of model.accounts) {
      expect(a.id).toMatch(/^\d{12}$/);
      for (const u of a.iam.users) expect(u.id).toMatch(/^AIDA[A-Z2-7]{17}$/);
      for (const g of a.iam.groups) expect(g.id).toMatch(/^AGPA[A-Z2-7]{17}$/);
      for (const r of a.iam.roles) expect(r.id).toMatch(/^AROA[A-Z2-7]{17}$/);
    }
    for (const u of model.identityStore!.users) expect(u.id).toMatch(/^[0-9a-f]{10}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("profiles are parameterised: a new one is one object", () => {
    const sizes = { ...PROFILES.demo, memberAccounts: 7, ssoUsers: 33 };
    const model = createOrganization({ profile: sizes });
    expect(modelQueries.organizationAccounts(model)).toHaveLength(8);
    expect(model.identityStore!.users.length).toBe(33);
  });

  it("large: tens of thousands of users with skewed group sizes and assignments", () => {
    const model: SimModel = createOrganization({ profile: "large" });
    const store = model.identityStore!;
    expect(store.users.length).toBe(PROFILES.large.ssoUsers);
    expect(store.groups.length).toBe(PROFILES.large.ssoGroups);
    expect(modelQueries.organizationAccounts(model)).toHaveLength(PROFILES.large.memberAccounts + 1);
    const sizes = [...store.groups].map((g) => modelQueries.groupMemberIds(model, g.id).length).sort((a, b) => b - a);
    const median = sizes[Math.floor(sizes.length / 2)]!;
    expect(sizes[0]!).toBeGreaterThan(median * 20); // a few very large groups, a long tail
    expect(store.memberships.size).toBeGreaterThan(PROFILES.large.ssoUsers * 2);
    expect(modelQueries.allAssignments(model).length).toBeGreaterThan(5_000);
  });
});

/** Whether a policy document grants everything, all of IAM or all of Identity Center. */
function adminLike(document: string): boolean {
  const statements = (JSON.parse(document) as { Statement: Array<{ Effect: string; Action?: string | string[]; Resource?: string | string[] }> }).Statement;
  return statements.some((s) => s.Effect === "Allow" && [s.Action ?? []].flat().some((a) => a === "*" || a === "iam:*" || a === "sso:*"));
}

describe("generated access model", () => {
  const models = Object.fromEntries((["demo", "small", "medium"] as const).map((profile) => [profile, createOrganization({ profile })])) as Record<string, SimModel>;

  it("nests OUs a few levels deep and places every organisation account under the root or an OU", () => {
    for (const [profile, model] of Object.entries(models)) {
      const org = model.organization!;
      expect(org.root.id).toMatch(/^r-[0-9a-z]{4}$/);
      const depth = (id: string): number => (id === org.root.id ? 0 : 1 + depth(org.units.get(id)!.parentId));
      for (const unit of org.units) {
        expect(unit.id).toMatch(new RegExp(`^ou-${org.root.id.slice(2)}-[a-z0-9]{8}$`));
        expect(unit.arn).toBe(`arn:aws:organizations::${org.managementAccountId}:ou/${org.id}/${unit.id}`);
      }
      expect(Math.max(...[...org.units].map((u) => depth(u.id)))).toBeGreaterThanOrEqual(profile === "demo" ? 3 : 4);
      const members = modelQueries.organizationAccounts(model);
      for (const account of members) expect(account.parentId === org.root.id || org.units.has(account.parentId!)).toBe(true);
      expect(members.filter((a) => a.parentId !== org.root.id).length).toBeGreaterThan(members.length / 2);
      for (const account of [...model.accounts].filter((a) => !a.inOrganization)) expect(account.parentId).toBeUndefined();
      const suspended = members.find((a) => a.state === "SUSPENDED")!;
      expect(org.units.get(suspended.parentId!)!.name).toBe("Suspended");
    }
  });

  it("gives every account the organisation-wide policies, and scoped and admin-like documents with several versions", () => {
    const model = models.medium!;
    let admin = 0;
    let scoped = 0;
    let versioned = 0;
    for (const account of model.accounts) {
      for (const name of ["org/OrgReadOnlyBaseline", "org/DeveloperAccess", "org/OperatorAccess", "boundaries/DeveloperBoundary"]) {
        expect(account.iam.policies.has(`arn:aws:iam::${account.id}:policy/${name}`)).toBe(true);
      }
      for (const policy of account.iam.policies) {
        if (adminLike(policy.document)) admin++;
        else scoped++;
        if (policy.versions.length > 1) versioned++;
        expect(policy.versions.at(-1)!.versionId).toBe(policy.defaultVersionId);
        expect(policy.document).toBe(policy.versions.at(-1)!.document);
      }
    }
    expect(admin).toBeGreaterThan(10);
    expect(scoped).toBeGreaterThan(admin * 3);
    expect(versioned).toBeGreaterThan(model.accounts.length);
    expect(adminLike(model.awsManagedPolicies.get("arn:aws:iam::aws:policy/AdministratorAccess")!.document)).toBe(true);
    expect(adminLike(model.awsManagedPolicies.get("arn:aws:iam::aws:policy/IAMFullAccess")!.document)).toBe(true);
    expect(adminLike(model.awsManagedPolicies.get("arn:aws:iam::aws:policy/ReadOnlyAccess")!.document)).toBe(false);
  });

  it("attaches managed policies (within AWS's 10 per entity), inline policies and boundaries to users, groups and roles", () => {
    const model = models.medium!;
    const entities = [...model.accounts].flatMap((a: Account) => [...a.iam.users, ...a.iam.groups, ...a.iam.roles]);
    for (const e of entities) expect(e.attachedPolicies.length).toBeLessThanOrEqual(10);
    const users = [...model.accounts].flatMap((a) => [...a.iam.users]);
    const roles = [...model.accounts].flatMap((a) => [...a.iam.roles]);
    const groups = [...model.accounts].flatMap((a) => [...a.iam.groups]);
    expect(users.filter((u) => u.attachedPolicies.length > 0).length).toBeGreaterThan(20);
    expect(users.filter((u) => u.inlinePolicies.length > 0).length).toBeGreaterThan(20);
    expect(users.some((u) => u.inlinePolicies.some((p) => adminLike(p.document)))).toBe(true);
    expect(users.some((u) => u.attachedPolicies.includes("arn:aws:iam::aws:policy/IAMFullAccess"))).toBe(true);
    expect(groups.every((g) => g.attachedPolicies.length > 0)).toBe(true);
    expect(groups.filter((g) => g.inlinePolicies.length > 0).length).toBeGreaterThan(5);
    expect(roles.filter((r) => r.inlinePolicies.length > 0).length).toBeGreaterThan(20);
    expect(roles.filter((r) => r.permissionsBoundary).length).toBeGreaterThan(5);
    expect(users.filter((u) => u.permissionsBoundary).length).toBeGreaterThan(5);
    // Some AWS-managed policies of the catalogue are attached nowhere.
    const attached = new Set(entities.flatMap((e) => e.attachedPolicies));
    expect([...model.awsManagedPolicies].filter((p) => !attached.has(p.arn)).length).toBeGreaterThan(3);
  });

  it("gives users console passwords, access keys with and without last use, MFA devices and other credentials", () => {
    const users = [...models.medium!.accounts].flatMap((a) => [...a.iam.users]);
    const keys = users.flatMap((u) => u.accessKeys);
    expect(keys.length).toBeGreaterThan(users.length / 3);
    for (const key of keys) expect(key.id).toMatch(/^AKIA[A-Z0-9]{16}$/);
    expect(new Set(keys.map((k) => k.id)).size).toBe(keys.length);
    expect(keys.filter((k) => k.lastUsed).length).toBeGreaterThan(keys.length / 2);
    expect(keys.filter((k) => !k.lastUsed).length).toBeGreaterThan(10);
    expect(keys.filter((k) => k.status === "Inactive").length).toBeGreaterThan(10);
    for (const key of keys) if (key.lastUsed) expect(key.lastUsed.date).toBeGreaterThanOrEqual(key.createdAt);
    const withPassword = users.filter((u) => u.loginProfile);
    expect(withPassword.length).toBeGreaterThan(users.length / 3);
    expect(withPassword.some((u) => u.passwordLastUsed === undefined)).toBe(true);
    for (const user of users) {
      if (user.passwordLastUsed !== undefined) expect(user.passwordLastUsed).toBeGreaterThanOrEqual(user.loginProfile!.createdAt);
    }
    expect(users.filter((u) => u.mfaDevices.length > 0).length).toBeGreaterThan(20);
    expect(users.some((u) => u.signingCertificates.length > 0)).toBe(true);
    expect(users.some((u) => u.sshPublicKeys.length > 0)).toBe(true);
    expect(users.some((u) => u.serviceSpecificCredentials.length > 0)).toBe(true);
    const management = models.medium!.accounts.get(models.medium!.organization!.managementAccountId)!;
    expect(management.iam.users.get("sim-admin")!.accessKeys.map((k) => k.id)).toEqual(["AKIASIMMGMTADMIN0001"]);
  });

  it("describes roles, varies their session limits and last use; Identity Center users are ENABLED or DISABLED", () => {
    const model = models.medium!;
    const roles = [...model.accounts].flatMap((a) => [...a.iam.roles]);
    expect(new Set(roles.map((r) => r.maxSessionDuration)).size).toBeGreaterThanOrEqual(4);
    expect(roles.filter((r) => r.description).length).toBeGreaterThan(roles.length / 3);
    expect(roles.filter((r) => r.lastUsed).length).toBeGreaterThan(roles.length / 4);
    expect(roles.filter((r) => !r.lastUsed).length).toBeGreaterThan(roles.length / 4);
    const statuses = [...model.identityStore!.users].map((u) => u.status);
    expect(statuses.filter((s) => s === "DISABLED").length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === "ENABLED").length).toBeGreaterThan(statuses.length / 2);
  });

  it("permission sets carry AWS-managed and customer-managed policies, inline policies and boundaries, and their roles get them", () => {
    const model = models.small!;
    const sets = [...model.ssoInstance!.permissionSets];
    expect(sets.filter((p) => p.customerManagedPolicies.length > 0).length).toBeGreaterThan(2);
    expect(sets.filter((p) => p.inlinePolicy).length).toBeGreaterThan(2);
    expect(sets.some((p) => p.inlinePolicy && adminLike(p.inlinePolicy))).toBe(true);
    expect(sets.some((p) => p.permissionsBoundary?.customerManagedPolicyReference)).toBe(true);
    expect(sets.some((p) => p.permissionsBoundary?.managedPolicyArn)).toBe(true);
    expect(sets.some((p) => p.managedPolicies.includes("arn:aws:iam::aws:policy/IAMFullAccess"))).toBe(true);
    const developer = sets.find((p) => p.customerManagedPolicies.some((r) => r.name === "DeveloperAccess") && p.inlinePolicy)!;
    const { accountId } = modelQueries.provisionedPairs(model).find((pair) => pair.permissionSetArn === developer.arn)!;
    const role = [...model.accounts.get(accountId)!.iam.roles].find((r) => r.name.startsWith(`AWSReservedSSO_${developer.name}_`))!;
    expect(role.attachedPolicies).toEqual([...developer.managedPolicies, `arn:aws:iam::${accountId}:policy/org/DeveloperAccess`]);
    expect(role.inlinePolicies).toEqual([{ name: "AwsSSOInlinePolicy", document: developer.inlinePolicy }]);
    expect(role.permissionsBoundary).toBe(`arn:aws:iam::${accountId}:policy/boundaries/DeveloperBoundary`);
  });
});
