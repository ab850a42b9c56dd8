/**
 * Run-time behaviour settings ("knobs"): latency, quotas, assignment timing and failures, short
 * pages, fault injection. One typed shape serves the programmatic API, the CLI flags and the
 * admin endpoint (`GET/POST /_sim/knobs`); a patch may change any subset while the server runs.
 */
import { z } from "zod";
import { AWS_QUOTAS_PER_SECOND, MAX_OUTSTANDING_ASSIGNMENT_OPERATIONS } from "../aws/quotas.js";
import { SERVICE_NAMES, type ServiceName } from "./errors.js";

export interface LatencyKnob {
  fixedMs: number;
  /** Uniform extra delay in [0, jitterMs]. */
  jitterMs: number;
}

export interface QuotaKnob {
  /** Requests per second refilled into the bucket. */
  rate: number;
  /** Bucket size: how many requests may arrive at once. */
  burst: number;
}

export type FaultKind = "throttle" | "internal" | "reset" | "slow";

export interface FaultRule {
  kind: FaultKind;
  /** Probability per matching request, drawn from the seeded PRNG. */
  rate: number;
  /** Only these services (default: all). */
  services?: ServiceName[];
  /** Only these operation names (default: all). */
  operations?: string[];
  /** Extra delay for "slow". */
  delayMs?: number;
  /** Stop after injecting this many times (handy for exact retry tests). */
  count?: number;
}

/** A FAILED outcome for assignment operations matching every given field. */
export interface AssignmentFailureRule {
  operation?: "create" | "delete";
  accountId?: string;
  permissionSetArn?: string;
  permissionSetName?: string;
  principalType?: "USER" | "GROUP";
  principalId?: string;
  reason?: string;
}

export interface AssignmentKnobs extends LatencyKnob {
  /** Cap on IN_PROGRESS create+delete operations per instance; 0 disables the cap. */
  maxOutstanding: number;
  /** Probability that an operation FAILS (besides rules and suspended accounts). */
  failureRate: number;
  failureRules: AssignmentFailureRule[];
  /** FailureReason for rate-injected failures and rules without their own reason. */
  failureReason: string;
}

/** IAM's adjustable per-entity quotas (AWS defaults: 10 managed policies per user, group and role). */
export interface IamLimitKnobs {
  managedPoliciesPerUser: number;
  managedPoliciesPerGroup: number;
  managedPoliciesPerRole: number;
}

/** CloudTrail's event history (services/cloudtrail.ts). */
export interface CloudTrailKnobs {
  /** Time from a write until LookupEvents shows its event: fixed + U(0, jitter). AWS: typically within minutes. */
  deliveryDelayMs: number;
  deliveryJitterMs: number;
  /** Events older than this are gone (AWS: 90 days). */
  retentionDays: number;
}

export interface Knobs {
  seed: number;
  latency: LatencyKnob & { perService: Partial<Record<ServiceName, LatencyKnob>> };
  quotas: { enabled: boolean; services: Record<ServiceName, QuotaKnob> };
  assignments: AssignmentKnobs;
  /** ListAccountAssignmentsForPrincipal(USER) also returns the user's groups' assignments. */
  principalAssignmentsIncludeGroups: boolean;
  /** Probability that a page which could be full comes back short (with a token). */
  shortPageRate: number;
  faults: FaultRule[];
  iamLimits: IamLimitKnobs;
  cloudTrail: CloudTrailKnobs;
}

/**
 * Default quotas. SSO Admin's collective 20 TPS is published; the others are assumptions
 * (AWS publishes no per-API rates for IAM, STS, Identity Store or Organizations). See docs.
 */
export const DEFAULT_QUOTAS: Record<ServiceName, QuotaKnob> = {
  "sso-admin": perSecond(AWS_QUOTAS_PER_SECOND.sso),
  identitystore: perSecond(AWS_QUOTAS_PER_SECOND.identitystore),
  iam: perSecond(AWS_QUOTAS_PER_SECOND.iam),
  sts: perSecond(AWS_QUOTAS_PER_SECOND.sts),
  organizations: perSecond(AWS_QUOTAS_PER_SECOND.organizations),
  // Per account and Region (services/cloudtrail.ts keys its buckets so).
  cloudtrail: perSecond(AWS_QUOTAS_PER_SECOND.cloudtrail),
};

/** A token bucket that refills at `rate` per second and holds one second's worth. */
function perSecond(rate: number): QuotaKnob {
  return { rate, burst: rate };
}

export const DEFAULT_FAILURE_REASON = "An unexpected internal service exception was encountered";

/** Tests' default: instant, unthrottled, no faults. */
export function fastKnobs(): Knobs {
  return {
    seed: 1,
    latency: { fixedMs: 0, jitterMs: 0, perService: {} },
    quotas: { enabled: false, services: structuredClone(DEFAULT_QUOTAS) },
    assignments: {
      fixedMs: 0,
      jitterMs: 0,
      maxOutstanding: MAX_OUTSTANDING_ASSIGNMENT_OPERATIONS,
      failureRate: 0,
      failureRules: [],
      failureReason: DEFAULT_FAILURE_REASON,
    },
    principalAssignmentsIncludeGroups: true,
    shortPageRate: 0,
    faults: [],
    iamLimits: { managedPoliciesPerUser: 10, managedPoliciesPerGroup: 10, managedPoliciesPerRole: 10 },
    cloudTrail: { deliveryDelayMs: 0, deliveryJitterMs: 0, retentionDays: 90 },
  };
}

/** Closer to AWS: 30–80 ms per call, real quotas, assignments taking 1–3 s. */
export function awsLikeKnobs(): Knobs {
  const knobs = fastKnobs();
  knobs.latency = { fixedMs: 30, jitterMs: 50, perService: {} };
  knobs.quotas.enabled = true;
  knobs.assignments.fixedMs = 1000;
  knobs.assignments.jitterMs = 2000;
  // "Typically within about five minutes" (CloudTrail User Guide).
  knobs.cloudTrail.deliveryDelayMs = 60_000;
  knobs.cloudTrail.deliveryJitterMs = 240_000;
  return knobs;
}

export const PRESETS = { fast: fastKnobs, "aws-like": awsLikeKnobs } as const;
export type PresetName = keyof typeof PRESETS;

const nonNegative = z.number().finite().nonnegative();
const probability = z.number().min(0).max(1);
const serviceName = z.enum(SERVICE_NAMES as [ServiceName, ...ServiceName[]]);
const latencyPatch = z.strictObject({ fixedMs: nonNegative.optional(), jitterMs: nonNegative.optional() });
const quotaPatch = z.strictObject({ rate: z.number().positive().optional(), burst: z.number().positive().optional() });
const servicePatches = <T extends z.ZodType>(value: T) =>
  z.strictObject(Object.fromEntries(SERVICE_NAMES.map((s) => [s, value.optional()])) as Record<ServiceName, z.ZodOptional<T>>);

const faultRule = z.strictObject({
  kind: z.enum(["throttle", "internal", "reset", "slow"]),
  rate: probability,
  services: z.array(serviceName).optional(),
  operations: z.array(z.string()).optional(),
  delayMs: nonNegative.optional(),
  count: z.number().int().positive().optional(),
});

const failureRule = z.strictObject({
  operation: z.enum(["create", "delete"]).optional(),
  accountId: z.string().optional(),
  permissionSetArn: z.string().optional(),
  permissionSetName: z.string().optional(),
  principalType: z.enum(["USER", "GROUP"]).optional(),
  principalId: z.string().optional(),
  reason: z.string().optional(),
});

/** A partial Knobs; arrays (faults, failure rules) replace rather than merge. */
export const knobPatchSchema = z.strictObject({
  seed: z.number().int().optional(),
  latency: latencyPatch.extend({ perService: servicePatches(latencyPatch).optional() }).optional(),
  quotas: z.strictObject({ enabled: z.boolean().optional(), services: servicePatches(quotaPatch).optional() }).optional(),
  assignments: latencyPatch
    .extend({
      maxOutstanding: z.number().int().nonnegative().optional(),
      failureRate: probability.optional(),
      failureRules: z.array(failureRule).optional(),
      failureReason: z.string().min(1).optional(),
    })
    .optional(),
  principalAssignmentsIncludeGroups: z.boolean().optional(),
  shortPageRate: probability.optional(),
  faults: z.array(faultRule).optional(),
  iamLimits: z
    .strictObject({
      managedPoliciesPerUser: z.number().int().nonnegative().optional(),
      managedPoliciesPerGroup: z.number().int().nonnegative().optional(),
      managedPoliciesPerRole: z.number().int().nonnegative().optional(),
    })
    .optional(),
  cloudTrail: z
    .strictObject({
      deliveryDelayMs: nonNegative.optional(),
      deliveryJitterMs: nonNegative.optional(),
      retentionDays: z.number().int().positive().optional(),
    })
    .optional(),
});

export type KnobPatch = z.infer<typeof knobPatchSchema>;

/** Validates a patch from outside (admin endpoint, knob file), naming the bad field. */
export function parseKnobPatch(value: unknown): KnobPatch {
  const result = knobPatchSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "(root)";
    throw new Error(`invalid knobs at ${where}: ${issue?.message ?? "invalid value"}`);
  }
  return result.data;
}

export function applyKnobPatch(knobs: Knobs, patch: KnobPatch): Knobs {
  const next = structuredClone(knobs);
  if (patch.seed !== undefined) next.seed = patch.seed;
  if (patch.latency) {
    const { perService, ...rest } = patch.latency;
    Object.assign(next.latency, defined(rest));
    for (const [service, latency] of Object.entries(perService ?? {}) as Array<[ServiceName, Partial<LatencyKnob>]>) {
      next.latency.perService[service] = { ...(next.latency.perService[service] ?? { fixedMs: 0, jitterMs: 0 }), ...defined(latency) };
    }
  }
  if (patch.quotas) {
    if (patch.quotas.enabled !== undefined) next.quotas.enabled = patch.quotas.enabled;
    for (const [service, quota] of Object.entries(patch.quotas.services ?? {}) as Array<[ServiceName, Partial<QuotaKnob>]>) {
      next.quotas.services[service] = { ...next.quotas.services[service], ...defined(quota) };
    }
  }
  if (patch.assignments) Object.assign(next.assignments, defined(patch.assignments));
  if (patch.principalAssignmentsIncludeGroups !== undefined) next.principalAssignmentsIncludeGroups = patch.principalAssignmentsIncludeGroups;
  if (patch.shortPageRate !== undefined) next.shortPageRate = patch.shortPageRate;
  if (patch.faults) next.faults = patch.faults;
  if (patch.iamLimits) Object.assign(next.iamLimits, defined(patch.iamLimits));
  if (patch.cloudTrail) Object.assign(next.cloudTrail, defined(patch.cloudTrail));
  return next;
}

export interface KnobStore {
  readonly current: Readonly<Knobs>;
  /** Applies a (validated) patch and notifies listeners; returns the new knobs. */
  update(patch: KnobPatch): Readonly<Knobs>;
  onChange(listener: (knobs: Readonly<Knobs>, previous: Readonly<Knobs>) => void): void;
}

export function createKnobStore(initial: Knobs): KnobStore {
  let current = initial;
  const listeners: Array<(knobs: Knobs, previous: Knobs) => void> = [];
  return {
    get current() {
      return current;
    },
    update(patch) {
      const previous = current;
      current = applyKnobPatch(current, parseKnobPatch(patch));
      for (const listener of listeners) listener(current, previous);
      return current;
    },
    onChange(listener) {
      listeners.push(listener);
    },
  };
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
