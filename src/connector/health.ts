import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthCheckResponseSchema,
  type HealthCheckRequest,
} from "../gen/grpc/health/v1/health_pb.js";

/**
 * grpc.health.v1.Health: SERVING for the server as a whole ("") and each mounted service until
 * shutdown begins, then NOT_SERVING — Watch streams report that and end, so a graceful shutdown is
 * not held open by health watchers.
 */
export class HealthState {
  #serving = true;
  #waiters = new Set<() => void>();

  constructor(private readonly serviceNames: readonly string[]) {}

  /** undefined for a service this server does not know. */
  status(service: string): ServingStatus | undefined {
    if (service !== "" && !this.serviceNames.includes(service)) return undefined;
    return this.#serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }

  get shuttingDown(): boolean {
    return !this.#serving;
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
}

export function createHealthService(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(req: HealthCheckRequest) {
      const status = state.status(req.service);
      if (status === undefined) throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      return create(HealthCheckResponseSchema, { status });
    },
    async *watch(req: HealthCheckRequest, ctx: HandlerContext) {
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
    },
  };
}
