/**
 * A baton host's change-driven loop, with baton-sdk's own code (test/interop/harness, v0.25.0)
 * against `connector serve`: AWS changes (through the SDK, into the simulator), the host reads our
 * event feed (ListEventFeeds, ListEvents from a start time, as baton's local event-feed task), and
 * runs baton-sdk's targeted sync of the resources the events name into a file our full sync wrote.
 * The file's newest sync is then baton's partial sync, and it holds the changes.
 */
import { AddUserToGroupCommand, IAMClient } from "@aws-sdk/client-iam";
import { IdentitystoreClient, UpdateUserCommand } from "@aws-sdk/client-identitystore";
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RESOURCE_CHANGES_FEED, LAST_LOGIN_FEED } from "../../src/changes/event-feed.js";
import { C1zReader } from "../../src/c1z/reader.js";
import { createConnector, type Connector } from "../../src/connector/build.js";
import { startConnectorServer, type RunningServer } from "../../src/connector/server.js";
import { silentLogger } from "../../src/log.js";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { runSync } from "../../src/sync/engine.js";
import { simConfig } from "../provisioning/sim-rig.js";
import { buildHarness, isUnavailable, skipOrFail, type Unavailable } from "./go-tools.js";

const run = promisify(execFile);
const DELIVERY_DELAY_MS = 1000;

let harness: string | Unavailable;
let sim: Simulator;
let connector: Connector;
let server: RunningServer;
let dir: string;
/** What the host saw and wrote. */
let feeds: string[];
let changed: Array<{ resourceType: string; resource: string }>;
let file: string;
let change: { userArn: string; userName: string; groupArn: string; iamUserArn: string };

beforeAll(async () => {
  harness = buildHarness();
  if (isUnavailable(harness)) return;
  dir = mkdtempSync(join(tmpdir(), "interop-events-"));
  sim = await startSimulator({ profile: "demo", seed: 21 });
  connector = createConnector(simConfig(sim, join(dir, "state"), { changes: { deliveryDelayMs: DELIVERY_DELAY_MS }, provisioning: { enabled: false } }), { log: silentLogger });
  server = await startConnectorServer(connector.services, { listen: "127.0.0.1:0", log: silentLogger });
  const address = `127.0.0.1:${server.address.port}`;

  // The file a host keeps: a full sync by our engine.
  const base = join(dir, "base.c1z");
  await runSync({ target: base, api: connector.api });

  // AWS changes, made as an administrator makes them.
  const started = new Date(Date.now() - 1000);
  const store = sim.model.identityStore!;
  const user = [...store.users][0]!;
  const management = sim.model.accounts.get(sim.model.organization!.managementAccountId)!;
  const group = [...management.iam.groups][0]!;
  const iamUser = [...management.iam.users].find((u) => !u.name.startsWith("sim-") && !u.groups.get(group.name))!;
  const identityStore = new IdentitystoreClient(sim.clientConfig());
  const iam = new IAMClient(sim.clientConfig());
  const userName = `renamed-${Date.now()}@example.com`;
  await identityStore.send(new UpdateUserCommand({ IdentityStoreId: store.id, UserId: user.id, Operations: [{ AttributePath: "userName", AttributeValue: userName }] }));
  await iam.send(new AddUserToGroupCommand({ GroupName: group.name, UserName: iamUser.name }));
  identityStore.destroy();
  iam.destroy();
  change = { userArn: `arn:aws:identitystore:${sim.region}::${store.id}/user/${user.id}`, userName, groupArn: group.arn, iamUserArn: iamUser.arn };

  // Once CloudTrail has delivered them, the host reads the feed…
  await new Promise((resolve) => setTimeout(resolve, DELIVERY_DELAY_MS + 200));
  const { stdout } = await run(harness, ["-address", address, "-events", RESOURCE_CHANGES_FEED, "-start-at", started.toISOString()]);
  const lines = stdout.trim().split("\n").map((line) => JSON.parse(line));
  const last = lines.pop() as { feeds: string[]; cursor: string };
  feeds = last.feeds;
  changed = lines.map((event) => event.resourceChangeEvent?.resourceId).filter(Boolean);

  // …and syncs just what it names, with baton-sdk's syncer, into a copy of its file.
  file = join(dir, "targeted.c1z");
  copyFileSync(base, file);
  const targets = [...new Set(changed.map((id) => `${id.resourceType}:${id.resource}`))];
  await run(harness, ["-address", address, "-out", file, "-tmp", dir, "-sync-resources", targets.join(",")], { maxBuffer: 1 << 26 });
}, 900_000);

afterAll(async () => {
  await server?.close(0);
  await connector?.close();
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("baton-sdk reads the event feed and runs a targeted sync against connector serve", () => {
  test("the host lists both feeds, and the feed names each changed resource", (ctx) => {
    if (isUnavailable(harness)) return skipOrFail(ctx.skip, harness);
    expect(feeds).toEqual([RESOURCE_CHANGES_FEED, LAST_LOGIN_FEED]);
    expect(changed).toEqual(
      expect.arrayContaining([
        { resourceType: "sso_user", resource: change.userArn },
        { resourceType: "group", resource: change.groupArn },
      ]),
    );
  });

  test("baton-sdk's targeted sync is the file's newest sync, partial, and holds the changes", async (ctx) => {
    if (isUnavailable(harness)) return skipOrFail(ctx.skip, harness);
    const reader = await C1zReader.open(file);
    try {
      const syncs = reader.syncs();
      const newest = syncs.at(-1)!;
      expect(syncs.length).toBe(2);
      expect(newest.syncType).toBe("partial");
      expect(newest.endedAt).toBeDefined();
      expect(reader.resource(newest.syncId, "sso_user", change.userArn)?.displayName).toBe(change.userName);
      const members = [...reader.grants(newest.syncId)].filter((g) => g.entitlement?.id === `group:${change.groupArn}:member`).map((g) => g.principal?.id?.resource);
      expect(members).toContain(change.iamUserArn);
      // The full sync before it still says what AWS said then.
      expect(reader.resource(syncs[0]!.syncId, "sso_user", change.userArn)?.displayName).not.toBe(change.userName);
    } finally {
      reader.close();
    }
  });
});
