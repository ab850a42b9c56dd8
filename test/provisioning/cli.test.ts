/**
 * The provisioning CLI against the simulator: `connector grant/revoke` (ids, baton's flag names, a
 * c1z from a real sync), `connector grants --pending` and `connector audit`. One run goes through
 * the real entry point in a child process; the rest call the command modules in-process.
 */
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { auditCommand } from "../../src/cli/commands/audit.js";
import { grantCommand } from "../../src/cli/commands/grant.js";
import { grantsCommand } from "../../src/cli/commands/grants.js";
import { revokeCommand } from "../../src/cli/commands/revoke.js";
import { createConnector } from "../../src/connector/build.js";
import type { Simulator } from "../../src/simulator/index.js";
import { runSync } from "../../src/sync/engine.js";
import { simulatorFlags } from "../support/cli-process.js";
import { fixtures, simConfig, startSim, tempStateDir } from "./sim-rig.js";

const run = promisify(execFile);
const ROOT = new URL("../..", import.meta.url).pathname;

let sim: Simulator;
let stateDir: string;
let fx: ReturnType<typeof fixtures>;
let flags: string[];

beforeAll(async () => {
  sim = await startSim({ profile: "demo", seed: 5, knobs: { assignments: { fixedMs: 200, jitterMs: 200 } } });
  stateDir = tempStateDir();
  fx = fixtures(sim.model);
  flags = [...simulatorFlags(sim, stateDir), "--log-level", "silent"];
});
afterAll(async () => {
  await sim.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** Runs a command module in-process; returns what it printed on stdout. */
async function cli(factory: () => import("commander").Command, args: string[]): Promise<string> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    await factory().exitOverride().parseAsync([...args, ...flags], { from: "user" });
  } finally {
    spy.mockRestore();
  }
  return chunks.join("");
}

const json = async (factory: () => import("commander").Command, args: string[]) => JSON.parse(await cli(factory, [...args, "--output", "json"]));

describe("connector grant / revoke by id", () => {
  it("grants for a duration through the real entry point, lists it pending, audits it, revokes it", async () => {
    const account = fx.active[0]!;
    const ps = fx.permissionSets[0]!.arn;
    const user = fx.unassignedUsers(account.id, ps)[0]!;
    const args = ["grant", "--entitlement", `${account.id}|${ps}`, "--principal", `sso_user:${fx.userArn(user.id)}`, "--duration", "1h", "--output", "json", ...flags];
    const { stdout } = await run(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args], { cwd: ROOT });
    const granted = JSON.parse(stdout);
    expect(granted.outcome).toBe("granted");
    expect(fx.assigned(account.id, ps, "USER", user.id)).toBe(true);
    const expiresAt = Date.parse(granted.expiresAt);
    expect(expiresAt - Date.now()).toBeGreaterThan(3_500_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(3_600_000);
    const op = (granted.awsRequestIds as string[]).map((id) => sim.assignments.find("create", id, Date.now())).find(Boolean);
    expect(op?.status).toBe("SUCCEEDED");

    const pending = await json(grantsCommand, ["--pending"]);
    expect(pending).toEqual([
      expect.objectContaining({ state: "active", entitlementId: `${account.id}|${ps}`, principal: `sso_user:${fx.userArn(user.id)}`, expiresAt: granted.expiresAt }),
    ]);
    const table = await cli(grantsCommand, ["--pending"]);
    expect(table).toContain(granted.expiresAt);

    const revoked = await json(revokeCommand, ["--grant", granted.grantIds[0]]);
    expect(revoked.outcome).toBe("revoked");
    expect(fx.assigned(account.id, ps, "USER", user.id)).toBe(false);
    expect((await json(revokeCommand, ["--revoke-grant", granted.grantIds[0]])).outcome).toBe("already-revoked");
    expect(await json(grantsCommand, ["--pending"])).toEqual([]);

    const audit = await json(auditCommand, []);
    expect(audit.map((r: { action: string; outcome: string }) => `${r.action}:${r.outcome}`)).toEqual(["grant:granted", "revoke:revoked", "revoke:already-revoked"]);
    expect(audit.every((r: { requester: string }) => r.requester.startsWith("cli:"))).toBe(true);
    expect(audit[0].lifetime).toBe("for 1h");
  });

  it("accepts baton's --grant-entitlement/--grant-principal/--grant-principal-type and says already-exists the second time", async () => {
    // Any account's group with a user of that account outside it (the connector's own account included).
    const pairs = [...sim.model.accounts].filter((a) => a.state === "ACTIVE").flatMap((a) =>
      [...a.iam.groups].flatMap((g) => [...a.iam.users].filter((u) => u.groups.get(g.name) === undefined).map((u) => ({ group: g, user: u }))),
    );
    const { group, user } = pairs[0]!;
    const args = ["--grant-entitlement", `group:${group.arn}:member`, "--grant-principal", user.arn, "--grant-principal-type", "iam_user"];
    expect((await json(grantCommand, args)).outcome).toBe("granted");
    expect(group.members.get(user.name)).toBeDefined();
    expect((await json(grantCommand, args)).outcome).toBe("already-exists");
  });

  it("explains what it cannot do instead of guessing", async () => {
    await expect(cli(revokeCommand, ["--grant", "d75624158e-125b262e-b023-4c8f-ac87-7e8d55ca62ea"])).rejects.toThrow(/MembershipId.*--file/);
    await expect(cli(grantCommand, ["--entitlement", "x", "--principal", "sso_user:y", "--duration", "0s"])).rejects.toThrow(/--duration/);
    await expect(cli(grantCommand, ["--entitlement", "role:arn:aws:iam::1:role/r:assignment", "--principal", "iam_user:z"])).rejects.toThrow(/cannot tell what entitlement/);
  });
});

describe("connector grant / revoke from a c1z", () => {
  it("resolves entitlement, principal and grant (Identity Store MembershipIds included) from a synced file", async () => {
    const c1z = join(stateDir, "sync.c1z");
    const connector = createConnector(simConfig(sim, stateDir));
    await runSync({ target: c1z, api: connector.api });
    await connector.close();

    // Grant a membership named by the file's ids.
    const group = fx.groups[0]!;
    const user = fx.users.find((u) => fx.store.membershipsByGroup.get(group.id)?.get(u.id) === undefined)!;
    const granted = await json(grantCommand, ["--file", c1z, "--grant-entitlement", `sso_group:${fx.groupArn(group.id)}:member`, "--grant-principal", fx.userArn(user.id), "--grant-principal-type", "sso_user"]);
    expect(granted.outcome).toBe("granted");
    expect(granted.grantIds).toEqual([fx.store.membershipsByGroup.get(group.id)!.get(user.id)!.id]);

    // Revoke a membership that was in the sync, by the grant id the sync recorded (its MembershipId).
    const synced = [...fx.store.memberships.values()].find((m) => m.userId !== user.id)!;
    const revoked = await json(revokeCommand, ["--file", c1z, "--revoke-grant", synced.id]);
    expect(revoked.outcome).toBe("revoked");
    expect(fx.store.memberships.get(synced.id)).toBeUndefined();
    expect(fx.store.membershipsByGroup.get(synced.groupId)?.get(synced.userId)).toBeUndefined();

    await expect(cli(grantCommand, ["--file", c1z, "--entitlement", "123456789012|arn:aws:sso:::permissionSet/x", "--principal", `sso_user:${fx.userArn(user.id)}`])).rejects.toThrow(/not in/);
  });
});
