/**
 * Fault injection: throttling, internal errors, connection resets and slow answers, by rate and
 * by service/operation, drawn from a seeded PRNG so a run can be reproduced.
 */
import type { ServiceName } from "./errors.js";
import type { Prng } from "./generate/prng.js";
import type { FaultKind, FaultRule, KnobStore } from "./knobs.js";

export interface FaultDecision {
  /** At most one of throttle / internal / reset applies; the first matching rule wins. */
  failure?: Exclude<FaultKind, "slow">;
  /** Extra delay from "slow" rules (they combine with anything). */
  extraDelayMs: number;
}

export interface Faults {
  decide(service: ServiceName, operation: string): FaultDecision;
}

export function createFaults(knobs: KnobStore, prng: () => Prng): Faults {
  // Injection counts per rule position, reset whenever the rules change.
  let injected: number[] = [];
  knobs.onChange((next, previous) => {
    if (JSON.stringify(next.faults) !== JSON.stringify(previous.faults)) injected = [];
  });
  const matches = (rule: FaultRule, index: number, service: ServiceName, operation: string) =>
    (!rule.services || rule.services.includes(service)) &&
    (!rule.operations || rule.operations.includes(operation)) &&
    (rule.count === undefined || (injected[index] ?? 0) < rule.count);

  return {
    decide(service, operation) {
      const decision: FaultDecision = { extraDelayMs: 0 };
      knobs.current.faults.forEach((rule, index) => {
        if (!matches(rule, index, service, operation)) return;
        if (rule.kind !== "slow" && decision.failure) return;
        if (!prng().chance(rule.rate)) return;
        injected[index] = (injected[index] ?? 0) + 1;
        if (rule.kind === "slow") decision.extraDelayMs += rule.delayMs ?? 1000;
        else decision.failure = rule.kind;
      });
      return decision;
    },
  };
}
