import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextKey, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthCheckResponseSchema,
  type HealthCheckRequest,
} from "../gen/grpc/health/v1/health_pb.js";

/** The connection a request came on (set by the server), so Watch streams can be counted per connection. */
export const connectionKey = createContextKey<object | undefined>(undefined);

export interface HealthLimits {
  /** Watch streams open at once, in total: the health service is open to anyone who can connect. */
  maxWatches: number;
  /** Watch streams open at once on one connection. */
  maxWatchesPerConnection: number;
}

export const DEFAULT_HEALTH_LIMITS: HealthLimits = { maxWatches: 32, maxWatchesPerConnection: 2 };

/** Longest service name repeated in an answer; the protocol sets no bound, an open endpoint must. */
const MAX_ECHOED_NAME = 128;

/**
 * grpc.health.v1.Health: SERVING for the server as a whole ("") and each mounted service until
 * shutdown begins, then NOT_SERVING — Watch streams report that and end, so a graceful shutdown is
 * not held open by health watchers.
 */
export class HealthState {
  #serving = true;
  #waiters = new Set<() => void>();
  #watches = 0;
  readonly #watchesByConnection = new WeakMap<object, number>();

  constructor(
    private readonly serviceNames: readonly string[],
    private readonly limits: HealthLimits = DEFAULT_HEALTH_LIMITS,
  ) {}

  /** undefined for a service this server does not know. */
  status(service: string): ServingStatus | undefined {
    if (service !== "" && !this.serviceNames.includes(service)) return undefined;
    return this.#serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }

  get shuttingDown(): boolean {
    return !this.#serving;
  }

  /** Watch streams open now. */
  get watches(): number {
    return this.#watches;
  }

  shutdown(): void {
    if (!this.#serving) return;
    this.#serving = false;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /** Resolves at the next status change or when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted || !this.#serving) return resolve();
      const wake = () => {
        signal.removeEventListener("abort", wake);
        this.#waiters.delete(wake);
        resolve();
      };
      this.#waiters.add(wake);
      signal.addEventListener("abort", wake, { once: true });
    });
  }

  /** Admits one more Watch stream (ResourceExhausted beyond the limits); the returned function releases it. */
  admitWatch(connection: object | undefined): () => void {
    const onConnection = connection ? (this.#watchesByConnection.get(connection) ?? 0) : 0;
    if (this.#watches >= this.limits.maxWatches) {
      throw new ConnectError(`too many health Watch streams (at most ${this.limits.maxWatches} at once); use Check`, Code.ResourceExhausted);
    }
    if (onConnection >= this.limits.maxWatchesPerConnection) {
      throw new ConnectError(`too many health Watch streams on this connection (at most ${this.limits.maxWatchesPerConnection})`, Code.ResourceExhausted);
    }
    this.#watches += 1;
    if (connection) this.#watchesByConnection.set(connection, onConnection + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#watches -= 1;
      if (connection) this.#watchesByConnection.set(connection, (this.#watchesByConnection.get(connection) ?? 1) - 1);
    };
  }
}

export function createHealthService(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(req: HealthCheckRequest) {
      const status = state.status(req.service);
      if (status === undefined) throw new ConnectError(`unknown service "${shortened(req.service)}"`, Code.NotFound);
      return create(HealthCheckResponseSchema, { status });
    },
    async *watch(req: HealthCheckRequest, ctx: HandlerContext) {
      const release = state.admitWatch(ctx.values.get(connectionKey));
      try {
        let last: ServingStatus | undefined;
        while (!ctx.signal.aborted) {
          // Per the health protocol, Watch reports an unknown service instead of failing.
          const status = state.status(req.service) ?? ServingStatus.SERVICE_UNKNOWN;
          if (status !== last) {
            yield create(HealthCheckResponseSchema, { status });
            last = status;
          }
          if (state.shuttingDown) return;
          await state.changed(ctx.signal);
        }
      } finally {
        release();
      }
    },
  };
}

function shortened(name: string): string {
  const chars = [...name];
  return chars.length <= MAX_ECHOED_NAME ? name : `${chars.slice(0, MAX_ECHOED_NAME).join("")}… (${chars.length} characters)`;
}
