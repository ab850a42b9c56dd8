import type { Http2SecureServer, Http2Server, ServerHttp2Session, Settings } from "node:http2";
import type { Logger } from "../log.js";
import { DEFAULT_HEALTH_LIMITS, type HealthLimits } from "./health.js";

/**
 * What one peer — authenticated or not; the health service is open — can hold on the server.
 * Every bound is per process; they are generous for a baton host (one connection, a few calls at
 * a time) and keep a flood of connections or streams from growing memory without bound.
 */
export interface ConnectionLimits extends HealthLimits {
  /** Open connections; further ones are closed as they arrive. */
  maxConnections: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: calls in flight on one connection (clients queue the rest). */
  maxStreamsPerConnection: number;
  /** A connection without a call in flight for this long is closed with GOAWAY (clients reconnect). */
  idleTimeoutMs: number;
  /** A connection with calls in flight is PINGed this often … */
  keepaliveIntervalMs: number;
  /** … and closed when the peer does not answer within this (it is gone, its streams with it). */
  keepaliveTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  ...DEFAULT_HEALTH_LIMITS,
  maxConnections: 256,
  maxStreamsPerConnection: 100,
  idleTimeoutMs: 5 * 60_000,
  keepaliveIntervalMs: 60_000,
  keepaliveTimeoutMs: 20_000,
};

/** HTTP/2 settings the server announces. */
export function http2Settings(limits: ConnectionLimits): Settings {
  return { maxConcurrentStreams: limits.maxStreamsPerConnection };
}

/** Applies the connection limits to a server: caps connections and watches each session. */
export function limitConnections(server: Http2Server | Http2SecureServer, limits: ConnectionLimits, log: Logger): void {
  server.maxConnections = limits.maxConnections;
  server.on("session", (session: ServerHttp2Session) => superviseSession(session, limits, log));
}

/** Closes the session once idle, and destroys it when a PING goes unanswered while calls are open. */
function superviseSession(session: ServerHttp2Session, limits: ConnectionLimits, log: Logger): void {
  let open = 0;
  let idle: NodeJS.Timeout | undefined;
  let unanswered: NodeJS.Timeout | undefined;

  const startIdleTimer = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      log.debug({ idleMs: limits.idleTimeoutMs }, "closing idle connection");
      session.close();
    }, limits.idleTimeoutMs);
    idle.unref();
  };

  const keepalive = setInterval(() => {
    if (open === 0 || unanswered || session.closed || session.destroyed) return;
    unanswered = setTimeout(() => {
      log.debug({ timeoutMs: limits.keepaliveTimeoutMs }, "peer did not answer a keepalive PING; closing its connection");
      session.destroy();
    }, limits.keepaliveTimeoutMs);
    unanswered.unref();
    const sent = session.ping((error) => {
      if (error) return; // the session is going away; its close clears the timers
      clearTimeout(unanswered);
      unanswered = undefined;
    });
    if (!sent) {
      clearTimeout(unanswered);
      unanswered = undefined;
    }
  }, limits.keepaliveIntervalMs);
  keepalive.unref();

  session.on("stream", (stream) => {
    open += 1;
    clearTimeout(idle);
    stream.once("close", () => {
      open -= 1;
      if (open === 0 && !session.closed && !session.destroyed) startIdleTimer();
    });
  });
  session.once("close", () => {
    clearTimeout(idle);
    clearTimeout(unanswered);
    clearInterval(keepalive);
  });
  startIdleTimer();
}
