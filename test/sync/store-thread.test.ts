import { create } from "@bufbuild/protobuf";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { newSyncId } from "../../src/c1z/sync-runs.js";
import { EntitlementSchema } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import { runSync } from "../../src/sync/engine.js";
import { WorkingStore } from "../../src/sync/store.js";
import { dumpC1z } from "./dump.js";
import { createFakeConnector, demoOrg, type FakeOptions } from "./fake-connector.js";

const newTarget = () => join(mkdtempSync(join(tmpdir(), "store-thread-")), "sync.c1z");

/** The rows of a sync whose store runs on its own thread (records encoded on the engine's thread) or inline. */
async function rowsOf(writerThread: boolean, fake: FakeOptions = {}) {
  const target = newTarget();
  await runSync({ target, api: createFakeConnector(demoOrg(2), fake).api, writerThread });
  return dumpC1z(target);
}

describe("the working store on its own thread", () => {
  test("writes the same rows as the store on the engine's thread", async () => {
    // Profiles with unsorted map keys, expandable grants, and grant expansion.
    expect(await rowsOf(true)).toEqual(await rowsOf(false));
    // Early expansion undone by a grant on another resource's entitlement.
    const foreignGrant = { role: "a5/read", group: "g9", user: "u3" };
    expect(await rowsOf(true, { foreignGrant })).toEqual(await rowsOf(false, { foreignGrant }));
  });

  test("a record that cannot be encoded poisons the store, as a failure on its thread does", async () => {
    const store = await WorkingStore.start({ thread: true });
    try {
      const syncId = newSyncId();
      await store.call("open", newTarget(), { run: { syncId, startedAtMs: Date.now(), syncToken: "{}" } });
      store.send("useSync", syncId);
      store.send("begin");
      store.send("putEntitlements", [create(EntitlementSchema, { id: "no resource" })]);
      expect(store.failure).toBeInstanceOf(Error);
      await expect(store.call("resourceTypes")).rejects.toBe(store.failure);
      await store.call("rollback");
      await store.call("close");
    } finally {
      await store.shutdown();
    }
  });
});
