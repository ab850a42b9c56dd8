/**
 * Grant/Revoke over gRPC (@grpc/grpc-js → the real server → the connector → the simulator over
 * HTTP), with IN_PROGRESS delays, injected FAILED outcomes, conflicts and throttling. Every success
 * is checked against the simulator's own records: the operation AWS reported SUCCEEDED, and it had
 * completed before the answer arrived.
 */
import { SSOAdminClient, CreateAccountAssignmentCommand } from "@aws-sdk/client-sso-admin";
import { status } from "@grpc/grpc-js";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GrantExpirySchema } from "../../src/gen/awsaccess/v1/grant_lifetime_pb.js";
import { readAuditLog } from "../../src/provisioning/audit-log.js";
import { openStateDbReadOnly } from "../../src/provisioning/state-db.js";
import type { Simulator } from "../../src/simulator/index.js";
import { fixtures, hasType, lifetimeAnnotation, requestIds, simConfig, startService, startSim, tempStateDir, unpack, type CallOutcome, type GrantReply, type Service } from "./sim-rig.js";

const ALREADY_EXISTS = "c1.connector.v2.GrantAlreadyExists";
const ALREADY_REVOKED = "c1.connector.v2.GrantAlreadyRevoked";

let sim: Simulator;
let service: Service;
let stateDir: string;
let fx: ReturnType<typeof fixtures>;

beforeAll(async () => {
  // Operations stay IN_PROGRESS 300–700 ms, as AWS answers IN_PROGRESS first.
  sim = await startSim({ knobs: { assignments: { fixedMs: 300, jitterMs: 400 } } });
  stateDir = tempStateDir();
  service = await startService(simConfig(sim, stateDir));
  fx = fixtures(sim.model);
});
afterAll(async () => {
  await service.stop();
  await sim.stop();
  rmSync(stateDir, { recursive: true, force: true });
});
beforeEach(() => {
  sim.knobs.update({ faults: [], assignments: { failureRules: [], fixedMs: 300, jitterMs: 400 } });
});

/** The operation behind a successful answer: AWS's record of it must say SUCCEEDED, finished before the answer. */
function confirmedOperation(kind: "create" | "delete", outcome: CallOutcome<{ annotations: GrantReply["annotations"] }>) {
  const ops = requestIds(outcome.reply!.annotations)
    .map((id) => sim.assignments.find(kind, id, Date.now()))
    .filter((op) => op !== undefined);
  expect(ops).toHaveLength(1);
  const op = ops[0]!;
  expect(op.status).toBe("SUCCEEDED");
  expect(op.completesAt).toBeLessThanOrEqual(outcome.at);
  expect(op.completesAt).toBeGreaterThan(op.createdAt); // it really was IN_PROGRESS for a while
  return op;
}

describe("permission-set assignments", () => {
  it("grants, answers already-exists, revokes, answers already-revoked — each confirmed by AWS", async () => {
    const account = fx.active[0]!;
    const ps = fx.permissionSets[0]!.arn;
    const user = fx.unassignedUsers(account.id, ps)[0]!;
    const entitlement = fx.accountEntitlement(account.id, ps);
    const principal = fx.ssoUser(user.id);

    const granted = await service.client.grant(entitlement, principal);
    expect(granted.details).toBeUndefined();
    expect(hasType(granted.reply!.annotations, ALREADY_EXISTS)).toBe(false);
    confirmedOperation("create", granted);
    expect(fx.assigned(account.id, ps, "USER", user.id)).toBe(true);
    expect(granted.reply!.grants.map((g) => g.id)).toEqual([`grant:sso_user:${fx.userArn(user.id)}:${account.id}|${ps}`]);

    const started = sim.counters.assignments.started;
    const again = await service.client.grant(entitlement, principal);
    expect(hasType(again.reply!.annotations, ALREADY_EXISTS)).toBe(true);
    expect(sim.counters.assignments.started).toBe(started); // nothing written

    const grant = granted.reply!.grants[0]!;
    const revoked = await service.client.revoke(grant);
    expect(revoked.ok).toBe(true);
    expect(hasType(revoked.reply!.annotations, ALREADY_REVOKED)).toBe(false);
    confirmedOperation("delete", revoked);
    expect(fx.assigned(account.id, ps, "USER", user.id)).toBe(false);

    const twice = await service.client.revoke(grant);
    expect(hasType(twice.reply!.annotations, ALREADY_REVOKED)).toBe(true);
    expect(sim.counters.assignments.started).toBe(started + 1);
  });

  it("answers already-revoked for something never granted, without writing", async () => {
    const account = fx.active[1]!;
    const ps = fx.permissionSets[1]!.arn;
    const user = fx.unassignedUsers(account.id, ps)[0]!;
    const started = sim.counters.assignments.started;
    const outcome = await service.client.revoke({ id: "never", entitlement: fx.accountEntitlement(account.id, ps), principal: fx.ssoUser(user.id) });
    expect(hasType(outcome.reply!.annotations, ALREADY_REVOKED)).toBe(true);
    expect(sim.counters.assignments.started).toBe(started);
  });

  it("the same assignment through a permission_set_assignment's `assigned` (ConductorOne's just-in-time flow): granted, then revoked, each confirmed", async () => {
    const account = fx.active[1]!;
    const ps = fx.permissionSets[1]!.arn;
    const user = fx.unassignedUsers(account.id, ps)[0]!;
    const entitlement = fx.bindingEntitlement(account.id, ps);
    const granted = await service.client.grant(entitlement, fx.ssoUser(user.id));
    expect(granted.details).toBeUndefined();
    confirmedOperation("create", granted);
    expect(fx.assigned(account.id, ps, "USER", user.id)).toBe(true);
    expect(granted.reply!.grants.map((g) => g.id)).toEqual([`grant:sso_user:${fx.userArn(user.id)}:${entitlement.id}`]);
    const revoked = await service.client.revoke({ id: granted.reply!.grants[0]!.id, entitlement, principal: fx.ssoUser(user.id) });
    expect(revoked.details).toBeUndefined();
    confirmedOperation("delete", revoked);
    expect(fx.assigned(account.id, ps, "USER", user.id)).toBe(false);
  });

  it("grants to a group and answers an expandable grant", async () => {
    const account = fx.active[2]!;
    const ps = fx.permissionSets[2]!.arn;
    const group = fx.groups.find((g) => !fx.assigned(account.id, ps, "GROUP", g.id))!;
    const outcome = await service.client.grant(fx.accountEntitlement(account.id, ps), fx.ssoGroup(group.id));
    confirmedOperation("create", outcome);
    expect(fx.assigned(account.id, ps, "GROUP", group.id)).toBe(true);
    expect(hasType(outcome.reply!.grants[0]!.annotations, "c1.connector.v2.GrantExpandable")).toBe(true);
  });

  it("answers ABORTED with AWS's FailureReason and request id when the operation FAILED, and grants nothing", async () => {
    const account = fx.active[0]!;
    const ps = fx.permissionSets[3]!.arn;
    const user = fx.unassignedUsers(account.id, ps)[1]!;
    const reason = "Received a 403 status error: Access denied by IAM (injected)";
    sim.knobs.update({ assignments: { failureRules: [{ operation: "create", principalId: user.id, reason }] } });
    const failedBefore = sim.counters.assignments.failed;
    const outcome = await service.client.grant(fx.accountEntitlement(account.id, ps), fx.ssoUser(user.id));
    expect(outcome.ok).toBe(false);
    expect(outcome.code).toBe(status.ABORTED);
    expect(outcome.details).toContain(reason);
    expect(sim.counters.assignments.failed).toBe(failedBefore + 1);
    const requestId = /operation request id ([0-9a-f-]+)/.exec(outcome.details!)?.[1];
    expect(sim.assignments.find("create", requestId!, Date.now())).toMatchObject({ status: "FAILED", failureReason: reason });
    expect(fx.assigned(account.id, ps, "USER", user.id)).toBe(false);
  });

  it("retries a ConflictException (an operation already in flight) until AWS settles it", async () => {
    const account = fx.active[1]!;
    const ps = fx.permissionSets[0]!.arn;
    const user = fx.unassignedUsers(account.id, ps)[2]!;
    sim.knobs.update({ assignments: { fixedMs: 1_500, jitterMs: 0 } });
    // Someone else starts the same assignment a moment before us.
    const other = new SSOAdminClient(sim.clientConfig());
    await other.send(
      new CreateAccountAssignmentCommand({ InstanceArn: fx.sso.arn, TargetId: account.id, TargetType: "AWS_ACCOUNT", PermissionSetArn: ps, PrincipalType: "USER", PrincipalId: user.id }),
    );
    other.destroy();
    const conflictsBefore = sim.counters.snapshot().services["sso-admin"]?.operations.CreateAccountAssignment?.errors ?? 0;
    const outcome = await service.client.grant(fx.accountEntitlement(account.id, ps), fx.ssoUser(user.id));
    expect(outcome.ok).toBe(true);
    // The other operation created it: we wrote nothing and say so.
    expect(hasType(outcome.reply!.annotations, ALREADY_EXISTS)).toBe(true);
    expect(sim.counters.snapshot().services["sso-admin"]!.operations.CreateAccountAssignment!.errors).toBeGreaterThan(conflictsBefore);
    expect(fx.assigned(account.id, ps, "USER", user.id)).toBe(true);
  });

  it("still confirms every grant under injected throttling", async () => {
    sim.knobs.update({
      faults: [{ kind: "throttle", rate: 0.4, services: ["sso-admin"], operations: ["CreateAccountAssignment", "DescribeAccountAssignmentCreationStatus", "ListAccountAssignments"] }],
    });
    const account = fx.active[3]!;
    const ps = fx.permissionSets[4]!.arn;
    const users = fx.unassignedUsers(account.id, ps).slice(0, 4);
    const throttledBefore = sim.counters.snapshot().services["sso-admin"]?.throttles ?? 0;
    const outcomes = await Promise.all(users.map((u) => service.client.grant(fx.accountEntitlement(account.id, ps), fx.ssoUser(u.id))));
    for (const outcome of outcomes) {
      expect(outcome.details).toBeUndefined();
      confirmedOperation("create", outcome);
    }
    expect(users.every((u) => fx.assigned(account.id, ps, "USER", u.id))).toBe(true);
    expect(sim.counters.snapshot().services["sso-admin"]!.throttles).toBeGreaterThan(throttledBefore);
  });

  it("refuses an inactive account with FAILED_PRECONDITION before writing", async () => {
    const suspended = fx.suspended!;
    const ps = fx.permissionSets[0]!.arn;
    const started = sim.counters.assignments.started;
    const outcome = await service.client.grant(fx.accountEntitlement(suspended.id, ps), fx.ssoUser(fx.users[0]!.id));
    expect(outcome.code).toBe(status.FAILED_PRECONDITION);
    expect(outcome.details).toContain(suspended.state);
    expect(sim.counters.assignments.started).toBe(started);
  });

  it("answers a time-bound grant with its expiry", async () => {
    const account = fx.active[2]!;
    const ps = fx.permissionSets[1]!.arn;
    const user = fx.unassignedUsers(account.id, ps)[0]!;
    const before = Date.now();
    const outcome = await service.client.grant(fx.accountEntitlement(account.id, ps), fx.ssoUser(user.id), [lifetimeAnnotation(2 * 3_600_000)]);
    const expiry = unpack(outcome.reply!.annotations, GrantExpirySchema);
    const expiresAt = Number(expiry!.expiresAt!.seconds) * 1000;
    expect(expiresAt).toBeGreaterThanOrEqual(before + 2 * 3_600_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(outcome.at + 2 * 3_600_000);
  });
});

describe("IAM group membership in a member account", () => {
  it("adds, answers already-exists, removes, answers already-revoked", async () => {
    const account = fx.active.find((a) => [...a.iam.groups].length > 0 && [...a.iam.users].length > 0)!;
    const group = [...account.iam.groups][0]!;
    const user = [...account.iam.users].find((u) => u.groups.get(group.name) === undefined)!;
    expect(user).toBeDefined();
    const entitlement = { id: `group:${group.arn}:member`, resource: { id: { resource_type: "group", resource: group.arn } } };
    const principal = { id: { resource_type: "iam_user", resource: user.arn } };

    const granted = await service.client.grant(entitlement, principal);
    expect(granted.details).toBeUndefined();
    expect(hasType(granted.reply!.annotations, ALREADY_EXISTS)).toBe(false);
    expect(group.members.get(user.name)).toBeDefined();
    expect(granted.reply!.grants[0]!.id).toBe(`group:${group.arn}:member:iam_user:${user.arn}`);

    const again = await service.client.grant(entitlement, principal);
    expect(hasType(again.reply!.annotations, ALREADY_EXISTS)).toBe(true);

    const revoked = await service.client.revoke(granted.reply!.grants[0]!);
    expect(hasType(revoked.reply!.annotations, ALREADY_REVOKED)).toBe(false);
    expect(group.members.get(user.name)).toBeUndefined();

    const twice = await service.client.revoke(granted.reply!.grants[0]!);
    expect(hasType(twice.reply!.annotations, ALREADY_REVOKED)).toBe(true);
  });
});

describe("Identity Store group membership", () => {
  it("creates, answers already-exists with the same membership, deletes, answers already-revoked", async () => {
    const group = fx.groups[0]!;
    const user = fx.users.find((u) => fx.store.membershipsByGroup.get(group.id)?.get(u.id) === undefined)!;
    const groupArn = fx.groupArn(group.id);
    const entitlement = { id: `sso_group:${groupArn}:member`, resource: { id: { resource_type: "sso_group", resource: groupArn } } };
    const principal = fx.ssoUser(user.id);

    const granted = await service.client.grant(entitlement, principal);
    expect(granted.details).toBeUndefined();
    const membership = fx.store.membershipsByGroup.get(group.id)?.get(user.id);
    expect(membership).toBeDefined();
    expect(granted.reply!.grants[0]!.id).toBe(membership!.id);

    const again = await service.client.grant(entitlement, principal);
    expect(hasType(again.reply!.annotations, ALREADY_EXISTS)).toBe(true);
    expect(again.reply!.grants[0]!.id).toBe(membership!.id);

    const revoked = await service.client.revoke(granted.reply!.grants[0]!);
    expect(hasType(revoked.reply!.annotations, ALREADY_REVOKED)).toBe(false);
    expect(fx.store.membershipsByGroup.get(group.id)?.get(user.id)).toBeUndefined();

    const twice = await service.client.revoke(granted.reply!.grants[0]!);
    expect(hasType(twice.reply!.annotations, ALREADY_REVOKED)).toBe(true);
  });
});

describe("audit log", () => {
  it("recorded every attempt above with the gRPC peer, outcome and AWS request ids", () => {
    const db = openStateDbReadOnly(stateDir)!;
    const records = readAuditLog(db);
    db.close();
    expect(records.length).toBeGreaterThanOrEqual(20);
    expect(records.every((r) => /^grpc:127\.0\.0\.1:\d+$/.test(r.requester))).toBe(true);
    expect(records.every((r) => r.outcome !== undefined && r.durationMs !== undefined)).toBe(true);
    const outcomes = new Set(records.map((r) => r.outcome));
    for (const o of ["granted", "already-exists", "revoked", "already-revoked", "failed"]) expect(outcomes.has(o as never)).toBe(true);
    const failed = records.filter((r) => r.outcome === "failed");
    expect(failed.map((r) => r.errorCode).sort()).toEqual(["Aborted", "FailedPrecondition"]);
    expect(failed.find((r) => r.errorCode === "Aborted")!.awsRequestIds.length).toBeGreaterThan(0);
    expect(records.filter((r) => r.outcome === "granted").every((r) => r.awsRequestIds.length > 0)).toBe(true);
    const text = JSON.stringify(records);
    expect(text).not.toContain(sim.credentials.secretAccessKey);
    expect(text).not.toContain(sim.credentials.accessKeyId);
  });
});
