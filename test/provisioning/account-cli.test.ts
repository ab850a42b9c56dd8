/**
 * `connector create-account` and `connector delete-resource` as a user runs them (the real CLI
 * process against the simulator), with baton's hidden spellings, and a deletion killed half-way
 * (SIGKILL while AWS is slow to answer one clean-up step) that a second run completes. Exit codes
 * are checked against AWS read back through the SDK.
 */
import { GetUserCommand, IAMClient, ListAccessKeysCommand } from "@aws-sdk/client-iam";
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readAuditLog } from "../../src/provisioning/audit-log.js";
import { openStateDbReadOnly } from "../../src/provisioning/state-db.js";
import type { Simulator } from "../../src/simulator/index.js";
import { simulatorFlags, spawnSourceCli } from "../support/cli-process.js";
import { startSim, tempStateDir } from "./sim-rig.js";

let sim: Simulator;
let stateDir: string;
let iam: IAMClient;
const children: ChildProcess[] = [];

beforeAll(async () => {
  sim = await startSim();
  stateDir = tempStateDir();
  iam = new IAMClient(sim.clientConfig());
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  iam.destroy();
  await sim.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

function connector(args: string[]) {
  const child = spawnSourceCli([...args, ...simulatorFlags(sim, stateDir), "--page-token-secret", "account-cli-test-page-tokens", "--log-level", "warn"]);
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

const userExists = async (name: string) =>
  iam.send(new GetUserCommand({ UserName: name })).then(
    () => true,
    (error: { name?: string }) => (error.name === "NoSuchEntityException" ? false : Promise.reject(error)),
  );

it("create-account (baton's spelling too): exit 0 only once the user exists; repeat says already-exists; bad input exits 1 with one line", { timeout: 90_000 }, async () => {
  const created = connector(["create-account", "--create-account-login", "cli-erin", "--create-account-email", "erin@example.com", "-o", "json"]);
  expect(await created.exited).toBe(0);
  expect(JSON.parse(created.stdout())).toMatchObject({ outcome: "created", resource: expect.stringMatching(/^iam_user:arn:aws:iam::\d{12}:user\/cli-erin$/) });
  expect(await userExists("cli-erin")).toBe(true);

  const again = connector(["create-account", "--login", "cli-erin", "--email", "erin@example.com", "-o", "json"]);
  expect(await again.exited).toBe(0);
  expect(JSON.parse(again.stdout()).outcome).toBe("already-exists");

  const noRecipient = connector(["create-account", "--login", "cli-frank", "--access-key"]);
  expect(await noRecipient.exited).not.toBe(0);
  expect(noRecipient.stderr().trim().split("\n")).toHaveLength(1);
  expect(await userExists("cli-frank")).toBe(false);
});

it("delete-resource killed half-way, then repeated, completes; a third run says already-deleted", { timeout: 120_000 }, async () => {
  const name = "cli-half-way";
  await iam.send(new (await import("@aws-sdk/client-iam")).CreateUserCommand({ UserName: name }));
  const { CreateAccessKeyCommand, CreateLoginProfileCommand, AddUserToGroupCommand } = await import("@aws-sdk/client-iam");
  await iam.send(new CreateLoginProfileCommand({ UserName: name, Password: "Initial-Passw0rd!" }));
  await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  const account = [...sim.model.accounts].find((a) => a.id === sim.model.organization!.managementAccountId)!;
  await iam.send(new AddUserToGroupCommand({ UserName: name, GroupName: [...account.iam.groups][0]!.name }));
  const arn = account.iam.users.get(name)!.arn;

  // AWS is slow to list the user's groups (a late clean-up step): the process is killed while it waits.
  sim.knobs.update({ faults: [{ kind: "slow", rate: 1, operations: ["ListGroupsForUser"], delayMs: 30_000 }] });
  const first = connector(["delete-resource", "--delete-resource", arn, "--delete-resource-type", "iam_user"]);
  const deadline = Date.now() + 60_000;
  while ((await iam.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata!.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 500));
  first.child.kill("SIGKILL");
  await first.exited;
  sim.knobs.update({ faults: [] });
  // Half-way: the keys and password are gone, the user and its group membership are not.
  expect(await userExists(name)).toBe(true);
  expect(account.iam.users.get(name)!.loginProfile).toBeUndefined();
  expect(account.iam.users.get(name)!.groups.length).toBe(1);

  const second = connector(["delete-resource", "--resource", `iam_user:${arn}`, "-o", "json"]);
  expect(await second.exited).toBe(0);
  expect(JSON.parse(second.stdout()).outcome).toBe("deleted");
  expect(await userExists(name)).toBe(false);

  const third = connector(["delete-resource", "--resource", `iam_user:${arn}`, "-o", "json"]);
  expect(await third.exited).toBe(0);
  expect(JSON.parse(third.stdout()).outcome).toBe("already-deleted");

  const db = openStateDbReadOnly(stateDir)!;
  const attempts = readAuditLog(db).filter((r) => r.action === "delete-resource" && r.principal === `iam_user:${arn}`);
  db.close();
  // The killed attempt stays visible as unfinished.
  expect(attempts.map((r) => r.outcome ?? "unfinished")).toEqual(["unfinished", "deleted", "already-deleted"]);
});

it("Identity Center users through the CLI: create (read back), already-exists, missing names refused in one line, delete, already-deleted", { timeout: 90_000 }, async () => {
  const { DescribeUserCommand, IdentitystoreClient } = await import("@aws-sdk/client-identitystore");
  const store = new IdentitystoreClient(sim.clientConfig());
  const storeId = sim.model.identityStore!.id;
  const sso = ["--create-account-resource-type", "sso_user"];
  try {
    const args = ["create-account", ...sso, "--login", "cli.gina@example.com", "--email", "gina@example.com", "--profile", '{"given_name":"Gina","family_name":"Lee"}', "-o", "json"];
    const created = connector(args);
    expect(await created.exited, created.stderr()).toBe(0);
    const answer = JSON.parse(created.stdout());
    expect(answer.outcome).toBe("created");
    const arn = String(answer.resource).replace(/^sso_user:/, "");
    const userId = arn.slice(arn.lastIndexOf("/") + 1);
    const described = await store.send(new DescribeUserCommand({ IdentityStoreId: storeId, UserId: userId }));
    expect([described.UserName, described.DisplayName, described.Emails?.[0]?.Value]).toEqual(["cli.gina@example.com", "Gina Lee", "gina@example.com"]);

    const again = connector(args);
    expect(await again.exited).toBe(0);
    expect(JSON.parse(again.stdout()).outcome).toBe("already-exists");

    const nameless = connector(["create-account", ...sso, "--login", "cli.hal@example.com", "--email", "hal@example.com"]);
    expect(await nameless.exited).not.toBe(0);
    expect(nameless.stderr().trim().split("\n")).toHaveLength(1);

    const deleted = connector(["delete-resource", "--resource", `sso_user:${arn}`, "-o", "json"]);
    expect(await deleted.exited, deleted.stderr()).toBe(0);
    expect(JSON.parse(deleted.stdout()).outcome).toBe("deleted");
    await expect(store.send(new DescribeUserCommand({ IdentityStoreId: storeId, UserId: userId }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    const gone = connector(["delete-resource", "--resource", `sso_user:${arn}`, "-o", "json"]);
    expect(await gone.exited).toBe(0);
    expect(JSON.parse(gone.stdout()).outcome).toBe("already-deleted");
  } finally {
    store.destroy();
  }
});
