/**
 * Issue 16 over gRPC (@grpc/grpc-js → the real server → the connector → the simulator over HTTP):
 * policy attachment, inline-policy removal, scope-binding assignments sharing the flat
 * entitlement's engine, account creation and deletion. Every answer is checked against AWS read
 * back through the SDK (never the connector's own view), and every attempt against the audit log.
 */
import {
  GetLoginProfileCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  ListVirtualMFADevicesCommand,
} from "@aws-sdk/client-iam";
import { DescribeUserCommand, IdentitystoreClient } from "@aws-sdk/client-identitystore";
import { ListAccountAssignmentsCommand, SSOAdminClient } from "@aws-sdk/client-sso-admin";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Decrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAuditLog } from "../../src/provisioning/audit-log.js";
import { openStateDbReadOnly } from "../../src/provisioning/state-db.js";
import type { Simulator } from "../../src/simulator/index.js";
import type { IamUser } from "../../src/simulator/model/types.js";
import { fixtures, hasType, simConfig, startService, startSim, tempStateDir, type Service } from "./sim-rig.js";

const PROTO_ROOT = fileURLToPath(new URL("../../proto", import.meta.url));
const pkg = (grpc.loadPackageDefinition(
  protoLoader.loadSync(["c1/connector/v2/resource.proto", "c1/connector/v2/grant.proto"], { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO_ROOT] }),
) as any).c1.connector.v2;

interface Answer {
  ok: boolean;
  reply?: any;
  code?: grpc.status;
  details?: string;
}

/** A baton host stand-in for GrantManager, AccountManager and ResourceDeleter over a real socket. */
function hostClient(target: string) {
  const clients = {
    grants: new pkg.GrantManagerService(target, grpc.credentials.createInsecure()),
    accounts: new pkg.AccountManagerService(target, grpc.credentials.createInsecure()),
    deleter: new pkg.ResourceDeleterService(target, grpc.credentials.createInsecure()),
  };
  const call = (client: any, method: string, request: object): Promise<Answer> =>
    new Promise((resolve) =>
      client[method](request, { deadline: Date.now() + 60_000 }, (error: grpc.ServiceError | null, reply: unknown) =>
        resolve(error ? { ok: false, code: error.code, details: decodeURIComponent(error.details) } : { ok: true, reply }),
      ),
    );
  return {
    grant: (entitlement: object, principal: object) => call(clients.grants, "Grant", { entitlement, principal, annotations: [] }),
    revoke: (grant: object) => call(clients.grants, "Revoke", { grant, annotations: [] }),
    createAccount: (request: object) => call(clients.accounts, "CreateAccount", request),
    deleteResource: (resource_id: object, parent_resource_id?: object) => call(clients.deleter, "DeleteResourceV2", { resource_id, parent_resource_id }),
    close: () => Object.values(clients).forEach((c) => c.close()),
  };
}

const ALREADY_EXISTS = "c1.connector.v2.GrantAlreadyExists";
const ALREADY_REVOKED = "c1.connector.v2.GrantAlreadyRevoked";
const DOES_NOT_EXIST = "c1.connector.v2.ResourceDoesNotExist";

let sim: Simulator;
let stateDir: string;
let service: Service;
let host: ReturnType<typeof hostClient>;
let iam: IAMClient;
let fx: ReturnType<typeof fixtures>;

beforeAll(async () => {
  sim = await startSim({ knobs: { assignments: { fixedMs: 300, jitterMs: 200 } } });
  stateDir = tempStateDir();
  service = await startService(simConfig(sim, stateDir));
  host = hostClient(`127.0.0.1:${service.server.address.port}`);
  iam = new IAMClient(sim.clientConfig());
  fx = fixtures(sim.model);
});
afterAll(async () => {
  host.close();
  iam.destroy();
  await service.stop();
  await sim.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/**
 * A new IAM user given every kind of attachment AWS makes DeleteUser wait for: through IAM's own
 * write operations where the simulator has them, else (signing certificate, SSH key,
 * service-specific credential, enabled virtual MFA device, which it has no write for) in its model.
 */
async function userWithEverything(name: string): Promise<IamUser> {
  const account = management();
  const group = [...account.iam.groups][0]!;
  const policies = [...sim.model.awsManagedPolicies].slice(0, 2);
  const { PutUserPolicyCommand, CreateUserCommand, CreateLoginProfileCommand, CreateAccessKeyCommand, AttachUserPolicyCommand, AddUserToGroupCommand } = await import("@aws-sdk/client-iam");
  await iam.send(new CreateUserCommand({ UserName: name }));
  await iam.send(new CreateLoginProfileCommand({ UserName: name, Password: "Initial-Passw0rd!" }));
  await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  for (const p of policies) await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: p.arn }));
  await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "inline-a", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }] }) }));
  await iam.send(new AddUserToGroupCommand({ UserName: name, GroupName: group.name }));
  const user = account.iam.users.get(name)!;
  const now = Date.now();
  user.signingCertificates.push({ id: "CERT".padEnd(32, "7"), body: "-----BEGIN CERTIFICATE-----", status: "Active", uploadDate: now });
  user.sshPublicKeys.push({ id: "APKA".padEnd(20, "7"), status: "Active", uploadDate: now });
  user.serviceSpecificCredentials.push({ id: "ACCA".padEnd(20, "7"), serviceName: "codecommit.amazonaws.com", serviceUserName: `${name}-at-1`, status: "Active", createdAt: now });
  const device = { serialNumber: `arn:aws:iam::${account.id}:mfa/${name}`, createdAt: now, user, enableDate: now };
  account.iam.mfaDevices.add(device);
  user.mfaDevices.push(device);
  return user;
}

const management = () => [...sim.model.accounts].find((a) => a.id === sim.model.organization!.managementAccountId)!;
const userRef = (u: IamUser) => ({ id: { resource_type: "iam_user", resource: u.arn } });
const policyEntitlement = (arn: string) => ({ id: `iam_policy:${arn}:attached`, resource: { id: { resource_type: "iam_policy", resource: arn } } });
const attachedArns = async (name: string) => ((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: name }))).AttachedPolicies ?? []).map((p) => p.PolicyArn);
const audit = () => {
  const db = openStateDbReadOnly(stateDir)!;
  try {
    return readAuditLog(db);
  } finally {
    db.close();
  }
};

describe("iam_policy attached", () => {
  it("attaches, says already attached, detaches, says already detached — each read back through IAM", async () => {
    const user = [...management().iam.users][0]!;
    const policy = [...sim.model.awsManagedPolicies].find((p) => !user.attachedPolicies.includes(p.arn))!;
    const entitlement = policyEntitlement(policy.arn);

    const granted = await host.grant(entitlement, userRef(user));
    expect(granted.details).toBeUndefined();
    expect(hasType(granted.reply.annotations, ALREADY_EXISTS)).toBe(false);
    expect(granted.reply.grants[0].id).toBe(`iam_policy:${policy.arn}:attached:iam_user:${user.arn}`);
    expect(await attachedArns(user.name)).toContain(policy.arn);

    const again = await host.grant(entitlement, userRef(user));
    expect(hasType(again.reply.annotations, ALREADY_EXISTS)).toBe(true);

    const revoked = await host.revoke(granted.reply.grants[0]);
    expect(revoked.ok).toBe(true);
    expect(hasType(revoked.reply.annotations, ALREADY_REVOKED)).toBe(false);
    expect(await attachedArns(user.name)).not.toContain(policy.arn);

    const revokedAgain = await host.revoke(granted.reply.grants[0]);
    expect(hasType(revokedAgain.reply.annotations, ALREADY_REVOKED)).toBe(true);

    const attempts = audit().filter((r) => r.entitlementId === entitlement.id);
    expect(attempts.map((r) => r.outcome)).toEqual(["granted", "already-exists", "revoked", "already-revoked"]);
  });

  it("refuses clearly: a permission-set principal, an unknown user, another account's policy, the quota reached", async () => {
    const account = management();
    const user = [...account.iam.users][0]!;
    const aws = [...sim.model.awsManagedPolicies].find((p) => !user.attachedPolicies.includes(p.arn))!;

    const ps = fx.permissionSets[0]!.arn;
    const toPermissionSet = await host.grant(policyEntitlement(aws.arn), { id: { resource_type: "permission_set", resource: ps } });
    expect(toPermissionSet.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(toPermissionSet.details).toMatch(/not access provisioning/);

    const ghost = { id: { resource_type: "iam_user", resource: `arn:aws:iam::${account.id}:user/no-such-user-16` } };
    const unknown = await host.grant(policyEntitlement(aws.arn), ghost);
    expect(unknown.code).toBe(grpc.status.NOT_FOUND);

    const other = [...sim.model.accounts].find((a) => a.id !== account.id && [...a.iam.policies].length > 0);
    if (other) {
      const foreign = [...other.iam.policies][0]!;
      const wrongAccount = await host.grant(policyEntitlement(foreign.arn), userRef(user));
      expect(wrongAccount.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(wrongAccount.details).toMatch(/belongs to account/);
    }

    sim.knobs.update({ iamLimits: { managedPoliciesPerUser: user.attachedPolicies.length } });
    try {
      const full = await host.grant(policyEntitlement(aws.arn), userRef(user));
      expect(full.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(full.details).toMatch(/as many managed policies as IAM allows/);
      expect(await attachedArns(user.name)).not.toContain(aws.arn);
    } finally {
      sim.knobs.update({ iamLimits: { managedPoliciesPerUser: 10 } });
    }
    const failed = audit().filter((r) => r.outcome === "failed").map((r) => r.errorCode);
    expect(failed).toEqual(expect.arrayContaining(["InvalidArgument", "NotFound", "ResourceExhausted"]));
  });
});

describe("inline_policy attached", () => {
  it("revoke deletes the inline policy (read back), again says already revoked; grant is Unimplemented with a reason", async () => {
    const user = [...management().iam.users].find((u) => u.inlinePolicies.length > 0);
    if (!user) throw new Error("the simulated organisation has no IAM user with an inline policy");
    const name = user.inlinePolicies[0]!.name;
    const inlineId = `${user.arn}::inline::${name}`;
    const entitlement = { id: `inline_policy:${inlineId}:attached`, resource: { id: { resource_type: "inline_policy", resource: inlineId } } };

    const grant = await host.grant(entitlement, userRef(user));
    expect(grant.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(grant.details).toMatch(/cannot recreate/);

    const revoked = await host.revoke({ entitlement, principal: userRef(user) });
    expect(revoked.ok).toBe(true);
    expect(hasType(revoked.reply.annotations, ALREADY_REVOKED)).toBe(false);
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: user.name }))).PolicyNames).not.toContain(name);

    const again = await host.revoke({ entitlement, principal: userRef(user) });
    expect(hasType(again.reply.annotations, ALREADY_REVOKED)).toBe(true);
  });
});

describe("permission_set_assignment assigned", () => {
  it("a scope-binding grant and a flat grant of the same assignment share one AWS operation; either revoke removes it", async () => {
    const account = fx.active[0]!;
    const ps = fx.permissionSets[0]!.arn;
    const user = fx.unassignedUsers(account.id, ps)[0]!;
    const binding = `${ps}-${account.id}`;
    const scoped = { id: `permission_set_assignment:${binding}:assigned`, resource: { id: { resource_type: "permission_set_assignment", resource: binding } } };
    const flat = fx.accountEntitlement(account.id, ps);
    const sso = new SSOAdminClient(sim.clientConfig());
    const assigned = async () =>
      ((await sso.send(new ListAccountAssignmentsCommand({ InstanceArn: fx.sso.arn, AccountId: account.id, PermissionSetArn: ps }))).AccountAssignments ?? []).some(
        (a) => a.PrincipalType === "USER" && a.PrincipalId === user.id,
      );

    const before = sim.counters.assignments.started;
    const [a, b] = await Promise.all([host.grant(scoped, fx.ssoUser(user.id)), host.grant(flat, fx.ssoUser(user.id))]);
    expect([a.details, b.details]).toEqual([undefined, undefined]);
    expect(sim.counters.assignments.started - before).toBe(1);
    expect([hasType(a.reply.annotations, ALREADY_EXISTS), hasType(b.reply.annotations, ALREADY_EXISTS)]).toEqual([false, false]);
    expect(a.reply.grants[0].id).toBe(`grant:sso_user:${fx.userArn(user.id)}:${scoped.id}`);
    expect(await assigned()).toBe(true);

    const revoked = await host.revoke(a.reply.grants[0]);
    expect(hasType(revoked.reply.annotations, ALREADY_REVOKED)).toBe(false);
    expect(await assigned()).toBe(false);
    const flatRevoked = await host.revoke(b.reply.grants[0]);
    expect(hasType(flatRevoked.reply.annotations, ALREADY_REVOKED)).toBe(true);
    sso.destroy();
  });
});

describe("account provisioning and deletion", () => {
  it("creates an IAM user (email tag, no password, no key), answers AlreadyExists the second time", async () => {
    const request = { resource_type_id: "iam_user", account_info: { login: "jit-alice", emails: [{ address: "alice@example.com", is_primary: true }] } };
    const created = await host.createAccount(request);
    expect(created.details).toBeUndefined();
    expect(created.reply.result).toBe("success");
    const user = (await iam.send(new GetUserCommand({ UserName: "jit-alice" }))).User!;
    expect(created.reply.success.resource.id.resource).toBe(user.Arn);
    expect(user.Tags).toEqual([{ Key: "email", Value: "alice@example.com" }]);
    await expect(iam.send(new GetLoginProfileCommand({ UserName: "jit-alice" }))).rejects.toMatchObject({ name: "NoSuchEntityException" });
    expect((await iam.send(new ListAccessKeysCommand({ UserName: "jit-alice" }))).AccessKeyMetadata).toEqual([]);

    const again = await host.createAccount(request);
    expect(again.reply.result).toBe("already_exists");
    expect(again.reply.already_exists.resource.id.resource).toBe(user.Arn);

    const bad = await host.createAccount({ resource_type_id: "iam_user", account_info: { login: "no spaces allowed" } });
    expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it("a password and an access key asked for come back only encrypted, and decrypt to what IAM holds", async () => {
    const identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    const created = await host.createAccount({
      resource_type_id: "iam_user",
      account_info: { login: "jit-bob", profile: { fields: { access_key: { boolValue: true } } } },
      credential_options: { random_password: { length: 24 }, force_change_at_next_login: true },
      encryption_configs: [{ provider: "baton/age/v1", age_recipient_config: { recipient } }],
    });
    expect(created.details).toBeUndefined();
    const decrypter = new Decrypter();
    decrypter.addIdentity(identity);
    const secrets = Object.fromEntries(
      await Promise.all(created.reply.encrypted_data.map(async (d: any) => [d.name, await decrypter.decrypt(new Uint8Array(d.encrypted_bytes), "text")])),
    );
    expect(secrets.password).toHaveLength(24);
    expect((await iam.send(new GetLoginProfileCommand({ UserName: "jit-bob" }))).LoginProfile?.PasswordResetRequired).toBe(true);
    const key = JSON.parse(secrets.access_key);
    expect((await iam.send(new ListAccessKeysCommand({ UserName: "jit-bob" }))).AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual([key.access_key_id]);
    expect(JSON.stringify(created.reply)).not.toContain(secrets.password);
  });

  it("deletes an IAM user with every kind of attachment and leaves nothing behind; again: ResourceDoesNotExist", async () => {
    const loaded = await userWithEverything("jit-everything");
    const serials = loaded.mfaDevices.map((d) => d.serialNumber);
    const groups = [...loaded.groups].map((g) => g);

    const deleted = await host.deleteResource({ resource_type: "iam_user", resource: loaded.arn });
    expect(deleted.details).toBeUndefined();
    expect(hasType(deleted.reply.annotations, DOES_NOT_EXIST)).toBe(false);
    await expect(iam.send(new GetUserCommand({ UserName: loaded.name }))).rejects.toMatchObject({ name: "NoSuchEntityException" });
    const devices = (await iam.send(new ListVirtualMFADevicesCommand({}))).VirtualMFADevices ?? [];
    expect(devices.filter((d) => serials.includes(d.SerialNumber!))).toEqual([]);
    for (const group of groups) expect([...group.members].some((m) => m.name === loaded.name)).toBe(false);

    const again = await host.deleteResource({ resource_type: "iam_user", resource: loaded.arn });
    expect(again.ok).toBe(true);
    expect(hasType(again.reply.annotations, DOES_NOT_EXIST)).toBe(true);
    const outcomes = audit().filter((r) => r.action === "delete-resource" && r.principal === `iam_user:${loaded.arn}`).map((r) => r.outcome);
    expect(outcomes).toEqual(["deleted", "already-deleted"]);
  });

  it("Identity Center users: create (read back), AlreadyExists, delete, ResourceDoesNotExist", async () => {
    const ssoState = tempStateDir();
    const ssoService = await startService(simConfig(sim, ssoState, { provisioning: { createAccountResourceType: "sso_user" } }));
    const ssoHost = hostClient(`127.0.0.1:${ssoService.server.address.port}`);
    const store = new IdentitystoreClient(sim.clientConfig());
    try {
      const request = {
        account_info: { login: "jit.carol@example.com", emails: [{ address: "carol@example.com", is_primary: true }], profile: { fields: { given_name: { stringValue: "Carol" }, family_name: { stringValue: "Jones" } } } },
      };
      const created = await ssoHost.createAccount(request);
      expect(created.details).toBeUndefined();
      const arn: string = created.reply.success.resource.id.resource;
      const userId = arn.slice(arn.lastIndexOf("/") + 1);
      const described = await store.send(new DescribeUserCommand({ IdentityStoreId: fx.store.id, UserId: userId }));
      expect([described.UserName, described.DisplayName, described.Emails?.[0]?.Value]).toEqual(["jit.carol@example.com", "Carol Jones", "carol@example.com"]);

      expect((await ssoHost.createAccount(request)).reply.result).toBe("already_exists");
      const missingNames = await ssoHost.createAccount({ account_info: { login: "jit.dan@example.com", emails: [{ address: "dan@example.com", is_primary: true }] } });
      expect(missingNames.code).toBe(grpc.status.INVALID_ARGUMENT);

      const deleted = await ssoHost.deleteResource({ resource_type: "sso_user", resource: arn });
      expect(hasType(deleted.reply.annotations, DOES_NOT_EXIST)).toBe(false);
      await expect(store.send(new DescribeUserCommand({ IdentityStoreId: fx.store.id, UserId: userId }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
      const again = await ssoHost.deleteResource({ resource_type: "sso_user", resource: arn });
      expect(hasType(again.reply.annotations, DOES_NOT_EXIST)).toBe(true);
    } finally {
      store.destroy();
      ssoHost.close();
      await ssoService.stop();
      rmSync(ssoState, { recursive: true, force: true });
    }
  });
});
