import {
  ConflictException,
  CreateAccountAssignmentCommand,
  DeleteAccountAssignmentCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  DescribePermissionSetCommand,
  GetInlinePolicyForPermissionSetCommand,
  GetPermissionsBoundaryForPermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListAccountAssignmentsForPrincipalCommand,
  ListInstancesCommand,
  ListPermissionSetProvisioningStatusCommand,
  ListPermissionSetsCommand,
  ResourceNotFoundException,
  ThrottlingException,
  ValidationException,
  paginateListAccountAssignments,
  paginateListAccountAssignmentsForPrincipal,
  paginateListAccountsForProvisionedPermissionSet,
  paginateListCustomerManagedPolicyReferencesInPermissionSet,
  paginateListManagedPoliciesInPermissionSet,
  paginateListPermissionSets,
  paginateListPermissionSetsProvisionedToAccount,
  type PrincipalType,
} from "@aws-sdk/client-sso-admin";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { modelQueries, startSimulator, type Simulator, type SsoInstance } from "../../src/simulator/index.js";
import { clientsFor, collect, manualClock, pageSizes, rejectionOf, withSimulator, type Clients } from "./helpers.js";

const clock = manualClock();
let sim: Simulator;
let clients: Clients;
let sso: SsoInstance;
let InstanceArn: string;

beforeAll(async () => {
  ({ sim, clients } = await withSimulator({ profile: "small", seed: 11, clock: clock.now, knobs: { assignments: { fixedMs: 5000 } } }));
  sso = sim.model.ssoInstance!;
  InstanceArn = sso.arn;
});
afterAll(() => sim.stop());

const pagesFor = (total: number, size: number) => Math.max(1, Math.ceil(total / size));
const biggestTarget = () => [...sso.assignmentsByTarget.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;

describe("SSO Admin listings paginate to the end at every page size", () => {
  for (const size of pageSizes(100)) {
    it(`permission sets, provisioning and assignments with MaxResults=${size}`, async () => {
      const client = clients.ssoAdmin;
      const sets = await collect(paginateListPermissionSets({ client, pageSize: size }, { InstanceArn }), (p) => p.PermissionSets);
      expect(sets.items).toEqual([...sso.permissionSets].map((p) => p.arn));
      expect(sets.pages).toBe(pagesFor(sso.permissionSets.length, size));

      const management = sim.model.organization!.managementAccountId;
      const provisioned = await collect(paginateListPermissionSetsProvisionedToAccount({ client, pageSize: size }, { InstanceArn, AccountId: management }), (p) => p.PermissionSets);
      expect(provisioned.items).toEqual([...sso.provisionedByAccount.get(management)!]);

      const popular = [...sso.provisionedByPermissionSet.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
      const accounts = await collect(paginateListAccountsForProvisionedPermissionSet({ client, pageSize: size }, { InstanceArn, PermissionSetArn: popular[0] }), (p) => p.AccountIds);
      expect(accounts.items).toEqual([...popular[1]]);
      expect(accounts.pages).toBe(pagesFor(popular[1].length, size));

      const [key, list] = biggestTarget();
      const [AccountId, PermissionSetArn] = key.split("|");
      const assignments = await collect(paginateListAccountAssignments({ client, pageSize: size }, { InstanceArn, AccountId, PermissionSetArn }), (p) => p.AccountAssignments);
      expect(assignments.items.map((a) => a.PrincipalId)).toEqual([...list].map((a) => a.principalId));
      expect(assignments.pages).toBe(pagesFor(list.length, size));
    });

    it(`ListAccountAssignmentsForPrincipal with MaxResults=${size} folds in the user's groups`, async () => {
      const user = [...sim.model.identityStore!.users].find((u) => modelQueries.userGroupIds(sim.model, u.id).length >= 2)!;
      const expected = [
        ...[...(sso.assignmentsByPrincipal.get(`USER:${user.id}`) ?? [])],
        ...modelQueries.userGroupIds(sim.model, user.id).flatMap((g) => [...(sso.assignmentsByPrincipal.get(`GROUP:${g}`) ?? [])]),
      ];
      expect(expected.length).toBeGreaterThan(2);
      const found = await collect(
        paginateListAccountAssignmentsForPrincipal({ client: clients.ssoAdmin, pageSize: size }, { InstanceArn, PrincipalType: "USER", PrincipalId: user.id }),
        (p) => p.AccountAssignments,
      );
      expect(found.items.map((a) => `${a.AccountId}|${a.PermissionSetArn}|${a.PrincipalType}:${a.PrincipalId}`)).toEqual(
        expected.map((a) => `${a.accountId}|${a.permissionSetArn}|${a.principalType}:${a.principalId}`),
      );
      expect(found.pages).toBe(pagesFor(expected.length, size));
    });
  }
});

describe("SSO Admin reads", () => {
  it("ListInstances, DescribePermissionSet and real ARN formats", async () => {
    const { Instances } = await clients.ssoAdmin.send(new ListInstancesCommand({}));
    expect(Instances).toHaveLength(1);
    expect(Instances![0]!.InstanceArn).toMatch(/^arn:aws:sso:::instance\/ssoins-[0-9a-f]{16}$/);
    expect(Instances![0]!.IdentityStoreId).toMatch(/^d-[0-9a-f]{10}$/);
    const { PermissionSets } = await clients.ssoAdmin.send(new ListPermissionSetsCommand({ InstanceArn, MaxResults: 1 }));
    expect(PermissionSets![0]).toMatch(/^arn:aws:sso:::permissionSet\/ssoins-[0-9a-f]{16}\/ps-[0-9a-f]{16}$/);
    const { PermissionSet } = await clients.ssoAdmin.send(new DescribePermissionSetCommand({ InstanceArn, PermissionSetArn: PermissionSets![0] }));
    expect(PermissionSet).toMatchObject({ Name: "AdministratorAccess", SessionDuration: "PT1H" });
    expect(PermissionSet!.CreatedDate).toBeInstanceOf(Date);
    expect((await clientsFor(sim, "member").ssoAdmin.send(new ListInstancesCommand({}))).Instances).toEqual([]);
  });

  it("tokens avoid ':' and the last page has none", async () => {
    const first = await clients.ssoAdmin.send(new ListPermissionSetsCommand({ InstanceArn, MaxResults: 1 }));
    expect(first.NextToken).toMatch(/^[-a-zA-Z0-9+=/_]+$/);
    const all = await clients.ssoAdmin.send(new ListPermissionSetsCommand({ InstanceArn, MaxResults: 100 }));
    expect(all.NextToken).toBeUndefined();
  });

  it("principalAssignmentsIncludeGroups=false returns only direct assignments", async () => {
    const user = [...sim.model.identityStore!.users].find((u) => modelQueries.userGroupIds(sim.model, u.id).some((g) => sso.assignmentsByPrincipal.has(`GROUP:${g}`)))!;
    sim.knobs.update({ principalAssignmentsIncludeGroups: false });
    try {
      const { AccountAssignments } = await clients.ssoAdmin.send(new ListAccountAssignmentsForPrincipalCommand({ InstanceArn, PrincipalType: "USER", PrincipalId: user.id }));
      expect(AccountAssignments!.every((a) => a.PrincipalType === "USER")).toBe(true);
      expect(AccountAssignments).toHaveLength(sso.assignmentsByPrincipal.get(`USER:${user.id}`)?.length ?? 0);
    } finally {
      sim.knobs.update({ principalAssignmentsIncludeGroups: true });
    }
  });

  it("ListAccountAssignments requires AccountId and PermissionSetArn; MaxResults > 100 is rejected", async () => {
    const missing = await rejectionOf(clients.ssoAdmin.send(new ListAccountAssignmentsCommand({ InstanceArn, AccountId: sim.model.organization!.managementAccountId } as never)));
    expect(missing).toBeInstanceOf(ValidationException);
    const tooMany = await rejectionOf(clients.ssoAdmin.send(new ListPermissionSetsCommand({ InstanceArn, MaxResults: 101 })));
    expect(tooMany).toBeInstanceOf(ValidationException);
    expect(tooMany.$metadata?.httpStatusCode).toBe(400);
  });
});

describe("account assignment operations are asynchronous", () => {
  const member = () => [...sim.model.accounts].find((a) => a.inOrganization && a.state === "ACTIVE" && a.id !== sim.model.organization!.managementAccountId)!;
  const suspended = () => [...sim.model.accounts].find((a) => a.state === "SUSPENDED")!;
  let users: string[];
  let ps: string;
  let next = 0;

  beforeAll(() => {
    users = [...sim.model.identityStore!.users].map((u) => u.id);
    ps = [...sso.permissionSets].at(-1)!.arn;
  });
  beforeEach(() => {
    sim.knobs.update({ assignments: { maxOutstanding: 10, failureRate: 0, failureRules: [] } });
    clock.advance(60_000); // settle anything left over
  });

  const request = (accountId: string, PrincipalId = users[next++]!, PrincipalType: PrincipalType = "USER", PermissionSetArn = ps) => ({
    InstanceArn,
    TargetId: accountId,
    TargetType: "AWS_ACCOUNT" as const,
    PermissionSetArn,
    PrincipalType,
    PrincipalId,
  });
  const creationStatus = async (id: string) =>
    (await clients.ssoAdmin.send(new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn, AccountAssignmentCreationRequestId: id }))).AccountAssignmentCreationStatus!;
  const deletionStatus = async (id: string) =>
    (await clients.ssoAdmin.send(new DescribeAccountAssignmentDeletionStatusCommand({ InstanceArn, AccountAssignmentDeletionRequestId: id }))).AccountAssignmentDeletionStatus!;
  const exists = (r: ReturnType<typeof request>) => sso.assignmentsByTarget.get(`${r.TargetId}|${r.PermissionSetArn}`)?.has(`${r.PrincipalType}:${r.PrincipalId}`) ?? false;

  it("create: IN_PROGRESS, then SUCCEEDED after the delay; the assignment appears only then", async () => {
    const r = request(member().id);
    const { AccountAssignmentCreationStatus: created } = await clients.ssoAdmin.send(new CreateAccountAssignmentCommand(r));
    expect(created).toMatchObject({ Status: "IN_PROGRESS", TargetId: r.TargetId, PrincipalId: r.PrincipalId, TargetType: "AWS_ACCOUNT" });
    expect(created!.RequestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    clock.advance(4999);
    expect((await creationStatus(created!.RequestId!)).Status).toBe("IN_PROGRESS");
    expect(exists(r)).toBe(false);
    clock.advance(1);
    const done = await creationStatus(created!.RequestId!);
    expect(done.Status).toBe("SUCCEEDED");
    expect(done.FailureReason).toBeUndefined();
    expect(exists(r)).toBe(true);
    expect(sso.provisionedByAccount.get(r.TargetId)!.has(ps)).toBe(true);
    const { AccountAssignments } = await clients.ssoAdmin.send(new ListAccountAssignmentsCommand({ InstanceArn, AccountId: r.TargetId, PermissionSetArn: ps, MaxResults: 100 }));
    expect(AccountAssignments!.map((a) => a.PrincipalId)).toContain(r.PrincipalId);

    // Deleting: IN_PROGRESS, then SUCCEEDED; the permission set stays provisioned.
    const { AccountAssignmentDeletionStatus: deleting } = await clients.ssoAdmin.send(new DeleteAccountAssignmentCommand(r));
    expect(deleting!.Status).toBe("IN_PROGRESS");
    expect(exists(r)).toBe(true);
    clock.advance(5000);
    expect((await deletionStatus(deleting!.RequestId!)).Status).toBe("SUCCEEDED");
    expect(exists(r)).toBe(false);
    expect(sso.provisionedByAccount.get(r.TargetId)!.has(ps)).toBe(true);
    const missing = await rejectionOf(clients.ssoAdmin.send(new DeleteAccountAssignmentCommand(r)));
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.$metadata?.httpStatusCode).toBe(404);
  });

  it("a second write for the same triple while one is IN_PROGRESS → ConflictException (409)", async () => {
    const r = request(member().id);
    await clients.ssoAdmin.send(new CreateAccountAssignmentCommand(r));
    const conflict = await rejectionOf(clients.ssoAdmin.send(new CreateAccountAssignmentCommand(r)));
    expect(conflict).toBeInstanceOf(ConflictException);
    expect(conflict.$metadata?.httpStatusCode).toBe(409);
    expect(await rejectionOf(clients.ssoAdmin.send(new DeleteAccountAssignmentCommand(r)))).toBeInstanceOf(ConflictException);
    clock.advance(5000);
    // Creating an assignment that already exists is accepted and completes (AWS behaviour unverified).
    const { AccountAssignmentCreationStatus } = await clients.ssoAdmin.send(new CreateAccountAssignmentCommand(r));
    clock.advance(5000);
    expect((await creationStatus(AccountAssignmentCreationStatus!.RequestId!)).Status).toBe("SUCCEEDED");
    expect(sso.assignmentsByTarget.get(`${r.TargetId}|${ps}`)!.toArray().filter((a) => a.principalId === r.PrincipalId)).toHaveLength(1);
  });

  it("assignments on a SUSPENDED account FAIL with a FailureReason", async () => {
    const r = request(suspended().id);
    const { AccountAssignmentCreationStatus } = await clients.ssoAdmin.send(new CreateAccountAssignmentCommand(r));
    expect(AccountAssignmentCreationStatus!.Status).toBe("IN_PROGRESS");
    clock.advance(5000);
    const status = await creationStatus(AccountAssignmentCreationStatus!.RequestId!);
    expect(status.Status).toBe("FAILED");
    expect(status.FailureReason).toContain("SUSPENDED");
    expect(exists(r)).toBe(false);
  });

  it("failure injection by rule and by rate", async () => {
    const target = member().id;
    sim.knobs.update({ assignments: { failureRules: [{ accountId: target, permissionSetArn: ps, reason: "Received a 403 status error: Access denied by IAM." }] } });
    const ruled = await clients.ssoAdmin.send(new CreateAccountAssignmentCommand(request(target)));
    clock.advance(5000);
    expect(await creationStatus(ruled.AccountAssignmentCreationStatus!.RequestId!)).toMatchObject({ Status: "FAILED", FailureReason: "Received a 403 status error: Access denied by IAM." });

    sim.knobs.update({ assignments: { failureRules: [], failureRate: 1 } });
    const rated = await clients.ssoAdmin.send(new CreateAccountAssignmentCommand(request(target)));
    clock.advance(5000);
    expect(await creationStatus(rated.AccountAssignmentCreationStatus!.RequestId!)).toMatchObject({
      Status: "FAILED",
      FailureReason: "An unexpected internal service exception was encountered",
    });
  });

  it("more outstanding operations than the cap → ThrottlingException, and the maximum is recorded", async () => {
    sim.knobs.update({ assignments: { maxOutstanding: 3 } });
    sim.counters.reset();
    const target = member().id;
    for (let i = 0; i < 3; i++) await clients.ssoAdmin.send(new CreateAccountAssignmentCommand(request(target)));
    const throttled = await rejectionOf(clients.ssoAdmin.send(new CreateAccountAssignmentCommand(request(target))));
    expect(throttled).toBeInstanceOf(ThrottlingException);
    expect(throttled.$metadata?.httpStatusCode).toBe(429);
    const counts = sim.counters.snapshot();
    // The SDK retried the throttled create twice: 3 accepted + 3 refused attempts.
    expect(counts.services["sso-admin"]!.operations.CreateAccountAssignment).toMatchObject({ calls: 6, throttles: 3 });
    expect(counts.assignments).toMatchObject({ maxOutstanding: 3, outstanding: 3, rejectedOverCap: 3, started: 3 });
    clock.advance(5000);
    await clients.ssoAdmin.send(new CreateAccountAssignmentCommand(request(target)));
    expect(sim.counters.snapshot().assignments).toMatchObject({ succeeded: 3, outstanding: 1, maxOutstanding: 3 });
  });

  it("unknown request ids, permission sets and principals → ResourceNotFoundException", async () => {
    const unknownId = "00000000-0000-4000-8000-000000000000";
    expect(await rejectionOf(creationStatus(unknownId))).toBeInstanceOf(ResourceNotFoundException);
    const otherPs = `${ps.slice(0, -16)}0000000000000000`;
    expect(await rejectionOf(clients.ssoAdmin.send(new CreateAccountAssignmentCommand(request(member().id, users[0], "USER", otherPs))))).toBeInstanceOf(ResourceNotFoundException);
    expect(await rejectionOf(clients.ssoAdmin.send(new CreateAccountAssignmentCommand(request(member().id, "0123456789-00000000-0000-4000-8000-000000000000"))))).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe("the policies a permission set carries", () => {
  it("pages through managed policies and customer-managed references of generated permission sets", async () => {
    const client = clients.ssoAdmin;
    const rich = [...sso.permissionSets].find((p) => p.managedPolicies.length >= 2)!;
    const withRefs = [...sso.permissionSets].find((p) => p.customerManagedPolicies.length > 0)!;
    for (const pageSize of [1, 100]) {
      const managed = await collect(paginateListManagedPoliciesInPermissionSet({ client, pageSize }, { InstanceArn, PermissionSetArn: rich.arn }), (p) => p.AttachedManagedPolicies);
      expect(managed.items).toEqual(rich.managedPolicies.map((arn) => ({ Name: arn.slice(arn.lastIndexOf("/") + 1), Arn: arn })));
      expect(managed.pages).toBe(pagesFor(rich.managedPolicies.length, pageSize));
      const refs = await collect(paginateListCustomerManagedPolicyReferencesInPermissionSet({ client, pageSize }, { InstanceArn, PermissionSetArn: withRefs.arn }), (p) => p.CustomerManagedPolicyReferences);
      expect(refs.items).toEqual(withRefs.customerManagedPolicies.map((r) => ({ Name: r.name, Path: r.path })));
    }
  });

  it("inline policy, permissions boundary and provisioning status (example organisation)", async () => {
    const example = await startSimulator({ orgFile: new URL("../../docs/examples/org.example.json", import.meta.url).pathname });
    try {
      const client = clientsFor(example).ssoAdmin;
      const instance = example.model.ssoInstance!.arn;
      const byName = (name: string) => [...example.model.ssoInstance!.permissionSets].find((p) => p.name === name)!.arn;
      const inline = await client.send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn: instance, PermissionSetArn: byName("Developer") }));
      expect(JSON.parse(inline.InlinePolicy!)).toEqual({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::dev-*" }] });
      const none = await client.send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn: instance, PermissionSetArn: byName("AdministratorAccess") }));
      expect(none.InlinePolicy).toBe("");
      const boundary = await client.send(new GetPermissionsBoundaryForPermissionSetCommand({ InstanceArn: instance, PermissionSetArn: byName("Developer") }));
      expect(boundary.PermissionsBoundary).toEqual({ CustomerManagedPolicyReference: { Name: "DeveloperBoundary", Path: "/boundaries/" } });
      const noBoundary = await rejectionOf(client.send(new GetPermissionsBoundaryForPermissionSetCommand({ InstanceArn: instance, PermissionSetArn: byName("ReadOnlyAccess") })));
      expect(noBoundary).toBeInstanceOf(ResourceNotFoundException);
      const unknown = await rejectionOf(client.send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn: instance, PermissionSetArn: `${byName("Developer").slice(0, -16)}0000000000000000` })));
      expect(unknown).toBeInstanceOf(ResourceNotFoundException);
      expect((await client.send(new ListPermissionSetProvisioningStatusCommand({ InstanceArn: instance }))).PermissionSetsProvisioningStatus).toEqual([]);
      expect(await rejectionOf(client.send(new ListPermissionSetProvisioningStatusCommand({ InstanceArn: instance, Filter: { Status: "DONE" as never } })))).toBeInstanceOf(ValidationException);
    } finally {
      await example.stop();
    }
  });

  it("an assignment that would provision a permission set into an account lacking its customer-managed policy FAILS", async () => {
    const withRefs = [...sso.permissionSets].find((p) => p.customerManagedPolicies.length > 0)!;
    const account = modelQueries.organizationAccounts(sim.model).find((a) => a.state === "ACTIVE" && !sso.provisionedByAccount.get(a.id)?.has(withRefs.arn))!;
    const ref = withRefs.customerManagedPolicies[0]!;
    const policyArn = `arn:aws:iam::${account.id}:policy${ref.path}${ref.name}`;
    const saved = account.iam.policies.delete(policyArn)!;
    try {
      const user = sim.model.identityStore!.users.at(0)!;
      const { AccountAssignmentCreationStatus } = await clients.ssoAdmin.send(
        new CreateAccountAssignmentCommand({ InstanceArn, TargetId: account.id, TargetType: "AWS_ACCOUNT", PermissionSetArn: withRefs.arn, PrincipalType: "USER", PrincipalId: user.id }),
      );
      clock.advance(10_000);
      const { AccountAssignmentCreationStatus: done } = await clients.ssoAdmin.send(
        new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn, AccountAssignmentCreationRequestId: AccountAssignmentCreationStatus!.RequestId }),
      );
      expect(done!.Status).toBe("FAILED");
      expect(done!.FailureReason).toContain(policyArn);
      expect(sso.provisionedByAccount.get(account.id)?.has(withRefs.arn) ?? false).toBe(false);
    } finally {
      account.iam.policies.add(saved);
    }
  });
});
