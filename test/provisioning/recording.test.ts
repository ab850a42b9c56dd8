import { Code, ConnectError } from "@connectrpc/connect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { annotation, findAnnotation } from "../../src/connector/annotations.js";
import type { GrantOutcome, Provisioner, RevokeOutcome } from "../../src/connector/resource-syncer.js";
import { GrantExpirySchema, GrantLifetimeSchema } from "../../src/gen/awsaccess/v1/grant_lifetime_pb.js";
import { silentLogger } from "../../src/log.js";
import { AuditLog, readAuditLog } from "../../src/provisioning/audit-log.js";
import { provisioningError } from "../../src/provisioning/errors.js";
import { GrantLedger } from "../../src/provisioning/ledger.js";
import { grantLifetimeAnnotation, parseDuration, requestedLifetime } from "../../src/provisioning/lifetime.js";
import { withRecording, type Recorder } from "../../src/provisioning/recording.js";
import { openStateDb, openStateDbReadOnly, type StateDb } from "../../src/provisioning/state-db.js";
import { accountEntitlement, grantOf, provisionContext, ssoUser } from "./fakes.js";

const HOUR = 3_600_000;
let dir: string;
let db: StateDb;
let now: number;
let recorder: Recorder;

/** A provisioner whose answers the test scripts. */
function scripted(grant: () => Promise<Partial<GrantOutcome>>, revoke: () => Promise<Partial<RevokeOutcome>> = async () => ({})): Provisioner {
  return {
    resourceTypeId: "account",
    grant: async (principal, ent) => ({ alreadyExists: false, grants: [grantOf(ent, principal, "g-1")], awsRequestIds: ["r-1"], ...(await grant()) }),
    revoke: async () => ({ alreadyRevoked: false, awsRequestIds: ["r-2"], ...(await revoke()) }),
  };
}

const timeBound = (ms: number) => provisionContext({ requestAnnotations: [grantLifetimeAnnotation(ms)] });
const ent = accountEntitlement();
const user = ssoUser("u-1");
const principal = `sso_user:${user.id!.resource}`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "prov-rec-"));
  db = openStateDb(dir);
  now = Date.UTC(2026, 0, 1);
  recorder = { audit: new AuditLog(db, () => now), ledger: new GrantLedger(db, () => now), log: silentLogger, confirmationAllowanceMs: 60_000, now: () => now };
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("lifetimes", () => {
  it("parses CLI durations", () => {
    expect(parseDuration("2h")).toBe(2 * HOUR);
    expect(parseDuration("1h30m")).toBe(1.5 * HOUR);
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("7d")).toBe(7 * 24 * HOUR);
    for (const bad of ["", "2", "h", "2x", "-1h", "0s", "400d"]) expect(() => parseDuration(bad)).toThrow(ConnectError);
  });

  it("round-trips through the GrantLifetime annotation and refuses expiries in the past", () => {
    expect(requestedLifetime([grantLifetimeAnnotation(1_500)], now)).toEqual({ durationMs: 1_500 });
    expect(requestedLifetime([], now)).toBeUndefined();
    const at = (ms: number) => [annotation(GrantLifetimeSchema, { expiresAt: timestampFromMs(ms) })];
    expect(requestedLifetime(at(now + HOUR), now)).toEqual({ expiresAt: now + HOUR });
    expect(() => requestedLifetime(at(now - 1_000), now)).toThrow(ConnectError);
    const both = [annotation(GrantLifetimeSchema, { expiresAt: timestampFromMs(now + HOUR), duration: { seconds: 60n } })];
    expect(() => requestedLifetime(both, now)).toThrow(/not both/);
  });
});

describe("audit and ledger around a provisioner", () => {
  it("records a time-bound grant with its expiry counted from the confirmation, and answers GrantExpiry", async () => {
    const p = withRecording(scripted(async () => {
      now += 5_000; // AWS took 5 s to confirm
      return {};
    }), () => recorder);
    const outcome = await p.grant(user, ent, timeBound(2 * HOUR));
    const expiry = findAnnotation(outcome.annotations, GrantExpirySchema);
    expect(Number(expiry!.expiresAt!.seconds) * 1000).toBe(Date.UTC(2026, 0, 1) + 5_000 + 2 * HOUR);
    const [entry] = recorder.ledger.pending();
    expect(entry).toMatchObject({ state: "active", grantId: "g-1", principal, entitlementId: ent.id, expiresAt: now + 2 * HOUR, requestedBy: "cli:unit" });
    const [audit] = readAuditLog(db);
    expect(audit).toMatchObject({ action: "grant", outcome: "granted", requester: "cli:unit", grantId: "g-1", awsRequestIds: ["r-1"], expiresAt: now + 2 * HOUR, lifetime: "for 2h" });
  });

  it("reserves before asking AWS: a crash mid-grant still leaves an expiry to enforce", async () => {
    let seenDuringGrant: unknown;
    const p = withRecording(scripted(async () => {
      seenDuringGrant = recorder.ledger.pending()[0];
      return {};
    }), () => recorder);
    await p.grant(user, ent, timeBound(HOUR));
    expect(seenDuringGrant).toMatchObject({ state: "granting", expiresAt: now + 60_000 + HOUR });
  });

  it("keeps the provisional expiry when the outcome is unknown, drops it when AWS refused", async () => {
    const unknown = withRecording(scripted(async () => Promise.reject(provisioningError("not confirmed", Code.DeadlineExceeded, ["op-7"]))), () => recorder);
    await expect(unknown.grant(user, ent, timeBound(HOUR))).rejects.toMatchObject({ code: Code.DeadlineExceeded });
    expect(recorder.ledger.pending()[0]).toMatchObject({ state: "granting", lastError: expect.stringContaining("DeadlineExceeded") });

    const refused = withRecording(scripted(async () => Promise.reject(new ConnectError("inactive", Code.FailedPrecondition))), () => recorder);
    await expect(refused.grant(ssoUser("u-2"), ent, timeBound(HOUR))).rejects.toThrow("inactive");
    expect(recorder.ledger.pending()).toHaveLength(1); // only the unknown one

    const audit = readAuditLog(db);
    expect(audit.map((a) => [a.outcome, a.errorCode])).toEqual([["failed", "DeadlineExceeded"], ["failed", "FailedPrecondition"]]);
    expect(audit[0]!.awsRequestIds).toEqual(["op-7"]);
  });

  it("never makes standing access expire: already-existing access without a live entry stays as it is", async () => {
    const p = withRecording(scripted(async () => ({ alreadyExists: true })), () => recorder);
    const outcome = await p.grant(user, ent, timeBound(HOUR));
    expect(findAnnotation(outcome.annotations, GrantExpirySchema)).toBeUndefined();
    expect(recorder.ledger.pending()).toHaveLength(0);
    expect(readAuditLog(db)[0]).toMatchObject({ outcome: "already-exists" });
  });

  it("extends (never shortens) a live time-bound grant asked for again", async () => {
    let exists = false;
    const p = withRecording(scripted(async () => ({ alreadyExists: exists })), () => recorder);
    await p.grant(user, ent, timeBound(2 * HOUR));
    exists = true;
    const shorter = await p.grant(user, ent, timeBound(HOUR));
    expect(Number(findAnnotation(shorter.annotations, GrantExpirySchema)!.expiresAt!.seconds) * 1000).toBe(now + 2 * HOUR);
    now += HOUR;
    const longer = await p.grant(user, ent, timeBound(3 * HOUR));
    expect(Number(findAnnotation(longer.annotations, GrantExpirySchema)!.expiresAt!.seconds) * 1000).toBe(now + 3 * HOUR);
  });

  it("marks a time-bound grant revoked when it is revoked early, and audits both outcomes", async () => {
    const p = withRecording(scripted(async () => ({}), async () => ({})), () => recorder);
    await p.grant(user, ent, timeBound(HOUR));
    await p.revoke(grantOf(ent, user, "g-1"), provisionContext({ requester: { id: "grpc:127.0.0.1:5000" } }));
    expect(recorder.ledger.pending()).toHaveLength(0);
    expect(recorder.ledger.get(ent.id, principal)).toMatchObject({ state: "revoked", revokedBy: "grpc:127.0.0.1:5000" });
    expect(readAuditLog(db).map((a) => [a.action, a.outcome, a.requester])).toEqual([
      ["grant", "granted", "cli:unit"],
      ["revoke", "revoked", "grpc:127.0.0.1:5000"],
    ]);
  });

  it("audits an invalid lifetime as a failed attempt without calling the provisioner", async () => {
    let called = false;
    const p = withRecording(scripted(async () => {
      called = true;
      return {};
    }), () => recorder);
    await expect(p.grant(user, ent, timeBound(400 * 24 * HOUR))).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect(called).toBe(false);
    expect(readAuditLog(db)[0]).toMatchObject({ outcome: "failed", errorCode: "InvalidArgument" });
  });

  it("shows an attempt cut short (no finished event) as unfinished, and refuses to rewrite history", async () => {
    recorder.audit.start({ action: "grant", requester: "cli:unit", entitlementId: ent.id, principal });
    const [record] = readAuditLog(openStateDbReadOnly(dir)!);
    expect(record!.outcome).toBeUndefined();
    expect(() => db.prepare("UPDATE audit_events SET requester = 'someone else'").run()).toThrow(/append-only/);
    expect(() => db.prepare("DELETE FROM audit_events").run()).toThrow(/append-only/);
  });
});
