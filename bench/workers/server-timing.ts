/**
 * Timing inside the connector server process, without touching src/.
 *
 * Every HTTP/2 request is timed from the moment its handler runs (headers received) to the end of
 * its response ('finish'), and the AWS calls it makes through the connector's AwsClients are timed
 * within it through AsyncLocalStorage. That gives the latency overhead: total − time waiting for AWS.
 *
 * With `accountSlices(true)` it also attributes event-loop time: every synchronous slice of
 * JavaScript (a callback, a promise continuation, the request handler itself) is charged to the
 * request whose async context it runs in, through async_hooks before/after, or to nobody (HTTP/2
 * session upkeep: frame parsing, sending, socket writes completing). A request's processing time is
 * the sum of its own slices — its work, whatever else the loop was doing. For the rest of its
 * overhead, the loop's running totals are read at its start, its end and around its AWS calls: that
 * tells how long the loop ran other requests' slices, how long session slices, and how long it ran
 * no JavaScript at all (idle for I/O, or the process off the CPU) while this request waited.
 * The hooks cost time of their own, so the accounting is switched on only for the runs that need it.
 */
import { AsyncLocalStorage, createHook } from "node:async_hooks";
import http2 from "node:http2";
import { syncBuiltinESMExports } from "node:module";
import type { AwsClients } from "../../src/aws/clients.js";

export interface CallTiming {
  /** e.g. /c1.connector.v2.GrantsService/ListGrants */
  path: string;
  /** Handler start → response 'finish' (ms). */
  totalMs: number;
  /** Wall time with at least one AWS call of this request in flight. */
  awsMs: number;
  /** Handler start → res.end() called: the server has handed the whole response to HTTP/2. */
  answeredMs: number;
  // The rest are measured only while slices are accounted (else 0).
  /** Sum of this request's synchronous slices. */
  processingMs: number;
  /** The part of processingMs spent inside AWS calls (the SDK's own work: build, sign, parse). */
  processingInAwsMs: number;
  /** Loop time in other requests' slices during this request's time outside AWS calls. */
  othersMs: number;
  /** Loop time in slices of no request (HTTP/2 session upkeep) during this request's time outside AWS calls. */
  sessionMs: number;
}

/** The loop's running totals of charged slice time (ms). */
interface LoopTotals {
  attributed: number;
  unattributed: number;
}

interface RequestClock {
  awsMs: number;
  inFlight: number;
  since: number;
  processingMs: number;
  processingInAwsMs: number;
  /** Loop totals when the request started, and when its current AWS window opened. */
  atStart: LoopTotals;
  atAwsStart: LoopTotals;
  /** Loop time charged while this request was waiting for AWS (excluded from its overhead). */
  inAws: LoopTotals;
}

const current = new AsyncLocalStorage<RequestClock>();
export const timings: CallTiming[] = [];

const loop: LoopTotals = { attributed: 0, unattributed: 0 };

/** Event-loop time in hooked slices that belonged to no request (ms), since the last reset. */
export let unattributedMs = 0;
export function resetUnattributed(): void {
  unattributedMs = 0;
}

// --- Slice accounting: a stack of open slices; time is charged to the owner on top.
const open: Array<RequestClock | undefined> = [];
let openedAt = 0;
let accounting = false;

function charge(owner: RequestClock | undefined, elapsed: number): void {
  if (owner === undefined) {
    unattributedMs += elapsed;
    loop.unattributed += elapsed;
    return;
  }
  loop.attributed += elapsed;
  owner.processingMs += elapsed;
  if (owner.inFlight > 0) owner.processingInAwsMs += elapsed;
}

/** Charges the open slice up to now, so the totals read next are exact. */
function settle(): void {
  if (!accounting || open.length === 0) return;
  const now = performance.now();
  charge(open[open.length - 1], now - openedAt);
  openedAt = now;
}

function enter(owner: RequestClock | undefined): void {
  settle();
  open.push(owner);
  openedAt = performance.now();
}

function exit(): void {
  if (open.length === 0) return;
  const now = performance.now();
  charge(open.pop(), now - openedAt);
  openedAt = now;
}

const snapshot = (): LoopTotals => ({ ...loop });

const sliceHook = createHook({
  before: () => enter(current.getStore()),
  after: exit,
});

/** Switches slice accounting on or off (between measurement runs, never during one). */
export function accountSlices(on: boolean): void {
  if (on === accounting) return;
  accounting = on;
  open.length = 0;
  if (on) sliceHook.enable();
  else sliceHook.disable();
}

/** Wraps the request handler of every HTTP/2 server created from now on (startConnectorServer's included). */
export function timeHttp2Requests(): void {
  const original = http2.createServer;
  const patched = ((options: http2.ServerOptions, handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void) =>
    original(options, (req, res) => {
      const started = performance.now();
      const clock: RequestClock = {
        awsMs: 0, inFlight: 0, since: 0, processingMs: 0, processingInAwsMs: 0,
        atStart: snapshot(), atAwsStart: snapshot(), inAws: { attributed: 0, unattributed: 0 },
      };
      let answeredAt = Number.NaN;
      const end = res.end.bind(res) as (...args: unknown[]) => unknown;
      (res as { end: unknown }).end = (...args: unknown[]) => {
        answeredAt = performance.now();
        return end(...args);
      };
      res.once("finish", () => {
        settle();
        const finished = performance.now();
        const outsideAws = (key: keyof LoopTotals) => loop[key] - clock.atStart[key] - clock.inAws[key];
        timings.push({
          path: req.url ?? "",
          totalMs: finished - started,
          awsMs: clock.awsMs,
          answeredMs: (Number.isNaN(answeredAt) ? finished : answeredAt) - started,
          processingMs: clock.processingMs,
          processingInAwsMs: clock.processingInAwsMs,
          othersMs: accounting ? outsideAws("attributed") - (clock.processingMs - clock.processingInAwsMs) : 0,
          sessionMs: accounting ? outsideAws("unattributed") : 0,
        });
      });
      // The handler's synchronous part is a slice of its own, nested in the HTTP/2 session's callback.
      if (accounting) enter(clock);
      clock.atStart = snapshot();
      try {
        current.run(clock, () => handler(req, res));
      } finally {
        if (accounting) exit();
      }
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
      if (clock.inFlight === 0) {
        settle();
        clock.since = performance.now();
        clock.atAwsStart = snapshot();
      }
      clock.inFlight++;
      return send(...args).finally(() => {
        if (clock.inFlight === 1) {
          settle();
          clock.awsMs += performance.now() - clock.since;
          clock.inAws.attributed += loop.attributed - clock.atAwsStart.attributed;
          clock.inAws.unattributed += loop.unattributed - clock.atAwsStart.unattributed;
        }
        clock.inFlight--;
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
