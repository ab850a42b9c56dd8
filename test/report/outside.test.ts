/**
 * Access outside the process: the sync held against the connector's audit log and JIT ledger.
 * First on the baton-aws-shaped organisation with provisioning records written for it (both of
 * baton-aws's assignment ids; events after the sync ignored); then end to end on the simulator,
 * with drift made behind the connector's back through the AWS SDK.
 */
import { IdentitystoreClient, DeleteGroupMembershipCommand, GetGroupMembershipIdCommand } from "@aws-sdk/client-identitystore";
import { CreateAccountAssignmentCommand, DeleteAccountAssignmentCommand, DescribeAccountAssignmentCreationStatusCommand, DescribeAccountAssignmentDeletionStatusCommand, SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { create } from "@bufbuild/protobuf";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { entitlementFromId, principalFromRef } from "../../src/cli/provisioning-refs.js";
import { createConnector } from "../../src/connector/build.js";
import { GrantSchema } from "../../src/gen/c1/connector/v2/grant_pb.js";
import { AuditLog } from "../../src/provisioning/audit-log.js";
import { GrantLedger } from "../../src/provisioning/ledger.js";
import { grantLifetimeAnnotation } from "../../src/provisioning/lifetime.js";
import { openStateDb } from "../../src/provisioning/state-db.js";
import { buildReport, type Report } from "../../src/report/report.js";
import { cell, reportViews } from "../../src/report/views.js";
import type { Simulator } from "../../src/simulator/index.js";
import { runSync } from "../../src/sync/engine.js";
import { fixtures, simConfig, startSim } from "../provisioning/sim-rig.js";
import { AFTER, BEFORE, DEV, PROD, psArn, ssoGroupArn, ssoUserArn, syncOrg } from "./baton-aws-org.js";

const dir = mkdtempSync(join(tmpdir(), "report-outside-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function outside(report: Report): Array<Record<string, string | number | null>> {
  const view = reportViews(report).find((v) => v.name === "outside");
  if (!view) throw new Error("no outside view");
  return [...view.rows()].map((row) => Object.fromEntries(view.columns.map((c) => [c.key, cell(report.tables, view, row, c)])));
}

const finding = (rows: Array<Record<string, unknown>>, label: RegExp) => rows.filter((r) => label.test(String(r.finding))).map((r) => `${r.principal} ${r.access}`).sort();

describe("against provisioning records written for a baton-aws organisation", () => {
  let report: Report;
  beforeAll(async () => {
    const stateDir = join(dir, "state");
    const file = join(dir, "org.c1z");
    await syncOrg(BEFORE, file);
    const syncStart = Date.now();
    await sleep(20);
    let clock = syncStart - 3_600_000;
    const db = openStateDb(stateDir);
    const audit = new AuditLog(db, () => clock);
    const ledger = new GrantLedger(db, () => clock);
    const record = (action: "grant" | "revoke", entitlementId: string, principal: string, outcome: "granted" | "revoked" | "already-exists") =>
      audit.finish(audit.start({ action, requester: "cli:reviewer", entitlementId, principal }), { outcome, awsRequestIds: [] });
    const ps = (id: string) => psArn(id);
    // Through the connector: erin's ReadOnly (account model id), bob's dev admin (binding model id).
    record("grant", `${PROD}|${ps("ps-bbbbbbbbbbbbbbbb")}`, `sso_user:${ssoUserArn("erin")}`, "granted");
    record("grant", `permission_set_assignment:${ps("ps-aaaaaaaaaaaaaaaa")}-${DEV}:assigned`, `sso_user:${ssoUserArn("bob")}`, "already-exists");
    // Platform's prod admin: time-bound, expired an hour before the sync, never revoked.
    const grant = create(GrantSchema, { id: "g1", entitlement: { id: `${PROD}|${ps("ps-aaaaaaaaaaaaaaaa")}` }, principal: { id: { resourceType: "sso_group", resource: ssoGroupArn("Platform") } } });
    const held = ledger.reserve({ grant, requestedBy: "cli:reviewer", provisionalExpiresAt: clock + 60_000 });
    ledger.confirm(held, grant, clock + 60_000, true);
    record("grant", `${PROD}|${ps("ps-aaaaaaaaaaaaaaaa")}`, `sso_group:${ssoGroupArn("Platform")}`, "granted");
    // carol's IdentityOps: granted, then revoked — yet AWS has it.
    record("grant", `${DEV}|${ps("ps-cccccccccccccccc")}`, `sso_user:${ssoUserArn("carol")}`, "granted");
    clock += 60_000;
    record("revoke", `${DEV}|${ps("ps-cccccccccccccccc")}`, `sso_user:${ssoUserArn("carol")}`, "revoked");
    // frank into Readers: granted here, not in AWS.
    record("grant", `sso_group:${ssoGroupArn("Readers")}:member`, `sso_user:${ssoUserArn("frank")}`, "granted");
    // After the sync started: not judged.
    clock = syncStart + 10_000;
    record("grant", `sso_group:${ssoGroupArn("Readers")}:member`, `sso_user:${ssoUserArn("alice")}`, "granted");
    db.close();
    // The sync must start after the records: sync again now that they exist.
    await syncOrg(BEFORE, file);
    report = await buildReport({ file, stateDir, staleDays: 90 });
  }, 120_000);

  test("each finding, with both assignment models recognised as one fact", () => {
    const rows = outside(report);
    expect(finding(rows, /Past its expiry/)).toEqual(["Platform AdminAccess"]);
    expect(finding(rows, /Revoked through/)).toEqual(["carol@example.com IdentityOps"]);
    expect(finding(rows, /gone from AWS/)).toEqual(["frank@example.com Readers"]);
    expect(finding(rows, /never granted/)).toEqual(
      ["Readers ReadOnly", "alice@example.com Platform", "dave@example.com Platform", "carol@example.com Readers", "erin@example.com Readers", "ops-bot Ops", "ci Deployers"].sort(),
    );
    const expired = rows.find((r) => /Past its expiry/.test(String(r.finding)))!;
    expect(expired).toMatchObject({ requestedBy: "cli:reviewer", account: "prod", detail: expect.stringMatching(/^expired \d{4}-/) });
    // Derived access (alice's admin through Platform) is not an AWS fact of its own.
    expect(rows.some((r) => r.principal === "alice@example.com" && r.access === "AdminAccess")).toBe(false);
  });

  test("the headline numbers count the same rows", () => {
    const summary = Object.fromEntries(report.summary.map((s) => [s.key, s.value]));
    expect([summary.notGrantedHere, summary.expiredStillPresent, summary.revokedStillPresent, summary.grantedMissing]).toEqual([7, 1, 1, 1]);
  });

  test("compared with an earlier sync, new drift is told from old", async () => {
    const file = join(dir, "two.c1z");
    await syncOrg(BEFORE, file);
    await syncOrg(AFTER, file);
    const later = await buildReport({ file, stateDir: join(dir, "state"), staleDays: 90 });
    const rows = outside(later).filter((r) => /never granted/.test(String(r.finding)));
    expect(rows.filter((r) => r.inEarlierSync === "no").map((r) => `${r.principal} ${r.access}`)).toEqual(["frank@example.com Platform"]);
    expect(rows.filter((r) => r.inEarlierSync === "yes").length).toBe(rows.length - 1);
  });
});

describe("end to end: the connector grants, someone changes AWS behind its back", () => {
  let sim: Simulator;
  let report: Report;
  const names: Record<string, string> = {};

  beforeAll(async () => {
    sim = await startSim({ profile: "demo", seed: 11, knobs: { assignments: { fixedMs: 50, jitterMs: 0 } } });
    const fx = fixtures(sim.model);
    const stateDir = join(dir, "sim-state");
    const file = join(dir, "sim.c1z");
    const config = simConfig(sim, stateDir);
    const sync = async () => {
      const connector = createConnector(config);
      try {
        await runSync({ target: file, api: connector.api });
      } finally {
        await connector.close();
      }
    };
    await sync();

    const account = fx.active[0]!;
    const [psA, psB] = fx.permissionSets.map((p) => p.arn);
    const free = fx.unassignedUsers(account.id, psA!).filter((u) => fx.unassignedUsers(account.id, psB!).includes(u));
    const [standing, timeBound, deletedBehind, createdBehind, revokedThenBack] = free;
    const userName = (u: typeof standing) => u!.userName;
    Object.assign(names, { standing: userName(standing), timeBound: userName(timeBound), deletedBehind: userName(deletedBehind), createdBehind: userName(createdBehind), revokedThenBack: userName(revokedThenBack) });
    const group = fx.groups.find((g) => !fx.store.membershipsByGroup.get(g.id)?.get(standing!.id))!;
    names.group = group.displayName;

    // Through the connector (audited; the time-bound grant goes into the ledger).
    const connector = createConnector(config);
    const grant = async (entitlementId: string, principal: string, durationMs?: number) => {
      const answer = await connector.api.grantManager.grant({ entitlement: entitlementFromId(entitlementId), principal: principalFromRef(principal), annotations: durationMs ? [grantLifetimeAnnotation(durationMs)] : [] });
      return answer.grants[0]!;
    };
    const ent = `${account.id}|${psA}`;
    await grant(ent, `sso_user:${fx.userArn(standing!.id)}`);
    await grant(ent, `sso_user:${fx.userArn(timeBound!.id)}`, 1_000);
    await grant(ent, `sso_user:${fx.userArn(deletedBehind!.id)}`);
    await grant(`sso_group:${fx.groupArn(group.id)}:member`, `sso_user:${fx.userArn(standing!.id)}`);
    const toRevoke = await grant(`${account.id}|${psB}`, `sso_user:${fx.userArn(revokedThenBack!.id)}`);
    await connector.api.grantManager.revoke({ grant: toRevoke });
    await connector.close();

    // Behind its back, with the AWS SDK.
    const clientConfig = { endpoint: sim.endpoint, region: sim.region, credentials: sim.credentials };
    const ssoAdmin = new SSOAdminClient(clientConfig);
    const identityStore = new IdentitystoreClient(clientConfig);
    const target = (ps: string, userId: string) => ({ InstanceArn: fx.sso.arn, TargetId: account.id, TargetType: "AWS_ACCOUNT" as const, PermissionSetArn: ps, PrincipalType: "USER" as const, PrincipalId: userId });
    const created = async (ps: string, userId: string) => {
      const { AccountAssignmentCreationStatus: status } = await ssoAdmin.send(new CreateAccountAssignmentCommand(target(ps, userId)));
      for (let s = status; s?.Status === "IN_PROGRESS"; await sleep(25)) {
        s = (await ssoAdmin.send(new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn: fx.sso.arn, AccountAssignmentCreationRequestId: status!.RequestId }))).AccountAssignmentCreationStatus;
        if (s?.Status !== "IN_PROGRESS") break;
      }
    };
    await created(psA!, createdBehind!.id);
    await created(psB!, revokedThenBack!.id);
    const { AccountAssignmentDeletionStatus: deletion } = await ssoAdmin.send(new DeleteAccountAssignmentCommand(target(psA!, deletedBehind!.id)));
    for (let s = deletion; s?.Status === "IN_PROGRESS"; await sleep(25)) {
      s = (await ssoAdmin.send(new DescribeAccountAssignmentDeletionStatusCommand({ InstanceArn: fx.sso.arn, AccountAssignmentDeletionRequestId: deletion!.RequestId }))).AccountAssignmentDeletionStatus;
      if (s?.Status !== "IN_PROGRESS") break;
    }
    const membership = await identityStore.send(new GetGroupMembershipIdCommand({ IdentityStoreId: fx.store.id, GroupId: group.id, MemberId: { UserId: standing!.id } }));
    await identityStore.send(new DeleteGroupMembershipCommand({ IdentityStoreId: fx.store.id, MembershipId: membership.MembershipId }));
    ssoAdmin.destroy();
    identityStore.destroy();

    await sleep(1_100); // the time-bound grant's hour is up, and no `serve` revoked it
    await sync();
    report = await buildReport({ file, stateDir, staleDays: 90 });
  }, 180_000);
  afterAll(async () => sim?.stop());

  test("each finding names exactly the drift that was made", () => {
    const rows = outside(report);
    const ps = (n: number) => fixtures(sim.model).permissionSets[n]!.name;
    expect(finding(rows, /Past its expiry/)).toEqual([`${names.timeBound} ${ps(0)}`]);
    expect(finding(rows, /Revoked through/)).toEqual([`${names.revokedThenBack} ${ps(1)}`]);
    expect(finding(rows, /gone from AWS/)).toEqual([`${names.deletedBehind} ${ps(0)}`, `${names.standing} ${names.group}`].sort());
    const drift = rows.filter((r) => /never granted/.test(String(r.finding)));
    expect(drift.filter((r) => r.inEarlierSync === "no").map((r) => `${r.principal} ${r.access}`)).toEqual([`${names.createdBehind} ${ps(0)}`]);
    // Everything else never granted through the connector was there at the first sync (the organisation's standing access).
    expect(drift.filter((r) => r.inEarlierSync === "yes").length).toBeGreaterThan(0);
    expect(rows.some((r) => r.principal === names.standing && r.access === ps(0))).toBe(false);
  });
});
