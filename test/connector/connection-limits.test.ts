/**
 * What one peer can hold on the server, which anyone who can connect reaches through the open
 * health service: Watch streams (per connection and in total), connections, streams per
 * connection, idle connections, dead peers, and how much of its input an answer repeats.
 */
import { connect, type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import { createServer as createTcpServer, connect as tcpConnect, type Server as TcpServer, type Socket } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_CONNECTION_LIMITS } from "../../src/connector/connection-limits.js";
import { MAX_STATUS_MESSAGE_BYTES } from "../../src/connector/node-adapter.js";
import { grpc, GrpcHost } from "./support/grpc-client.js";
import { envelope } from "./support/raw-http2.js";
import { serve } from "./support/server.js";
import { fakeServices } from "./support/services.js";
import { until } from "../support/until.js";

type Server = Awaited<ReturnType<typeof serve>>;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(options: Parameters<typeof serve>[1] = {}, services = fakeServices()): Promise<Server> {
  const server = await serve(services, options);
  cleanups.push(() => server.close(200));
  return server;
}

function session(target: string): ClientHttp2Session {
  const s = connect(`http://${target}`);
  s.on("error", () => undefined);
  cleanups.push(() => s.destroy());
  return s;
}

/** HealthCheckRequest{service: ""} is the empty message. */
const WATCH_ALL = envelope(0);

interface WatchOutcome {
  /** Resolves with "serving" on the first message, or the grpc-status the stream ended with. */
  first: Promise<"serving" | number>;
  stream: ClientHttp2Stream;
}

function watch(s: ClientHttp2Session): WatchOutcome {
  const stream = s.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Watch", "content-type": "application/grpc", te: "trailers" });
  const first = new Promise<"serving" | number>((resolve) => {
    stream.on("response", (h) => h["grpc-status"] !== undefined && resolve(Number(h["grpc-status"])));
    stream.on("data", () => resolve("serving"));
    stream.on("trailers", (t) => resolve(Number(t["grpc-status"])));
    stream.on("close", () => resolve(-1));
    stream.on("error", () => undefined);
  });
  stream.end(WATCH_ALL);
  return { first, stream };
}

describe("health Watch streams", () => {
  it("are capped per connection and in total (ResourceExhausted beyond), and released when they end", async () => {
    const server = await started();
    const { maxWatches, maxWatchesPerConnection } = DEFAULT_CONNECTION_LIMITS;
    const connections = Array.from({ length: 20 }, () => session(server.target));
    const perConnection = connections.map((s) => Array.from({ length: 5 }, () => watch(s)));
    const outcomes = await Promise.all(perConnection.map((watches) => Promise.all(watches.map((w) => w.first))));

    const accepted = outcomes.map((o) => o.filter((x) => x === "serving").length);
    expect(accepted.every((n) => n <= maxWatchesPerConnection)).toBe(true);
    expect(accepted.reduce((a, b) => a + b, 0)).toBe(maxWatches);
    expect(outcomes.flat().filter((x) => x !== "serving").every((x) => x === Code.ResourceExhausted)).toBe(true);
    expect(server.health.watches).toBe(maxWatches);

    for (const w of perConnection.flat()) w.stream.close();
    await until(() => server.health.watches === 0, 2_000);
    // Freed slots serve again.
    expect(await watch(session(server.target)).first).toBe("serving");
  });
});

describe("echoed input", () => {
  it("Health.Check with a 100 KB service name answers a status instead of resetting the stream", async () => {
    const server = await started();
    const host = new GrpcHost(server.target);
    cleanups.push(() => host.close());
    const huge = await host.code("health", "Check", { service: "x".repeat(100_000) });
    expect(huge.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const long = await host.code("health", "Check", { service: "y".repeat(3_000) });
    expect(long.code).toBe(grpc.status.NOT_FOUND);
    expect(long.details.length).toBeLessThan(200);
    expect(long.details).toContain("(3000 characters)");
  });

  it("any status message is cut to a bounded length (it is a header)", async () => {
    const message = `no: ${"é".repeat(60_000)}`;
    const server = await started({}, fakeServices({ validate: async () => Promise.reject(new ConnectError(message, Code.FailedPrecondition)) }));
    const host = new GrpcHost(server.target);
    cleanups.push(() => host.close());
    const result = await host.code("connector", "Validate", {});
    expect(result.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(Buffer.byteLength(result.details, "utf8")).toBeLessThanOrEqual(MAX_STATUS_MESSAGE_BYTES);
    expect(result.details).toMatch(/^no: é+ … \(cut\)$/);
  });
});

describe("connections", () => {
  it("announce the streams-per-connection bound in their HTTP/2 settings", async () => {
    const server = await started();
    const s = session(server.target);
    await new Promise<void>((resolve) => s.once("remoteSettings", () => resolve()));
    expect(s.remoteSettings.maxConcurrentStreams).toBe(DEFAULT_CONNECTION_LIMITS.maxStreamsPerConnection);
  });

  it("beyond maxConnections are closed as they arrive", async () => {
    const server = await started({ limits: { maxConnections: 3 } });
    const hosts = Array.from({ length: 5 }, () => session(server.target));
    const answers = [];
    for (const s of hosts) answers.push(await watch(s).first.catch(() => -1));
    expect(answers.slice(0, 3)).toEqual(["serving", "serving", "serving"]);
    expect(answers.slice(3)).toEqual([-1, -1]);
  });

  it("idle ones (no call in flight) are closed with GOAWAY; one holding a stream is not", async () => {
    const server = await started({ limits: { idleTimeoutMs: 300 } });
    const idle = session(server.target);
    const goaway = new Promise<number>((resolve) => idle.once("goaway", (code) => resolve(code)));
    const busy = session(server.target);
    const watching = watch(busy);
    expect(await watching.first).toBe("serving");
    const startedAt = Date.now();
    expect(await goaway).toBe(0);
    await until(() => idle.closed || idle.destroyed, 2_000);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    await new Promise((r) => setTimeout(r, 600));
    expect(busy.closed || busy.destroyed).toBe(false);
    // Once its stream ends, the busy one is idle too.
    const busyGoaway = new Promise<void>((resolve) => busy.once("goaway", () => resolve()));
    watching.stream.close();
    await busyGoaway;
  });

  it("a peer that stops answering while it holds a stream is cut off after a keepalive PING", async () => {
    const server = await started({ limits: { keepaliveIntervalMs: 150, keepaliveTimeoutMs: 300 } });
    // A TCP relay between client and server that can be frozen: the network to the peer goes dark.
    let upstream!: Socket;
    let downstream!: Socket;
    const relay: TcpServer = createTcpServer((client) => {
      downstream = client;
      upstream = tcpConnect(server.address.port, "127.0.0.1");
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("error", () => undefined);
      upstream.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => relay.close(resolve)));
    const relayPort = (relay.address() as { port: number }).port;
    const s = session(`127.0.0.1:${relayPort}`);
    expect(await watch(s).first).toBe("serving");
    expect(server.health.watches).toBe(1);

    upstream.unpipe(downstream);
    downstream.unpipe(upstream);
    upstream.resume(); // what the server sends is read and dropped: nothing reaches the peer, nothing comes back
    const frozenAt = Date.now();
    const cut = new Promise<void>((resolve) => upstream.once("close", () => resolve()));
    await cut;
    expect(Date.now() - frozenAt).toBeLessThan(2_000);
    await until(() => server.health.watches === 0, 2_000);
    downstream.destroy();
  });
});
