/**
 * Timing inside the connector server process, without touching src/: every HTTP/2 request is timed
 * from its arrival to the end of its response, and the AWS calls it makes (through the connector's
 * AwsClients) are timed within it through AsyncLocalStorage. Overhead = total − time waiting for AWS.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import http2 from "node:http2";
import { syncBuiltinESMExports } from "node:module";
import type { AwsClients } from "../../src/aws/clients.js";

export interface CallTiming {
  /** e.g. /c1.connector.v2.GrantsService/ListGrants */
  path: string;
  totalMs: number;
  awsMs: number;
}

interface RequestClock {
  awsMs: number;
  inFlight: number;
  since: number;
}

const current = new AsyncLocalStorage<RequestClock>();
export const timings: CallTiming[] = [];

/** Wraps the request handler of every HTTP/2 server created from now on (startConnectorServer's included). */
export function timeHttp2Requests(): void {
  const original = http2.createServer;
  const patched = ((options: http2.ServerOptions, handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void) =>
    original(options, (req, res) => {
      const started = performance.now();
      const clock: RequestClock = { awsMs: 0, inFlight: 0, since: 0 };
      res.once("finish", () => timings.push({ path: req.url ?? "", totalMs: performance.now() - started, awsMs: clock.awsMs }));
      current.run(clock, () => handler(req, res));
    })) as typeof http2.createServer;
  http2.createServer = patched;
  // ES modules importing { createServer } from "node:http2" see the patched function too.
  syncBuiltinESMExports();
}

/** AwsClients whose calls add their duration (overlaps counted once) to the current request's AWS time. */
export function timeAwsCalls(aws: AwsClients): AwsClients {
  const timed = new WeakSet<object>();
  const wrap = <C extends { send: (...args: never[]) => Promise<unknown> }>(client: C): C => {
    if (timed.has(client)) return client;
    timed.add(client);
    const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as { send: unknown }).send = (...args: unknown[]) => {
      const clock = current.getStore();
      if (!clock) return send(...args);
      if (clock.inFlight++ === 0) clock.since = performance.now();
      return send(...args).finally(() => {
        if (--clock.inFlight === 0) clock.awsMs += performance.now() - clock.since;
      });
    };
    return client;
  };
  return {
    ...aws,
    stats: aws.stats,
    limiter: aws.limiter,
    iam: async (accountId) => wrap(await aws.iam(accountId)),
    sts: () => wrap(aws.sts()),
    identityStore: () => wrap(aws.identityStore()),
    ssoAdmin: () => wrap(aws.ssoAdmin()),
    organizations: () => wrap(aws.organizations()),
  };
}
