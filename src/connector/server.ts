import { setMaxListeners } from "node:events";
import { createServer, createSecureServer, type Http2SecureServer, type Http2Server, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { createContextValues } from "@connectrpc/connect";
import { UserError } from "../cli/fatal.js";
import { formatListenAddress, isLoopback, parseListenAddress, type ListenAddress } from "../config/listen-address.js";
import { silentLogger, type Logger } from "../log.js";
import { createTokenCheck } from "./auth.js";
import { DEFAULT_CONNECTION_LIMITS, http2Settings, limitConnections, type ConnectionLimits } from "./connection-limits.js";
import { requesterKey, type ConnectorServices } from "./connector.js";
import { connectionKey, HealthState } from "./health.js";
import { createNodeHandler } from "./node-adapter.js";
import { requesterOf } from "./requester.js";
import { connectorRoutes, SERVED_SERVICE_NAMES } from "./routes.js";
import { secureServerOptions, type TlsMaterial } from "./tls.js";

export interface ConnectorServerOptions {
  /** HOST:PORT; port 0 picks a free port (see RunningServer.address). */
  listen: string;
  tls?: TlsMaterial;
  /** Bearer token every RPC but health must carry. */
  authToken?: string;
  log?: Logger;
  /** Bounds on connections, streams and idle time (DEFAULT_CONNECTION_LIMITS; tests shorten them). */
  limits?: Partial<ConnectionLimits>;
}

export interface RunningServer {
  /** The bound address (the real port when 0 was asked for). */
  readonly address: ListenAddress;
  /** "http://127.0.0.1:50051" or "https://…", for clients. */
  readonly url: string;
  readonly health: HealthState;
  /**
   * Graceful stop: health turns NOT_SERVING, no new connections, in-flight calls may finish for
   * `graceMs`; then remaining calls are cancelled and connections closed. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

/** Requests larger than this are refused (ResourceExhausted); the biggest legitimate ones carry a 1 MiB page token. */
const READ_MAX_BYTES = 4 * 1024 * 1024;
const DEFAULT_GRACE_MS = 10_000;

/** Serves the baton connector API over HTTP/2: gRPC, plus Connect and gRPC-Web for free. */
export async function startConnectorServer(services: ConnectorServices, options: ConnectorServerOptions): Promise<RunningServer> {
  const log = options.log ?? silentLogger;
  const requested = parseListenAddress(options.listen);
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const health = new HealthState(SERVED_SERVICE_NAMES, limits);
  const stopping = new AbortController();
  // Every call in flight listens to this one signal (and stops listening when it ends): as many
  // listeners as concurrent calls is the design, not a leak, so Node's warning past 10 is noise.
  setMaxListeners(0, stopping.signal);

  const handler = createNodeHandler({
    routes: connectorRoutes(services, health),
    readMaxBytes: READ_MAX_BYTES,
    shutdownSignal: stopping.signal,
    authorize: options.authToken ? createTokenCheck(options.authToken) : undefined,
    contextValues: (req) => createContextValues().set(requesterKey, requesterOf(req)).set(connectionKey, req.stream.session),
    onWriteError: (rpc, error) => log.debug({ rpc, err: error }, "response not delivered"),
  });
  const settings = http2Settings(limits);
  const server: Http2Server | Http2SecureServer = options.tls
    ? createSecureServer({ ...secureServerOptions(options.tls), settings }, handler)
    : createServer({ settings }, handler);
  limitConnections(server, limits, log);

  const sessions = new Set<ServerHttp2Session>();
  server.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  // A misbehaving peer must never take the process down.
  server.on("sessionError", (error: Error) => log.debug({ err: error }, "HTTP/2 session error"));
  server.on("tlsClientError", (error: Error) => log.debug({ err: error }, "TLS handshake failed"));

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(new UserError(`cannot listen on ${options.listen}: ${error.code ?? error.message}`)),
    );
    server.listen(requested.port, requested.host, () => resolve());
  });
  server.on("error", (error: Error) => log.error({ err: error }, "server error"));

  const bound = server.address() as AddressInfo;
  const address = { host: requested.host, port: bound.port };
  const url = `${options.tls ? "https" : "http"}://${formatListenAddress(address)}`;
  warnAboutExposure(log, address, options);

  let closing: Promise<void> | undefined;
  return {
    address,
    url,
    health,
    close(graceMs = DEFAULT_GRACE_MS) {
      closing ??= new Promise<void>((resolve) => {
        health.shutdown();
        server.close(() => resolve());
        for (const session of sessions) session.close();
        const force = setTimeout(() => {
          stopping.abort(new Error("server shutting down"));
          for (const session of sessions) session.destroy();
        }, graceMs);
        force.unref();
        server.once("close", () => clearTimeout(force));
      });
      return closing;
    },
  };
}

function warnAboutExposure(log: Logger, address: ListenAddress, options: ConnectorServerOptions): void {
  if (isLoopback(address.host)) return;
  if (!options.tls) {
    log.warn({ listen: formatListenAddress(address) }, "listening beyond loopback without TLS: traffic (and any bearer token) is readable on the network");
  }
  if (!options.authToken && !options.tls?.clientCa) {
    log.warn({ listen: formatListenAddress(address) }, "listening beyond loopback without --auth-token-file or mutual TLS: anyone who can reach the port can call the connector");
  }
}
