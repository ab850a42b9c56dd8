import type { Http2ServerRequest } from "node:http2";
import type { Requester } from "./resource-syncer.js";
import { peerCertificateSubject } from "./tls.js";

/**
 * Who sent a gRPC request, for the audit log: "grpc:<address>:<port>", plus the verified client
 * certificate subject under mutual TLS, e.g. "grpc:127.0.0.1:53122 (CN=baton-host)".
 */
export function requesterOf(req: Pick<Http2ServerRequest, "socket">): Requester {
  const socket = req.socket;
  const address = socket?.remoteAddress ?? "unknown";
  const host = address.includes(":") ? `[${address}]` : address;
  const subject = peerCertificateSubject(socket);
  return { id: `grpc:${host}:${socket?.remotePort ?? 0}${subject ? ` (${subject})` : ""}` };
}
