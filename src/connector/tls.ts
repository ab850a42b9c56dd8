import { readFileSync } from "node:fs";
import type { SecureServerOptions } from "node:http2";
import type { TLSSocket } from "node:tls";
import type { ServerConfig } from "../config/config.js";
import { UserError } from "../cli/fatal.js";

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** Present for mutual TLS: client certificates must chain to it. */
  clientCa?: Buffer;
}

/** Reads the PEM files named in the config; undefined when TLS is not configured. */
export function loadTlsMaterial(server: ServerConfig): TlsMaterial | undefined {
  if (!server.tlsCertFile || !server.tlsKeyFile) return undefined;
  return {
    cert: readPem(server.tlsCertFile, "tls-cert"),
    key: readPem(server.tlsKeyFile, "tls-key"),
    clientCa: server.tlsClientCaFile ? readPem(server.tlsClientCaFile, "tls-client-ca") : undefined,
  };
}

/** HTTP/2 over TLS ≥ 1.2 with ALPN h2 (gRPC clients require it); mutual TLS when a client CA is given. */
export function secureServerOptions(tls: TlsMaterial): SecureServerOptions {
  const mutual = tls.clientCa !== undefined;
  return {
    cert: tls.cert,
    key: tls.key,
    minVersion: "TLSv1.2",
    ALPNProtocols: ["h2"],
    ...(mutual ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
  };
}

/** "CN=client,O=Example" of a verified client certificate; undefined without mutual TLS. */
export function peerCertificateSubject(socket: unknown): string | undefined {
  const tlsSocket = socket as Partial<TLSSocket> | undefined;
  if (!tlsSocket?.authorized || typeof tlsSocket.getPeerCertificate !== "function") return undefined;
  const subject = tlsSocket.getPeerCertificate().subject as Record<string, string | string[]> | undefined;
  if (!subject) return undefined;
  return Object.entries(subject)
    .flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${key}=${v}`))
    .join(",");
}

function readPem(path: string, option: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (error) {
    throw new UserError(`cannot read ${option} file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!pem.includes("-----BEGIN")) throw new UserError(`${option} file ${path} is not PEM`);
  return pem;
}
