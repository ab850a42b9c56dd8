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

export interface CounterSnapshot {
  totals: CallCounts;
  services: Partial<Record<ServiceName, ServiceCounts>>;
  assignments: AssignmentCounts;
}

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
  /** Counts one request of the operation when it arrives. */
  call(service: ServiceName, operation: string): void;
  /** Records how a counted request ended. */
  outcome(service: ServiceName, operation: string, outcome: CallOutcome): void;
  readonly assignments: AssignmentCounts;
  /** Calls of one operation (0 if never called). */
  calls(service: ServiceName, operation?: string): number;
  snapshot(): CounterSnapshot;
  reset(): void;
}

export function createCounters(): Counters {
  let totals = zero();
  let services: Partial<Record<ServiceName, ServiceCounts>> = {};
  let assignments = zeroAssignments();

  const entries = (service: ServiceName, operation: string): CallCounts[] => {
    const perService = (services[service] ??= { ...zero(), operations: {} });
    const perOperation = (perService.operations[operation] ??= zero());
    return [totals, perService, perOperation];
  };

  return {
    call(service, operation) {
      for (const c of entries(service, operation)) c.calls++;
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
    snapshot() {
      return structuredClone({ totals, services, assignments });
    },
    reset() {
      totals = zero();
      services = {};
      // The current outstanding count is state, not history: keep it across a reset.
      assignments = { ...zeroAssignments(), outstanding: assignments.outstanding, maxOutstanding: assignments.outstanding };
    },
  };
}
