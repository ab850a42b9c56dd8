import { ListAccountsCommand, type Account } from "@aws-sdk/client-organizations";
import {
  DescribePermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListAccountsForProvisionedPermissionSetCommand,
  ListInstancesCommand,
  ListPermissionSetsCommand,
  ListPermissionSetsProvisionedToAccountCommand,
} from "@aws-sdk/client-sso-admin";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, test } from "vitest";
import { GrantExpandableSchema } from "../../src/gen/c1/connector/v2/annotation_grant_pb.js";
import { AppTraitSchema, AppTrait_AppFlag } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { V1IdentifierSchema } from "../../src/gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import { Entitlement_PurposeValue } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import { ResourceType_Trait, Status_ResourceStatus, type Resource } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { choosePairDiscovery } from "../../src/resources/identity-center.js";
import { IDENTITY_STORE_ID, INSTANCE_ARN, annotationOf, call, readAll, unitSetup } from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

const ps = (n: number) => `arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-${String(n).padStart(16, "0")}`;
const accountId = (n: number) => String(100000000000 + n);
const userArn = (id: string) => `arn:aws:identitystore:eu-west-1::${IDENTITY_STORE_ID}/user/${id}`;
const groupArn = (id: string) => `arn:aws:identitystore:eu-west-1::${IDENTITY_STORE_ID}/group/${id}`;
const throttled = () => Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 429 } });

/** An instance with `sets` permission sets and the given accounts in Organizations. */
function organisation(sets: number, accounts: Account[]) {
  const { sso, organizations } = setup.mocks;
  sso.on(ListInstancesCommand).resolves({ Instances: [{ InstanceArn: INSTANCE_ARN, IdentityStoreId: IDENTITY_STORE_ID }] });
  const arns = Array.from({ length: sets }, (_, i) => ps(i));
  sso.on(ListPermissionSetsCommand).resolves({ PermissionSets: arns });
  arns.forEach((arn, i) => {
    sso.on(DescribePermissionSetCommand, { PermissionSetArn: arn }).resolves({
      PermissionSet: { PermissionSetArn: arn, Name: `Set${i}`, Description: `Permission set ${i}`, SessionDuration: "PT1H" },
    });
  });
  for (let page = 0; page * 20 < Math.max(accounts.length, 1); page++) {
    const next = (page + 1) * 20 < accounts.length ? `o${page + 1}` : undefined;
    organizations.on(ListAccountsCommand, { NextToken: page === 0 ? undefined : `o${page}` }).resolves({ Accounts: accounts.slice(page * 20, page * 20 + 20), NextToken: next });
  }
  return arns;
}

const active = (n: number): Account => ({ Id: accountId(n), Name: `account-${n}`, Arn: `arn:aws:organizations::${accountId(0)}:account/o-x/${accountId(n)}`, State: "ACTIVE", Status: "ACTIVE" });

async function accountResources(): Promise<Resource[]> {
  return (await readAll((state) => setup.syncer("account").listResources(undefined, state, call()))).items;
}

describe("account", () => {
  test("accounts from every ListAccounts page (20 each); suspended ones kept, marked disabled", async () => {
    setup = unitSetup();
    const accounts = Array.from({ length: 25 }, (_, i) => active(i));
    accounts[3] = { ...accounts[3]!, State: "SUSPENDED", Status: "SUSPENDED" };
    accounts[4] = { ...accounts[4]!, State: "CLOSED", Status: undefined };
    organisation(1, accounts);
    expect(setup.syncer("account").resourceType).toMatchObject({ id: "account", displayName: "Account", traits: [ResourceType_Trait.APP] });
    const resources = await accountResources();
    expect(resources.map((r) => r.id!.resource)).toEqual(accounts.map((a) => a.Id));
    expect(setup.mocks.organizations.commandCalls(ListAccountsCommand).map((c) => c.args[0].input)).toEqual([
      { NextToken: undefined, MaxResults: 20 },
      { NextToken: "o1", MaxResults: 20 },
    ]);
    const [first] = resources;
    expect(first!.displayName).toBe("account-0");
    expect(first!.status?.status).toBe(Status_ResourceStatus.ENABLED);
    expect(first!.profile).toMatchObject({ aws_account_id: accountId(0), aws_account_arn: accounts[0]!.Arn, aws_account_state: "ACTIVE" });
    expect(annotationOf(first!.annotations, AppTraitSchema)?.flags).toEqual([]);
    expect(annotationOf(first!.annotations, V1IdentifierSchema)?.id).toBe(accountId(0));
    for (const [index, state] of [[3, "SUSPENDED"], [4, "CLOSED"]] as const) {
      const r = resources[index]!;
      expect(r.status).toMatchObject({ status: Status_ResourceStatus.DISABLED, details: `account is ${state}` });
      expect(annotationOf(r.annotations, AppTraitSchema)?.flags).toEqual([AppTrait_AppFlag.INACTIVE]);
    }
  });

  test("one entitlement per permission set of the instance; DescribePermissionSet once per set per sync", async () => {
    setup = unitSetup();
    const arns = organisation(3, [active(1), active(2)]);
    const [a1, a2] = await accountResources();
    const list = async (r: Resource) => (await readAll((s) => setup.syncer("account").listEntitlements(r, s, call()))).items;
    const entitlements = await list(a1!);
    await list(a2!);
    expect(entitlements.map((e) => e.id)).toEqual(arns.map((arn) => `${accountId(1)}|${arn}`));
    expect(entitlements[0]).toMatchObject({
      slug: "Set0 access",
      displayName: "Set0 Permission Set",
      description: "Permission set 0",
      purpose: Entitlement_PurposeValue.ASSIGNMENT,
    });
    expect(entitlements[0]!.grantableTo.map((t) => t.id)).toEqual(["sso_user", "sso_group"]);
    expect(annotationOf(entitlements[0]!.annotations, V1IdentifierSchema)?.id).toBe(`${accountId(1)}|${arns[0]}`);
    expect(setup.mocks.sso.commandCalls(DescribePermissionSetCommand)).toHaveLength(3);
    expect(setup.mocks.sso.commandCalls(ListPermissionSetsCommand)).toHaveLength(1);
  });

  test("grants: assignments of provisioned pairs only; users direct, groups expandable to their members", async () => {
    setup = unitSetup();
    // 2 accounts, 3 sets: per account (2 calls) beats per permission set (3 calls).
    expect(choosePairDiscovery(2, 3)).toBe("per-account");
    const arns = organisation(3, [active(1), active(2)]);
    const { sso } = setup.mocks;
    sso.on(ListPermissionSetsProvisionedToAccountCommand, { AccountId: accountId(1) }).resolves({ PermissionSets: [arns[1]!] });
    sso.on(ListPermissionSetsProvisionedToAccountCommand, { AccountId: accountId(2) }).resolves({ PermissionSets: [] });
    sso.on(ListAccountAssignmentsCommand, { AccountId: accountId(1), PermissionSetArn: arns[1] }).resolves({
      AccountAssignments: [
        { AccountId: accountId(1), PermissionSetArn: arns[1], PrincipalType: "USER", PrincipalId: "u1" },
        { AccountId: accountId(1), PermissionSetArn: arns[1], PrincipalType: "GROUP", PrincipalId: "g1" },
      ],
    });
    const [a1, a2] = await accountResources();
    const grants = (await readAll((s) => setup.syncer("account").listGrants(a1!, s, call()))).items;
    expect((await readAll((s) => setup.syncer("account").listGrants(a2!, s, call()))).items).toEqual([]);

    const entitlementId = `${accountId(1)}|${arns[1]}`;
    expect(grants.map((g) => g.id)).toEqual([`grant:sso_user:${userArn("u1")}:${entitlementId}`, `grant:sso_group:${groupArn("g1")}:${entitlementId}`]);
    const [toUser, toGroup] = grants;
    expect(toUser!.entitlement).toMatchObject({ id: entitlementId, displayName: "Set1 Permission Set", slug: "Set1 access" });
    expect(toUser!.principal?.id).toMatchObject({ resourceType: "sso_user", resource: userArn("u1") });
    expect(annotationOf(toUser!.annotations, V1IdentifierSchema)?.id).toBe(`grant:${entitlementId}:${userArn("u1")}`);
    expect(annotationOf(toUser!.annotations, GrantExpandableSchema)).toBeUndefined();
    expect(toGroup!.principal?.id).toMatchObject({ resourceType: "sso_group", resource: groupArn("g1") });
    expect(annotationOf(toGroup!.annotations, GrantExpandableSchema)?.entitlementIds).toEqual([`sso_group:${groupArn("g1")}:member`]);

    // Discovery per account, each once per sync; assignments only for the one provisioned pair.
    expect(sso.commandCalls(ListPermissionSetsProvisionedToAccountCommand).map((c) => c.args[0].input.AccountId)).toEqual([accountId(1), accountId(2)]);
    expect(sso.commandCalls(ListAccountsForProvisionedPermissionSetCommand)).toHaveLength(0);
    expect(sso.commandCalls(ListAccountAssignmentsCommand).map((c) => c.args[0].input)).toEqual([
      { InstanceArn: INSTANCE_ARN, AccountId: accountId(1), PermissionSetArn: arns[1], MaxResults: 100, NextToken: undefined },
    ]);
  });

  test("pairs discovered per permission set when that needs fewer calls", async () => {
    setup = unitSetup();
    expect(choosePairDiscovery(3, 2)).toBe("per-permission-set");
    const arns = organisation(2, [active(1), active(2), active(3)]);
    const { sso } = setup.mocks;
    sso.on(ListAccountsForProvisionedPermissionSetCommand, { PermissionSetArn: arns[0] }).resolves({ AccountIds: [accountId(2)], NextToken: "x" });
    sso.on(ListAccountsForProvisionedPermissionSetCommand, { PermissionSetArn: arns[0], NextToken: "x" }).resolves({ AccountIds: [accountId(3)] });
    sso.on(ListAccountsForProvisionedPermissionSetCommand, { PermissionSetArn: arns[1] }).resolves({ AccountIds: [accountId(2)] });
    sso.on(ListAccountAssignmentsCommand).resolves({ AccountAssignments: [] });
    for (const resource of await accountResources()) await readAll((s) => setup.syncer("account").listGrants(resource, s, call()));
    expect(sso.commandCalls(ListAccountsForProvisionedPermissionSetCommand)).toHaveLength(3);
    expect(sso.commandCalls(ListPermissionSetsProvisionedToAccountCommand)).toHaveLength(0);
    expect(sso.commandCalls(ListAccountAssignmentsCommand).map((c) => `${c.args[0].input.AccountId}|${c.args[0].input.PermissionSetArn}`).sort()).toEqual(
      [`${accountId(2)}|${arns[0]}`, `${accountId(2)}|${arns[1]}`, `${accountId(3)}|${arns[0]}`].sort(),
    );
  });

  test("many pairs and multi-page pairs: every assignment, several pairs per connector page, AWS tokens in the state", async () => {
    setup = unitSetup({}, { rateLimits: { requestsPerSecond: { iam: 100, sts: 100, identitystore: 100, sso: 100, organizations: 100, cloudtrail: 100 }, maxConcurrency: 4 } });
    const arns = organisation(20, Array.from({ length: 25 }, (_, i) => active(i)));
    const { sso } = setup.mocks;
    sso.on(ListAccountsForProvisionedPermissionSetCommand).resolves({ AccountIds: [accountId(1)] });
    for (const [i, arn] of arns.entries()) {
      const assignment = (p: string) => ({ AccountId: accountId(1), PermissionSetArn: arn, PrincipalType: "USER" as const, PrincipalId: `${p}-${i}` });
      if (i % 3 === 0) {
        sso.on(ListAccountAssignmentsCommand, { PermissionSetArn: arn }).resolves({ AccountAssignments: [assignment("a")], NextToken: `n${i}` });
        sso.on(ListAccountAssignmentsCommand, { PermissionSetArn: arn, NextToken: `n${i}` }).resolves({ AccountAssignments: [assignment("b")] });
      } else {
        sso.on(ListAccountAssignmentsCommand, { PermissionSetArn: arn }).resolves({ AccountAssignments: [assignment("a")] });
      }
    }
    const a1 = (await accountResources())[1]!;
    const { items, pages, states } = await readAll((s) => setup.syncer("account").listGrants(a1, s, call()));
    const expected = arns.flatMap((_, i) => (i % 3 === 0 ? [`a-${i}`, `b-${i}`] : [`a-${i}`]));
    expect(items.map((g) => g.principal!.id!.resource.split("/").at(-1)).sort()).toEqual(expected.sort());
    // Batches of 2 × maxConcurrency pairs per page: 20 pairs → 3 pages, plus the continuations.
    expect(pages).toBeGreaterThanOrEqual(3);
    // Every page keeps the time the listing started, so its calls keep their place at the rate limiter.
    expect(states[0]).toEqual({ n: 8, p: [[0, "n0"], [3, "n3"], [6, "n6"]], s: expect.any(Number) });
    expect(new Set(states.map((s) => s!.s)).size).toBe(1);
    expect(sso.commandCalls(ListAccountAssignmentsCommand)).toHaveLength(20 + 7);
  });

  test("a throttled pair is retried on the next page while the others' grants are returned; nothing read twice", async () => {
    setup = unitSetup();
    const arns = organisation(3, [active(1), active(2), active(3)]);
    const { sso } = setup.mocks;
    sso.on(ListAccountsForProvisionedPermissionSetCommand).resolves({ AccountIds: [accountId(1)] });
    const assignment = (arn: string, id: string) => ({ AccountAssignments: [{ AccountId: accountId(1), PermissionSetArn: arn, PrincipalType: "USER" as const, PrincipalId: id }] });
    sso.on(ListAccountAssignmentsCommand, { PermissionSetArn: arns[0] }).resolves(assignment(arns[0]!, "u0"));
    sso.on(ListAccountAssignmentsCommand, { PermissionSetArn: arns[1] }).rejectsOnce(throttled()).resolves(assignment(arns[1]!, "u1"));
    sso.on(ListAccountAssignmentsCommand, { PermissionSetArn: arns[2] }).resolves(assignment(arns[2]!, "u2"));
    const a1 = (await accountResources())[0]!;
    const first = await setup.syncer("account").listGrants(a1, undefined, call());
    expect(first.items.map((g) => g.principal!.id!.resource)).toEqual([userArn("u0"), userArn("u2")]);
    expect(first.next).toEqual({ n: 3, p: [[1, null]], s: expect.any(Number) });
    const second = await setup.syncer("account").listGrants(a1, JSON.parse(JSON.stringify(first.next)), call());
    expect(second.items.map((g) => g.principal!.id!.resource)).toEqual([userArn("u1")]);
    expect(second.next).toBeUndefined();
    expect(sso.commandCalls(ListAccountAssignmentsCommand).map((c) => c.args[0].input.PermissionSetArn)).toEqual([arns[0], arns[1], arns[2], arns[1]]);
  });

  test("the listing's start time in the page state: kept from a token, taken as now when a token predates it, refused when malformed", async () => {
    setup = unitSetup();
    organisation(3, [active(1), active(2), active(3)]);
    const { sso } = setup.mocks;
    sso.on(ListAccountsForProvisionedPermissionSetCommand).resolves({ AccountIds: [accountId(1)] });
    sso.on(ListAccountAssignmentsCommand).resolves({ AccountAssignments: [], NextToken: "more" });
    const a1 = (await accountResources())[0]!;
    const kept = await setup.syncer("account").listGrants(a1, { n: 3, p: [[0, "t"]], s: 1_700_000_000_000 }, call());
    expect(kept.next).toEqual({ n: 3, p: [[0, "more"]], s: 1_700_000_000_000 });
    const before = Date.now();
    const older = await setup.syncer("account").listGrants(a1, { n: 3, p: [[0, "t"]] }, call());
    expect(older.next!.s).toBeGreaterThanOrEqual(before);
    for (const s of ["soon", -1, 1.5]) {
      await expect(setup.syncer("account").listGrants(a1, { n: 3, p: [[0, "t"]], s }, call())).rejects.toThrow(/invalid page token: s is not a time/);
    }
  });

  test("when every pair of a page fails transiently the call fails (the host retries); access denied fails; deleted sets are skipped", async () => {
    setup = unitSetup();
    const arns = organisation(2, [active(1), active(2), active(3)]);
    const { sso } = setup.mocks;
    sso.on(ListAccountsForProvisionedPermissionSetCommand).resolves({ AccountIds: [accountId(1)] });
    sso.on(ListAccountAssignmentsCommand).rejects(throttled());
    const a1 = (await accountResources())[0]!;
    await expect(setup.syncer("account").listGrants(a1, undefined, call())).rejects.toThrow(/Rate exceeded/);

    sso.on(ListAccountAssignmentsCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    await expect(setup.syncer("account").listGrants(a1, undefined, call())).rejects.toThrow(/denied/);

    sso.on(ListAccountAssignmentsCommand, { PermissionSetArn: arns[0] }).rejects(Object.assign(new Error("gone"), { name: "ResourceNotFoundException" }));
    sso.on(ListAccountAssignmentsCommand, { PermissionSetArn: arns[1] }).resolves({
      AccountAssignments: [{ AccountId: accountId(1), PermissionSetArn: arns[1], PrincipalType: "USER", PrincipalId: "u1" }],
    });
    const page = await setup.syncer("account").listGrants(a1, undefined, call());
    expect(page.items.map((g) => g.principal!.id!.resource)).toEqual([userArn("u1")]);
    expect(page.next).toBeUndefined();
  });

  test("Organizations off: accounts discovered from the provisioned permission sets, names unknown", async () => {
    setup = unitSetup({ organizations: false });
    const arns = organisation(2, []);
    const { sso } = setup.mocks;
    sso.on(ListAccountsForProvisionedPermissionSetCommand, { PermissionSetArn: arns[0] }).resolves({ AccountIds: [accountId(7), accountId(5)] });
    sso.on(ListAccountsForProvisionedPermissionSetCommand, { PermissionSetArn: arns[1] }).resolves({ AccountIds: [accountId(5)] });
    const resources = await accountResources();
    expect(resources.map((r) => [r.id!.resource, r.displayName])).toEqual([
      [accountId(5), accountId(5)],
      [accountId(7), accountId(7)],
    ]);
    expect(resources[0]!.description).toMatch(/Organizations is not synced/);
    expect(resources[0]!.status).toBeUndefined();
    expect(setup.mocks.organizations.commandCalls(ListAccountsCommand)).toHaveLength(0);
  });
  test("made-up account ids are refused with NotFound after reading only the account list (cached for the sync), never invented entitlements", async () => {
    setup = unitSetup();
    organisation(3, [active(0), active(1)]);
    await accountResources();
    const callsBefore = Object.values(setup.mocks).reduce((n, m) => n + m.calls().length, 0);
    for (const id of ["999999999999", "not-an-account", accountId(7)]) {
      const fake = { id: { resourceType: "account", resource: id } } as Resource;
      for (const list of [() => setup.syncer("account").listEntitlements(fake, undefined, call()), () => setup.syncer("account").listGrants(fake, undefined, call())]) {
        const error = await list().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConnectError);
        expect((error as ConnectError).code).toBe(Code.NotFound);
      }
    }
    // Within the sync the account list is already read: a made-up id costs no AWS call at all.
    expect(Object.values(setup.mocks).reduce((n, m) => n + m.calls().length, 0)).toBe(callsBefore);
  });
});
