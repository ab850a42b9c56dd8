/**
 * The outstanding-operation cap learned, not assumed: the simulator's instance takes only 4
 * account-assignment operations at once (another tool holding the rest of AWS's 10), the
 * connector is not told. A burst of grants still all succeed, AWS refuses only a few writes while
 * the connector learns, and the next connector on the same state directory starts from what
 * was learned.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PROBE_WRITES } from "../../src/provisioning/assignment-queue.js";
import type { Simulator } from "../../src/simulator/index.js";
import { fixtures, simConfig, startService, startSim, tempStateDir } from "./sim-rig.js";

const CAP = 4;
const GRANTS = 40;

let sim: Simulator;
let stateDir: string;

beforeAll(async () => {
  sim = await startSim({ seed: 23, knobs: { assignments: { fixedMs: 200, jitterMs: 200, maxOutstanding: CAP } } });
  stateDir = tempStateDir();
});
afterAll(async () => {
  await sim.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function burst(permissionSetIndex: number) {
  const service = await startService(simConfig(sim, stateDir, { rateLimits: { requestsPerSecond: { sso: 200, identitystore: 200, organizations: 200, iam: 200, sts: 200 }, maxConcurrency: 16 } }));
  try {
    const fx = fixtures(sim.model);
    const account = fx.active[0]!;
    const ps = fx.permissionSets[permissionSetIndex]!.arn;
    const users = fx.unassignedUsers(account.id, ps).slice(0, GRANTS);
    expect(users).toHaveLength(GRANTS);
    sim.counters.reset();
    const queue = service.connector.provisioning.assignmentQueue;
    const startWindow = queue.window;
    const outcomes = await Promise.all(users.map((u) => service.client.grant(fx.accountEntitlement(account.id, ps), fx.ssoUser(u.id))));
    expect(outcomes.filter((o) => !o.ok).map((o) => o.details)).toEqual([]);
    expect(users.every((u) => fx.assigned(account.id, ps, "USER", u.id))).toBe(true);
    return { startWindow, endWindow: queue.window, counts: sim.counters.snapshot().assignments };
  } finally {
    await service.stop();
  }
}

it("learns an outstanding-operation cap below AWS's published 10, keeps it for the next run, and every grant succeeds", async () => {
  const first = await burst(3);
  expect(first.startWindow).toBe(10);
  expect(first.counts.succeeded).toBe(GRANTS);
  // Refused writes: the few it took to learn, and about one per PROBE_WRITES accepted while probing for more.
  expect(first.counts.rejectedOverCap).toBeGreaterThan(0);
  expect(first.counts.rejectedOverCap).toBeLessThanOrEqual(10 - CAP + Math.ceil(GRANTS / PROBE_WRITES) + 2);
  expect(first.endWindow).toBeGreaterThanOrEqual(CAP - 1);
  expect(first.endWindow).toBeLessThanOrEqual(CAP + 1);

  const second = await burst(4);
  expect(second.startWindow).toBeLessThanOrEqual(CAP + 1);
  expect(second.counts.succeeded).toBe(GRANTS);
  expect(second.counts.rejectedOverCap).toBeLessThan(first.counts.rejectedOverCap);
}, 120_000);
