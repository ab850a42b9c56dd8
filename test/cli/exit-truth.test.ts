/**
 * Every command tells the truth, as a user runs it: the real CLI process (dist/, as `connector`
 * runs) against the AWS simulator, with throttles, 5xx and dropped connections injected on every
 * AWS service the command uses, and with nothing listening at the endpoint at all. After each run
 * the outcome is read back through the AWS SDK from the simulator:
 *
 *   exit 0  ⇒ AWS has the change (the membership/assignment exists, is gone, the file holds AWS);
 *   exit ≠0 ⇒ stderr is exactly one line, "connector: …" — never a stack trace, never a silent 0.
 *
 * A couple of transient faults must not fail a command (the SDK retries them), so those cells also
 * require exit 0. The original defect: one retried call and grant/revoke/validate exited 0 with
 * nothing done.
 *
 * Columns: for each fault kind, two faults on every service the command calls, in one run; every
 * call to one service failing (one cell per service); and a refused connection, which must fail
 * within seconds (not after minutes of retries) saying AWS cannot be reached.
 *
 * Rows: grant and revoke of every provisionable entitlement shape (group memberships, flat and
 * scope-binding assignments, managed and inline policies), create-account, delete-resource,
 * validate and sync. Adding a command is one row in ROWS: how to put AWS in the
 * state before the command (through the SDK), its arguments, and how to read its effect back. The
 * services it calls are discovered by a fault-free run (the simulator's counters), and every fault
 * column is applied to them.
 */
import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  DeleteUserCommand,
  DetachUserPolicyCommand,
  GetGroupCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand as ListIamUsersCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
} from "@aws-sdk/client-iam";
import {
  CreateGroupMembershipCommand,
  DeleteGroupMembershipCommand,
  DescribeUserCommand,
  GetGroupMembershipIdCommand,
  IdentitystoreClient,
  ListUsersCommand as ListSsoUsersCommand,
  UpdateUserCommand,
} from "@aws-sdk/client-identitystore";
import {
  CreateAccountAssignmentCommand,
  DeleteAccountAssignmentCommand,
  ListAccountAssignmentsCommand,
  SSOAdminClient,
  type PrincipalType,
} from "@aws-sdk/client-sso-admin";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pLimit from "p-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACING_FILE } from "../../src/aws/pacing-memory.js";
import { C1zReader } from "../../src/c1z/reader.js";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import type { FaultKind, FaultRule } from "../../src/simulator/knobs.js";
import { lines, runCli, simulatorEnv, type CliResult } from "../support/cli-process.js";

type SimService = FaultRule["services"] extends Array<infer S> | undefined ? S : never;

/** One simulator with its own organisation: cells on different lanes run at the same time. */
interface Lane {
  sim: Simulator;
  dir: string;
  iam: IAMClient;
  identityStore: IdentitystoreClient;
  ssoAdmin: SSOAdminClient;
  sts: STSClient;
  /** Chosen once from what the SDK reads back (not from the simulator's model). */
  iamGroup: { name: string; arn: string; user: string; userArn: string };
  ssoGroup: { storeId: string; groupId: string; groupArn: string; userId: string; userArn: string };
  assignment: { instanceArn: string; accountId: string; permissionSetArn: string; userId: string; userArn: string };
  /** A management-account IAM user and an AWS-managed policy it does not otherwise have. */
  policy: { user: string; userArn: string; policyArn: string };
  /** Names of users the account-provisioning rows create and delete. */
  newUser: string;
  doomedUser: string;
}

interface Row {
  /** The command as a user types it (for the test name). */
  name: string;
  /** Puts AWS in the state the command starts from (through the SDK) and returns its arguments. */
  prepare(lane: Lane): Promise<string[]>;
  /** After an exit 0: does AWS (read through the SDK) hold what the command said it did? */
  confirmed(lane: Lane, result: CliResult): Promise<boolean>;
  /**
   * Every call failing on a service: only for commands whose failure is quick. A sync retries an
   * unavailable connector call for minutes (baton's rule), so its failing path is the refused
   * connection column.
   */
  persistentFaults?: boolean;
}

const ROWS: Row[] = [
  {
    name: "grant (IAM group membership)",
    async prepare(lane) {
      await lane.iam.send(new RemoveUserFromGroupCommand({ GroupName: lane.iamGroup.name, UserName: lane.iamGroup.user })).catch(ignoreNotFound);
      return ["grant", "--entitlement", `group:${lane.iamGroup.arn}:member`, "--principal", `iam_user:${lane.iamGroup.userArn}`];
    },
    confirmed: async (lane) => iamMember(lane),
    persistentFaults: true,
  },
  {
    name: "revoke (IAM group membership)",
    async prepare(lane) {
      await lane.iam.send(new AddUserToGroupCommand({ GroupName: lane.iamGroup.name, UserName: lane.iamGroup.user }));
      return ["revoke", "--entitlement", `group:${lane.iamGroup.arn}:member`, "--principal", `iam_user:${lane.iamGroup.userArn}`];
    },
    confirmed: async (lane) => !(await iamMember(lane)),
    persistentFaults: true,
  },
  {
    name: "grant (Identity Center group membership)",
    async prepare(lane) {
      const id = await membershipId(lane);
      if (id) await lane.identityStore.send(new DeleteGroupMembershipCommand({ IdentityStoreId: lane.ssoGroup.storeId, MembershipId: id }));
      return ["grant", "--entitlement", `sso_group:${lane.ssoGroup.groupArn}:member`, "--principal", `sso_user:${lane.ssoGroup.userArn}`];
    },
    confirmed: async (lane) => (await membershipId(lane)) !== undefined,
    persistentFaults: true,
  },
  {
    name: "revoke (Identity Center group membership)",
    async prepare(lane) {
      if (!(await membershipId(lane))) {
        const { storeId, groupId, userId } = lane.ssoGroup;
        await lane.identityStore.send(new CreateGroupMembershipCommand({ IdentityStoreId: storeId, GroupId: groupId, MemberId: { UserId: userId } }));
      }
      return ["revoke", "--entitlement", `sso_group:${lane.ssoGroup.groupArn}:member`, "--principal", `sso_user:${lane.ssoGroup.userArn}`];
    },
    confirmed: async (lane) => (await membershipId(lane)) === undefined,
    persistentFaults: true,
  },
  {
    name: "grant (permission set assignment)",
    async prepare(lane) {
      await setAssignment(lane, false);
      const { accountId, permissionSetArn, userArn } = lane.assignment;
      return ["grant", "--entitlement", `${accountId}|${permissionSetArn}`, "--principal", `sso_user:${userArn}`];
    },
    confirmed: async (lane) => assigned(lane),
    persistentFaults: true,
  },
  {
    name: "revoke (permission set assignment)",
    async prepare(lane) {
      await setAssignment(lane, true);
      const { accountId, permissionSetArn, userArn } = lane.assignment;
      return ["revoke", "--entitlement", `${accountId}|${permissionSetArn}`, "--principal", `sso_user:${userArn}`];
    },
    confirmed: async (lane) => !(await assigned(lane)),
    persistentFaults: true,
  },
  {
    name: "grant (scope-binding assignment, permission_set_assignment:…:assigned)",
    async prepare(lane) {
      await setAssignment(lane, false);
      return ["grant", "--entitlement", bindingEntitlement(lane), "--principal", `sso_user:${lane.assignment.userArn}`];
    },
    confirmed: async (lane) => assigned(lane),
    persistentFaults: true,
  },
  {
    name: "revoke (scope-binding assignment, by the grant id a sync emits)",
    async prepare(lane) {
      await setAssignment(lane, true);
      return ["revoke", "--grant", `grant:sso_user:${lane.assignment.userArn}:${bindingEntitlement(lane)}`];
    },
    confirmed: async (lane) => !(await assigned(lane)),
    persistentFaults: true,
  },
  {
    name: "grant (managed policy, iam_policy:…:attached)",
    async prepare(lane) {
      const { user, policyArn } = lane.policy;
      await lane.iam.send(new DetachUserPolicyCommand({ UserName: user, PolicyArn: policyArn })).catch(ignoreNotFound);
      return ["grant", "--entitlement", `iam_policy:${policyArn}:attached`, "--principal", `iam_user:${lane.policy.userArn}`];
    },
    confirmed: async (lane) => policyAttached(lane),
    persistentFaults: true,
  },
  {
    name: "revoke (managed policy, by the grant id a sync emits)",
    async prepare(lane) {
      const { user, userArn, policyArn } = lane.policy;
      await lane.iam.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: policyArn }));
      return ["revoke", "--grant", `iam_policy:${policyArn}:attached:iam_user:${userArn}`];
    },
    confirmed: async (lane) => !(await policyAttached(lane)),
    persistentFaults: true,
  },
  {
    name: "revoke (inline policy, inline_policy:…:attached)",
    async prepare(lane) {
      const { user, userArn } = lane.policy;
      const document = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }] });
      await lane.iam.send(new PutUserPolicyCommand({ UserName: user, PolicyName: INLINE_POLICY, PolicyDocument: document }));
      return ["revoke", "--entitlement", `inline_policy:${userArn}::inline::${INLINE_POLICY}:attached`, "--principal", `iam_user:${userArn}`];
    },
    async confirmed(lane) {
      const names = (await lane.iam.send(new ListUserPoliciesCommand({ UserName: lane.policy.user }))).PolicyNames ?? [];
      return !names.includes(INLINE_POLICY);
    },
    persistentFaults: true,
  },
  {
    name: "create-account (IAM user)",
    async prepare(lane) {
      await lane.iam.send(new DeleteUserCommand({ UserName: lane.newUser })).catch(ignoreNotFound);
      return ["create-account", "--login", lane.newUser, "--email", `${lane.newUser}@example.com`, "-o", "json"];
    },
    async confirmed(lane, result) {
      const user = await iamUser(lane, lane.newUser);
      const tagged = user?.Tags?.some((t) => t.Key === "email" && t.Value === `${lane.newUser}@example.com`) === true;
      return tagged && result.stdout.includes(`"iam_user:${user!.Arn}"`);
    },
    persistentFaults: true,
  },
  {
    name: "delete-resource (IAM user with a password and an access key)",
    async prepare(lane) {
      const name = lane.doomedUser;
      const user = (await iamUser(lane, name)) ?? (await lane.iam.send(new CreateUserCommand({ UserName: name }))).User!;
      await lane.iam.send(new CreateLoginProfileCommand({ UserName: name, Password: "Initial-Passw0rd!" })).catch(ignoreExists);
      if (((await lane.iam.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata ?? []).length === 0) {
        await lane.iam.send(new CreateAccessKeyCommand({ UserName: name }));
      }
      return ["delete-resource", "--resource", `iam_user:${user.Arn}`];
    },
    confirmed: async (lane) => (await iamUser(lane, lane.doomedUser)) === undefined,
    persistentFaults: true,
  },
  {
    name: "validate",
    prepare: async () => ["validate"],
    // Validate changes nothing; what it vouches for is that these credentials work against AWS.
    async confirmed(lane, result) {
      const caller = await lane.sts.send(new GetCallerIdentityCommand({}));
      return /^ok: /.test(result.stdout) && caller.Account !== undefined;
    },
    persistentFaults: true,
  },
  {
    name: "sync",
    async prepare(lane) {
      const file = join(lane.dir, "sync.c1z");
      rmSync(file, { force: true });
      rmSync(`${file}.working.db`, { force: true });
      return ["sync", "--file", file, "--no-progress", "-o", "json"];
    },
    async confirmed(lane) {
      const file = join(lane.dir, "sync.c1z");
      if (!existsSync(file)) return false;
      const reader = await C1zReader.open(file);
      try {
        const stats = reader.stats(reader.resolveSync().syncId);
        const ssoUsers = (await lane.identityStore.send(new ListSsoUsersCommand({ IdentityStoreId: lane.ssoGroup.storeId, MaxResults: 100 }))).Users ?? [];
        const iamUsers = (await lane.iam.send(new ListIamUsersCommand({}))).Users ?? [];
        const ownIamUsers = [...reader.eachResource(reader.resolveSync().syncId, { resourceTypeId: "iam_user" })].filter((r) => !r.parentResourceId).length;
        return stats.resourcesByResourceType.sso_user === ssoUsers.length && ownIamUsers === iamUsers.length;
      } finally {
        reader.close();
      }
    },
  },
  {
    name: "sync --incremental",
    async prepare(lane) {
      // A file whose latest sync an incremental one continues, then a change CloudTrail records.
      const file = join(lane.dir, "incremental.c1z");
      if (!existsSync(file)) {
        const base = await run(lane, ["sync", "--file", file, "--no-progress"]);
        if (base.code !== 0) throw new Error(`the full sync before --incremental failed: ${base.stderr}`);
      }
      await lane.iam.send(new CreateUserCommand({ UserName: `incremental-${++serial}` }));
      return ["sync", "--incremental", "--file", file, "--no-progress", "-o", "json"];
    },
    // The new user is in the file: the incremental sync (or the full sync it fell back to) read AWS.
    confirmed: async (lane, result) => /"incremental"|"full"/.test(result.stdout) && (await fileHoldsIamUsers(lane, join(lane.dir, "incremental.c1z"))),
  },
  {
    name: "sync --sync-resources",
    async prepare(lane) {
      const { storeId, userId, userArn } = lane.ssoGroup;
      await lane.identityStore.send(new UpdateUserCommand({ IdentityStoreId: storeId, UserId: userId, Operations: [{ AttributePath: "userName", AttributeValue: `targeted${++serial}@example.com` }] }));
      return ["sync", "--sync-resources", `sso_user:${userArn}`, "--file", join(lane.dir, "targeted.c1z"), "--no-progress"];
    },
    // The file's newest sync is a partial one holding the user as AWS has it now (its user name is the display name).
    async confirmed(lane) {
      const { storeId, userId, userArn } = lane.ssoGroup;
      const { UserName } = await lane.identityStore.send(new DescribeUserCommand({ IdentityStoreId: storeId, UserId: userId }));
      const reader = await C1zReader.open(join(lane.dir, "targeted.c1z"));
      try {
        const newest = reader.syncs().at(-1);
        if (newest?.syncType !== "partial" || !newest.endedAt) return false;
        return reader.resource(newest.syncId, "sso_user", userArn)?.displayName === UserName;
      } finally {
        reader.close();
      }
    },
  },
];

const INLINE_POLICY = "exit-truth-inline";

let serial = 0;

/** The file's latest full sync holds the management account's IAM users as the SDK lists them now. */
async function fileHoldsIamUsers(lane: Lane, file: string): Promise<boolean> {
  if (!existsSync(file)) return false;
  const reader = await C1zReader.open(file);
  try {
    const syncId = reader.resolveSync().syncId;
    const own = new Set([...reader.eachResource(syncId, { resourceTypeId: "iam_user" })].filter((r) => !r.parentResourceId).map((r) => r.displayName));
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await lane.iam.send(new ListIamUsersCommand({ Marker: marker }));
      names.push(...(page.Users ?? []).map((u) => u.UserName!));
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return own.size === names.length && names.every((name) => own.has(name));
  } finally {
    reader.close();
  }
}

/** Faults every service a command uses gets, one column each. */
const TRANSIENT: FaultKind[] = ["throttle", "internal", "reset"];
const LANES = 3;
/** Keeps a persistent throttle's backoff short: the point is the exit code, not the patience. */
const MAX_ATTEMPTS = "3";

let lanes: Lane[];
let closedPort: number;

beforeAll(async () => {
  lanes = await Promise.all(Array.from({ length: LANES }, (_, i) => startLane(i)));
  closedPort = await unusedPort();
});
afterAll(async () => {
  await Promise.all((lanes ?? []).map(async (lane) => {
    for (const client of [lane.iam, lane.identityStore, lane.ssoAdmin, lane.sts]) client.destroy();
    await lane.sim.stop();
    rmSync(lane.dir, { recursive: true, force: true });
  }));
});

describe("every command: exit 0 only with the change in AWS, otherwise one line (real CLI, injected faults)", () => {
  it("holds for every command, every service it calls and every fault", { timeout: 600_000 }, async () => {
    // Which services each command calls: a fault-free run on lane 0, counted by the simulator.
    const cells: Array<{ row: Row; label: string; faults?: FaultRule[]; persistent?: boolean; refused?: boolean }> = [];
    for (const row of ROWS) {
      const lane = lanes[0]!;
      const args = await row.prepare(lane);
      lane.sim.counters.reset();
      const clean = await run(lane, args);
      expect(clean.code, `${row.name} without faults: ${clean.stderr}`).toBe(0);
      expect(await row.confirmed(lane, clean), `${row.name} without faults is confirmed by AWS`).toBe(true);
      const services = Object.entries(lane.sim.counters.snapshot().services)
        .filter(([, counts]) => counts.calls > 0)
        .map(([service]) => service as SimService);
      expect(services.length, row.name).toBeGreaterThan(0);
      for (const kind of TRANSIENT) {
        cells.push({ row, label: `${row.name}: 2 × ${kind} on each of ${services.join(", ")}`, faults: services.map((service) => ({ kind, rate: 1, services: [service], count: 2 })) });
      }
      if (row.persistentFaults) {
        for (const service of services) cells.push({ row, label: `${row.name}: every ${service} call fails (internal)`, faults: [{ kind: "internal", rate: 1, services: [service] }], persistent: true });
      }
      cells.push({ row, label: `${row.name}: connection refused`, refused: true });
    }

    // Each lane runs one cell at a time (faults are per simulator); the lanes run side by side.
    const free = [...lanes];
    const gate = pLimit(LANES);
    const failures: string[] = [];
    await Promise.all(
      cells.map((cell) =>
        gate(async () => {
          const lane = free.pop()!;
          try {
            const args = await cell.row.prepare(lane);
            // Each cell from a fresh pacing memory: what an earlier cell's throttles taught the lane's
            // state directory would slow this one down and make its outcome depend on the order.
            rmSync(join(lane.dir, "state", PACING_FILE), { force: true });
            lane.sim.knobs.update({ faults: cell.faults ?? [] });
            const result = await run(lane, [...args, ...(cell.refused ? ["--aws-endpoint", `http://127.0.0.1:${closedPort}`] : [])]);
            lane.sim.knobs.update({ faults: [] });
            const problem =
              (await judge(cell.row, lane, result, { mustSucceed: !!cell.faults && !cell.persistent, mustFail: !!cell.refused || !!cell.persistent })) ??
              (cell.refused ? unreachableProblem(result) : undefined);
            if (problem) failures.push(`${cell.label}: ${problem}`);
          } finally {
            free.push(lane);
          }
        }),
      ),
    );
    expect(failures).toEqual([]);
    // The table is as big as promised: every row, every fault kind, a refused connection.
    expect(cells.length).toBeGreaterThanOrEqual(ROWS.length * (TRANSIENT.length + 1));
  });
});

/** A refused connection: said as such, and within seconds (the AWS CLI's pace), not minutes. */
function unreachableProblem(result: CliResult): string | undefined {
  if (!/^connector: .*cannot reach AWS.*connection refused/.test(result.stderr)) return `not said as "cannot reach AWS … connection refused": ${JSON.stringify(result.stderr)}`;
  if (result.ms > 15_000) return `took ${Math.round(result.ms)} ms to fail`;
  return undefined;
}

/** Undefined when the run told the truth; else what went wrong. */
async function judge(row: Row, lane: Lane, result: CliResult, expect: { mustSucceed: boolean; mustFail: boolean }): Promise<string | undefined> {
  const summary = `exit ${result.code}${result.signal ? ` (${result.signal})` : ""}, stderr ${JSON.stringify(result.stderr.slice(0, 400))}`;
  if (result.code === 0) {
    if (!(await row.confirmed(lane, result))) return `exit 0 but AWS does not have the change (${summary})`;
    if (expect.mustFail) return `exit 0 although every call failed (${summary})`;
    return undefined;
  }
  const errorLines = lines(result.stderr);
  if (errorLines.length !== 1 || !errorLines[0]!.startsWith("connector: ")) return `failed without exactly one error line (${summary})`;
  if (expect.mustSucceed) return `a transient fault failed the command (${summary})`;
  return undefined;
}

function run(lane: Lane, args: string[]): Promise<CliResult> {
  const { sim } = lane;
  return runCli([...args, "--log-level", "error", "--state-dir", join(lane.dir, "state"), "--aws-max-attempts", MAX_ATTEMPTS], {
    env: simulatorEnv(sim, { BATON_LOG_FORMAT: "json" }),
    timeoutMs: 180_000,
  });
}

async function startLane(index: number): Promise<Lane> {
  // Instant assignment completion: the cells are about exit codes, not AWS's pace.
  const sim = await startSimulator({ profile: "demo", seed: 11 + index, knobs: { assignments: { fixedMs: 0, jitterMs: 0 } } });
  const config = sim.clientConfig();
  const iam = new IAMClient({ ...config, maxAttempts: 1 });
  const identityStore = new IdentitystoreClient({ ...config, maxAttempts: 1 });
  const ssoAdmin = new SSOAdminClient({ ...config, maxAttempts: 1 });
  const sts = new STSClient({ ...config, maxAttempts: 1 });
  const model = sim.model;
  const org = model.organization!;
  const management = [...model.accounts].find((a) => a.id === org.managementAccountId)!;
  // Names come from the model; every state the tests rely on is set and read through the SDK.
  const group = [...management.iam.groups][0]!;
  const user = [...management.iam.users].find((u) => u.groups.get(group.name) === undefined) ?? [...management.iam.users][0]!;
  const store = model.identityStore!;
  const ssoGroup = [...store.groups][0]!;
  const ssoUser = [...store.users][0]!;
  const instance = model.ssoInstance!;
  const account = [...model.accounts].find((a) => a.inOrganization && a.state === "ACTIVE" && a.id !== org.managementAccountId)!;
  const permissionSet = [...instance.permissionSets][0]!;
  const assignUser = [...store.users][1]!;
  const arn = (kind: string, id: string) => `arn:aws:identitystore:${model.region}::${store.id}/${kind}/${id}`;
  const groupArn = (await iam.send(new GetGroupCommand({ GroupName: group.name }))).Group!.Arn!;
  // The management user with the fewest managed policies (far from IAM's 10-per-user quota).
  const policyUser = [...management.iam.users].filter((u) => u !== user).sort((a, b) => a.attachedPolicies.length - b.attachedPolicies.length)[0]!;
  const policyArn = [...model.awsManagedPolicies].find((p) => !policyUser.attachedPolicies.includes(p.arn))!.arn;
  return {
    sim,
    dir: mkdtempSync(join(tmpdir(), `exit-truth-${index}-`)),
    iam,
    identityStore,
    ssoAdmin,
    sts,
    iamGroup: { name: group.name, arn: groupArn, user: user.name, userArn: user.arn },
    ssoGroup: { storeId: store.id, groupId: ssoGroup.id, groupArn: arn("group", ssoGroup.id), userId: ssoUser.id, userArn: arn("user", ssoUser.id) },
    assignment: { instanceArn: instance.arn, accountId: account.id, permissionSetArn: permissionSet.arn, userId: assignUser.id, userArn: arn("user", assignUser.id) },
    policy: { user: policyUser.name, userArn: policyUser.arn, policyArn },
    newUser: `exit-truth-new-${index}`,
    doomedUser: `exit-truth-doomed-${index}`,
  };
}

async function iamMember(lane: Lane): Promise<boolean> {
  const out = await lane.iam.send(new GetGroupCommand({ GroupName: lane.iamGroup.name }));
  return (out.Users ?? []).some((u) => u.UserName === lane.iamGroup.user);
}

async function membershipId(lane: Lane): Promise<string | undefined> {
  const { storeId, groupId, userId } = lane.ssoGroup;
  try {
    return (await lane.identityStore.send(new GetGroupMembershipIdCommand({ IdentityStoreId: storeId, GroupId: groupId, MemberId: { UserId: userId } }))).MembershipId;
  } catch (error) {
    if ((error as Error).name === "ResourceNotFoundException") return undefined;
    throw error;
  }
}

async function assigned(lane: Lane): Promise<boolean> {
  const { instanceArn, accountId, permissionSetArn, userId } = lane.assignment;
  let token: string | undefined;
  do {
    const page = await lane.ssoAdmin.send(new ListAccountAssignmentsCommand({ InstanceArn: instanceArn, AccountId: accountId, PermissionSetArn: permissionSetArn, NextToken: token }));
    if ((page.AccountAssignments ?? []).some((a) => a.PrincipalType === "USER" && a.PrincipalId === userId)) return true;
    token = page.NextToken;
  } while (token);
  return false;
}

/** Creates or deletes the lane's assignment through the SDK (the simulator completes it at once). */
async function setAssignment(lane: Lane, present: boolean): Promise<void> {
  if ((await assigned(lane)) === present) return;
  const { instanceArn, accountId, permissionSetArn, userId } = lane.assignment;
  const input = { InstanceArn: instanceArn, TargetId: accountId, TargetType: "AWS_ACCOUNT" as const, PermissionSetArn: permissionSetArn, PrincipalType: "USER" as PrincipalType, PrincipalId: userId };
  await lane.ssoAdmin.send(present ? new CreateAccountAssignmentCommand(input) : new DeleteAccountAssignmentCommand(input));
  for (let i = 0; i < 50 && (await assigned(lane)) !== present; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  if ((await assigned(lane)) !== present) throw new Error(`could not ${present ? "create" : "delete"} the assignment through the SDK`);
}

const bindingEntitlement = (lane: Lane) => `permission_set_assignment:${lane.assignment.permissionSetArn}-${lane.assignment.accountId}:assigned`;

async function policyAttached(lane: Lane): Promise<boolean> {
  const out = await lane.iam.send(new ListAttachedUserPoliciesCommand({ UserName: lane.policy.user }));
  return (out.AttachedPolicies ?? []).some((p) => p.PolicyArn === lane.policy.policyArn);
}

async function iamUser(lane: Lane, name: string) {
  try {
    return (await lane.iam.send(new GetUserCommand({ UserName: name }))).User;
  } catch (error) {
    ignoreNotFound(error);
    return undefined;
  }
}

function ignoreExists(error: unknown): void {
  if ((error as Error).name !== "EntityAlreadyExistsException" && (error as Error).name !== "EntityAlreadyExists") throw error;
}

function ignoreNotFound(error: unknown): void {
  if ((error as Error).name !== "NoSuchEntityException" && (error as Error).name !== "NoSuchEntity") throw error;
}

/** A port nothing listens on: bound once, then released. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
