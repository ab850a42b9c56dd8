/**
 * A time-bound grant outlives the service that made it: granted for 2 s, the service stops, the
 * expiry passes while nothing runs, and a restarted service revokes it (and audits that) on start.
 * All three provisionable kinds at once.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { GrantExpirySchema } from "../../src/gen/awsaccess/v1/grant_lifetime_pb.js";
import { readAuditLog } from "../../src/provisioning/audit-log.js";
import { readPendingGrants } from "../../src/provisioning/ledger.js";
import { openStateDbReadOnly } from "../../src/provisioning/state-db.js";
import type { Simulator } from "../../src/simulator/index.js";
import { fixtures, lifetimeAnnotation, requestIds, simConfig, startService, startSim, tempStateDir, unpack } from "./sim-rig.js";
import { until } from "../support/until.js";

let sim: Simulator;
let stateDir: string;

beforeAll(async () => {
  sim = await startSim({ seed: 33, knobs: { assignments: { fixedMs: 200, jitterMs: 200 } } });
  stateDir = tempStateDir();
});
afterAll(async () => {
  await sim.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

it("revokes at expiry after a restart that happened in between, audited as the scheduler", async () => {
  const fx = fixtures(sim.model);
  const config = simConfig(sim, stateDir);
  const lifetime = [lifetimeAnnotation(2_000)];

  // Three time-bound grants: a permission-set assignment, an Identity Store and an IAM membership.
  const account = fx.active[0]!;
  const ps = fx.permissionSets[0]!.arn;
  const ssoUser = fx.unassignedUsers(account.id, ps)[0]!;
  const group = fx.groups[1]!;
  const member = fx.users.find((u) => fx.store.membershipsByGroup.get(group.id)?.get(u.id) === undefined)!;
  const iamAccount = fx.active.find((a) => [...a.iam.groups].length > 0)!;
  const iamGroup = [...iamAccount.iam.groups][0]!;
  const iamUser = [...iamAccount.iam.users].find((u) => u.groups.get(iamGroup.name) === undefined)!;
  const isAssigned = () => fx.assigned(account.id, ps, "USER", ssoUser.id);
  const isMember = () => fx.store.membershipsByGroup.get(group.id)?.get(member.id) !== undefined;
  const isIamMember = () => iamGroup.members.get(iamUser.name) !== undefined;

  const first = await startService(config, { runExpiryScheduler: true });
  const answers = await Promise.all([
    first.client.grant(fx.accountEntitlement(account.id, ps), fx.ssoUser(ssoUser.id), lifetime),
    first.client.grant({ id: `sso_group:${fx.groupArn(group.id)}:member`, resource: { id: { resource_type: "sso_group", resource: fx.groupArn(group.id) } } }, fx.ssoUser(member.id), lifetime),
    first.client.grant(
      { id: `group:${iamGroup.arn}:member`, resource: { id: { resource_type: "group", resource: iamGroup.arn } } },
      { id: { resource_type: "iam_user", resource: iamUser.arn } },
      lifetime,
    ),
  ]);
  await first.stop();
  for (const answer of answers) expect(answer.details).toBeUndefined();
  const expiries = answers.map((a) => Number(unpack(a.reply!.annotations, GrantExpirySchema)!.expiresAt!.seconds) * 1000);
  expect(isAssigned() && isMember() && isIamMember()).toBe(true);

  // While nothing runs, the expiries pass; nothing is revoked, and the ledger still lists them.
  const lastExpiry = Math.max(...expiries);
  await new Promise((r) => setTimeout(r, Math.max(0, lastExpiry - Date.now()) + 1_200));
  expect(isAssigned() && isMember() && isIamMember()).toBe(true);
  const db = openStateDbReadOnly(stateDir)!;
  expect(readPendingGrants(db).map((e) => e.expiresAt < Date.now())).toEqual([true, true, true]);
  db.close();

  // Restart: everything overdue is revoked at once.
  const restartedAt = Date.now();
  const second = await startService(config, { runExpiryScheduler: true });
  await until(() => !isAssigned() && !isMember() && !isIamMember(), 20_000);
  await until(() => {
    const db2 = openStateDbReadOnly(stateDir)!;
    const pending = readPendingGrants(db2).length;
    db2.close();
    return pending === 0;
  }, 5_000);
  await second.stop();

  const db3 = openStateDbReadOnly(stateDir)!;
  const revokes = readAuditLog(db3).filter((r) => r.action === "revoke");
  db3.close();
  expect(revokes.map((r) => [r.requester, r.outcome])).toEqual([
    ["scheduler", "revoked"],
    ["scheduler", "revoked"],
    ["scheduler", "revoked"],
  ]);
  expect(revokes.every((r) => r.startedAt >= restartedAt)).toBe(true);
  // The assignment's deletion was confirmed by AWS like any other revoke.
  const deletion = revokes.flatMap((r) => r.awsRequestIds).map((id) => sim.assignments.find("delete", id, Date.now())).find((op) => op !== undefined);
  expect(deletion?.status).toBe("SUCCEEDED");
  expect(requestIds(answers[0]!.reply!.annotations).length).toBeGreaterThan(0);
});
