/**
 * Call, throttle and error counts per service and operation, plus assignment-operation
 * counters. Benchmarks and tests read them to assert exactly how many AWS calls a sync made;
 * every HTTP request counts, so SDK retries show up as extra calls.
 */
import type { ServiceName } from "./errors.js";

export interface CallCounts {
  calls: number;
  /** Throttling answers (quota or injected). */
  throttles: number;
  /** Error answers of any kind, throttles included. */
  errors: number;
  /** Injected faults other than throttles (5xx, resets, slow responses). */
  faults: number;
}

export interface ServiceCounts extends CallCounts {
  operations: Record<string, CallCounts>;
}

export interface AssignmentCounts {
  started: number;
  succeeded: number;
  failed: number;
  /** IN_PROGRESS right now (as of the last settlement). */
  outstanding: number;
  /** Highest number of IN_PROGRESS operations ever observed on one instance. */
  maxOutstanding: number;
  /** Requests refused because the outstanding cap was reached. */
  rejectedOverCap: number;
}

/**
 * Requests that arrived in each second of the simulator clock (epoch second → count), for tests
 * that prove a client never exceeded a rate. Only the last PER_SECOND_RETENTION seconds are kept.
 */
export interface PerSecondCounts {
  /** Most requests seen in any one retained second. */
  peak: number;
  buckets: Record<string, number>;
}

export interface CounterSnapshot {
  totals: CallCounts;
  services: Partial<Record<ServiceName, ServiceCounts>>;
  assignments: AssignmentCounts;
  perSecond: Partial<Record<ServiceName, PerSecondCounts>>;
}

export const PER_SECOND_RETENTION = 3600;

/** "fault" = injected 5xx or reset; "slowed" = injected delay on an otherwise normal answer. */
export type CallOutcome = "ok" | "throttled" | "error" | "fault" | "slowed";

const zero = (): CallCounts => ({ calls: 0, throttles: 0, errors: 0, faults: 0 });
const zeroAssignments = (): AssignmentCounts => ({
  started: 0,
  succeeded: 0,
  failed: 0,
  outstanding: 0,
  maxOutstanding: 0,
  rejectedOverCap: 0,
});

export interface Counters {
  /** Counts one request of the operation when it arrives (`now`: simulator clock, ms). */
  call(service: ServiceName, operation: string, now?: number): void;
  /** Records how a counted request ended. */
  outcome(service: ServiceName, operation: string, outcome: CallOutcome): void;
  readonly assignments: AssignmentCounts;
  /** Calls of one operation (0 if never called). */
  calls(service: ServiceName, operation?: string): number;
  /** Per-second arrival counts of one service (buckets keyed by epoch second). */
  perSecond(service: ServiceName): PerSecondCounts;
  snapshot(): CounterSnapshot;
  reset(): void;
}

export function createCounters(): Counters {
  let totals = zero();
  let services: Partial<Record<ServiceName, ServiceCounts>> = {};
  let assignments = zeroAssignments();
  let seconds = new Map<ServiceName, Map<number, number>>();

  const entries = (service: ServiceName, operation: string): CallCounts[] => {
    const perService = (services[service] ??= { ...zero(), operations: {} });
    const perOperation = (perService.operations[operation] ??= zero());
    return [totals, perService, perOperation];
  };

  return {
    call(service, operation, now) {
      for (const c of entries(service, operation)) c.calls++;
      if (now !== undefined) countSecond(seconds, service, Math.floor(now / 1000));
    },
    outcome(service, operation, outcome) {
      if (outcome === "ok") return;
      for (const c of entries(service, operation)) {
        if (outcome === "throttled") c.throttles++;
        if (outcome === "fault" || outcome === "slowed") c.faults++;
        if (outcome !== "slowed") c.errors++;
      }
    },
    get assignments() {
      return assignments;
    },
    calls(service, operation) {
      const perService = services[service];
      if (!perService) return 0;
      return operation === undefined ? perService.calls : (perService.operations[operation]?.calls ?? 0);
    },
    perSecond: (service) => perSecondOf(seconds.get(service)),
    snapshot() {
      const perSecond: Partial<Record<ServiceName, PerSecondCounts>> = {};
      for (const [service, buckets] of seconds) perSecond[service] = perSecondOf(buckets);
      return { ...structuredClone({ totals, services, assignments }), perSecond };
    },
    reset() {
      totals = zero();
      services = {};
      seconds = new Map();
      // The current outstanding count is state, not history: keep it across a reset.
      assignments = { ...zeroAssignments(), outstanding: assignments.outstanding, maxOutstanding: assignments.outstanding };
    },
  };
}

function countSecond(seconds: Map<ServiceName, Map<number, number>>, service: ServiceName, second: number): void {
  let buckets = seconds.get(service);
  if (!buckets) {
    buckets = new Map();
    seconds.set(service, buckets);
  }
  const count = buckets.get(second);
  if (count !== undefined) {
    buckets.set(second, count + 1);
    return;
  }
  buckets.set(second, 1);
  // A new second: drop buckets that fell out of the retention window (insertion order is time order
  // for a monotonic clock; a clock moved backwards only delays pruning).
  for (const old of buckets.keys()) {
    if (old > second - PER_SECOND_RETENTION) break;
    buckets.delete(old);
  }
}

function perSecondOf(buckets: Map<number, number> | undefined): PerSecondCounts {
  const out: PerSecondCounts = { peak: 0, buckets: {} };
  for (const [second, count] of buckets ?? []) {
    out.buckets[String(second)] = count;
    if (count > out.peak) out.peak = count;
  }
  return out;
}
