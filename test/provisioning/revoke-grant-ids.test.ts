/**
 * `connector revoke --grant <id>` with the grant ids a sync emits, without a c1z to look them up in:
 * every provisionable grant of a real sync of the simulator is taken apart into the entitlement and
 * principal it names, and one of each newer shape (a scope-binding assignment, a managed policy, an
 * inline policy, a permission set's policy) is revoked through the real CLI process, the outcome
 * read back through the AWS SDK. Identity Store memberships are the exception by design: their
 * grant id is AWS's MembershipId, which names neither side (`--file` resolves those).
 */
import { IAMClient, ListAttachedUserPoliciesCommand, ListUserPoliciesCommand } from "@aws-sdk/client-iam";
import { ListAccountAssignmentsCommand, SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { C1zReader } from "../../src/c1z/reader.js";
import { grantFromId } from "../../src/cli/provisioning-refs.js";
import { createConnector } from "../../src/connector/build.js";
import type { Grant } from "../../src/gen/c1/connector/v2/grant_pb.js";
import { accountIdFromArn, iamNameFromArn, parseIdentityStoreArn, parseInlinePolicyId, parsePermissionSetAssignmentId } from "../../src/resources/ids.js";
import type { Simulator } from "../../src/simulator/index.js";
import { runSync } from "../../src/sync/engine.js";
import { lines, runCli, simulatorEnv } from "../support/cli-process.js";
import { simConfig, startSim, tempStateDir } from "./sim-rig.js";

/** Entitlement resource types Grant/Revoke change, except Identity Store groups (MembershipId grant ids). */
const PARSEABLE = new Set(["group", "account", "permission_set_assignment", "iam_policy", "inline_policy"]);

let sim: Simulator;
let stateDir: string;
let grants: Grant[];
let iam: IAMClient;
let sso: SSOAdminClient;

beforeAll(async () => {
  sim = await startSim({ knobs: { assignments: { fixedMs: 0, jitterMs: 0 } } });
  stateDir = tempStateDir();
  const c1z = join(stateDir, "sync.c1z");
  const connector = createConnector(simConfig(sim, stateDir));
  await runSync({ target: c1z, api: connector.api });
  await connector.close();
  const reader = await C1zReader.open(c1z);
  try {
    grants = [...reader.grants(reader.resolveSync().syncId)];
  } finally {
    reader.close();
  }
  iam = new IAMClient(sim.clientConfig());
  sso = new SSOAdminClient(sim.clientConfig());
}, 120_000);
afterAll(async () => {
  iam?.destroy();
  sso?.destroy();
  await sim?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const managementAccount = () => sim.model.organization!.managementAccountId;
const entitlementType = (g: Grant) => g.entitlement!.resource!.id!.resourceType;
const principalType = (g: Grant) => g.principal!.id!.resourceType;
/**
 * A grant AWS holds as such, not one the sync derived by expansion (a group member's share of the
 * group's assignment: there is nothing of the member's own to revoke, so its id is not one to parse).
 */
const direct = (g: Grant) => !g.sources || Object.keys(g.sources.sources).length === 0 || g.entitlement!.id in g.sources.sources;

function connector(args: string[]) {
  return runCli([...args, "--output", "json", "--log-level", "error", "--state-dir", stateDir], {
    env: simulatorEnv(sim),
    timeoutMs: 60_000,
  });
}

/** One grant of each shape, from the sync, on something the management account's credentials can read back. */
function pick(type: string, principal: string, where: (g: Grant) => boolean = () => true): Grant {
  const grant = grants.find((g) => entitlementType(g) === type && principalType(g) === principal && direct(g) && where(g));
  if (!grant) throw new Error(`the sync has no ${type} grant to a ${principal} to revoke`);
  return grant;
}

async function attachedToUser(userArn: string, policyArn: string): Promise<boolean> {
  const out = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: iamNameFromArn(userArn) }));
  return (out.AttachedPolicies ?? []).some((p) => p.PolicyArn === policyArn);
}

async function assigned(bindingId: string, principalArn: string): Promise<boolean> {
  const { permissionSetArn, accountId } = parsePermissionSetAssignmentId(bindingId)!;
  const principalId = parseIdentityStoreArn(principalArn)!.id;
  let token: string | undefined;
  do {
    const page = await sso.send(new ListAccountAssignmentsCommand({ InstanceArn: sim.model.ssoInstance!.arn, AccountId: accountId, PermissionSetArn: permissionSetArn, NextToken: token }));
    if ((page.AccountAssignments ?? []).some((a) => a.PrincipalId === principalId)) return true;
    token = page.NextToken;
  } while (token);
  return false;
}

describe("grant ids a sync emits", () => {
  it("every provisionable grant id names its entitlement and principal", () => {
    const provisionable = grants.filter((g) => PARSEABLE.has(entitlementType(g)) && direct(g));
    const shapes = new Set(provisionable.map((g) => `${entitlementType(g)} → ${principalType(g)}`));
    // The sync really has the newer shapes (else this test would prove nothing about them).
    expect([...shapes]).toEqual(
      expect.arrayContaining([
        "permission_set_assignment → sso_user",
        "permission_set_assignment → sso_group",
        "iam_policy → iam_user",
        "iam_policy → permission_set",
        "iam_policy → permission_set_assignment",
        "inline_policy → iam_user",
        "account → sso_user",
        "group → iam_user",
      ]),
    );
    const wrong = provisionable.flatMap((g) => {
      try {
        const parsed = grantFromId(g.id);
        const same =
          parsed.entitlement!.id === g.entitlement!.id &&
          parsed.entitlement!.resource!.id!.resourceType === entitlementType(g) &&
          parsed.entitlement!.resource!.id!.resource === g.entitlement!.resource!.id!.resource &&
          parsed.principal!.id!.resourceType === principalType(g) &&
          parsed.principal!.id!.resource === g.principal!.id!.resource;
        return same ? [] : [`${g.id}: parsed as ${parsed.entitlement!.id} / ${parsed.principal!.id!.resourceType}:${parsed.principal!.id!.resource}`];
      } catch (error) {
        return [`${g.id}: ${(error as Error).message}`];
      }
    });
    expect(wrong).toEqual([]);
  });
});

describe("connector revoke --grant <id> (real CLI, no --file)", () => {
  it("revokes a scope-binding assignment, then says already-revoked", { timeout: 60_000 }, async () => {
    const grant = pick("permission_set_assignment", "sso_user");
    const binding = grant.entitlement!.resource!.id!.resource;
    const user = grant.principal!.id!.resource;
    expect(await assigned(binding, user)).toBe(true);
    const first = await connector(["revoke", "--grant", grant.id]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).outcome).toBe("revoked");
    expect(await assigned(binding, user)).toBe(false);
    const again = await connector(["revoke", "--grant", grant.id]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).outcome).toBe("already-revoked");
  });

  it("detaches a managed policy from an IAM user and deletes an inline policy", { timeout: 60_000 }, async () => {
    const inManagement = (g: Grant) => accountIdFromArn(g.principal!.id!.resource) === managementAccount();
    const managed = pick("iam_policy", "iam_user", inManagement);
    const user = managed.principal!.id!.resource;
    const policyArn = managed.entitlement!.resource!.id!.resource;
    expect(await attachedToUser(user, policyArn)).toBe(true);
    const detached = await connector(["revoke", "--grant", managed.id]);
    expect(detached.code, detached.stderr).toBe(0);
    expect(JSON.parse(detached.stdout).outcome).toBe("revoked");
    expect(await attachedToUser(user, policyArn)).toBe(false);

    const inline = pick("inline_policy", "iam_user", inManagement);
    const { parentArn, policyName } = parseInlinePolicyId(inline.entitlement!.resource!.id!.resource)!;
    const names = async () => (await iam.send(new ListUserPoliciesCommand({ UserName: iamNameFromArn(parentArn) }))).PolicyNames ?? [];
    expect(await names()).toContain(policyName);
    const deleted = await connector(["revoke", "--grant", inline.id]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout).outcome).toBe("revoked");
    expect(await names()).not.toContain(policyName);
  });

  it("with --file, a grant the sync derived through a group is refused in one line instead of answered already-revoked", { timeout: 60_000 }, async () => {
    const derived = grants.find((g) => entitlementType(g) === "account" && !direct(g));
    if (!derived) throw new Error("the sync derived no account grant through a group");
    const refused = await connector(["revoke", "--file", join(stateDir, "sync.c1z"), "--grant", derived.id]);
    expect(refused.code).not.toBe(0);
    expect(lines(refused.stderr)).toHaveLength(1);
    expect(refused.stderr).toMatch(/^connector: .*is held through .*not directly/);
  });

  it("a permission set's policy grant parses, and the connector refuses it in one line", { timeout: 60_000 }, async () => {
    const grant = pick("iam_policy", "permission_set");
    const refused = await connector(["revoke", "--grant", grant.id]);
    expect(refused.code).not.toBe(0);
    expect(lines(refused.stderr)).toHaveLength(1);
    expect(refused.stderr).toMatch(/^connector: .*not access provisioning/);
  });
});
