/**
 * The event feed over gRPC (@grpc/grpc-js → `connector serve` in-process → CloudTrail in the
 * simulator): the feeds baton hosts list, ResourceChangeEvents for writes and UsageEvents for
 * sign-ins, in time order, paged with a signed cursor that resumes where it stopped and only
 * reports what is older than the delivery horizon.
 */
import { status } from "@grpc/grpc-js";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAST_LOGIN_FEED, RESOURCE_CHANGES_FEED } from "../../src/changes/event-feed.js";
import { createConnector, type Connector } from "../../src/connector/build.js";
import { startConnectorServer, type RunningServer } from "../../src/connector/server.js";
import { silentLogger } from "../../src/log.js";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { GrpcHost } from "../connector/support/grpc-client.js";
import { simConfig, tempStateDir } from "../provisioning/sim-rig.js";

const DELIVERY_DELAY_MS = 1500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let sim: Simulator;
let connector: Connector;
let server: RunningServer;
let host: GrpcHost;
let stateDir: string;

beforeAll(async () => {
  sim = await startSimulator({ profile: "demo", seed: 4 });
  stateDir = tempStateDir();
  // Events are reported once CloudTrail may have delivered them: here 1.5 s after they happened.
  connector = createConnector(simConfig(sim, stateDir, { changes: { deliveryDelayMs: DELIVERY_DELAY_MS } }), { log: silentLogger });
  server = await startConnectorServer(connector.services, { listen: "127.0.0.1:0", log: silentLogger });
  host = new GrpcHost(`127.0.0.1:${server.address.port}`);
});
afterAll(async () => {
  await server.close(1_000);
  await connector.close();
  await sim.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function allEvents(feed: string, cursor = "", startAt?: number, pageSize = 2) {
  const events: any[] = [];
  let pages = 0;
  for (;;) {
    const res = await host.call("events", "ListEvents", { event_feed_id: feed, cursor, page_size: pageSize, ...(startAt ? { start_at: { seconds: String(Math.floor(startAt / 1000)), nanos: 0 } } : {}) });
    pages++;
    events.push(...res.events);
    cursor = res.cursor;
    if (!res.has_more) return { events, cursor, pages };
  }
}

describe("event feed", () => {
  it("lists two feeds and advertises EVENT_FEED_V2 and TARGETED_SYNC", async () => {
    const feeds = await host.call("events", "ListEventFeeds", {});
    expect(feeds.list.map((f: any) => [f.id, f.supported_event_types])).toEqual([
      [RESOURCE_CHANGES_FEED, ["EVENT_TYPE_RESOURCE_CHANGE"]],
      [LAST_LOGIN_FEED, ["EVENT_TYPE_USAGE"]],
    ]);
    const metadata = await host.call("connector", "GetMetadata", {});
    expect(metadata.metadata.capabilities.connector_capabilities).toEqual(expect.arrayContaining(["CAPABILITY_EVENT_FEED_V2", "CAPABILITY_TARGETED_SYNC"]));
  });

  it("reports the resources writes changed and sign-ins, in order, paged, resuming from its cursor", async () => {
    const started = Date.now();
    const store = sim.model.identityStore!;
    const [group] = [...store.groups];
    const [user] = [...store.users];
    const management = sim.model.organization!.managementAccountId;
    const iamUser = [...sim.model.accounts.get(management)!.iam.users].find((u) => !u.name.startsWith("sim-"))!;
    const outcomes = sim.applyChanges({
      changes: [
        { service: "identitystore", operation: "UpdateGroup", params: { IdentityStoreId: store.id, GroupId: group!.id, Operations: [{ AttributePath: "description", AttributeValue: "changed" }] } },
        { service: "iam", operation: "TagUser", params: { UserName: iamUser.name, Tags: [{ Key: "team", Value: "x" }] } },
        { signIn: { kind: "portal", userId: user!.id } },
        { signIn: { kind: "console", accountId: management, userName: iamUser.name } },
      ],
    });
    expect(outcomes.every((o) => o.ok)).toBe(true);

    // Not yet past the delivery horizon: nothing to report, and the cursor stays put.
    const early = await allEvents(RESOURCE_CHANGES_FEED, "", started - 1000);
    expect(early.events).toEqual([]);

    await sleep(DELIVERY_DELAY_MS + 100);
    const changes = await allEvents(RESOURCE_CHANGES_FEED, "", started - 1000, 1);
    expect(changes.pages).toBe(2);
    expect(changes.events.map((e: any) => ({ resource_type: e.resource_change_event.resource_id.resource_type, resource: e.resource_change_event.resource_id.resource }))).toEqual([
      { resource_type: "sso_group", resource: `arn:aws:identitystore:${sim.region}::${store.id}/group/${group!.id}` },
      { resource_type: "iam_user", resource: iamUser.arn },
    ]);
    const usage = await allEvents(LAST_LOGIN_FEED, "", started - 1000);
    expect(usage.events.map((e: any) => [e.usage_event.actor_resource.id.resource_type, e.usage_event.target_resource.id.resource])).toEqual([
      ["sso_user", management],
      ["iam_user", management],
    ]);

    // Resuming from the cursor returns only what happened since.
    expect((await allEvents(RESOURCE_CHANGES_FEED, changes.cursor)).events).toEqual([]);
    sim.applyChanges({ changes: [{ service: "identitystore", operation: "CreateGroup", params: { IdentityStoreId: store.id, DisplayName: "Later" } }] });
    await sleep(DELIVERY_DELAY_MS + 100);
    const later = await allEvents(RESOURCE_CHANGES_FEED, changes.cursor);
    expect(later.events.map((e: any) => e.resource_change_event.resource_id.resource_type)).toEqual(["sso_group"]);
  });

  it("refuses a tampered cursor, an unknown feed and an oversized page", async () => {
    const { cursor } = await allEvents(RESOURCE_CHANGES_FEED);
    const code = async (request: object) => (await host.code("events", "ListEvents", request)).code;
    expect(await code({ event_feed_id: RESOURCE_CHANGES_FEED, cursor: `${cursor}x` })).toBe(status.INVALID_ARGUMENT);
    // A cursor of one feed is not valid for the other.
    expect(await code({ event_feed_id: LAST_LOGIN_FEED, cursor })).toBe(status.INVALID_ARGUMENT);
    expect(await code({ event_feed_id: "baton_feed_event" })).toBe(status.NOT_FOUND);
    expect(await code({ event_feed_id: RESOURCE_CHANGES_FEED, page_size: 1001 })).toBe(status.INVALID_ARGUMENT);
  });
});
