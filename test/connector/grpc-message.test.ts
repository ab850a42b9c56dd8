/**
 * grpc-message on the wire: the gRPC spec's minimal percent-encoding (PROTOCOL-HTTP2.md,
 * "Status-Message": UTF-8, then escape only bytes outside 0x20–0x7E and '%'), so that a grpc-js
 * client — which decodes with decodeURI — shows callers the message exactly as raised.
 */
import { connect, constants, createServer, type ClientHttp2Session, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenCheck } from "../../src/connector/auth.js";
import { createNodeHandler } from "../../src/connector/node-adapter.js";
import { ConnectorService } from "../../src/gen/c1/connector/v2/connector_pb.js";
import { grpc, GrpcHost } from "./support/grpc-client.js";
import { envelope, parseEnvelopes, post } from "./support/raw-http2.js";
import { serve } from "./support/server.js";
import { fakeServices } from "./support/services.js";

/** ':' and spaces (printable, sent as is), '%' (escaped), 'é' (two UTF-8 bytes) and a newline. */
const MESSAGE = "check failed: 100% of acme:user é\nsecond line";
/** The same, encoded by hand from the spec's rule. */
const ON_THE_WIRE = "check failed: 100%25 of acme:user %C3%A9%0Asecond line";

const failingValidate = async () => {
  throw new ConnectError(MESSAGE, Code.FailedPrecondition);
};

describe("grpc-message from the connector server", () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let host: GrpcHost;
  let session: ClientHttp2Session;

  beforeAll(async () => {
    server = await serve(fakeServices({ validate: failingValidate }));
    host = new GrpcHost(server.target);
    session = connect(`http://${server.target}`);
  });
  afterAll(async () => {
    host.close();
    session.close();
    await server.close();
  });

  it("reaches a grpc-js client exactly as raised", async () => {
    const result = await host.code("connector", "Validate", {});
    expect(result.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(result.details).toBe(MESSAGE);
  });

  it("names an unknown resource type without escaping it", async () => {
    const result = await host.code("resources", "ListResources", { resource_type_id: "acme:user" });
    expect(result.code).toBe(grpc.status.NOT_FOUND);
    expect(result.details).toContain("acme:user");
    expect(result.details).not.toContain("%");
  });

  it("gRPC: the trailer carries the spec's encoding", async () => {
    const res = await post(session, "/c1.connector.v2.ConnectorService/Validate", "application/grpc", envelope(0));
    expect(res.trailers["grpc-status"]).toBe(String(Code.FailedPrecondition));
    expect(res.trailers["grpc-message"]).toBe(ON_THE_WIRE);
  });

  it("gRPC-Web: the trailer envelope carries the spec's encoding", async () => {
    const res = await post(session, "/c1.connector.v2.ConnectorService/Validate", "application/grpc-web+proto", envelope(0));
    const frames = parseEnvelopes(res.body);
    expect(frames.map((f) => f.flags)).toEqual([0x80]);
    const fields = frames[0]!.data.toString("utf8").split("\r\n").filter((line) => line !== "");
    expect(fields).toContain(`grpc-status: ${Code.FailedPrecondition}`);
    expect(fields).toContain(`grpc-message: ${ON_THE_WIRE}`);
  });

  it("gRPC-Web: message envelopes pass through untouched before the trailer", async () => {
    const res = await post(session, "/c1.connector.v2.ResourceTypesService/ListResourceTypes", "application/grpc-web+proto", envelope(0));
    const frames = parseEnvelopes(res.body);
    expect(frames.map((f) => f.flags)).toEqual([0, 0x80]);
    const text = frames[0]!.data.toString("latin1");
    expect(text).toContain("fake_user");
    expect(text).toContain("fake_group");
    expect(frames[1]!.data.toString("utf8")).toContain("grpc-status: 0");
  });

  it("Connect protocol: the JSON error body is left as connect writes it", async () => {
    const res = await post(session, "/c1.connector.v2.ConnectorService/Validate", "application/json", Buffer.from("{}"));
    expect(res.headers[":status"]).not.toBe(200);
    expect(JSON.parse(res.body.toString("utf8"))).toMatchObject({ message: MESSAGE });
  });
});

describe("grpc-message in a refusal (trailers-only response)", () => {
  it("the server's own bearer-token refusal reaches grpc-js unescaped", async () => {
    const server = await serve(fakeServices(), { authToken: "secret-token-for-refusal-test" });
    const host = new GrpcHost(server.target);
    try {
      const expected = createTokenCheck("secret-token-for-refusal-test")(undefined);
      expect(expected).toMatch(/[:" ]/);
      const result = await host.code("connector", "Validate", {});
      expect(result.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(result.details).toBe(expected);
    } finally {
      host.close();
      await server.close();
    }
  });

  describe("any refusal message", () => {
    let http2: Http2Server;
    let target: string;
    beforeAll(async () => {
      const handler = createNodeHandler({
        routes: (router: ConnectRouter) => router.service(ConnectorService, fakeServices().connector),
        authorize: () => MESSAGE,
      });
      http2 = createServer(handler);
      await new Promise<void>((resolve) => http2.listen(0, "127.0.0.1", resolve));
      target = `127.0.0.1:${(http2.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => http2.close(() => resolve())));

    it("reaches a grpc-js client exactly", async () => {
      const host = new GrpcHost(target);
      try {
        const result = await host.code("connector", "Validate", {});
        expect(result.code).toBe(grpc.status.UNAUTHENTICATED);
        expect(result.details).toBe(MESSAGE);
      } finally {
        host.close();
      }
    });

    it("is sent in the response headers, spec-encoded, ending the stream", async () => {
      const session = connect(`http://${target}`);
      try {
        const res = await post(session, "/c1.connector.v2.ConnectorService/Validate", "application/grpc", envelope(0));
        expect(res.headers[":status"]).toBe(constants.HTTP_STATUS_OK);
        expect(res.headers["grpc-status"]).toBe(String(Code.Unauthenticated));
        expect(res.headers["grpc-message"]).toBe(ON_THE_WIRE);
        expect(res.trailers).toEqual({});
        expect(res.body.byteLength).toBe(0);
      } finally {
        session.close();
      }
    });
  });
});
