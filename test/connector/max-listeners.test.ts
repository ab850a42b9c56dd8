/**
 * Signals shared by many listeners by design must not make `connector serve` print Node's
 * MaxListenersExceededWarning under load: the server's stopping signal (one listener per call in
 * flight), a call's own signal (one per AWS request the call makes, up to maxConcurrency at once)
 * and the connector's shutdown signal (one per assignment operation and its AWS calls).
 * 64 concurrent calls over a real socket against the simulator; expected grant counts come from the
 * simulator's model.
 */
import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/simulator/index.js";
import { fixtures, simConfig, startService, startSim, tempStateDir, type Service } from "../provisioning/sim-rig.js";
import { GrpcHost } from "./support/grpc-client.js";

const CALLS = 64;

let warnings: Error[] = [];
const onWarning = (warning: Error) => {
  if (warning.name === "MaxListenersExceededWarning") warnings.push(warning);
};
beforeEach(() => {
  warnings = [];
  process.on("warning", onWarning);
});
afterEach(() => {
  process.off("warning", onWarning);
});

/** Process warnings are emitted on the next tick: let them arrive before looking. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe("64 concurrent calls print no MaxListenersExceededWarning", () => {
  let sim: Simulator;
  let service: Service;
  let stateDir: string;

  afterAll(async () => {
    await service?.stop();
    await sim?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it("ListGrants of accounts, each fanning out to many ListAccountAssignments", async () => {
    // Latency keeps the calls in flight together; 32 AWS requests at once per call.
    sim = await startSim({ profile: "medium", seed: 7, knobs: { latency: { fixedMs: 5, jitterMs: 5 } } });
    stateDir = tempStateDir();
    const high = { sso: 10_000, identitystore: 10_000, organizations: 10_000, iam: 10_000, sts: 10_000 };
    service = await startService(simConfig(sim, stateDir, { rateLimits: { requestsPerSecond: high, maxConcurrency: 32 } }));
    const host = new GrpcHost(`127.0.0.1:${service.server.address.port}`);
    const model = sim.model;
    const sso = model.ssoInstance!;
    const accounts = [...sso.provisionedByAccount].sort(([, a], [, b]) => b.length - a.length).map(([id]) => id);
    const expected = (accountId: string) =>
      [...sso.assignmentsByTarget].filter(([target]) => target.startsWith(`${accountId}|`)).reduce((n, [, list]) => n + list.length, 0);

    const grantsOf = async (accountId: string) => {
      let count = 0;
      let pageToken = "";
      do {
        const page = await host.call("grants", "ListGrants", {
          resource: { id: { resource_type: "account", resource: accountId } },
          page_token: pageToken,
          active_sync_id: "listeners-test-sync",
        });
        count += page.list.length;
        pageToken = page.next_page_token;
      } while (pageToken !== "");
      return count;
    };
    try {
      const targets = Array.from({ length: CALLS }, (_, i) => accounts[i % accounts.length]!);
      const counts = await Promise.all(targets.map(grantsOf));
      counts.forEach((count, i) => expect(count).toBe(expected(targets[i]!)));
      expect(accounts.some((id) => sso.provisionedByAccount.get(id)!.length > 10)).toBe(true);
    } finally {
      host.close();
    }
    await settled();
    expect(warnings.map((w) => w.message)).toEqual([]);
  });

  it("permission-set grants, each waiting for its assignment operation", async () => {
    const fx = fixtures(sim.model);
    sim.knobs.update({ assignments: { fixedMs: 50, jitterMs: 50, maxOutstanding: 10 } });
    const account = fx.active[0]!;
    const ps = fx.permissionSets[0]!.arn;
    const users = fx.unassignedUsers(account.id, ps).slice(0, CALLS);
    expect(users).toHaveLength(CALLS);

    const outcomes = await Promise.all(users.map((u) => service.client.grant(fx.accountEntitlement(account.id, ps), fx.ssoUser(u.id))));
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(users.every((u) => fx.assigned(account.id, ps, "USER", u.id))).toBe(true);
    await settled();
    expect(warnings.map((w) => w.message)).toEqual([]);
  });
});
