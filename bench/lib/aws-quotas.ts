/**
 * The AWS the benchmarks run against: per-call latency and per-service quotas, one table for the
 * simulator (what AWS enforces) and for the bound (what the fastest possible run could do).
 *
 * Quotas: src/aws/quotas.ts is the one table the connector's default pacing and the simulator's
 * aws-like preset are both built from; the benchmark uses it as is, so the bound is a rate the
 * connector is configured to reach.
 */
import { AWS_QUOTAS_PER_SECOND } from "../../src/aws/quotas.js";
import { AWS_SERVICES, type AwsServiceId } from "../../src/config/config.js";
import { awsLikeKnobs, type KnobPatch, type ServiceName } from "../../src/simulator/index.js";

/** Connector service id → simulator service name (only SSO Admin differs: "sso" vs "sso-admin"). */
export const SIM_SERVICE: Record<AwsServiceId, ServiceName> = {
  iam: "iam",
  sts: "sts",
  identitystore: "identitystore",
  sso: "sso-admin",
  organizations: "organizations",
  cloudtrail: "cloudtrail",
};

/** Requests per second per service, keyed by the connector's service ids. */
export type Quotas = Record<AwsServiceId, number>;

export const BENCH_QUOTAS: Quotas = { ...AWS_QUOTAS_PER_SECOND };

/** AWS-like latency: the simulator's aws-like preset (30 ms + U(0, 50 ms) per call). */
export const BENCH_LATENCY = { ...awsLikeKnobs().latency, perService: {} };

/** Simulator knobs: aws-like latency, and each service's bucket at BENCH_QUOTAS (burst = one second's worth). */
export function benchKnobs(extra: KnobPatch = {}): KnobPatch {
  const services = Object.fromEntries(AWS_SERVICES.map((s) => [SIM_SERVICE[s], { rate: BENCH_QUOTAS[s], burst: BENCH_QUOTAS[s] }]));
  return { latency: { fixedMs: BENCH_LATENCY.fixedMs, jitterMs: BENCH_LATENCY.jitterMs }, quotas: { enabled: true, services }, ...extra };
}

export interface ServiceBound {
  calls: number;
  rate: number;
  seconds: number;
}

export interface LowerBound {
  /** max over services of calls ÷ quota: no sync can make these calls faster. */
  seconds: number;
  limitingService: string;
  byService: Record<string, ServiceBound>;
}

/** Calls by service from calls keyed "service:Operation". */
export function callsByService(byOperation: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [operation, calls] of Object.entries(byOperation)) {
    const service = operation.slice(0, operation.indexOf(":"));
    out[service] = (out[service] ?? 0) + calls;
  }
  return out;
}

/**
 * The quota bound of a set of calls: each service at its quota, services in parallel. For a
 * service whose quota is per account (IAM, STS), `busiestAccount` may give the calls made in the
 * account with the most of them: the accounts' buckets run in parallel, so only that one bounds.
 */
export function lowerBound(byOperation: Record<string, number>, quotas: Quotas = BENCH_QUOTAS, busiestAccount: Partial<Record<AwsServiceId, number>> = {}): LowerBound {
  const byService: Record<string, ServiceBound> = {};
  let seconds = 0;
  let limitingService = "";
  for (const [service, total] of Object.entries(callsByService(byOperation))) {
    const rate = quotas[service as AwsServiceId];
    if (rate === undefined) throw new Error(`no quota for service "${service}"`);
    const calls = busiestAccount[service as AwsServiceId] ?? total;
    const s = calls / rate;
    byService[service] = { calls, rate, seconds: s };
    if (s > seconds) {
      seconds = s;
      limitingService = service;
    }
  }
  return { seconds, limitingService, byService };
}
