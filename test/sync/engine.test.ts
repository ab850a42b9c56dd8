import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { C1zFormatError } from "../../src/c1z/container.js";
import { C1zReader } from "../../src/c1z/reader.js";
import { RateLimitDescriptionSchema } from "../../src/gen/c1/connector/v2/annotation_ratelimit_pb.js";
import { SyncError } from "../../src/sync/context.js";
import { runSync, type SyncOptions } from "../../src/sync/engine.js";
import { retryDelay } from "../../src/sync/retry.js";
import { lockPath, lockTarget, releaseLock, workingPath } from "../../src/sync/working-db.js";
import { dumpC1z } from "./dump.js";
import { createFakeConnector, demoOrg, expectedIds, type FakeOptions, type FakeOrg } from "./fake-connector.js";

const fastRetry = { baseDelayMs: 1, maxDelayMs: 20, maxRetries: 5 };
const newTarget = () => join(mkdtempSync(join(tmpdir(), "engine-")), "sync.c1z");

async function sync(org: FakeOrg, fake: FakeOptions = {}, options: Partial<SyncOptions> = {}) {
  const target = options.target ?? newTarget();
  const { api, calls } = createFakeConnector(org, fake);
  const result = await runSync({ target, api, retry: fastRetry, ...options });
  return { target, result, calls };
}

async function idsOf(target: string) {
  const reader = await C1zReader.open(target);
  try {
    const { syncId } = reader.resolveSync();
    return {
      resources: reader.resources(syncId).map((r) => `${r.id!.resourceType}:${r.id!.resource}`).sort(),
      entitlements: reader.entitlements(syncId).map((e) => e.id).sort(),
      grants: [...reader.grants(syncId)].map((g) => g.id).sort(),
    };
  } finally {
    reader.close();
  }
}

describe("sync engine", () => {
  test("syncs every resource, entitlement and grant, expanded, and nothing more", async () => {
    const org = demoOrg();
    const { target, result, calls } = await sync(org);
    expect(await idsOf(target)).toEqual(expectedIds(org));
    expect(result.stats.resources).toBe(expectedIds(org).resources.length);
    expect(result.expandedGrants).toBeGreaterThan(0);
    expect(existsSync(workingPath(target))).toBe(false);
    expect(result.syncId).toMatch(/^[0-9A-Za-z]{27}$/); // a KSUID, as baton's
    // Child resources: every type at top level, then the child type once per parent.
    expect(calls.get("resources:role:")).toBe(1);
    for (const a of org.accounts) expect(calls.get(`resources:role:${a.id}`)).toBe(1);
  });

  test("the rows do not depend on concurrency or on timing", async () => {
    const org = demoOrg(2);
    const one = await sync(org, { maxLatencyMs: 4, seed: 1 }, { workers: 1 });
    const many = await sync(org, { maxLatencyMs: 4, seed: 99, pageSize: 2 }, { workers: 8 });
    const manyAgain = await sync(org, { maxLatencyMs: 4, seed: 5, pageSize: 2 }, { workers: 8 });
    expect(await dumpC1z(many.target)).toEqual(await dumpC1z(manyAgain.target));
    // Page size changes nothing either (same rows, same order): compare to workers=1, page size 3.
    expect(await dumpC1z(one.target)).toEqual(await dumpC1z(many.target));
  });

  test("Unavailable is retried (rate-limit waits honoured), then the sync completes", async () => {
    const org = demoOrg();
    const { target, result } = await sync(org, { unavailable: { "grants:group:g1": 2, "resources:user": 1 } });
    expect(result.retries).toBe(3);
    expect(await idsOf(target)).toEqual(expectedIds(org));
  });

  test("NotFound on a listing is a warning: the listing is skipped, the sync completes", async () => {
    const org = demoOrg();
    const { target, result } = await sync(org, { notFound: new Set(["grants:group:g2"]) });
    expect(result.warningCount).toBe(1);
    expect(result.warnings[0]).toMatch(/ListGrants for group:g2 skipped: NotFound/);
    const ids = await idsOf(target);
    expect(ids.grants.some((g) => g.startsWith("group:g2:member:"))).toBe(false);
    expect(ids.resources).toEqual(expectedIds(org).resources);
  });

  test("too many warnings (more than 10 and 10 % of listings) abort the sync", async () => {
    const org = demoOrg(3);
    const notFound = new Set(org.groups.map((g) => `entitlements:group:${g.id}`));
    await expect(sync(org, { notFound })).rejects.toThrow(/too many warnings/);
  });

  test("a resource missing the trait its type declares fails the sync", async () => {
    await expect(sync(demoOrg(), { dropUserTrait: "u3" })).rejects.toThrow(SyncError);
  });

  test("keeps the two newest full syncs; the previous file stays until the new one is complete", async () => {
    const org = demoOrg();
    const target = newTarget();
    const first = await sync(org, {}, { target });
    const second = await sync(org, {}, { target });
    const rowsOfSecond = await syncRows(target, second.result.syncId);
    const third = await sync(org, {}, { target });
    const reader = await C1zReader.open(target);
    try {
      expect(reader.syncs().map((s) => s.syncId)).toEqual([second.result.syncId, third.result.syncId]);
      expect(reader.resolveSync().syncId).toBe(third.result.syncId);
      // A sync that deletes an older one as it starts defers the grant indexes (schema.ts):
      // expansion built its own, sealing the rest, and each covers both kept syncs' rows.
      const indexes = reader.database.prepare(`select name from sqlite_master where type = 'index' and tbl_name = 'v1_grants' and sql is not null`).pluck().all();
      expect(indexes).toHaveLength(7);
      expect(reader.database.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      reader.close();
    }
    expect(first.result.syncId).not.toBe(second.result.syncId);
    expect(third.result.expandedGrants).toBe(second.result.expandedGrants);
    expect(await idsOf(target)).toEqual(expectedIds(org));
    // The third sync dropped the first as it started: the kept sync's rows are untouched.
    expect(await syncRows(target, second.result.syncId)).toEqual(rowsOfSecond);
    expect(await syncRows(target, first.result.syncId)).toEqual({ v1_resource_types: [], v1_resources: [], v1_entitlements: [], v1_grants: [] });
  });

  test("a damaged .c1z is never synced over; a damaged working database is named", async () => {
    const org = demoOrg();
    const target = newTarget();
    await sync(org, {}, { target });
    const good = readFileSync(target);
    writeFileSync(target, good.subarray(0, good.length - 100));
    const error = (await sync(org, {}, { target }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(C1zFormatError);
    expect(error.message).toMatch(/truncated.*refusing to sync over it/);
    expect(readFileSync(target).length).toBe(good.length - 100);

    writeFileSync(target, good);
    writeFileSync(workingPath(target), Buffer.from("this is not a database at all, just some text ".repeat(100)));
    const working = (await sync(org, {}, { target }).catch((e: unknown) => e)) as Error;
    expect(working).toBeInstanceOf(C1zFormatError);
    expect(working.message).toMatch(/working\.db.*delete .* to discard the interrupted sync/);
    expect(working.message).not.toContain("\n");
  });

  test("a second sync of the same file while one runs is refused", async () => {
    const org = demoOrg();
    const target = newTarget();
    // The first sync holds the working database from the moment it starts listing.
    let listing!: () => void;
    const started = new Promise<void>((resolve) => (listing = resolve));
    const slow = sync(org, { maxLatencyMs: 300 }, { target, observer: { phase: () => listing() } });
    await started;
    await expect(sync(org, {}, { target })).rejects.toThrow(/another connector sync is already writing/);
    await slow;
  });

  test("the file's lock is taken before its working database is made, and goes with the published file", async () => {
    const org = demoOrg();
    const target = newTarget();
    await sync(org, {}, { target });
    const published = readFileSync(target);
    expect(existsSync(lockPath(target))).toBe(false);
    // Another sync holds the lock while it is still making its working database (none exists yet).
    const lock = lockTarget(target);
    try {
      const refused = sync(org, {}, { target, writerThread: false });
      await expect(refused).rejects.toThrow(/another connector sync is already writing/);
      await expect(sync(org, {}, { target })).rejects.toThrow(/another connector sync is already writing/);
      expect(existsSync(workingPath(target))).toBe(false);
      expect(existsSync(`${workingPath(target)}.init`)).toBe(false);
      expect(readFileSync(target).equals(published)).toBe(true);
    } finally {
      releaseLock(lock, target);
    }
    // Listings start while the working database is made from the file (a new run): same result.
    const { result } = await sync(org, {}, { target });
    expect(result.resumed).toBe(false);
    const reader = await C1zReader.open(target);
    try {
      expect(reader.syncs().filter((s) => s.endedAt).map((s) => s.syncId)).toContain(result.syncId);
      expect(reader.syncs().filter((s) => s.endedAt).length).toBe(2);
    } finally {
      reader.close();
    }
    expect(existsSync(lockPath(target))).toBe(false);
    // A lock file that is no database is named, with what to do; nothing else is touched.
    writeFileSync(lockPath(target), "not a database ".repeat(100));
    const damaged = (await sync(org, {}, { target }).catch((e: unknown) => e)) as Error;
    expect(damaged).toBeInstanceOf(C1zFormatError);
    expect(damaged.message).toMatch(/working\.db\.lock is corrupted: .* — delete .*working\.db\.lock \(no sync of .*sync\.c1z is running\)$/);
    expect(existsSync(workingPath(target))).toBe(false);
    rmSync(lockPath(target));
    // A directory that is not there is said as such, not as a damaged lock.
    const nowhere = join(target, "..", "missing", "sync.c1z");
    await expect(sync(org, {}, { target: nowhere })).rejects.toThrow(/^cannot create .*missing\/sync\.c1z\.working\.db\.lock, the lock a sync of .*: .*directory does not exist/);
  });
});

/** Every row of every record table of one sync of the file, in row-id order. */
async function syncRows(path: string, syncId: string): Promise<Record<string, unknown[]>> {
  const reader = await C1zReader.open(path);
  try {
    const tables = ["v1_resource_types", "v1_resources", "v1_entitlements", "v1_grants"];
    return Object.fromEntries(tables.map((t) => [t, reader.database.prepare(`select * from ${t} where sync_id = ? order by id`).all(syncId)]));
  } finally {
    reader.close();
  }
}

describe("retry delays (baton's rules)", () => {
  const policy = { baseDelayMs: 1000, maxDelayMs: 60_000, maxRetries: 10 };
  const err = (remaining: bigint, resetInMs: number) =>
    new ConnectError("slow down", Code.Unavailable, undefined, [
      { desc: RateLimitDescriptionSchema, value: create(RateLimitDescriptionSchema, { remaining, resetAt: timestampFromMs(1_000_000 + resetInMs) }) },
    ]);

  test("linear backoff without a rate-limit description", () => {
    expect(retryDelay(new ConnectError("x", Code.Unavailable), 3, policy, 1_000_000)).toEqual({ waitMs: 3000, rateLimited: false });
  });
  test("nothing remaining: wait until reset_at", () => {
    expect(retryDelay(err(0n, 7_500), 1, policy, 1_000_000)).toEqual({ waitMs: 7_500, rateLimited: true });
  });
  test("some remaining: reset window spread over them, whole seconds", () => {
    expect(retryDelay(err(4n, 10_000), 1, policy, 1_000_000)).toEqual({ waitMs: 3_000, rateLimited: true });
  });
  test("capped at the maximum delay", () => {
    expect(retryDelay(err(0n, 3_600_000), 1, policy, 1_000_000).waitMs).toBe(60_000);
  });
});
