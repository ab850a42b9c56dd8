/**
 * Parses the `connector sim` knob flags into a KnobPatch, so the CLI stays a thin shell and the
 * flag syntax is testable. Every parser throws an Error whose message names the flag.
 */
import { SERVICE_NAMES, type ServiceName } from "./errors.js";
import type { AssignmentFailureRule, FaultRule, KnobPatch } from "./knobs.js";

export interface KnobFlags {
  seed?: string;
  latency?: string;
  serviceLatency?: string[];
  quotas?: boolean;
  quota?: string[];
  assignmentDelay?: string;
  maxOutstanding?: string;
  assignmentFailureRate?: string;
  failAssignment?: string[];
  principalAssignmentsIncludeGroups?: string;
  shortPageRate?: string;
  fault?: string[];
  cloudtrailDelay?: string;
}

/** "30" → fixed 30; "30-80" → fixed 30 + jitter 50. */
export function parseRange(text: string, flag: string): { fixedMs: number; jitterMs: number } {
  const match = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(text.trim());
  if (!match) throw new Error(`${flag}: expected MS or MIN-MAX in milliseconds, got "${text}"`);
  const low = Number(match[1]);
  const high = match[2] === undefined ? low : Number(match[2]);
  if (high < low) throw new Error(`${flag}: the maximum ${high} is below the minimum ${low}`);
  return { fixedMs: low, jitterMs: high - low };
}

function parseProbability(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new Error(`${flag}: expected a probability between 0 and 1, got "${text}"`);
  return value;
}

function parseService(text: string, flag: string): ServiceName {
  if (!(SERVICE_NAMES as readonly string[]).includes(text)) {
    throw new Error(`${flag}: unknown service "${text}" (known: ${SERVICE_NAMES.join(", ")})`);
  }
  return text as ServiceName;
}

function splitPair(text: string, flag: string): [string, string] {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new Error(`${flag}: expected NAME=VALUE, got "${text}"`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** `throttle:0.05`, `internal:0.01:sso-admin`, `slow:0.1:iam/ListUsers:2000`, `reset:0.01`. */
export function parseFault(text: string): FaultRule {
  const [kind, rate, target, delay] = text.split(":");
  if (kind !== "throttle" && kind !== "internal" && kind !== "reset" && kind !== "slow") {
    throw new Error(`--fault: unknown kind "${kind}" (throttle, internal, reset, slow)`);
  }
  const rule: FaultRule = { kind, rate: parseProbability(rate ?? "", "--fault") };
  if (target) {
    const [service, operation] = target.split("/");
    rule.services = [parseService(service!, "--fault")];
    if (operation) rule.operations = [operation];
  }
  if (delay !== undefined) rule.delayMs = parseRange(delay, "--fault").fixedMs;
  return rule;
}

/** `account=123456789012,permissionSet=AdministratorAccess,principal=<id>,op=create,reason=...`. */
export function parseFailureRule(text: string): AssignmentFailureRule {
  const rule: AssignmentFailureRule = {};
  for (const part of text.split(",")) {
    const [key, value] = splitPair(part, "--fail-assignment");
    switch (key) {
      case "account":
        rule.accountId = value;
        break;
      case "permissionSet":
        if (value.startsWith("arn:")) rule.permissionSetArn = value;
        else rule.permissionSetName = value;
        break;
      case "principal":
        rule.principalId = value;
        break;
      case "principalType":
        if (value !== "USER" && value !== "GROUP") throw new Error(`--fail-assignment: principalType must be USER or GROUP`);
        rule.principalType = value;
        break;
      case "op":
        if (value !== "create" && value !== "delete") throw new Error(`--fail-assignment: op must be create or delete`);
        rule.operation = value;
        break;
      case "reason":
        rule.reason = value;
        break;
      default:
        throw new Error(`--fail-assignment: unknown field "${key}" (account, permissionSet, principal, principalType, op, reason)`);
    }
  }
  return rule;
}

export function knobPatchFromFlags(flags: KnobFlags): KnobPatch {
  const patch: KnobPatch = {};
  if (flags.seed !== undefined) {
    const seed = Number(flags.seed);
    if (!Number.isInteger(seed)) throw new Error(`--seed: expected an integer, got "${flags.seed}"`);
    patch.seed = seed;
  }
  if (flags.latency !== undefined || flags.serviceLatency?.length) {
    patch.latency = flags.latency !== undefined ? parseRange(flags.latency, "--latency") : {};
    const perService: Partial<Record<ServiceName, { fixedMs: number; jitterMs: number }>> = {};
    for (const entry of flags.serviceLatency ?? []) {
      const [service, range] = splitPair(entry, "--service-latency");
      perService[parseService(service, "--service-latency")] = parseRange(range, "--service-latency");
    }
    patch.latency.perService = perService;
  }
  if (flags.quotas !== undefined || flags.quota?.length) {
    const services: Partial<Record<ServiceName, { rate: number; burst?: number }>> = {};
    for (const entry of flags.quota ?? []) {
      const [service, value] = splitPair(entry, "--quota");
      const [rate, burst] = value.split("/").map(Number);
      if (!rate || rate <= 0 || (burst !== undefined && !(burst > 0))) throw new Error(`--quota: expected SERVICE=RATE[/BURST], got "${entry}"`);
      services[parseService(service, "--quota")] = { rate, burst: burst ?? rate };
    }
    patch.quotas = { enabled: flags.quotas ?? true, services };
  }
  const assignments: NonNullable<KnobPatch["assignments"]> = {};
  if (flags.assignmentDelay !== undefined) Object.assign(assignments, parseRange(flags.assignmentDelay, "--assignment-delay"));
  if (flags.maxOutstanding !== undefined) {
    const cap = Number(flags.maxOutstanding);
    if (!Number.isInteger(cap) || cap < 0) throw new Error(`--max-outstanding: expected a whole number (0 = no cap)`);
    assignments.maxOutstanding = cap;
  }
  if (flags.assignmentFailureRate !== undefined) assignments.failureRate = parseProbability(flags.assignmentFailureRate, "--assignment-failure-rate");
  if (flags.failAssignment?.length) assignments.failureRules = flags.failAssignment.map(parseFailureRule);
  if (Object.keys(assignments).length) patch.assignments = assignments;
  if (flags.principalAssignmentsIncludeGroups !== undefined) {
    const value = flags.principalAssignmentsIncludeGroups;
    if (value !== "true" && value !== "false") throw new Error(`--principal-assignments-include-groups: expected true or false`);
    patch.principalAssignmentsIncludeGroups = value === "true";
  }
  if (flags.shortPageRate !== undefined) patch.shortPageRate = parseProbability(flags.shortPageRate, "--short-page-rate");
  if (flags.fault?.length) patch.faults = flags.fault.map(parseFault);
  if (flags.cloudtrailDelay !== undefined) {
    const { fixedMs, jitterMs } = parseRange(flags.cloudtrailDelay, "--cloudtrail-delay");
    patch.cloudTrail = { deliveryDelayMs: fixedMs, deliveryJitterMs: jitterMs };
  }
  return patch;
}
