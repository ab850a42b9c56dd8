import { describe, expect, it } from "vitest";
import { PROFILES, createOrganization, createPrng, generateOrgSpec, modelQueries, type SimModel } from "../../src/simulator/index.js";

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
