import type { AwsServiceId } from "../config/config.js";

export interface OperationStats {
  /** HTTP requests sent, retries included. */
  calls: number;
  /** Responses AWS throttled. */
  throttled: number;
  /** Other failed responses (after which the SDK may still have retried). */
  errors: number;
  /** Sum of request latencies in milliseconds. */
  totalMs: number;
}

/**
 * Counts every AWS request by service and operation. Shared by all clients of one connector so a
 * sync summary and the benchmarks can report exactly how many calls were made.
 */
export class AwsCallStats {
  readonly #byOperation = new Map<string, OperationStats>();

  record(service: AwsServiceId, operation: string, outcome: "ok" | "throttled" | "error", elapsedMs: number): void {
    const key = `${service}:${operation}`;
    let stats = this.#byOperation.get(key);
    if (!stats) {
      stats = { calls: 0, throttled: 0, errors: 0, totalMs: 0 };
      this.#byOperation.set(key, stats);
    }
    stats.calls += 1;
    stats.totalMs += elapsedMs;
    if (outcome === "throttled") stats.throttled += 1;
    else if (outcome === "error") stats.errors += 1;
  }

  /** Stats keyed "service:Operation", e.g. "sso:ListAccountAssignments". */
  byOperation(): Record<string, OperationStats> {
    return Object.fromEntries([...this.#byOperation].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, { ...v }]));
  }

  byService(): Partial<Record<AwsServiceId, OperationStats>> {
    const out: Partial<Record<AwsServiceId, OperationStats>> = {};
    for (const [key, stats] of this.#byOperation) {
      const service = key.slice(0, key.indexOf(":")) as AwsServiceId;
      const sum = (out[service] ??= { calls: 0, throttled: 0, errors: 0, totalMs: 0 });
      sum.calls += stats.calls;
      sum.throttled += stats.throttled;
      sum.errors += stats.errors;
      sum.totalMs += stats.totalMs;
    }
    return out;
  }

  totals(): OperationStats {
    const total = { calls: 0, throttled: 0, errors: 0, totalMs: 0 };
    for (const stats of this.#byOperation.values()) {
      total.calls += stats.calls;
      total.throttled += stats.throttled;
      total.errors += stats.errors;
      total.totalMs += stats.totalMs;
    }
    return total;
  }

  reset(): void {
    this.#byOperation.clear();
  }
}
