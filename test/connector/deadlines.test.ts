/**
 * A caller's deadline that passes while the connector waits for AWS answers DeadlineExceeded (which
 * baton hosts retry), in every protocol, as soon as it passes; a caller that hangs up is answered
 * Canceled and logged as one quiet line, not as an error with a stack.
 */
import { connect, type ClientHttp2Session } from "node:http2";
import { rmSync } from "node:fs";
import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createConnector, type Connector } from "../../src/connector/build.js";
import { startConnectorServer, type RunningServer } from "../../src/connector/server.js";
import { ResourcesServiceListResourcesRequestSchema } from "../../src/gen/c1/connector/v2/resource_pb.js";
import type { Simulator } from "../../src/simulator/index.js";
import { capturingLogger } from "../provisioning/fakes.js";
import { simConfig, startSim, tempStateDir } from "../provisioning/sim-rig.js";
import { grpc, GrpcHost } from "./support/grpc-client.js";
import { unary, type Encoding } from "./support/raw-http2.js";

/** Every AWS answer takes this long; the callers below give up well before. */
const AWS_DELAY_MS = 1_500;
const DEADLINE_MS = 300;
const PATH = "/c1.connector.v2.ResourcesService/ListResources";

let sim: Simulator;
let stateDir: string;
let connector: Connector;
let server: RunningServer;
let session: ClientHttp2Session;
let host: GrpcHost;
let lines: Array<Record<string, unknown>>;

beforeAll(async () => {
  sim = await startSim({ profile: "demo", seed: 3, knobs: { faults: [{ kind: "slow", rate: 1, delayMs: AWS_DELAY_MS }] } });
  stateDir = tempStateDir();
  const captured = capturingLogger();
  const log = captured.log;
  lines = captured.lines;
  connector = createConnector(simConfig(sim, stateDir), { log });
  server = await startConnectorServer(connector.services, { listen: "127.0.0.1:0", log });
  session = connect(server.url);
  host = new GrpcHost(`127.0.0.1:${server.address.port}`);
});
afterAll(async () => {
  host.close();
  session.close();
  await server.close(1_000);
  await connector.close();
  await sim.stop();
  rmSync(stateDir, { recursive: true, force: true });
});
beforeEach(() => {
  lines.length = 0;
});

const request = create(ResourcesServiceListResourcesRequestSchema, { resourceTypeId: "sso_user" });
const body = { binary: toBinary(ResourcesServiceListResourcesRequestSchema, request), json: toJsonString(ResourcesServiceListResourcesRequestSchema, request) };

/** Log lines about the RPC (the connector's own, never the AWS SDK's). */
const rpcLines = () => lines.filter((l) => l.rpc === "ListResources");

describe("a deadline that passes during an AWS call", () => {
  it.each<[Encoding, Record<string, string>]>([
    ["grpc", { "grpc-timeout": `${DEADLINE_MS}m` }],
    ["grpc-web+proto", { "grpc-timeout": `${DEADLINE_MS}m` }],
    ["connect+json", { "connect-timeout-ms": String(DEADLINE_MS) }],
  ])("answers DeadlineExceeded at the deadline (%s), logged as one info line", async (encoding, headers) => {
    const started = Date.now();
    const answer = await unary(session, PATH, encoding, body, headers);
    const elapsed = Date.now() - started;
    expect(answer.code, answer.message).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(elapsed).toBeLessThan(AWS_DELAY_MS);
    await new Promise((r) => setTimeout(r, 50));
    expect(rpcLines().map((l) => [l.level, l.msg])).toEqual([[30, "request ended at its deadline"]]);
    expect(lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });
});

describe("a caller that hangs up during an AWS call", () => {
  it("is answered Canceled and logged as one debug line without a stack", async () => {
    const call = new Promise<grpc.ServiceError | null>((resolve) => {
      const pending = host.client("resources").ListResources({ resource_type_id: "sso_user" }, { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null) =>
        resolve(error),
      );
      setTimeout(() => pending.cancel(), DEADLINE_MS);
    });
    expect((await call)?.code).toBe(grpc.status.CANCELLED);
    // The server notices the reset stream, then its handler ends; give it the AWS delay to do so.
    const deadline = Date.now() + AWS_DELAY_MS * 2;
    while (rpcLines().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(rpcLines().map((l) => [l.level, l.msg])).toEqual([[20, "request cancelled by the caller"]]);
    expect(JSON.stringify(rpcLines())).not.toContain("stack");
    expect(lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });
});
