/**
 * The asynchronous account-assignment state machine (aws-behaviour.md §9). Create and delete
 * answer IN_PROGRESS; the outcome (SUCCEEDED, or FAILED with a FailureReason) is decided at once
 * but becomes visible, and takes effect on the model, only after the configured delay. Nothing
 * runs on timers: due operations are settled lazily whenever SSO Admin is called, so a fake
 * clock drives the transitions exactly.
 *
 * Choices where AWS behaviour is unverified (documented in docs/simulator.md):
 * - creating an assignment that already exists succeeds and changes nothing;
 * - an assignment on a SUSPENDED/closed account or one outside the organisation is accepted and
 *   later FAILS (rather than a ValidationException at create);
 * - more than `maxOutstanding` IN_PROGRESS operations (creates and deletes together) per
 *   instance → ThrottlingException;
 * - a second create/delete for the same (account, permission set, principal) while one is
 *   IN_PROGRESS → ConflictException;
 * - provisioning into an account that lacks a customer-managed policy the permission set
 *   references → accepted, later FAILED naming the policy.
 */
import type { Counters } from "./counters.js";
import { SimError } from "./errors.js";
import type { Prng } from "./generate/prng.js";
import type { AssignmentFailureRule, KnobStore } from "./knobs.js";
import { addAssignment, findAssignment, missingPolicyReferences, permissionSetsProvisionedTo, principalKey, removeAssignment, targetKey } from "./model/sso.js";
import type { AccountAssignment, SimModel } from "./model/types.js";

export type AssignmentOperationKind = "create" | "delete";
export type AssignmentStatus = "IN_PROGRESS" | "SUCCEEDED" | "FAILED";

export interface AssignmentOperation {
  requestId: string;
  kind: AssignmentOperationKind;
  assignment: AccountAssignment;
  createdAt: number;
  completesAt: number;
  status: AssignmentStatus;
  failureReason?: string;
  /** The outcome decided at start, revealed at completesAt. */
  plannedFailure?: string;
}

export interface AssignmentEngine {
  /** Validates, records and returns a new IN_PROGRESS operation (throws Conflict/Throttling/NotFound). */
  start(kind: AssignmentOperationKind, assignment: AccountAssignment, now: number): AssignmentOperation;
  /** The operation of that kind with that request id, settled as of `now`. */
  find(kind: AssignmentOperationKind, requestId: string, now: number): AssignmentOperation | undefined;
  /** Completes every operation whose time has come. */
  settle(now: number): void;
  /** IN_PROGRESS operations as of the last settlement. */
  readonly outstanding: number;
}

export function createAssignmentEngine(deps: { model: SimModel; knobs: KnobStore; counters: Counters; ids: () => Prng; timing: () => Prng; failures: () => Prng }): AssignmentEngine {
  const { model, knobs, counters } = deps;
  const operations = new Map<string, AssignmentOperation>();
  const pending = new Map<string, AssignmentOperation>();
  const pendingByTriple = new Map<string, AssignmentOperation>();
  const triple = (a: AccountAssignment) => `${targetKey(a.accountId, a.permissionSetArn)}|${principalKey(a.principalType, a.principalId)}`;

  const complete = (op: AssignmentOperation) => {
    pending.delete(op.requestId);
    pendingByTriple.delete(triple(op.assignment));
    if (op.plannedFailure === undefined) apply(op);
    op.status = op.plannedFailure === undefined ? "SUCCEEDED" : "FAILED";
    op.failureReason = op.plannedFailure;
    if (op.status === "SUCCEEDED") counters.assignments.succeeded++;
    else counters.assignments.failed++;
  };

  const apply = (op: AssignmentOperation) => {
    const sso = model.ssoInstance!;
    const a = op.assignment;
    if (op.kind === "delete") {
      removeAssignment(sso, a);
      return;
    }
    const account = model.accounts.get(a.accountId)!;
    const permissionSet = sso.permissionSets.get(a.permissionSetArn)!;
    addAssignment(sso, account, permissionSet, { ...a });
  };

  const plannedFailure = (kind: AssignmentOperationKind, a: AccountAssignment): string | undefined => {
    const account = model.accounts.get(a.accountId);
    if (!account || !account.inOrganization) {
      return `Received a 404 status error: The target account ${a.accountId} is not a member of this organization.`;
    }
    if (account.state !== "ACTIVE") {
      return `Received a 403 status error: The target account ${a.accountId} is ${account.state} and cannot be provisioned.`;
    }
    const sso = model.ssoInstance!;
    const permissionSet = sso.permissionSets.get(a.permissionSetArn);
    if (kind === "create" && permissionSet && !permissionSetsProvisionedTo(sso, account.id).has(permissionSet.arn)) {
      // Provisioning creates the role with the permission set's customer-managed policies attached: they must exist.
      const missing = missingPolicyReferences(account, permissionSet);
      if (missing.length > 0) return `Received a 400 status error: The policy ${missing[0]} referenced by permission set ${permissionSet.name} does not exist in account ${account.id}.`;
    }
    const current = knobs.current.assignments;
    const rule = current.failureRules.find((r) => ruleMatches(r, kind, a, model));
    if (rule) return rule.reason ?? current.failureReason;
    if (deps.failures().chance(current.failureRate)) return current.failureReason;
    return undefined;
  };

  const engine: AssignmentEngine = {
    start(kind, assignment, now) {
      engine.settle(now);
      if (pendingByTriple.has(triple(assignment))) {
        throw SimError.coded(
          "ConflictException",
          "An account assignment operation for this account, permission set and principal is already in progress. Try again later.",
        );
      }
      if (kind === "delete" && !findAssignment(model.ssoInstance!, assignment)) {
        throw SimError.coded("ResourceNotFoundException", "The account assignment was not found.");
      }
      const cap = knobs.current.assignments.maxOutstanding;
      if (cap > 0 && pending.size >= cap) {
        counters.assignments.rejectedOverCap++;
        throw SimError.of("throttling", `Too many outstanding account assignment operations (at most ${cap} may be in progress).`);
      }
      const timing = knobs.current.assignments;
      const delay = timing.fixedMs + (timing.jitterMs > 0 ? deps.timing().next() * timing.jitterMs : 0);
      const op: AssignmentOperation = {
        requestId: deps.ids().uuid(),
        kind,
        assignment: { ...assignment },
        createdAt: now,
        completesAt: now + delay,
        status: "IN_PROGRESS",
        plannedFailure: plannedFailure(kind, assignment),
      };
      operations.set(op.requestId, op);
      pending.set(op.requestId, op);
      pendingByTriple.set(triple(assignment), op);
      counters.assignments.started++;
      counters.assignments.outstanding = pending.size;
      counters.assignments.maxOutstanding = Math.max(counters.assignments.maxOutstanding, pending.size);
      return op;
    },
    find(kind, requestId, now) {
      engine.settle(now);
      const op = operations.get(requestId);
      return op?.kind === kind ? op : undefined;
    },
    settle(now) {
      if (pending.size === 0) return;
      for (const op of [...pending.values()]) if (op.completesAt <= now) complete(op);
      counters.assignments.outstanding = pending.size;
    },
    get outstanding() {
      return pending.size;
    },
  };
  return engine;
}

function ruleMatches(rule: AssignmentFailureRule, kind: AssignmentOperationKind, a: AccountAssignment, model: SimModel): boolean {
  if (rule.operation && rule.operation !== kind) return false;
  if (rule.accountId && rule.accountId !== a.accountId) return false;
  if (rule.permissionSetArn && rule.permissionSetArn !== a.permissionSetArn) return false;
  if (rule.permissionSetName && model.ssoInstance?.permissionSets.get(a.permissionSetArn)?.name !== rule.permissionSetName) return false;
  if (rule.principalType && rule.principalType !== a.principalType) return false;
  if (rule.principalId && rule.principalId !== a.principalId) return false;
  return true;
}
