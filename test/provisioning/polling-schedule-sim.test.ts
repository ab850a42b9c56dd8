/**
 * How many status polls an account assignment costs, and how late its completion is seen, against
 * the simulator with fixed completion times (3 s, 10 s) and a jittered one. Time is virtual: the
 * simulator and the poller share one clock that advances only while the poller sleeps, so the
 * figures are exact and the test takes no wall time per simulated second. The overhead measured is
 * the schedule's alone; against AWS add one status-call round trip.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClients } from "../../src/aws/clients.js";
import { silentLogger } from "../../src/log.js";
import { createProvisioning, type Provisioning } from "../../src/provisioning/index.js";
import type { Clock } from "../../src/provisioning/wait-for-assignment.js";
import type { Simulator } from "../../src/simulator/index.js";
import { accountEntitlement, provisionContext, resource } from "./fakes.js";
import { fixtures, simConfig, startSim, tempStateDir } from "./sim-rig.js";

let virtual = Date.UTC(2026, 0, 15, 12);
const clock: Clock = {
  now: () => virtual,
  sleep: async (ms) => {
    virtual += ms;
  },
};

let sim: Simulator;
let stateDir: string;

beforeAll(async () => {
  sim = await startSim({ seed: 44, clock: () => virtual });
  stateDir = tempStateDir();
});
afterAll(async () => {
  await sim.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** Runs `count` grants one after another with the given completion time; polls and overheads per operation. */
async function measure(provisioning: Provisioning, fixedMs: number, jitterMs: number, count: number, offset: number) {
  sim.knobs.update({ assignments: { fixedMs, jitterMs } });
  const fx = fixtures(sim.model);
  const account = fx.active[0]!;
  const ps = fx.permissionSets[6]!.arn;
  const users = fx.unassignedUsers(account.id, ps).slice(offset, offset + count);
  const account_ = provisioning.provisioners.find((p) => p.resourceTypeId === "account")!;
  const results: Array<{ polls: number; overheadMs: number }> = [];
  for (const user of users) {
    const before = sim.counters.calls("sso-admin", "DescribeAccountAssignmentCreationStatus");
    const outcome = await account_.grant(resource("sso_user", fx.userArn(user.id)), accountEntitlement(account.id, ps), provisionContext());
    const op = outcome.awsRequestIds.map((id) => sim.assignments.find("create", id, virtual)).find((o) => o !== undefined)!;
    expect(op.status).toBe("SUCCEEDED");
    results.push({ polls: sim.counters.calls("sso-admin", "DescribeAccountAssignmentCreationStatus") - before, overheadMs: virtual - op.completesAt });
  }
  return results;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe("adaptive polling on the simulator (virtual time)", () => {
  it("3 s and 10 s completions: ≤ 8 polls for 10 s once warm, median overhead ≤ 250 ms", async () => {
    const report: string[] = [];
    for (const [label, fixedMs, jitterMs, offset] of [
      ["3 s", 3_000, 0, 0],
      ["10 s", 10_000, 0, 20],
      ["2.5–3.5 s", 2_500, 1_000, 40],
    ] as const) {
      // A fresh connector per scenario: the first operations run cold (expecting AWS's usual ~3 s).
      // Client-side pacing is not what is measured here: lift it so the run is quick.
      const config = simConfig(sim, `${stateDir}/${fixedMs}-${jitterMs}`, { rateLimits: { requestsPerSecond: { sso: 1000, organizations: 1000, identitystore: 1000, iam: 1000, sts: 1000 } } });
      const provisioning = createProvisioning({ aws: createAwsClients(config), config, log: silentLogger, clock, now: () => virtual });
      const results = await measure(provisioning, fixedMs, jitterMs, 12, offset);
      provisioning.close();
      const warm = results.slice(3);
      report.push(
        `${label}: polls/op cold ${results.slice(0, 3).map((r) => r.polls).join(",")} → warm median ${median(warm.map((r) => r.polls))} (max ${Math.max(...warm.map((r) => r.polls))}); ` +
          `overhead ms cold ${results.slice(0, 3).map((r) => r.overheadMs).join(",")} → warm median ${median(warm.map((r) => r.overheadMs))} (max ${Math.max(...warm.map((r) => r.overheadMs))})`,
      );
      if (fixedMs === 10_000) expect(Math.max(...warm.map((r) => r.polls))).toBeLessThanOrEqual(8);
      expect(median(warm.map((r) => r.overheadMs))).toBeLessThanOrEqual(250);
    }
    console.log(report.join("\n"));
  });
});
