/**
 * Issue 16 through the real CLI process (dist/, as `connector` runs) against the simulator: a
 * managed-policy grant and a scope-binding grant succeed, repeat saying already-exists, an inline
 * policy is revoked (and its grant refused with the reason), and each bad
 * request the issue names (unknown principal, another account's policy, a permission-set principal,
 * IAM's managed-policy quota reached) exits non-zero with one line and changes nothing — AWS read
 * back through the SDK, and `connector audit` holding every attempt.
 */
import { IAMClient, ListAttachedUserPoliciesCommand, ListUserPoliciesCommand } from "@aws-sdk/client-iam";
import { ListAccountAssignmentsCommand, SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Simulator } from "../../src/simulator/index.js";
import { lines, runCli, simulatorEnv, type CliResult } from "../support/cli-process.js";
import { fixtures, startSim, tempStateDir } from "./sim-rig.js";

let sim: Simulator;
let stateDir: string;
let iam: IAMClient;
let sso: SSOAdminClient;
let fx: ReturnType<typeof fixtures>;

beforeAll(async () => {
  sim = await startSim({ knobs: { assignments: { fixedMs: 0, jitterMs: 0 } } });
  stateDir = tempStateDir();
  iam = new IAMClient(sim.clientConfig());
  sso = new SSOAdminClient(sim.clientConfig());
  fx = fixtures(sim.model);
});
afterAll(async () => {
  iam?.destroy();
  sso?.destroy();
  await sim?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

function connector(args: string[]): Promise<CliResult> {
  return runCli([...args, "--output", "json", "--log-level", "error", "--state-dir", stateDir], {
    env: simulatorEnv(sim),
    timeoutMs: 60_000,
  });
}

const outcome = (result: CliResult) => {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout).outcome as string;
};
/** Non-zero, and stderr is the one line "connector: …" matching `reason`. */
const refused = (result: CliResult, reason: RegExp) => {
  expect(result.code).not.toBe(0);
  expect(lines(result.stderr)).toHaveLength(1);
  expect(result.stderr).toMatch(/^connector: /);
  expect(result.stderr).toMatch(reason);
};

const management = () => [...sim.model.accounts].find((a) => a.id === sim.model.organization!.managementAccountId)!;
const attached = async (userName: string) => ((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }))).AttachedPolicies ?? []).map((p) => p.PolicyArn);

it("iam_policy: granted, already-exists, and four clear refusals that change nothing; audit has every attempt", { timeout: 120_000 }, async () => {
  const account = management();
  const user = [...account.iam.users].sort((a, b) => a.attachedPolicies.length - b.attachedPolicies.length)[0]!;
  const [policy, spare] = [...sim.model.awsManagedPolicies].filter((p) => !user.attachedPolicies.includes(p.arn));
  const entitlement = `iam_policy:${policy!.arn}:attached`;

  expect(outcome(await connector(["grant", "--entitlement", entitlement, "--principal", `iam_user:${user.arn}`]))).toBe("granted");
  expect(await attached(user.name)).toContain(policy!.arn);
  expect(outcome(await connector(["grant", "--entitlement", entitlement, "--principal", `iam_user:${user.arn}`]))).toBe("already-exists");

  const before = await attached(user.name);
  refused(await connector(["grant", "--entitlement", entitlement, "--principal", `iam_user:arn:aws:iam::${account.id}:user/no-such-user-16`]), /does not exist/);
  const other = fx.active.find((a) => a.id !== account.id)!;
  refused(await connector(["grant", "--entitlement", `iam_policy:arn:aws:iam::${other.id}:policy/Theirs:attached`, "--principal", `iam_user:${user.arn}`]), /belongs to account/);
  refused(await connector(["grant", "--entitlement", entitlement, "--principal", `permission_set:${fx.permissionSets[0]!.arn}`]), /not access provisioning/);
  sim.knobs.update({ iamLimits: { managedPoliciesPerUser: before.length } });
  try {
    refused(await connector(["grant", "--entitlement", `iam_policy:${spare!.arn}:attached`, "--principal", `iam_user:${user.arn}`]), /as many managed policies as IAM allows/);
  } finally {
    sim.knobs.update({ iamLimits: { managedPoliciesPerUser: 10 } });
  }
  expect(await attached(user.name)).toEqual(before);

  const audit = JSON.parse((await connector(["audit"])).stdout) as Array<{ action: string; outcome?: string; errorCode?: string }>;
  expect(audit.map((r) => `${r.action}:${r.outcome ?? "unfinished"}${r.errorCode ? `:${r.errorCode}` : ""}`)).toEqual([
    "grant:granted",
    "grant:already-exists",
    "grant:failed:NotFound",
    "grant:failed:InvalidArgument",
    "grant:failed:InvalidArgument",
    "grant:failed:ResourceExhausted",
  ]);
});

it("inline_policy: grant refused in one line (nothing to recreate); revoke deletes it, then already-revoked", { timeout: 60_000 }, async () => {
  const user = [...management().iam.users].find((u) => u.inlinePolicies.length > 0);
  if (!user) throw new Error("the simulated organisation has no IAM user with an inline policy");
  const name = user.inlinePolicies[0]!.name;
  const args = ["--entitlement", `inline_policy:${user.arn}::inline::${name}:attached`, "--principal", `iam_user:${user.arn}`];
  const names = async () => (await iam.send(new ListUserPoliciesCommand({ UserName: user.name }))).PolicyNames ?? [];

  refused(await connector(["grant", ...args]), /cannot recreate/);
  expect(await names()).toContain(name);
  expect(outcome(await connector(["revoke", ...args]))).toBe("revoked");
  expect(await names()).not.toContain(name);
  expect(outcome(await connector(["revoke", ...args]))).toBe("already-revoked");
});

it("permission_set_assignment:…:assigned: granted (read back), then already-exists", { timeout: 60_000 }, async () => {
  const account = fx.active[0]!;
  const ps = fx.permissionSets[0]!.arn;
  const user = fx.unassignedUsers(account.id, ps)[0]!;
  const args = ["grant", "--entitlement", `permission_set_assignment:${ps}-${account.id}:assigned`, "--principal", `sso_user:${fx.userArn(user.id)}`];
  expect(outcome(await connector(args))).toBe("granted");
  const page = await sso.send(new ListAccountAssignmentsCommand({ InstanceArn: fx.sso.arn, AccountId: account.id, PermissionSetArn: ps }));
  expect(page.NextToken).toBeUndefined();
  expect((page.AccountAssignments ?? []).some((a) => a.PrincipalType === "USER" && a.PrincipalId === user.id)).toBe(true);
  expect(outcome(await connector(args))).toBe("already-exists");
});
