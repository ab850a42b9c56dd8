/** AWS call counts from the simulator's counters, keyed like AwsCallStats ("sso:ListAccountAssignments"). */
import type { CounterSnapshot } from "../../../src/simulator/index.js";

const SERVICE_IDS: Record<string, string> = { "sso-admin": "sso" };

export interface OperationCounts {
  /** Requests that reached the simulator. */
  calls: number;
  /** Requests answered with an injected throttle or fault (the ones a retry repeats). */
  injected: number;
}

export function operationCounts(snapshot: CounterSnapshot): Map<string, OperationCounts> {
  const out = new Map<string, OperationCounts>();
  for (const [service, counts] of Object.entries(snapshot.services)) {
    for (const [operation, c] of Object.entries(counts?.operations ?? {})) {
      out.set(`${SERVICE_IDS[service] ?? service}:${operation}`, { calls: c.calls, injected: c.throttles + c.faults });
    }
  }
  return out;
}

/** Per operation, `after − before` of the requests that were not injected failures. */
export function realCallsBetween(before: CounterSnapshot, after: CounterSnapshot): Record<string, number> {
  const a = operationCounts(before);
  const out: Record<string, number> = {};
  for (const [key, counts] of operationCounts(after)) {
    const prior = a.get(key) ?? { calls: 0, injected: 0 };
    const real = counts.calls - counts.injected - (prior.calls - prior.injected);
    if (real > 0) out[key] = real;
  }
  return Object.fromEntries(Object.entries(out).sort(([x], [y]) => x.localeCompare(y)));
}

/** Per operation, all requests `after − before` (retries included). */
export function allCallsBetween(before: CounterSnapshot, after: CounterSnapshot): Record<string, number> {
  const a = operationCounts(before);
  const out: Record<string, number> = {};
  for (const [key, counts] of operationCounts(after)) {
    const n = counts.calls - (a.get(key)?.calls ?? 0);
    if (n > 0) out[key] = n;
  }
  return Object.fromEntries(Object.entries(out).sort(([x], [y]) => x.localeCompare(y)));
}
