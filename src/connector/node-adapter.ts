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
import { protoRegistry } from "./proto-files.js";

/**
 * Our variant of connect-node's connectNodeAdapter (same routing, same protocols) adding what the
 * connector server needs around every call, before and after connect runs it:
 *  - authentication before the request body is even read (health excepted, see auth.ts);
 *  - per-request context values (who is calling);
 *  - an undecodable request message answered InvalidArgument, not connect's Internal: bad input
 *    from a client is not a server fault (gRPC and Connect unary; gRPC-Web keeps connect's code);
 *  - grpc-message in the spec's minimal percent-encoding (gRPC and gRPC-Web), see encodeGrpcMessage,
 *    and bounded in length: a status message may repeat client input, and an oversized header makes
 *    the client reset the stream instead of reading the status;
 *  - a small request size limit on the open (unauthenticated) paths;
 *  - JSON encodings (Connect JSON, gRPC-Web JSON) that know every message type the connector can put
 *    in a `google.protobuf.Any` annotation (the registry of every generated file, proto-files.ts).
 */
export interface NodeHandlerOptions extends ConnectRouterOptions {
  routes: (router: ConnectRouter) => void;
  /** Why a request is refused (Unauthenticated), or undefined to let it through. */
  authorize?: (authorization: string | undefined) => string | undefined;
  contextValues?: (req: Http2ServerRequest) => ContextValues;
  /** Failures writing a response (the peer went away, …); never a handler's own error. */
  onWriteError?: (rpc: string, error: unknown) => void;
  /** readMaxBytes of the paths open without authentication (health): their requests are tiny. */
  openReadMaxBytes?: number;
}

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
const DEFAULT_OPEN_MAX_BYTES = 4 * 1024;
/** grpc-message is a header: longer messages are cut (peers cap header lists, often at 8–16 KiB). */
export const MAX_STATUS_MESSAGE_BYTES = 2048;

export type NodeHandler = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

export function createNodeHandler(options: NodeHandlerOptions): NodeHandler {
  const handlersWith = (readMaxBytes: number) => {
    const router = createConnectRouter({ ...options, readMaxBytes, jsonOptions: { registry: protoRegistry, ...options.jsonOptions } });
    options.routes(router);
    return new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));
  };
  const handlers = handlersWith(options.readMaxBytes ?? DEFAULT_MAX_BYTES);
  const openHandlers = handlersWith(options.openReadMaxBytes ?? DEFAULT_OPEN_MAX_BYTES);

  return (req, res) => {
    const path = (req.url ?? "").split("?", 1)[0] ?? "";
    const handler = (isOpenPath(path) ? openHandlers : handlers).get(path);
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
      .then((uRes) => universalResponseToNodeResponse(fixGrpcWebTrailer(clientFaultAsInvalidArgument(uRes)), res))
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
          "grpc-message": encodeGrpcMessage(message),
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
  if (uRes.trailer) return { ...uRes, body: fixTrailerAfter(body, uRes.header, uRes.trailer) };
  if (uRes.status === codeToHttpStatus(Code.Internal) && uRes.header?.get("content-type") === "application/json") {
    const fixed = { ...uRes };
    fixed.body = fixConnectError(body, fixed);
    return fixed;
  }
  return uRes;
}

/**
 * gRPC: the status is a trailer, written once the body has been consumed, so it can still be corrected
 * here. The headers are written after the first body chunk: a status there ("trailers-only") too.
 */
async function* fixTrailerAfter(body: AsyncIterable<Uint8Array>, header: Headers | undefined, trailer: Headers): AsyncIterable<Uint8Array> {
  if (header) reencodeGrpcMessage(header);
  try {
    yield* body;
  } finally {
    const message = decodeURIComponent(trailer.get("grpc-message") ?? "");
    if (trailer.get("grpc-status") === String(Code.Internal) && isClientFault(message)) {
      trailer.set("grpc-status", String(Code.InvalidArgument));
    }
    reencodeGrpcMessage(trailer);
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

/**
 * grpc-message as PROTOCOL-HTTP2.md ("Status-Message") asks: the UTF-8 bytes, percent-encoding only
 * those outside printable ASCII (0x20–0x7E) and '%' itself. connect uses encodeURIComponent, which
 * also escapes ':', '/', '?', … and grpc-js (decodeURI) then shows callers "resource type %3Auser".
 */
function encodeGrpcMessage(message: string): string {
  let encoded = "";
  for (const byte of Buffer.from(bounded(message), "utf8")) {
    encoded += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}

/** The message cut to MAX_STATUS_MESSAGE_BYTES of UTF-8 (at a character boundary), saying so. */
function bounded(message: string): string {
  if (Buffer.byteLength(message, "utf8") <= MAX_STATUS_MESSAGE_BYTES) return message;
  const suffix = " … (cut)";
  let kept = "";
  let bytes = Buffer.byteLength(suffix, "utf8");
  for (const char of message) {
    bytes += Buffer.byteLength(char, "utf8");
    if (bytes > MAX_STATUS_MESSAGE_BYTES) break;
    kept += char;
  }
  return kept + suffix;
}

/** Rewrites connect's encodeURIComponent form of grpc-message, if present, in the minimal encoding. */
function reencodeGrpcMessage(headers: Headers): void {
  const value = headers.get("grpc-message");
  if (value !== null) headers.set("grpc-message", reencoded(value));
}

function reencoded(value: string): string {
  try {
    return encodeGrpcMessage(decodeURIComponent(value));
  } catch {
    return value; // not percent-encoding we understand: send it as connect wrote it
  }
}

/** gRPC-Web with binary framing (connect answers "application/grpc-web+proto" or "+json", never base64 text). */
const GRPC_WEB_BINARY = /^application\/grpc-web(\+|;|$)/i;
const GRPC_WEB_TRAILER_FLAG = 0x80;
const ENVELOPE_COMPRESSED_FLAG = 0x01;

/**
 * gRPC-Web: the status travels in the body, as the last envelope (flag 0x80) holding
 * "name: value\r\n" lines. Envelopes pass through as they complete; the trailer one is rewritten.
 * A compressed trailer envelope is left as is: the server accepts no response compression.
 */
function fixGrpcWebTrailer(uRes: UniversalServerResponse): UniversalServerResponse {
  const body = uRes.body;
  if (!body || !(Symbol.asyncIterator in body) || !GRPC_WEB_BINARY.test(uRes.header?.get("content-type") ?? "")) return uRes;
  return { ...uRes, body: rewriteTrailerEnvelope(body) };
}

async function* rewriteTrailerEnvelope(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    pending = pending.byteLength === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([pending, chunk]);
    while (pending.byteLength >= 5 && pending.byteLength >= 5 + pending.readUInt32BE(1)) {
      const end = 5 + pending.readUInt32BE(1);
      const envelope = pending.subarray(0, end);
      pending = pending.subarray(end);
      const flags = envelope[0]!;
      yield flags & GRPC_WEB_TRAILER_FLAG && !(flags & ENVELOPE_COMPRESSED_FLAG) ? reencodeTrailerEnvelope(envelope) : envelope;
    }
  }
  if (pending.byteLength > 0) yield pending;
}

function reencodeTrailerEnvelope(envelope: Buffer): Buffer {
  const fields = envelope.subarray(5).toString("utf8").split("\r\n");
  const rewritten = fields.map((field) => {
    const colon = field.indexOf(":");
    if (colon <= 0 || field.slice(0, colon).trim().toLowerCase() !== "grpc-message") return field;
    return `grpc-message: ${reencoded(field.slice(colon + 1).trim())}`;
  });
  const data = Buffer.from(rewritten.join("\r\n"), "utf8");
  const header = Buffer.alloc(5);
  header[0] = envelope[0]!;
  header.writeUInt32BE(data.byteLength, 1);
  return Buffer.concat([header, data]);
}
