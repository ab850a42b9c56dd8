import { Code, ConnectError } from "@connectrpc/connect";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Grant } from "../../src/gen/c1/connector/v2/grant_pb.js";
import type { Provisioner } from "../../src/connector/resource-syncer.js";
import { silentLogger } from "../../src/log.js";
import { AuditLog, readAuditLog } from "../../src/provisioning/audit-log.js";
import { startExpiryScheduler } from "../../src/provisioning/expiry-scheduler.js";
import { newLeaseHolder } from "../../src/provisioning/lease-holder.js";
import { DEFAULT_LEASE_MS, GrantLedger } from "../../src/provisioning/ledger.js";
import { withRecording } from "../../src/provisioning/recording.js";
import { openStateDb, type StateDb } from "../../src/provisioning/state-db.js";
import { grantLifetimeAnnotation } from "../../src/provisioning/lifetime.js";
import { accountEntitlement, grantOf, provisionContext, ssoUser } from "./fakes.js";

let dir: string;
let db: StateDb;
let revoked: Grant[];
let failNext: number;
let refuseNext: number;
let hang: boolean;
let hanging: number;

function setup(on: StateDb = db) {
  const ledger = new GrantLedger(on);
  const audit = new AuditLog(on);
  const inner: Provisioner = {
    resourceTypeId: "account",
    grant: async (principal, ent) => ({ alreadyExists: false, grants: [grantOf(ent, principal, `g-${principal.id!.resource}`)], awsRequestIds: [] }),
    revoke: async (grant, ctx) => {
      if (hang) {
        hanging++;
        await new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")), { once: true }));
      }
      if (refuseNext > 0) {
        refuseNext--;
        throw new ConnectError("AWS denied sso:DeleteAccountAssignment (AccessDeniedException)", Code.PermissionDenied);
      }
      if (failNext > 0) {
        failNext--;
        throw new ConnectError("AWS call failed: (ThrottlingException)", Code.Unavailable);
      }
      revoked.push(grant);
      return { alreadyRevoked: false, awsRequestIds: ["del-1"] };
    },
  };
  const provisioner = withRecording(inner, () => ({ audit, ledger, log: silentLogger, confirmationAllowanceMs: 0, now: Date.now }));
  return { ledger, provisioner };
}

const grantFor = (p: Provisioner, user: string, ms: number) =>
  p.grant(ssoUser(user), accountEntitlement(), provisionContext({ requestAnnotations: [grantLifetimeAnnotation(ms)] }));

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
  dir = mkdtempSync(join(tmpdir(), "prov-sched-"));
  db = openStateDb(dir);
  revoked = [];
  failNext = 0;
  refuseNext = 0;
  hang = false;
  hanging = 0;
});
afterEach(() => {
  vi.useRealTimers();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("expiry scheduler", () => {
  it("revokes what is overdue at start, then each grant when it expires, audited as the scheduler", async () => {
    const { ledger, provisioner } = setup();
    await grantFor(provisioner, "u-overdue", 1_000);
    await grantFor(provisioner, "u-later", 60_000);
    vi.setSystemTime(Date.now() + 5_000); // the service was down past the first expiry
    const stop = startExpiryScheduler({ ledger, provisioners: [provisioner], log: silentLogger });
    await vi.advanceTimersByTimeAsync(0);
    expect(revoked.map((g) => g.principal!.id!.resource)).toEqual([ssoUser("u-overdue").id!.resource]);
    await vi.advanceTimersByTimeAsync(54_000);
    expect(revoked).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(revoked).toHaveLength(2);
    expect(ledger.pending()).toHaveLength(0);
    await stop();
    const revokes = readAuditLog(db).filter((a) => a.action === "revoke");
    expect(revokes.map((a) => [a.requester, a.outcome])).toEqual([["scheduler", "revoked"], ["scheduler", "revoked"]]);
  });

  it("keeps a failed revoke visible and retries it with backoff", async () => {
    const { ledger, provisioner } = setup();
    await grantFor(provisioner, "u-1", 1_000);
    failNext = 2;
    const stop = startExpiryScheduler({ ledger, provisioners: [provisioner], log: silentLogger });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ledger.pending()[0]).toMatchObject({ revokeAttempts: 1, lastError: expect.stringContaining("Unavailable") });
    await vi.advanceTimersByTimeAsync(30_000); // first retry after 30 s: fails again
    expect(ledger.pending()[0]).toMatchObject({ revokeAttempts: 2 });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(revoked).toHaveLength(0); // second retry waits 60 s
    await vi.advanceTimersByTimeAsync(2_000);
    expect(revoked).toHaveLength(1);
    expect(ledger.pending()).toHaveLength(0);
    await stop();
    expect(readAuditLog(db).filter((a) => a.action === "revoke").map((a) => a.outcome)).toEqual(["failed", "failed", "revoked"]);
  });

  it("picks up grants recorded by another process on its next rescan", async () => {
    const { ledger, provisioner } = setup();
    const stop = startExpiryScheduler({ ledger, provisioners: [provisioner], log: silentLogger, rescanMs: 10_000 });
    await vi.advanceTimersByTimeAsync(100); // first pass done: nothing due, next look in 10 s
    // Another process (e.g. `connector grant --duration`) writes to the same file, bypassing our listeners.
    const other = openStateDb(dir);
    await grantFor(setup(other).provisioner, "u-elsewhere", 2_000);
    await vi.advanceTimersByTimeAsync(8_900);
    expect(revoked).toHaveLength(0); // not yet rescanned
    await vi.advanceTimersByTimeAsync(1_500);
    expect(revoked).toHaveLength(1);
    await stop();
    other.close();
  });

  it("does not revoke while another live holder's lease runs; takes over when it lapses", async () => {
    const { ledger, provisioner } = setup();
    await grantFor(provisioner, "u-1", 1_000);
    vi.setSystemTime(Date.now() + 2_000);
    // A scheduler on another machine sharing the state directory (it cannot be checked, only trusted) died.
    const elsewhere = JSON.stringify({ host: "another-host", boot: "b", pidns: "n", pid: 4242, instance: "i" });
    db.prepare(`UPDATE jit_grants SET lease_owner = ?, lease_until = ?`).run(elsewhere, Date.now() + DEFAULT_LEASE_MS);
    const stop = startExpiryScheduler({ ledger, provisioners: [provisioner], log: silentLogger });
    await vi.advanceTimersByTimeAsync(DEFAULT_LEASE_MS - 1_000);
    expect(revoked).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(revoked).toHaveLength(1);
    await stop();
  });

  it.each([
    ["a dead process on this machine", () => ({ pid: spawnSync(process.execPath, ["-e", ""]).pid!, instance: "killed" })],
    ["an earlier incarnation of this pid (a restarted container's PID 1)", () => ({ pid: process.pid, instance: "before-restart" })],
  ])("takes over at once from a lease whose holder is gone: %s", async (_, gone) => {
    const { ledger, provisioner } = setup();
    await grantFor(provisioner, "u-1", 1_000);
    vi.setSystemTime(Date.now() + 2_000);
    const dead = new GrantLedger(db, Date.now, { holder: { ...newLeaseHolder(), ...gone() } });
    expect(dead.claimDue()).toHaveLength(1); // then it was killed: no renewal, no release
    const stop = startExpiryScheduler({ ledger, provisioners: [provisioner], log: silentLogger });
    await vi.advanceTimersByTimeAsync(0);
    expect(revoked).toHaveLength(1);
    expect(ledger.pending()).toHaveLength(0);
    await stop();
  });

  it("a live holder renews its lease while it works, and releases it when it closes", async () => {
    const { ledger, provisioner } = setup();
    await grantFor(provisioner, "u-1", 1_000);
    vi.setSystemTime(Date.now() + 2_000);
    const busy = new GrantLedger(db, Date.now, { leaseMs: 3_000 });
    expect(busy.claimDue()).toHaveLength(1);
    const stop = startExpiryScheduler({ ledger, provisioners: [provisioner], log: silentLogger });
    await vi.advanceTimersByTimeAsync(20_000); // many lease lengths: renewed all along
    expect(revoked).toHaveLength(0);
    busy.close();
    await vi.advanceTimersByTimeAsync(3_100);
    expect(revoked).toHaveLength(1);
    await stop();
  });

  it("finishes at once a revoke that was asked for and cut short, before the grant expires", async () => {
    const { ledger, provisioner } = setup();
    await grantFor(provisioner, "u-1", 3_600_000);
    // `connector revoke` in another process recorded its revoke, asked AWS, and was killed.
    const cli = new GrantLedger(db, Date.now, { holder: { ...newLeaseHolder(), pid: spawnSync(process.execPath, ["-e", ""]).pid!, instance: "cli" } });
    const entry = ledger.pending()[0]!;
    expect(cli.beginRevoke(entry.entitlementId, entry.principal)).toBe(entry.generation);
    expect(ledger.pending()[0]!.revokeRequestedAt).toBe(Date.now());
    const stop = startExpiryScheduler({ ledger, provisioners: [provisioner], log: silentLogger });
    await vi.advanceTimersByTimeAsync(0);
    expect(revoked).toHaveLength(1);
    expect(ledger.get(entry.entitlementId, entry.principal)).toMatchObject({ state: "revoked", revokedBy: "scheduler" });
    await stop();
  });

  it("a revoke AWS refused is not retried before the grant expires", async () => {
    const { ledger, provisioner } = setup();
    await grantFor(provisioner, "u-1", 3_600_000);
    refuseNext = 1;
    const entry = ledger.pending()[0]!;
    await expect(provisioner.revoke(entry.grant, provisionContext())).rejects.toThrow(/denied/);
    expect(ledger.pending()[0]!.revokeRequestedAt).toBeUndefined();
    const stop = startExpiryScheduler({ ledger, provisioners: [provisioner], log: silentLogger });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(revoked).toHaveLength(0);
    await stop();
  });

  it("a revoke cut short by shutdown is due again at once, with no failed attempt counted", async () => {
    const { ledger, provisioner } = setup();
    await grantFor(provisioner, "u-1", 1_000);
    hang = true;
    const first = startExpiryScheduler({ ledger, provisioners: [provisioner], log: silentLogger });
    await vi.advanceTimersByTimeAsync(1_100);
    expect(hanging).toBe(1);
    await first();
    expect(ledger.pending()[0]).toMatchObject({ revokeAttempts: 0, revokeRequestedAt: expect.any(Number) });
    expect(ledger.pending()[0]!.nextAttemptAt).toBeUndefined();
    hang = false;
    const second = startExpiryScheduler({ ledger, provisioners: [provisioner], log: silentLogger });
    await vi.advanceTimersByTimeAsync(0);
    expect(revoked).toHaveLength(1);
    await second();
  });
});
