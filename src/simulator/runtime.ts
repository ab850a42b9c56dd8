/**
 * Everything a request handler may use, built once per simulator: the model, knobs, counters,
 * the assignment engine, the credential registry, the clock and the seeded PRNG streams. Each
 * concern draws from its own stream so, e.g., enabling fault injection does not change ids.
 */
import type { Logger } from "../log.js";
import { createAssignmentEngine, type AssignmentEngine } from "./assignments.js";
import { createCloudTrailLog, type CloudTrailLog } from "./cloudtrail-log.js";
import { createCounters, type Counters } from "./counters.js";
import { createCredentialRegistry, type CredentialRegistry } from "./credentials.js";
import { createFaults, type Faults } from "./faults.js";
import { createPrng, type Prng } from "./generate/prng.js";
import type { KnobStore } from "./knobs.js";
import type { SimModel } from "./model/types.js";
import { createQuotas, type Quotas } from "./quota.js";
import { createWriteEvents, type WriteEvents } from "./write-events.js";

/** Milliseconds since the epoch; tests may pass a controllable clock. */
export type Clock = () => number;

export type PrngStream = "ids" | "request-ids" | "faults" | "latency" | "pagination" | "assignment-timing" | "assignment-failures" | "cloudtrail";

export interface SimRuntime {
  model: SimModel;
  knobs: KnobStore;
  counters: Counters;
  clock: Clock;
  quotas: Quotas;
  faults: Faults;
  assignments: AssignmentEngine;
  credentials: CredentialRegistry;
  /** Listeners told about every write operation served. */
  writes: WriteEvents;
  /** CloudTrail's event history of those writes (and of sign-ins). */
  cloudTrail: CloudTrailLog;
  prng(stream: PrngStream): Prng;
}

export function createRuntime(model: SimModel, knobs: KnobStore, clock: Clock, logger: Logger): SimRuntime {
  let streams = new Map<PrngStream, Prng>();
  let seed = knobs.current.seed;
  knobs.onChange((next) => {
    if (next.seed !== seed) {
      seed = next.seed;
      streams = new Map();
    }
  });
  const prng = (stream: PrngStream): Prng => {
    let p = streams.get(stream);
    if (!p) {
      p = createPrng(seed, stream);
      streams.set(stream, p);
    }
    return p;
  };
  const counters = createCounters();
  const writes = createWriteEvents((error, event) => logger.error({ err: error, service: event.service, operation: event.operation }, "write listener failed"));
  return {
    model,
    knobs,
    counters,
    clock,
    quotas: createQuotas(knobs, clock),
    faults: createFaults(knobs, () => prng("faults")),
    assignments: createAssignmentEngine({
      model,
      knobs,
      counters,
      ids: () => prng("ids"),
      timing: () => prng("assignment-timing"),
      failures: () => prng("assignment-failures"),
    }),
    credentials: createCredentialRegistry(model),
    writes,
    cloudTrail: createCloudTrailLog({ model, knobs, writes, clock, prng: () => prng("cloudtrail") }),
    prng,
  };
}
