/**
 * Plain HTTP/2 requests to the connector server in each encoding it serves — gRPC, gRPC-Web and the
 * Connect protocol, each with protobuf or JSON messages — undecoded: what a non-grpc-js client (a
 * browser, curl, a Connect client in another language) sends and receives.
 */
import type { ClientHttp2Session, IncomingHttpHeaders } from "node:http2";

export const ENCODINGS = ["grpc", "grpc+json", "grpc-web+proto", "grpc-web+json", "connect+proto", "connect+json"] as const;
export type Encoding = (typeof ENCODINGS)[number];

export const isJson = (encoding: Encoding) => encoding.endsWith("json");

const CONTENT_TYPES: Record<Encoding, string> = {
  grpc: "application/grpc",
  "grpc+json": "application/grpc+json",
  "grpc-web+proto": "application/grpc-web+proto",
  "grpc-web+json": "application/grpc-web+json",
  "connect+proto": "application/proto",
  "connect+json": "application/json",
};

/** Connect's code names (its JSON error bodies) → gRPC status numbers. */
const CONNECT_CODES: Record<string, number> = {
  canceled: 1, unknown: 2, invalid_argument: 3, deadline_exceeded: 4, not_found: 5, already_exists: 6,
  permission_denied: 7, resource_exhausted: 8, failed_precondition: 9, aborted: 10, out_of_range: 11,
  unimplemented: 12, internal: 13, unavailable: 14, data_loss: 15, unauthenticated: 16,
};

export function envelope(flags: number, data: Uint8Array = new Uint8Array(0)): Buffer {
  const header = Buffer.alloc(5);
  header[0] = flags;
  header.writeUInt32BE(data.byteLength, 1);
  return Buffer.concat([header, data]);
}

export function parseEnvelopes(bytes: Buffer): Array<{ flags: number; data: Buffer }> {
  const out: Array<{ flags: number; data: Buffer }> = [];
  for (let at = 0; at < bytes.byteLength; ) {
    const length = bytes.readUInt32BE(at + 1);
    out.push({ flags: bytes[at]!, data: bytes.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

export interface RawResponse {
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  body: Buffer;
}

/** One POST over a raw HTTP/2 session: what the server puts on the wire, undecoded. */
export function post(session: ClientHttp2Session, path: string, contentType: string, body: Buffer, extraHeaders: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ":method": "POST", ":path": path, "content-type": contentType, te: "trailers", ...extraHeaders });
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on("response", (h) => (headers = h));
    req.on("trailers", (t) => (trailers = t));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve({ headers, trailers, body: Buffer.concat(chunks) }));
    req.on("error", reject);
    req.end(body);
  });
}

export interface UnaryAnswer {
  /** gRPC status number, whatever the encoding reported it as. */
  code: number;
  message: string;
  /** The response message: protobuf bytes, or JSON text in the JSON encodings; undefined on error. */
  payload?: Buffer;
  httpStatus: number;
}

/**
 * A unary call in one encoding. `request` is the message in both forms (the binary and the JSON
 * one); the right one is sent. Headers such as grpc-timeout / connect-timeout-ms pass through.
 */
export async function unary(
  session: ClientHttp2Session,
  path: string,
  encoding: Encoding,
  request: { binary: Uint8Array; json: string },
  headers: Record<string, string> = {},
): Promise<UnaryAnswer> {
  const message = isJson(encoding) ? Buffer.from(request.json, "utf8") : Buffer.from(request.binary);
  const connect = encoding.startsWith("connect");
  const body = connect ? message : envelope(0, message);
  const res = await post(session, path, CONTENT_TYPES[encoding], body, connect ? { "connect-protocol-version": "1", ...headers } : headers);
  const httpStatus = Number(res.headers[":status"]);
  if (connect) {
    if (httpStatus === 200) return { code: 0, message: "", payload: res.body, httpStatus };
    const error = JSON.parse(res.body.toString("utf8")) as { code: string; message?: string };
    return { code: CONNECT_CODES[error.code] ?? -1, message: error.message ?? "", httpStatus };
  }
  const frames = parseEnvelopes(res.body);
  let status: IncomingHttpHeaders = res.headers["grpc-status"] !== undefined ? res.headers : res.trailers;
  const trailer = frames.find((f) => f.flags & 0x80);
  if (trailer) status = Object.fromEntries(trailer.data.toString("utf8").split("\r\n").filter(Boolean).map((line) => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  }));
  const code = Number(status["grpc-status"] ?? -1);
  const data = frames.find((f) => f.flags === 0);
  return {
    code,
    message: decodeURIComponent(String(status["grpc-message"] ?? "")),
    ...(code === 0 && data ? { payload: data.data } : {}),
    httpStatus,
  };
}
