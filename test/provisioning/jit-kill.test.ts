/**
 * Processes killed in the middle of a revoke, for real (SIGKILL of the CLI process): the revoke was
 * already done in AWS, the process never heard back, its lease on the ledger entry is still
 * running. A restarted server must see at once that the holder is gone and finish the revoke by
 * asking AWS — not wait for the lease to lapse, and never leave the entry `active`.
 *  - `connector serve --provisioning` killed while its scheduler deletes an expired permission-set
 *    assignment (an asynchronous AWS operation that completes without it);
 *  - `connector revoke` killed after Identity Store deleted the membership, before the answer
 *    arrived, for a grant that has not expired yet.
 */
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readAuditLog } from "../../src/provisioning/audit-log.js";
import { openStateDbReadOnly } from "../../src/provisioning/state-db.js";
import type { Simulator } from "../../src/simulator/index.js";
import { simulatorFlags, spawnSourceCli } from "../support/cli-process.js";
import { fixtures, GrantManagerClient, lifetimeAnnotation, startSim, tempStateDir } from "./sim-rig.js";

/** How long AWS takes to finish an account-assignment operation here. */
const ASSIGNMENT_MS = 2_500;

let sim: Simulator;
let stateDir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  sim = await startSim({ profile: "demo", seed: 21, knobs: { assignments: { fixedMs: ASSIGNMENT_MS, jitterMs: 0 } } });
  stateDir = tempStateDir();
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await sim.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Set once the process ended. */
  exitCode?: number | null;
}

/** The connector CLI as a user runs it, pointed at the simulator. */
function connector(args: string[]): Run {
  const child = spawnSourceCli([...args, ...simulatorFlags(sim, stateDir), "--page-token-secret", "jit-kill-test-page-tokens", "--log-level", "info"]);
  children.push(child);
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const run: Run = { child, output: () => output, exited: Promise.resolve(null) };
  run.exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      run.exitCode = code;
      resolve(code);
    }),
  );
  return run;
}

async function until(what: string, condition: () => boolean, timeoutMs: number, run?: Run): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    const ended = run?.exitCode !== undefined;
    if (Date.now() > deadline || ended) throw new Error(`${what}: ${ended ? "the process exited" : `not within ${timeoutMs} ms`}${run ? `\n${run.output()}` : ""}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function serve(): Promise<{ run: Run; address: string }> {
  const run = connector(["serve", "--provisioning", "--listen", "127.0.0.1:0"]);
  let address = "";
  await until(
    "server listening",
    () => {
      const line = run.output().split("\n").find((l) => l.includes('"connector listening"'));
      if (line) address = String((JSON.parse(line) as { address: string }).address).replace("http://", "");
      return address !== "";
    },
    30_000,
    run,
  );
  return { run, address };
}

async function kill(run: Run): Promise<void> {
  run.child.kill("SIGKILL");
  await run.exited;
}

interface LedgerRow {
  entitlement_id: string;
  state: string;
  lease_owner: string | null;
}

function ledgerRows(): LedgerRow[] {
  const db = openStateDbReadOnly(stateDir)!;
  try {
    return db.prepare(`SELECT entitlement_id, state, lease_owner FROM jit_grants ORDER BY entitlement_id`).all() as LedgerRow[];
  } finally {
    db.close();
  }
}

it("a restarted server finishes revokes whose process was killed mid-way, at once, by asking AWS", async () => {
  const fx = fixtures(sim.model);
  const account = fx.active[0]!;
  const ps = fx.permissionSets[0]!.arn;
  const assignee = fx.unassignedUsers(account.id, ps)[0]!;
  const group = fx.groups[1]!;
  const member = fx.users.find((u) => fx.store.membershipsByGroup.get(group.id)?.get(u.id) === undefined)!;
  const isAssigned = () => {
    sim.assignments.settle(Date.now());
    return fx.assigned(account.id, ps, "USER", assignee.id);
  };
  const isMember = () => fx.store.membershipsByGroup.get(group.id)?.get(member.id) !== undefined;
  const membershipEntitlement = { id: `sso_group:${fx.groupArn(group.id)}:member`, resource: { id: { resource_type: "sso_group", resource: fx.groupArn(group.id) } } };

  // Server A grants both: the assignment for 1 s (its scheduler revokes it at expiry), the membership for an hour.
  const a = await serve();
  const client = new GrantManagerClient(a.address);
  const granted = await Promise.all([
    client.grant(fx.accountEntitlement(account.id, ps), fx.ssoUser(assignee.id), [lifetimeAnnotation(1_000)]),
    client.grant(membershipEntitlement, fx.ssoUser(member.id), [lifetimeAnnotation(3_600_000)]),
  ]);
  client.close();
  expect(granted.map((g) => g.details)).toEqual([undefined, undefined]);
  expect(isAssigned() && isMember()).toBe(true);

  // A's scheduler asks AWS to delete the expired assignment; A is killed while AWS works on it.
  await until("scheduler deletes at expiry", () => sim.counters.calls("sso-admin", "DeleteAccountAssignment") > 0, 15_000, a.run);
  await kill(a.run);

  // `connector revoke` of the membership: Identity Store deletes it, the answer is held back, the CLI is killed.
  sim.knobs.update({ faults: [{ kind: "slow", rate: 1, delayMs: 30_000, services: ["identitystore"], operations: ["DeleteGroupMembership"] }] });
  const cli = connector(["revoke", "--entitlement", membershipEntitlement.id, "--principal", `sso_user:${fx.userArn(member.id)}`]);
  await until("revoke reaches AWS", () => sim.counters.calls("identitystore", "DeleteGroupMembership") > 0, 30_000, cli);
  await kill(cli);
  sim.knobs.update({ faults: [] });

  // AWS finished both deletions; the ledger, as the killed processes left it, still says active.
  await until("AWS completes the assignment deletion", () => !isAssigned(), ASSIGNMENT_MS * 4);
  expect(isMember()).toBe(false);
  const left = ledgerRows();
  expect(left.map((r) => r.state)).toEqual(["active", "active"]);
  // The killed scheduler's lease on the assignment is still running.
  expect(left.find((r) => r.entitlement_id.startsWith(account.id))?.lease_owner).not.toBeNull();

  // Server B: both entries are revoked right after start (the killed holders' leases had ~30 s to run).
  const restartedAt = Date.now();
  const b = await serve();
  await until("ledger settled", () => ledgerRows().every((r) => r.state === "revoked"), 10_000, b.run);
  const settledAfterMs = Date.now() - restartedAt;
  console.log(`ledger settled ${settledAfterMs} ms after the restart began (process start included)`);
  await kill(b.run);

  expect(isAssigned() || isMember()).toBe(false);
  const db = openStateDbReadOnly(stateDir)!;
  const revokes = readAuditLog(db).filter((r) => r.action === "revoke" && r.startedAt >= restartedAt);
  db.close();
  // AWS was asked, and said the deletions had gone through.
  expect(revokes.map((r) => [r.requester, r.outcome]).sort()).toEqual([
    ["scheduler", "already-revoked"],
    ["scheduler", "already-revoked"],
  ]);
  expect(settledAfterMs).toBeLessThan(10_000);
});
