import { constants, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import {
  Code,
  ConnectError,
  createConnectRouter,
  type ConnectRouter,
  type ConnectRouterOptions,
  type ContextValues,
} from "@connectrpc/connect";
import { codeToHttpStatus, codeToString } from "@connectrpc/connect/protocol-connect";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { isOpenPath } from "./auth.js";

/**
 * Our variant of connect-node's connectNodeAdapter (same routing, same protocols) adding what the
 * connector server needs around every call, before and after connect runs it:
 *  - authentication before the request body is even read (health excepted, see auth.ts);
 *  - per-request context values (who is calling);
 *  - an undecodable request message answered InvalidArgument, not connect's Internal: bad input
 *    from a client is not a server fault (gRPC and Connect unary; gRPC-Web keeps connect's code).
 */
export interface NodeHandlerOptions extends ConnectRouterOptions {
  routes: (router: ConnectRouter) => void;
  /** Why a request is refused (Unauthenticated), or undefined to let it through. */
  authorize?: (authorization: string | undefined) => string | undefined;
  contextValues?: (req: Http2ServerRequest) => ContextValues;
  /** Failures writing a response (the peer went away, …); never a handler's own error. */
  onWriteError?: (rpc: string, error: unknown) => void;
}

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

export type NodeHandler = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

export function createNodeHandler(options: NodeHandlerOptions): NodeHandler {
  const router = createConnectRouter(options);
  options.routes(router);
  const handlers = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));

  return (req, res) => {
    const path = (req.url ?? "").split("?", 1)[0] ?? "";
    const handler = handlers.get(path);
    if (!handler) {
      res.writeHead(404);
      res.end();
      return;
    }
    if (options.authorize && !isOpenPath(path)) {
      const refusal = options.authorize(req.headers.authorization);
      if (refusal !== undefined) return refuse(req, res, Code.Unauthenticated, refusal, options.readMaxBytes ?? DEFAULT_MAX_BYTES);
    }
    const uReq = universalRequestFromNodeRequest(req, res, undefined, options.contextValues?.(req));
    handler(uReq)
      .then((uRes) => universalResponseToNodeResponse(clientFaultAsInvalidArgument(uRes), res))
      .catch((error: unknown) => {
        if (ConnectError.from(error).code !== Code.Aborted) options.onWriteError?.(path, error);
      });
  };
}

/**
 * A status-only answer in the caller's protocol. The request body is drained unread first (capped):
 * answering while the client still sends makes HTTP/2 reset the stream, and gRPC clients then
 * report a missing status instead of ours.
 */
function refuse(req: Http2ServerRequest, res: Http2ServerResponse, code: Code, message: string, maxBytes: number): void {
  let received = 0;
  req.on("data", (chunk: Buffer) => {
    received += chunk.byteLength;
    if (received > maxBytes) res.stream.close(constants.NGHTTP2_CANCEL);
  });
  req.once("end", () => {
    const contentType = req.headers["content-type"] ?? "";
    if (contentType.startsWith("application/grpc")) {
      // "Trailers-only" response: one HEADERS frame ending the stream carries the status (gRPC and gRPC-Web).
      res.stream.respond(
        {
          ":status": 200,
          "content-type": contentType.startsWith("application/grpc-web") ? contentType.split(";")[0] : "application/grpc",
          "grpc-status": String(code),
          "grpc-message": encodeURIComponent(message),
        },
        { endStream: true },
      );
      return;
    }
    res.writeHead(codeToHttpStatus(code), { "content-type": "application/json" });
    res.end(JSON.stringify({ code: codeToString(code), message }));
  });
}

/** Messages connect gives request decoding failures it files under Internal (see its protocol/ sources). */
const CLIENT_FAULTS = ["parse binary:", "received compressed envelope, but do not know how to decompress"];
const isClientFault = (message: string | undefined) => CLIENT_FAULTS.some((prefix) => message?.startsWith(prefix) === true);

function clientFaultAsInvalidArgument(uRes: UniversalServerResponse): UniversalServerResponse {
  const body = uRes.body;
  if (!body || !(Symbol.asyncIterator in body)) return uRes;
  if (uRes.trailer) return { ...uRes, body: fixTrailerAfter(body, uRes.trailer) };
  if (uRes.status === codeToHttpStatus(Code.Internal) && uRes.header?.get("content-type") === "application/json") {
    const fixed = { ...uRes };
    fixed.body = fixConnectError(body, fixed);
    return fixed;
  }
  return uRes;
}

/** gRPC: the status is a trailer, written once the body has been consumed, so it can still be corrected here. */
async function* fixTrailerAfter(body: AsyncIterable<Uint8Array>, trailer: Headers): AsyncIterable<Uint8Array> {
  try {
    yield* body;
  } finally {
    const message = decodeURIComponent(trailer.get("grpc-message") ?? "");
    if (trailer.get("grpc-status") === String(Code.Internal) && isClientFault(message)) {
      trailer.set("grpc-status", String(Code.InvalidArgument));
    }
  }
}

/** Connect unary: the error is a JSON body and the HTTP status. */
async function* fixConnectError(body: AsyncIterable<Uint8Array>, uRes: UniversalServerResponse): AsyncIterable<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  let error: { code?: string; message?: string } | undefined;
  try {
    error = JSON.parse(bytes.toString("utf8")) as typeof error;
  } catch {
    error = undefined;
  }
  if (error?.code === codeToString(Code.Internal) && isClientFault(error.message)) {
    const fixed = Buffer.from(JSON.stringify({ ...error, code: codeToString(Code.InvalidArgument) }));
    uRes.status = codeToHttpStatus(Code.InvalidArgument);
    uRes.header?.set("content-length", String(fixed.byteLength));
    yield fixed;
    return;
  }
  yield bytes;
}
