import { DescribeAccountCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import {
  CreateAccountAssignmentCommand,
  DeleteAccountAssignmentCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  ListAccountAssignmentsCommand,
  ListInstancesCommand,
  SSOAdminClient,
} from "@aws-sdk/client-sso-admin";
import { Code, ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ScopeBindingTraitSchema } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { EntitlementSchema } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import { ResourceSchema } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { silentLogger, type Logger } from "../../src/log.js";
import { createAccountAssignmentProvisioners } from "../../src/provisioning/account-assignment.js";
import { errorRequestIds } from "../../src/provisioning/errors.js";
import {
  INSTANCE_ARN,
  PERMISSION_SET,
  STORE,
  TARGET_ACCOUNT,
  accountEntitlement,
  awsError,
  capturingLogger,
  fakeAwsClients,
  grantOf,
  provisionContext,
  runUntilSettled,
  ssoGroup,
  ssoUser,
  unitConfig,
} from "./fakes.js";

const sso = mockClient(SSOAdminClient);
const orgs = mockClient(OrganizationsClient);
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);
const USER = "9067639464-11111111-2222-3333-4444-555555555555";

let shutdown: AbortController;
let started: number;
/** Fake-time offsets (ms after the write was answered) at which each status call was made. */
let pollTimes: number[];

function provisioner(overrides: { deadlineMs?: number; maxOutstanding?: number; log?: Logger } = {}) {
  const made = createAccountAssignmentProvisioners({
    aws: fakeAwsClients(),
    config: unitConfig({
      provisioning: { enabled: true, assignmentDeadlineMs: overrides.deadlineMs ?? 60_000, maxOutstandingAssignments: overrides.maxOutstanding ?? 10 },
    }),
    log: overrides.log ?? silentLogger,
    shutdown: shutdown.signal,
  });
  // The flat account entitlement's provisioner; `binding` serves the scope binding's shape with the same engine.
  return Object.assign(made.provisioners[0]!, { queue: made.queue, binding: made.provisioners[1]! });
}

const inProgress = (id = "op-1") => ({ Status: "IN_PROGRESS" as const, RequestId: id });
const creationStatus = (status: "IN_PROGRESS" | "SUCCEEDED" | "FAILED", extra: Record<string, unknown> = {}) => ({
  AccountAssignmentCreationStatus: { Status: status, RequestId: "op-1", ...extra },
  $metadata: { requestId: `http-describe-${status}` },
});

function createAnswersInProgress() {
  sso.on(CreateAccountAssignmentCommand).callsFake(async () => {
    started = Date.now();
    return { AccountAssignmentCreationStatus: inProgress(), $metadata: { requestId: "http-create" } };
  });
}

/** Status calls answer each of `statuses` in turn (the last one repeats), recording when they were made. */
function creationStatusSequence(...statuses: Array<"IN_PROGRESS" | "SUCCEEDED" | "FAILED" | Error>) {
  let call = 0;
  sso.on(DescribeAccountAssignmentCreationStatusCommand).callsFake(async () => {
    pollTimes.push(Date.now() - started);
    const next = statuses[Math.min(call++, statuses.length - 1)]!;
    if (next instanceof Error) throw next;
    return creationStatus(next, next === "FAILED" ? { FailureReason: "Received a 403 status error: Access denied by IAM." } : {});
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  sso.reset();
  orgs.reset();
  shutdown = new AbortController();
  started = Date.now();
  pollTimes = [];
  sso.on(ListInstancesCommand).resolves({ Instances: [{ InstanceArn: INSTANCE_ARN, IdentityStoreId: STORE }] });
  sso.on(ListAccountAssignmentsCommand).resolves({ AccountAssignments: [], $metadata: { requestId: "http-list" } });
  orgs.on(DescribeAccountCommand).resolves({ Account: { Id: TARGET_ACCOUNT, State: "ACTIVE" } });
});

afterEach(() => {
  shutdown.abort();
  vi.useRealTimers();
});

describe("grant: confirmation by polling", () => {
  it("answers only once AWS reports SUCCEEDED, polling soon and then backing off", async () => {
    createAnswersInProgress();
    creationStatusSequence("IN_PROGRESS", "IN_PROGRESS", "SUCCEEDED");
    const grant = provisioner().grant(ssoUser(USER), accountEntitlement(), provisionContext());
    let settled = false;
    void grant.then(() => (settled = true), () => (settled = true));
    await advance(2_000);
    expect(settled).toBe(false); // two IN_PROGRESS answers seen, no success yet
    const result = await runUntilSettled(grant, advance);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.alreadyExists).toBe(false);
    expect(result.value.awsRequestIds).toEqual(["op-1", "http-create", "http-describe-SUCCEEDED"]);
    expect(result.value.grants[0]!.id).toBe(`grant:sso_user:${ssoUser(USER).id!.resource}:${TARGET_ACCOUNT}|${PERMISSION_SET}`);
    // Default expectation 3 s: first poll at 250 ms, then ×3 geometric steps.
    expect(pollTimes).toEqual([250, 750, 2250]);
    const create = sso.commandCalls(CreateAccountAssignmentCommand)[0]!.args[0].input;
    expect(create).toMatchObject({ InstanceArn: INSTANCE_ARN, TargetId: TARGET_ACCOUNT, TargetType: "AWS_ACCOUNT", PrincipalType: "USER", PrincipalId: USER });
  });

  it("learns how long operations take and polls around that time next", async () => {
    const p = provisioner();
    for (let i = 0; i < 3; i++) {
      sso.reset();
      sso.on(ListInstancesCommand).resolves({ Instances: [{ InstanceArn: INSTANCE_ARN, IdentityStoreId: STORE }] });
      sso.on(ListAccountAssignmentsCommand).resolves({ AccountAssignments: [] });
      createAnswersInProgress();
      pollTimes = [];
      // An operation that completes 10 s after it was accepted.
      sso.on(DescribeAccountAssignmentCreationStatusCommand).callsFake(async () => {
        const at = Date.now() - started;
        pollTimes.push(at);
        return creationStatus(at >= 10_000 ? "SUCCEEDED" : "IN_PROGRESS");
      });
      const result = await runUntilSettled(p.grant(ssoUser(`${USER.slice(0, -1)}${i}`), accountEntitlement(), provisionContext()), advance);
      expect(result.ok).toBe(true);
    }
    // Once warm, a 10 s operation costs at most 8 polls and is seen within 250 ms of completing.
    expect(pollTimes.length).toBeLessThanOrEqual(8);
    expect(pollTimes.at(-1)! - 10_000).toBeLessThanOrEqual(250);
  });

  it("answers Aborted with AWS's FailureReason and the request id when the operation FAILED", async () => {
    createAnswersInProgress();
    creationStatusSequence("IN_PROGRESS", "FAILED");
    const result = await runUntilSettled(provisioner().grant(ssoUser(USER), accountEntitlement(), provisionContext()), advance);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(ConnectError);
    const error = result.error as ConnectError;
    expect(error.code).toBe(Code.Aborted);
    expect(error.rawMessage).toContain("Access denied by IAM");
    expect(error.rawMessage).toContain("op-1");
    expect(errorRequestIds(error)).toContain("op-1");
  });

  it("answers DeadlineExceeded with the request id when AWS does not finish in time", async () => {
    createAnswersInProgress();
    creationStatusSequence("IN_PROGRESS");
    const result = await runUntilSettled(provisioner({ deadlineMs: 10_000 }).grant(ssoUser(USER), accountEntitlement(), provisionContext()), advance);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const error = result.error as ConnectError;
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(error.rawMessage).toContain("op-1");
    expect(errorRequestIds(error)).toEqual(["op-1"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(10_000);
  });

  it("waits longer after a throttled status call instead of failing", async () => {
    createAnswersInProgress();
    creationStatusSequence(awsError("ThrottlingException", "Rate exceeded"), "SUCCEEDED");
    const result = await runUntilSettled(provisioner().grant(ssoUser(USER), accountEntitlement(), provisionContext()), advance);
    expect(result.ok).toBe(true);
    expect(pollTimes[0]).toBe(250);
    expect(pollTimes[1]! - pollTimes[0]!).toBeGreaterThanOrEqual(1_000);
  });

  it("honours Retry-After on a throttled status call", async () => {
    createAnswersInProgress();
    creationStatusSequence(awsError("ThrottlingException", "Rate exceeded", "r", { RetryAfterSeconds: 4 }), "SUCCEEDED");
    const result = await runUntilSettled(provisioner().grant(ssoUser(USER), accountEntitlement(), provisionContext()), advance);
    expect(result.ok).toBe(true);
    expect(pollTimes[1]! - pollTimes[0]!).toBeGreaterThanOrEqual(4_000);
  });

  it("does not treat AccessDenied on the status call as success", async () => {
    createAnswersInProgress();
    creationStatusSequence(awsError("AccessDeniedException", "not allowed"));
    const result = await runUntilSettled(provisioner().grant(ssoUser(USER), accountEntitlement(), provisionContext()), advance);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect((result.error as ConnectError).code).toBe(Code.PermissionDenied);
    expect((result.error as ConnectError).rawMessage).toContain("op-1");
  });

  it("uses the status the write answered with when it is already final", async () => {
    sso.on(CreateAccountAssignmentCommand).resolves({ AccountAssignmentCreationStatus: { Status: "SUCCEEDED", RequestId: "op-9" } });
    const result = await runUntilSettled(provisioner().grant(ssoUser(USER), accountEntitlement(), provisionContext()), advance);
    expect(result.ok).toBe(true);
    expect(sso.commandCalls(DescribeAccountAssignmentCreationStatusCommand)).toHaveLength(0);
  });
});

describe("grant: conflicts, existing assignments, account status", () => {
  it("retries ConflictException with backoff, re-reading the assignments before each retry", async () => {
    sso
      .on(CreateAccountAssignmentCommand)
      .rejectsOnce(awsError("ConflictException", "operation in progress"))
      .rejectsOnce(awsError("ConflictException", "operation in progress"))
      .resolves({ AccountAssignmentCreationStatus: { Status: "SUCCEEDED", RequestId: "op-1" } });
    const result = await runUntilSettled(provisioner().grant(ssoUser(USER), accountEntitlement(), provisionContext()), advance);
    expect(result.ok).toBe(true);
    expect(sso.commandCalls(CreateAccountAssignmentCommand)).toHaveLength(3);
    expect(sso.commandCalls(ListAccountAssignmentsCommand)).toHaveLength(3); // the pre-check, then before each retry
  });

  it("answers already-exists when a conflicting operation created the assignment meanwhile", async () => {
    sso.on(CreateAccountAssignmentCommand).rejects(awsError("ConflictException"));
    sso
      .on(ListAccountAssignmentsCommand)
      .resolvesOnce({ AccountAssignments: [] })
      .resolves({ AccountAssignments: [{ AccountId: TARGET_ACCOUNT, PermissionSetArn: PERMISSION_SET, PrincipalType: "USER", PrincipalId: USER }] });
    const result = await runUntilSettled(provisioner().grant(ssoUser(USER), accountEntitlement(), provisionContext()), advance);
    expect(result.ok && result.value.alreadyExists).toBe(true);
    expect(sso.commandCalls(CreateAccountAssignmentCommand)).toHaveLength(1);
  });

  it("reads every page of the pair's assignments and answers already-exists without writing", async () => {
    sso
      .on(ListAccountAssignmentsCommand)
      .resolvesOnce({ AccountAssignments: [{ PrincipalType: "GROUP", PrincipalId: USER }], NextToken: "t1" })
      .resolves({ AccountAssignments: [{ PrincipalType: "USER", PrincipalId: USER }], $metadata: { requestId: "http-list-2" } });
    const result = await runUntilSettled(provisioner().grant(ssoUser(USER), accountEntitlement(), provisionContext()), advance);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.alreadyExists).toBe(true);
    expect(sso.commandCalls(ListAccountAssignmentsCommand)).toHaveLength(2);
    expect(sso.commandCalls(ListAccountAssignmentsCommand)[1]!.args[0].input.NextToken).toBe("t1");
    expect(sso.commandCalls(CreateAccountAssignmentCommand)).toHaveLength(0);
  });

  it("refuses an account that is not ACTIVE with FailedPrecondition, before writing", async () => {
    orgs.on(DescribeAccountCommand).resolves({ Account: { Id: TARGET_ACCOUNT, State: "SUSPENDED" } });
    const result = await runUntilSettled(provisioner().grant(ssoUser(USER), accountEntitlement(), provisionContext()), advance);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect((result.error as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((result.error as ConnectError).rawMessage).toContain("SUSPENDED");
    expect(sso.commandCalls(CreateAccountAssignmentCommand)).toHaveLength(0);
  });

  it("continues when organizations:DescribeAccount is denied, and says so in the log", async () => {
    orgs.on(DescribeAccountCommand).rejects(awsError("AccessDeniedException"));
    sso.on(CreateAccountAssignmentCommand).resolves({ AccountAssignmentCreationStatus: { Status: "SUCCEEDED", RequestId: "op-1" } });
    const { log, lines } = capturingLogger();
    const result = await runUntilSettled(provisioner({ log }).grant(ssoUser(USER), accountEntitlement(), provisionContext()), advance);
    expect(result.ok).toBe(true);
    expect(lines.some((l) => l.level === 40 && String(l.msg).includes("could not verify the account's status"))).toBe(true);
  });

  it("answers NotFound for an account outside the organization", async () => {
    orgs.on(DescribeAccountCommand).rejects(awsError("AccountNotFoundException"));
    const result = await runUntilSettled(provisioner().grant(ssoUser(USER), accountEntitlement(), provisionContext()), advance);
    expect(!result.ok && (result.error as ConnectError).code).toBe(Code.NotFound);
  });

  it("refuses a principal from another identity store with InvalidArgument, before any AWS write", async () => {
    const foreign = ssoUser(USER);
    foreign.id!.resource = foreign.id!.resource.replace(STORE, "d-9999999999");
    const result = await runUntilSettled(provisioner().grant(foreign, accountEntitlement(), provisionContext()), advance);
    expect(!result.ok && (result.error as ConnectError).code).toBe(Code.InvalidArgument);
    expect(sso.commandCalls(ListAccountAssignmentsCommand)).toHaveLength(0);
  });

  it("maps groups to PrincipalType GROUP and marks their grant expandable through the group", async () => {
    sso.on(CreateAccountAssignmentCommand).resolves({ AccountAssignmentCreationStatus: { Status: "SUCCEEDED", RequestId: "op-1" } });
    const result = await runUntilSettled(provisioner().grant(ssoGroup(USER), accountEntitlement(), provisionContext()), advance);
    expect(result.ok).toBe(true);
    expect(sso.commandCalls(CreateAccountAssignmentCommand)[0]!.args[0].input.PrincipalType).toBe("GROUP");
    if (result.ok) expect(result.value.grants[0]!.annotations.map((a) => a.typeUrl)).toContain("type.googleapis.com/c1.connector.v2.GrantExpandable");
  });
});

describe("revoke", () => {
  const existing = { AccountAssignments: [{ AccountId: TARGET_ACCOUNT, PermissionSetArn: PERMISSION_SET, PrincipalType: "USER" as const, PrincipalId: USER }] };

  it("answers already-revoked without writing when the assignment is absent", async () => {
    const result = await runUntilSettled(provisioner().revoke(grantOf(accountEntitlement(), ssoUser(USER)), provisionContext()), advance);
    expect(result.ok && result.value.alreadyRevoked).toBe(true);
    expect(sso.commandCalls(DeleteAccountAssignmentCommand)).toHaveLength(0);
  });

  it("deletes and confirms through the deletion status (same wait helper)", async () => {
    sso.on(ListAccountAssignmentsCommand).resolves(existing);
    sso.on(DeleteAccountAssignmentCommand).callsFake(async () => {
      started = Date.now();
      return { AccountAssignmentDeletionStatus: inProgress("op-del") };
    });
    sso
      .on(DescribeAccountAssignmentDeletionStatusCommand)
      .resolvesOnce({ AccountAssignmentDeletionStatus: inProgress("op-del") })
      .resolves({ AccountAssignmentDeletionStatus: { Status: "SUCCEEDED", RequestId: "op-del" } });
    const result = await runUntilSettled(provisioner().revoke(grantOf(accountEntitlement(), ssoUser(USER)), provisionContext()), advance);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({ alreadyRevoked: false });
    expect(result.value.awsRequestIds).toContain("op-del");
    expect(sso.commandCalls(DescribeAccountAssignmentDeletionStatusCommand)).toHaveLength(2);
  });

  it("answers already-revoked when the delete finds nothing (deleted meanwhile)", async () => {
    sso.on(ListAccountAssignmentsCommand).resolves(existing);
    sso.on(DeleteAccountAssignmentCommand).rejects(awsError("ResourceNotFoundException"));
    const result = await runUntilSettled(provisioner().revoke(grantOf(accountEntitlement(), ssoUser(USER)), provisionContext()), advance);
    expect(result.ok && result.value.alreadyRevoked).toBe(true);
  });
});

describe("the per-instance queue", () => {
  it("keeps at most maxOutstandingAssignments operations outstanding", async () => {
    let outstanding = 0;
    let maxOutstanding = 0;
    const completesAt = new Map<string, number>();
    sso.on(CreateAccountAssignmentCommand).callsFake(async (input: { PrincipalId: string }) => {
      outstanding++;
      maxOutstanding = Math.max(maxOutstanding, outstanding);
      completesAt.set(input.PrincipalId, Date.now() + 1_000);
      return { AccountAssignmentCreationStatus: inProgress(input.PrincipalId) };
    });
    sso.on(DescribeAccountAssignmentCreationStatusCommand).callsFake(async (input: { AccountAssignmentCreationRequestId: string }) => {
      const done = Date.now() >= completesAt.get(input.AccountAssignmentCreationRequestId)!;
      if (done) outstanding--;
      return { AccountAssignmentCreationStatus: { Status: done ? "SUCCEEDED" : "IN_PROGRESS", RequestId: input.AccountAssignmentCreationRequestId } };
    });
    const p = provisioner({ maxOutstanding: 3 });
    const users = Array.from({ length: 12 }, (_, i) => `${USER.slice(0, -2)}${String(i).padStart(2, "0")}`);
    const all = Promise.all(users.map((u) => p.grant(ssoUser(u), accountEntitlement(), provisionContext())));
    const result = await runUntilSettled(all, advance);
    expect(result.ok).toBe(true);
    expect(sso.commandCalls(CreateAccountAssignmentCommand)).toHaveLength(12);
    expect(maxOutstanding).toBe(3);
    expect(p.queue.maxOutstandingObserved).toBe(3);
  });

  it("coalesces identical concurrent requests into one AWS operation with one answer for all", async () => {
    createAnswersInProgress();
    creationStatusSequence("IN_PROGRESS", "SUCCEEDED");
    const p = provisioner();
    const calls = [0, 1, 2].map(() => p.grant(ssoUser(USER), accountEntitlement(), provisionContext()));
    const result = await runUntilSettled(Promise.all(calls), advance);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(sso.commandCalls(CreateAccountAssignmentCommand)).toHaveLength(1);
    expect(new Set(result.value.map((r) => JSON.stringify(r.awsRequestIds))).size).toBe(1);
    expect(result.value.every((r) => !r.alreadyExists)).toBe(true);
  });

  it("runs a revoke queued behind a grant for the same assignment after it, not alongside", async () => {
    let assigned = false;
    sso.on(ListAccountAssignmentsCommand).callsFake(async () => ({
      AccountAssignments: assigned ? [{ PrincipalType: "USER", PrincipalId: USER }] : [],
    }));
    sso.on(CreateAccountAssignmentCommand).callsFake(async () => {
      started = Date.now();
      return { AccountAssignmentCreationStatus: inProgress() };
    });
    sso.on(DescribeAccountAssignmentCreationStatusCommand).callsFake(async () => {
      const done = Date.now() - started >= 500;
      if (done) assigned = true;
      return creationStatus(done ? "SUCCEEDED" : "IN_PROGRESS");
    });
    sso.on(DeleteAccountAssignmentCommand).resolves({ AccountAssignmentDeletionStatus: { Status: "SUCCEEDED", RequestId: "op-del" } });
    const p = provisioner();
    const grant = p.grant(ssoUser(USER), accountEntitlement(), provisionContext());
    const revoke = p.revoke(grantOf(accountEntitlement(), ssoUser(USER)), provisionContext());
    const result = await runUntilSettled(Promise.all([grant, revoke]), advance);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value[0].alreadyExists).toBe(false);
    expect(result.value[1].alreadyRevoked).toBe(false); // the revoke saw the grant's assignment and deleted it
    expect(sso.commandCalls(DeleteAccountAssignmentCommand)).toHaveLength(1);
  });

  it("drops a queued operation whose only caller cancelled before it wrote anything", async () => {
    let release!: () => void;
    sso.on(CreateAccountAssignmentCommand).callsFake(
      (input: { PrincipalId: string }) =>
        new Promise((resolve) => {
          release = () => resolve({ AccountAssignmentCreationStatus: { Status: "SUCCEEDED", RequestId: input.PrincipalId } });
        }),
    );
    const p = provisioner({ maxOutstanding: 1 });
    const first = p.grant(ssoUser(USER), accountEntitlement(), provisionContext());
    await advance(10);
    const cancel = new AbortController();
    const second = p.grant(ssoUser(`${USER.slice(0, -1)}9`), accountEntitlement(), provisionContext({ signal: cancel.signal }));
    await advance(10);
    cancel.abort();
    const secondResult = await runUntilSettled(second, advance);
    expect(!secondResult.ok && (secondResult.error as ConnectError).code).toBe(Code.Canceled);
    expect(!secondResult.ok && (secondResult.error as ConnectError).rawMessage).toContain("nothing was sent to AWS");
    release();
    expect((await runUntilSettled(first, advance)).ok).toBe(true);
    await advance(1_000);
    expect(sso.commandCalls(CreateAccountAssignmentCommand)).toHaveLength(1);
  });
});

describe("the assigned entitlement of a permission_set_assignment (scope binding)", () => {
  const binding = `${PERMISSION_SET}-${TARGET_ACCOUNT}`;
  const scopeBinding = (permissionSet = PERMISSION_SET, account = TARGET_ACCOUNT) =>
    create(ResourceSchema, {
      id: { resourceType: "permission_set_assignment", resource: binding },
      annotations: [
        anyPack(ScopeBindingTraitSchema, create(ScopeBindingTraitSchema, {
          roleId: { resourceType: "permission_set", resource: permissionSet },
          scopeResourceId: { resourceType: "account", resource: account },
        })),
      ],
    });
  const assigned = (resource = scopeBinding()) => create(EntitlementSchema, { id: `permission_set_assignment:${binding}:assigned`, resource, slug: "assigned" });

  it("grants through the same assignment write, answering the binding's grant id (ConductorOne's just-in-time flow)", async () => {
    createAnswersInProgress();
    creationStatusSequence("SUCCEEDED");
    const p = provisioner();
    expect(p.binding.resourceTypeId).toBe("permission_set_assignment");
    const result = await runUntilSettled(p.binding.grant(ssoGroup("g-1"), assigned(), provisionContext()), advance);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.grants[0]!.id).toBe(`grant:sso_group:${ssoGroup("g-1").id!.resource}:permission_set_assignment:${binding}:assigned`);
    expect(sso.commandCalls(CreateAccountAssignmentCommand)[0]!.args[0].input).toMatchObject({
      TargetId: TARGET_ACCOUNT,
      PermissionSetArn: PERMISSION_SET,
      PrincipalType: "GROUP",
      PrincipalId: "g-1",
    });
  });

  it("revokes; an id and a scope binding that disagree, or another entitlement, are refused before any AWS call", async () => {
    const p = provisioner();
    const result = await runUntilSettled(p.binding.revoke(grantOf(assigned(), ssoUser(USER)), provisionContext()), advance);
    expect(result.ok && result.value.alreadyRevoked).toBe(true);
    const calls = sso.calls().length;
    for (const entitlement of [assigned(scopeBinding(PERMISSION_SET, "333333333333")), accountEntitlement()]) {
      const error = await p.binding.grant(ssoUser(USER), entitlement, provisionContext()).catch((e: unknown) => e);
      expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    }
    expect(sso.calls().length).toBe(calls);
  });
});
