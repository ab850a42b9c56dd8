/**
 * SSO Admin / IAM Identity Center (awsJson1_1, `SWBExternalService.<Op>`, signing name `sso`).
 * Listings are index lookups (assignments by target and by principal, provisioning by account
 * and by permission set). Assignment writes go through the async engine in assignments.ts.
 */
import type { AssignmentOperation, AssignmentOperationKind } from "../assignments.js";
import { SimError } from "../errors.js";
import { membershipsOfUser } from "../model/identity-store.js";
import { ACCOUNT_ID, INSTANCE_ARN, PERMISSION_SET_ARN, RESOURCE_ID, UUID } from "../model/ids.js";
import { mapSequence, sequenceOf, type Sequence } from "../model/keyed-list.js";
import {
  accountsProvisionedWith,
  assignmentsForPrincipal,
  assignmentsForTarget,
  permissionSetsProvisionedTo,
} from "../model/sso.js";
import type { AccountAssignment, PermissionSet, PrincipalType, SsoInstance } from "../model/types.js";
import { cachedJson } from "../protocol/json.js";
import { timestamp } from "../protocol/timestamp.js";
import { optionalObject, optionalString, requiredString } from "../validate.js";
import { page, type Input, type RequestContext, type ServiceDefinition } from "./service.js";

const PRINCIPAL_TYPES = ["USER", "GROUP"] as const;
const PROVISIONING_STATUSES = ["LATEST_PERMISSION_SET_PROVISIONED", "LATEST_PERMISSION_SET_NOT_PROVISIONED"] as const;

/** The instance named by InstanceArn, after settling due assignment operations. */
function instanceFor(ctx: RequestContext, input: Input): SsoInstance {
  const arn = requiredString(input, "InstanceArn", { min: 10, max: 1224, pattern: INSTANCE_ARN });
  const sso = ctx.sim.model.ssoInstance;
  if (!sso || sso.arn !== arn) throw SimError.coded("ResourceNotFoundException", `Instance ${arn} does not exist.`);
  if (ctx.caller.accountId !== sso.ownerAccountId) {
    throw SimError.of("accessDenied", `User: ${ctx.caller.arn} is not authorized to perform: sso:${ctx.operation} on resource: ${arn}`);
  }
  ctx.sim.assignments.settle(ctx.now);
  return sso;
}

function permissionSetFor(sso: SsoInstance, input: Input): PermissionSet {
  const arn = requiredString(input, "PermissionSetArn", { min: 10, max: 1224, pattern: PERMISSION_SET_ARN });
  const permissionSet = sso.permissionSets.get(arn);
  if (!permissionSet) throw SimError.coded("ResourceNotFoundException", `Could not find PermissionSet with arn ${arn}.`);
  return permissionSet;
}

const accountIdOf = (input: Input, field = "AccountId") => requiredString(input, field, { min: 12, max: 12, pattern: ACCOUNT_ID });
const principalTypeOf = (input: Input) => requiredString(input, "PrincipalType", { oneOf: PRINCIPAL_TYPES }) as PrincipalType;
const principalIdOf = (input: Input) => requiredString(input, "PrincipalId", { min: 1, max: 47, pattern: RESOURCE_ID });

const assignmentShape = (a: AccountAssignment) => ({
  AccountId: a.accountId,
  PermissionSetArn: a.permissionSetArn,
  PrincipalType: a.principalType,
  PrincipalId: a.principalId,
});

const statusShape = (op: AssignmentOperation) => ({
  Status: op.status,
  RequestId: op.requestId,
  FailureReason: op.failureReason,
  TargetId: op.assignment.accountId,
  TargetType: "AWS_ACCOUNT",
  PermissionSetArn: op.assignment.permissionSetArn,
  PrincipalType: op.assignment.principalType,
  PrincipalId: op.assignment.principalId,
  CreatedDate: timestamp(op.createdAt),
});

/**
 * A principal's assignments; for a USER, optionally (knob, default on, as AWS does) followed by
 * the assignments of every group the user belongs to, reported with the group as principal.
 */
function principalAssignments(ctx: RequestContext, sso: SsoInstance, type: PrincipalType, id: string, accountFilter?: string): Sequence<AccountAssignment> {
  const direct = assignmentsForPrincipal(sso, type, id);
  const store = ctx.sim.model.identityStore;
  const viaGroups = type === "USER" && ctx.sim.knobs.current.principalAssignmentsIncludeGroups && store;
  if (!viaGroups && !accountFilter) return direct;
  const all: AccountAssignment[] = direct.toArray();
  if (viaGroups) for (const m of membershipsOfUser(store, id)) all.push(...assignmentsForPrincipal(sso, "GROUP", m.groupId));
  return sequenceOf(accountFilter ? all.filter((a) => a.accountId === accountFilter) : all);
}

function writeAssignment(ctx: RequestContext, input: Input, kind: AssignmentOperationKind) {
  const sso = instanceFor(ctx, input);
  const accountId = accountIdOf(input, "TargetId");
  requiredString(input, "TargetType", { oneOf: ["AWS_ACCOUNT"] });
  const permissionSet = permissionSetFor(sso, input);
  const principalType = principalTypeOf(input);
  const principalId = principalIdOf(input);
  const store = ctx.sim.model.identityStore;
  const exists = principalType === "USER" ? store?.users.has(principalId) : store?.groups.has(principalId);
  if (kind === "create" && !exists) {
    throw SimError.coded("ResourceNotFoundException", `${principalType === "USER" ? "User" : "Group"} ${principalId} does not exist in the identity store.`);
  }
  const op = ctx.sim.assignments.start(kind, { accountId, permissionSetArn: permissionSet.arn, principalType, principalId }, ctx.now);
  return statusShape(op);
}

function describeStatus(ctx: RequestContext, input: Input, kind: AssignmentOperationKind, field: string) {
  instanceFor(ctx, input);
  const requestId = requiredString(input, field, { min: 36, max: 36, pattern: UUID });
  const op = ctx.sim.assignments.find(kind, requestId, ctx.now);
  if (!op) throw SimError.coded("ResourceNotFoundException", `Could not find an account assignment ${kind === "create" ? "creation" : "deletion"} request with id ${requestId}.`);
  return statusShape(op);
}

export const ssoAdminService: ServiceDefinition = {
  name: "sso-admin",
  protocol: "json",
  writes: new Set(["CreateAccountAssignment", "DeleteAccountAssignment"]),
  operations: {
    ListInstances(ctx, input) {
      const sso = ctx.sim.model.ssoInstance;
      const visible = sso && sso.ownerAccountId === ctx.caller.accountId ? [sso] : [];
      const result = page(ctx, sequenceOf(visible), input);
      return {
        Instances: result.items.map((i) => ({
          InstanceArn: i.arn,
          IdentityStoreId: i.identityStoreId,
          OwnerAccountId: i.ownerAccountId,
          Name: i.name,
          CreatedDate: timestamp(i.createdAt),
          Status: "ACTIVE",
        })),
        NextToken: result.nextToken,
      };
    },
    ListPermissionSets(ctx, input) {
      const sso = instanceFor(ctx, input);
      const result = page(ctx, mapSequence(sso.permissionSets, (p) => p.arn), input);
      return { PermissionSets: result.items, NextToken: result.nextToken };
    },
    DescribePermissionSet(ctx, input) {
      const p = permissionSetFor(instanceFor(ctx, input), input);
      return {
        PermissionSet: {
          Name: p.name,
          PermissionSetArn: p.arn,
          Description: p.description,
          CreatedDate: timestamp(p.createdAt),
          SessionDuration: p.sessionDuration,
          RelayState: p.relayState,
        },
      };
    },
    ListManagedPoliciesInPermissionSet(ctx, input) {
      const p = permissionSetFor(instanceFor(ctx, input), input);
      const result = page(ctx, sequenceOf(p.managedPolicies), input, p.arn);
      return { AttachedManagedPolicies: result.items.map((arn) => ({ Name: arn.slice(arn.lastIndexOf("/") + 1), Arn: arn })), NextToken: result.nextToken };
    },
    ListCustomerManagedPolicyReferencesInPermissionSet(ctx, input) {
      const p = permissionSetFor(instanceFor(ctx, input), input);
      const result = page(ctx, sequenceOf(p.customerManagedPolicies), input, p.arn);
      return { CustomerManagedPolicyReferences: result.items.map((r) => ({ Name: r.name, Path: r.path })), NextToken: result.nextToken };
    },
    GetInlinePolicyForPermissionSet(ctx, input) {
      const p = permissionSetFor(instanceFor(ctx, input), input);
      // Without an inline policy the answer is an empty string, as moto gives it (AWS unverified).
      return { InlinePolicy: p.inlinePolicy ?? "" };
    },
    GetPermissionsBoundaryForPermissionSet(ctx, input) {
      const p = permissionSetFor(instanceFor(ctx, input), input);
      const boundary = p.permissionsBoundary;
      // Without a boundary: ResourceNotFoundException (AWS's answer unverified).
      if (!boundary) throw SimError.coded("ResourceNotFoundException", `Permissions boundary of PermissionSet ${p.arn} does not exist.`);
      const ref = boundary.customerManagedPolicyReference;
      return { PermissionsBoundary: { ManagedPolicyArn: boundary.managedPolicyArn, CustomerManagedPolicyReference: ref ? { Name: ref.name, Path: ref.path } : undefined } };
    },
    ListPermissionSetProvisioningStatus(ctx, input) {
      instanceFor(ctx, input);
      const filter = optionalObject(input, "Filter");
      if (filter) optionalString(filter, "Status", { oneOf: ["IN_PROGRESS", "FAILED", "SUCCEEDED"] });
      // The simulator has no ProvisionPermissionSet: no provisioning request was ever made.
      const result = page(ctx, sequenceOf<never>([]), input);
      return { PermissionSetsProvisioningStatus: result.items, NextToken: result.nextToken };
    },
    ListPermissionSetsProvisionedToAccount(ctx, input) {
      const sso = instanceFor(ctx, input);
      const accountId = accountIdOf(input);
      const status = optionalString(input, "ProvisioningStatus", { oneOf: PROVISIONING_STATUSES });
      // Provisioning is never outdated here, so NOT_PROVISIONED is always empty.
      const items = status === "LATEST_PERMISSION_SET_NOT_PROVISIONED" ? sequenceOf<string>([]) : permissionSetsProvisionedTo(sso, accountId);
      const result = page(ctx, items, input, `${accountId}/${status ?? ""}`);
      return { PermissionSets: result.items, NextToken: result.nextToken };
    },
    ListAccountsForProvisionedPermissionSet(ctx, input) {
      const sso = instanceFor(ctx, input);
      const permissionSet = permissionSetFor(sso, input);
      const status = optionalString(input, "ProvisioningStatus", { oneOf: PROVISIONING_STATUSES });
      const items = status === "LATEST_PERMISSION_SET_NOT_PROVISIONED" ? sequenceOf<string>([]) : accountsProvisionedWith(sso, permissionSet.arn);
      const result = page(ctx, items, input, `${permissionSet.arn}/${status ?? ""}`);
      return { AccountIds: result.items, NextToken: result.nextToken };
    },
    ListAccountAssignments(ctx, input) {
      const sso = instanceFor(ctx, input);
      const accountId = accountIdOf(input);
      const permissionSet = permissionSetFor(sso, input);
      const result = page(ctx, assignmentsForTarget(sso, accountId, permissionSet.arn), input, `${accountId}/${permissionSet.arn}`);
      return { AccountAssignments: result.items.map((a) => cachedJson(a, assignmentShape)), NextToken: result.nextToken };
    },
    ListAccountAssignmentsForPrincipal(ctx, input) {
      const sso = instanceFor(ctx, input);
      const type = principalTypeOf(input);
      const id = principalIdOf(input);
      const filter = optionalObject(input, "Filter");
      const accountFilter = filter ? optionalString(filter, "AccountId", { pattern: ACCOUNT_ID }) : undefined;
      const items = principalAssignments(ctx, sso, type, id, accountFilter);
      const groups = ctx.sim.knobs.current.principalAssignmentsIncludeGroups;
      const result = page(ctx, items, input, `${type}/${id}/${accountFilter ?? ""}/${groups}`);
      return { AccountAssignments: result.items.map((a) => cachedJson(a, assignmentShape)), NextToken: result.nextToken };
    },
    CreateAccountAssignment: (ctx, input) => ({ AccountAssignmentCreationStatus: writeAssignment(ctx, input, "create") }),
    DeleteAccountAssignment: (ctx, input) => ({ AccountAssignmentDeletionStatus: writeAssignment(ctx, input, "delete") }),
    DescribeAccountAssignmentCreationStatus: (ctx, input) => ({
      AccountAssignmentCreationStatus: describeStatus(ctx, input, "create", "AccountAssignmentCreationRequestId"),
    }),
    DescribeAccountAssignmentDeletionStatus: (ctx, input) => ({
      AccountAssignmentDeletionStatus: describeStatus(ctx, input, "delete", "AccountAssignmentDeletionRequestId"),
    }),
  },
};
