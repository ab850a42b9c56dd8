/**
 * Full syncs of the simulator's seeded organisations through createConnector + its in-process
 * API, driven as a baton host drives a connector. Expected resources, entitlements and grants are
 * computed from the simulator's model (support/expected.ts); expected AWS calls come from
 * call-plan.ts applied to the model's shape and are compared with the simulator's own counters.
 */
import { toBinary } from "@bufbuild/protobuf";
import { afterEach, describe, expect, test } from "vitest";
import type { Connector } from "../../src/connector/build.js";
import { EntitlementSchema } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema } from "../../src/gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { connectorCallPlan } from "../../src/resources/call-plan.js";
import { addAssignment } from "../../src/simulator/model/sso.js";
import { PROFILES, startSimulator, type ProfileSizes, type Simulator, type SimulatorOptions } from "../../src/simulator/index.js";
import { expectSameSync, managementCaller } from "./support/compare.js";
import { allCallsBetween, operationCounts, realCallsBetween } from "./support/counts.js";
import { EVERY_TYPE, expectedSync, type ExpectationOptions } from "./support/expected.js";
import { shapeOf } from "./support/shape.js";
import { connectorFor } from "./support/sim-connector.js";
import { traverse, type TraversalResult } from "./support/traversal.js";

type Features = ExpectationOptions["features"];

const open: Array<{ sim: Simulator; connector: Connector }> = [];
afterEach(async () => {
  for (const { sim, connector } of open.splice(0)) {
    await connector.close();
    await sim.stop();
  }
});

async function syncOf(simOptions: SimulatorOptions, features: Features, prepare?: (sim: Simulator) => void) {
  const sim = await startSimulator(simOptions);
  prepare?.(sim);
  const connector = connectorFor(sim, { features });
  open.push({ sim, connector });
  const options: ExpectationOptions = { features, ...managementCaller(sim.model) };
  // Expectations first: the sync must not change the organisation, and the model is the truth.
  const expected = expectedSync(sim.model, options);
  const plan = connectorCallPlan(shapeOf(sim.model, options));
  let afterValidate = sim.counters.snapshot();
  let statsAfterValidate = connector.aws.stats.byOperation();
  const syncId = "2bSyncIdForResourceTests00001";
  const result = await traverse(connector.api, {
    syncId,
    onValidated: () => {
      afterValidate = sim.counters.snapshot();
      statsAfterValidate = connector.aws.stats.byOperation();
    },
  });
  const calls = realCallsBetween(afterValidate, sim.counters.snapshot());
  delete calls["sts:GetCallerIdentity"];
  // The connector's own counters (AwsCallStats), every request included.
  const statsCalls: Record<string, number> = {};
  for (const [operation, stats] of Object.entries(connector.aws.stats.byOperation())) {
    const n = stats.calls - (statsAfterValidate[operation]?.calls ?? 0);
    if (n > 0 && operation !== "sts:GetCallerIdentity") statsCalls[operation] = n;
  }
  return { sim, connector, expected, plan, result, calls, statsCalls, syncId };
}

const countByType = (result: TraversalResult) => {
  const counts: Record<string, number> = {};
  for (const key of result.resources.keys()) counts[key.slice(0, key.indexOf(":"))] = (counts[key.slice(0, key.indexOf(":"))] ?? 0) + 1;
  return counts;
};

/**
 * An organisation where every listing spans several AWS pages: > 1000 IAM entities in the
 * management account, > 20 accounts, > 100 Identity Store users and groups, groups with > 100
 * members, pairs with > 100 assignments.
 */
const MULTI_PAGE: ProfileSizes = {
  ...PROFILES.small,
  memberAccounts: 22,
  ssoUsers: 420,
  ssoGroups: 110,
  meanGroupsPerUser: 3,
  meanPrincipalsPerPair: 30,
  managementIam: { users: 900, groups: 30, roles: 120 },
};

/** Gives one provisioned pair more than a page (100) of assignments: 150 users assigned directly. */
function crowdOnePair(sim: Simulator): void {
  const sso = sim.model.ssoInstance!;
  const [accountId, sets] = [...sso.provisionedByAccount].find(([, list]) => list.length > 0)!;
  const permissionSet = sso.permissionSets.get(sets.at(0)!)!;
  const account = sim.model.accounts.get(accountId)!;
  for (const user of [...sim.model.identityStore!.users].slice(0, 150)) {
    addAssignment(sso, account, permissionSet, { accountId, permissionSetArn: permissionSet.arn, principalType: "USER", principalId: user.id });
  }
}

describe("full sync against the simulator", () => {
  const everything: Features = { organizations: true, identityCenter: true, crossAccountIam: true, organizationTree: true, syncSecrets: true };

  test.each(["demo", "small"])("%s organisation, every feature: exact resources, entitlements, grants and AWS calls", async (profile) => {
    const { expected, plan, result, calls, statsCalls, connector, syncId } = await syncOf({ profile }, everything);
    expectSameSync(result, expected);
    expect(calls).toEqual(plan.byOperation);
    expect(statsCalls).toEqual(plan.byOperation);
    expect(connector.problems.list(syncId)).toEqual([]);
    // Every type is present and Cleanup dropped the sync's cache.
    expect(Object.keys(countByType(result)).sort()).toEqual(EVERY_TYPE);
    expect(result.sdkVersion).toBe("v0.25.0");
  });

  test("medium organisation, every feature: every type, counts and id shapes as the model says, the planned calls", async () => {
    const { expected, plan, result, calls, sim } = await syncOf({ profile: "medium" }, everything);
    expectSameSync(result, expected);
    expect(calls).toEqual(plan.byOperation);
    const counts = countByType(result);
    const expectedCounts: Record<string, number> = {};
    for (const key of expected.resources.keys()) expectedCounts[key.slice(0, key.indexOf(":"))] = (expectedCounts[key.slice(0, key.indexOf(":"))] ?? 0) + 1;
    expect(counts).toEqual(expectedCounts);
    // The model really has what the new types show: nested units, inline and customer-managed policies, keys.
    const model = sim.model;
    expect(counts.organizational_unit).toBe(model.organization!.units.length);
    expect([...model.organization!.units].some((u) => u.parentId !== model.organization!.root.id)).toBe(true);
    expect(counts["access-key"]).toBeGreaterThan(0);
    expect([...model.ssoInstance!.permissionSets].some((ps) => ps.customerManagedPolicies.length > 0 && ps.inlinePolicy)).toBe(true);
    expect([...result.resources.keys()].some((k) => k.endsWith("::inline::inline"))).toBe(true);
    expect([...result.grants.values()].some((g) => g.principal!.id!.resourceType === "permission_set_assignment")).toBe(true);
    // Id shapes, as baton-aws forms them.
    const shapes: Record<string, RegExp> = {
      iam_policy: /^arn:aws:iam::(aws|\d{12}):policy\//,
      inline_policy: /^(arn:aws:iam::\d{12}:(user|group|role)\/.+::inline::.+|arn:aws:sso:::permissionSet\/.+::inline::inline)$/,
      permission_set_assignment: /^arn:aws:sso:::permissionSet\/ssoins-[^/]+\/ps-[^/]+-\d{12}$/,
      organization: /^r-[0-9a-z]{4,32}$/,
      organizational_unit: /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/,
      "access-key": /^AKIA[A-Z0-9]{16}$/,
    };
    for (const [key] of result.resources) {
      const type = key.slice(0, key.indexOf(":"));
      if (shapes[type]) expect(key.slice(type.length + 1), key).toMatch(shapes[type]);
    }
    for (const id of result.entitlements.keys()) {
      if (id.startsWith("permission_set_assignment:")) expect(id).toMatch(/:assigned$/);
      if (id.startsWith("iam_policy:") || id.startsWith("inline_policy:")) expect(id).toMatch(/:attached$/);
    }
  }, 180_000);

  test("GetResource re-reads one resource of every type exactly as the listing gave it; unknown ids are NotFound", async () => {
    const { result, connector, syncId } = await syncOf({ profile: "demo" }, everything);
    const firstOfType = new Map<string, (typeof result.resources extends Map<string, infer R> ? R : never)>();
    for (const resource of result.resources.values()) if (!firstOfType.has(resource.id!.resourceType)) firstOfType.set(resource.id!.resourceType, resource);
    expect([...firstOfType.keys()].sort()).toEqual(result.resourceTypes.map((t) => t.id).sort());
    for (const [type, listed] of firstOfType) {
      const { resource } = await connector.api.resourceGetter.getResource({ resourceId: listed.id, parentResourceId: listed.parentResourceId, activeSyncId: `${syncId}-get` });
      expect(toBinary(ResourceSchema, resource!), type).toEqual(toBinary(ResourceSchema, listed));
      const missing = await connector.api.resourceGetter
        .getResource({ resourceId: { resourceType: type, resource: `${listed.id!.resource}-nope` } })
        .catch((e: unknown) => e);
      expect((missing as { code?: number }).code, type).toBe(5 /* NotFound */);
    }
  });

  test("every listing spans several AWS pages: exact result and calls", async () => {
    const { expected, plan, result, calls, statsCalls, sim } = await syncOf({ profile: MULTI_PAGE }, everything, crowdOnePair);
    expectSameSync(result, expected);
    expect(calls).toEqual(plan.byOperation);
    expect(statsCalls).toEqual(plan.byOperation);
    // The organisation really does cross every page boundary.
    const shape = shapeOf(sim.model, { features: everything, ...managementCaller(sim.model) });
    expect(calls["iam:GetAccountAuthorizationDetails"]).toBeGreaterThan(shape.accounts.filter((a) => a.active !== false).length);
    expect(calls["organizations:ListAccounts"]).toBeGreaterThan(1);
    expect(calls["identitystore:ListUsers"]).toBeGreaterThan(1);
    expect(calls["identitystore:ListGroups"]).toBeGreaterThan(1);
    expect(calls["identitystore:ListGroupMemberships"]).toBeGreaterThan(shape.groups);
    expect(calls["sso:ListAccountAssignments"]).toBeGreaterThan(shape.pairs.length);
  }, 120_000);

  test("IAM only (Organizations and Identity Center off): the connector's own account", async () => {
    const features = { organizations: false, identityCenter: false, crossAccountIam: false };
    const { expected, plan, result, calls } = await syncOf({ profile: "demo" }, features);
    expectSameSync(result, expected);
    expect(calls).toEqual(plan.byOperation);
    expect(result.resourceTypes.map((t) => t.id).sort()).toEqual(["group", "iam_policy", "iam_user", "inline_policy", "role"]);
  });

  test("Organizations off, Identity Center on: accounts discovered from provisioned permission sets", async () => {
    const features = { organizations: false, identityCenter: true, crossAccountIam: true };
    const { expected, plan, result, calls } = await syncOf({ profile: "demo" }, features);
    expectSameSync(result, expected);
    expect(calls).toEqual(plan.byOperation);
    expect(calls["organizations:ListAccounts"]).toBeUndefined();
    const account = [...result.resources.values()].find((r) => r.id!.resourceType === "account")!;
    expect(account.displayName).toBe(account.id!.resource);
    expect(account.description).toMatch(/Discovered from IAM Identity Center/);
  });

  test("Identity Center off, cross-account IAM on: member accounts' IAM under account_iam", async () => {
    const features = { organizations: true, identityCenter: false, crossAccountIam: true };
    const { expected, plan, result, calls } = await syncOf({ profile: "small" }, features);
    expectSameSync(result, expected);
    expect(calls).toEqual(plan.byOperation);
  });

  test("a member account whose role cannot be assumed is reported, shown on its account_iam, and the rest is synced", async () => {
    let broken = "";
    const { expected, plan, result, calls, connector, syncId } = await syncOf({ profile: "demo" }, everything, (sim) => {
      const member = [...sim.model.accounts].find((a) => a.inOrganization && a.state === "ACTIVE" && a.id !== sim.model.organization!.managementAccountId)!;
      broken = member.id;
      member.iam.roles.delete("OrganizationAccountAccessRole");
    });
    expect(expected.unreachable).toEqual([broken]);
    expectSameSync(result, expected);
    expect(calls).toEqual(plan.byOperation);
    const problems = connector.problems.list(syncId);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: "member-account-unreachable", accountId: broken });
    expect(problems[0]!.message).toContain(`arn:aws:iam::${broken}:role/OrganizationAccountAccessRole`);
    const accountIam = result.resources.get(`account_iam:${broken}`)!;
    expect(accountIam.description).toMatch(/^IAM not synced: cannot assume/);
    expect(accountIam.status?.details).toMatch(/^IAM not synced/);
  });

  test("suspended accounts are kept and marked disabled, not dropped", async () => {
    const { result, sim } = await syncOf({ profile: "demo" }, everything);
    const suspended = [...sim.model.accounts].filter((a) => a.inOrganization && a.state !== "ACTIVE");
    expect(suspended.length).toBeGreaterThan(0);
    for (const account of suspended) {
      const resource = result.resources.get(`account:${account.id}`)!;
      expect(resource.status?.details).toBe(`account is ${account.state}`);
      expect(resource.profile?.aws_account_state).toBe(account.state);
    }
  });
});

describe("the same sync under adverse AWS behaviour", () => {
  const features: Features = { organizations: true, identityCenter: true, crossAccountIam: true };

  /** Every resource, entitlement and grant as deterministic bytes, keyed by id. */
  function fingerprint(result: TraversalResult): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, r] of result.resources) out[`r ${key}`] = Buffer.from(toBinary(ResourceSchema, r)).toString("base64");
    for (const [key, e] of result.entitlements) out[`e ${key}`] = Buffer.from(toBinary(EntitlementSchema, e)).toString("base64");
    for (const [key, g] of result.grants) out[`g ${key}`] = Buffer.from(toBinary(GrantSchema, g)).toString("base64");
    return out;
  }

  test("30% throttling and 2% server errors: identical result; only retries add calls", async () => {
    const clean = await syncOf({ profile: "demo" }, features);
    const faulty = await syncOf(
      { profile: "demo", knobs: { faults: [{ kind: "throttle", rate: 0.3 }, { kind: "internal", rate: 0.02 }] } },
      features,
    );
    expect(fingerprint(faulty.result)).toEqual(fingerprint(clean.result));
    // Requests that were not injected failures are exactly the plan: nothing was read twice.
    expect(faulty.calls).toEqual(faulty.plan.byOperation);
    const injected = [...operationCounts(faulty.sim.counters.snapshot()).values()].reduce((sum, c) => sum + c.injected, 0);
    expect(injected).toBeGreaterThan(0);
  }, 120_000);

  test("short and empty pages (fewer items than asked, with a token) on every listing: identical result", async () => {
    const clean = await syncOf({ profile: MULTI_PAGE }, features, crowdOnePair);
    const short = await syncOf({ profile: MULTI_PAGE, knobs: { shortPageRate: 1 } }, features, crowdOnePair);
    expect(fingerprint(short.result)).toEqual(fingerprint(clean.result));
    const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
    expect(total(short.calls)).toBeGreaterThan(total(clean.calls));
  }, 120_000);
});

describe("driven by the project's sync engine (concurrent workers, c1z output)", () => {
  test("small organisation: the .c1z holds exactly the expected records, with the planned AWS calls", async () => {
    const { runSync } = await import("../../src/sync/engine.js");
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const features: Features = { organizations: true, identityCenter: true, crossAccountIam: true };
    const sim = await startSimulator({ profile: "small" });
    const connector = connectorFor(sim, { features });
    open.push({ sim, connector });
    const options: ExpectationOptions = { features, ...managementCaller(sim.model) };
    const expected = expectedSync(sim.model, options);
    const plan = connectorCallPlan(shapeOf(sim.model, options));
    const dir = mkdtempSync(join(tmpdir(), "resources-sync-"));
    try {
      // GetCallerIdentity is made once per connector; resolve it first so every Validate costs the same.
      await connector.aws.callerIdentity();
      const before = sim.counters.snapshot();
      const result = await runSync({ target: join(dir, "sync.c1z"), api: connector.api, workers: 8, expandGrants: false });
      const byType = (keys: Iterable<string>, typeOf: (key: string) => string) => {
        const counts: Record<string, number> = {};
        for (const key of keys) counts[typeOf(key)] = (counts[typeOf(key)] ?? 0) + 1;
        return counts;
      };
      const nonZero = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
      expect(nonZero(result.stats.resourcesByResourceType)).toEqual(byType(expected.resources.keys(), (k) => k.slice(0, k.indexOf(":"))));
      const resourceType = (resourceKey: string) => resourceKey.slice(0, resourceKey.indexOf(":"));
      expect(nonZero(result.stats.entitlementsByResourceType)).toEqual(
        byType([...expected.entitlements.values()].map((e) => e.resource), resourceType),
      );
      expect(nonZero(result.stats.grantsByResourceType)).toEqual(
        byType([...expected.grants.values()].map((g) => expected.entitlements.get(g.entitlementId)!.resource), resourceType),
      );
      // Validate's own probes are the only calls outside the plan: measured by a Validate of its own.
      const beforeValidate = sim.counters.snapshot();
      await connector.api.connector.validate({});
      const validateProbes = allCallsBetween(beforeValidate, sim.counters.snapshot());
      const calls = allCallsBetween(before, beforeValidate);
      for (const [operation, n] of Object.entries(validateProbes)) {
        calls[operation] = (calls[operation] ?? 0) - n;
        if (calls[operation] === 0) delete calls[operation];
      }
      expect(calls).toEqual(plan.byOperation);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
