import { ResourceType_Trait } from "../gen/c1/connector/v2/resource_pb.js";
import { PathFinder } from "./paths.js";
import type { Privilege } from "./policy-privilege.js";
import { PrivilegeIndex } from "./privilege-index.js";
import { Interner, isDirect, type ResourceInfo, type Snapshot } from "./snapshot.js";
import { isPolicyType, splitKey, TargetResolver, TYPE, type Target } from "./targets.js";

/**
 * Who can do what, from one sync: one row per AWS fact a user, group or IAM role holds — directly
 * or through expansion — with every path to it and the privilege its policies give.
 *
 * Which grants become rows (docs/report.md states the same rule):
 *   - the principal is a user (USER trait), a group (GROUP trait) or an IAM role (`role`);
 *   - policy grants (`iam_policy`/`inline_policy`) derived through a group, role or permission-set
 *     binding are not rows of their own: they are that group's, role's or binding's power, shown
 *     as its privilege;
 *   - one AWS account assignment seen through both of baton-aws's models (`account` entitlement
 *     and `permission_set_assignment` binding) is one row.
 *
 * Rows are columns of indexes (a large organisation has millions): principal (resource key),
 * entitlement, and path set (PathFinder.sets).
 */
export type PrincipalKind = "user" | "group" | "role";

export interface Principal {
  key: string;
  id: string;
  kind: PrincipalKind;
  typeId: string;
  typeLabel: string;
  name: string;
  email?: string;
  login?: string;
  status: ResourceInfo["status"];
  lastLoginMs?: number;
  createdMs?: number;
  accountId?: string;
}

export interface AccessRows {
  count: number;
  /** Index into snapshot.keys. */
  principal: Int32Array;
  /** Index into snapshot.entitlementIds. */
  entitlement: Int32Array;
  /** Index into paths.sets. */
  pathSet: Int32Array;
}

export interface AccessModel {
  snapshot: Snapshot;
  rows: AccessRows;
  /** Principals of rows, and every user of the sync (with access or not), by resource-key index. */
  principals: Map<number, Principal>;
  accountNames: Map<string, string>;
  targets: TargetResolver;
  privileges: PrivilegeIndex;
  paths: PathFinder;
}

const TYPE_LABELS: Record<string, string> = {
  [TYPE.ssoUser]: "SSO user",
  [TYPE.iamUser]: "IAM user",
  [TYPE.ssoGroup]: "SSO group",
  [TYPE.iamGroup]: "IAM group",
  [TYPE.iamRole]: "IAM role",
};

export function buildAccessModel(snapshot: Snapshot): AccessModel {
  const targets = new TargetResolver(snapshot);
  const privileges = new PrivilegeIndex(snapshot);
  const paths = new PathFinder(snapshot);
  const { grants, keys, entitlements } = snapshot;

  const principals = new Map<number, Principal>();
  const kindOfType = new Map<string, PrincipalKind | undefined>();
  const notPrincipal = new Set<number>();
  const principalOf = (index: number): Principal | undefined => {
    const known = principals.get(index);
    if (known || notPrincipal.has(index)) return known;
    const key = keys.values[index]!;
    const [typeId, id] = splitKey(key);
    if (!kindOfType.has(typeId)) kindOfType.set(typeId, principalKind(snapshot, typeId));
    const kind = kindOfType.get(typeId);
    if (!kind) {
      notPrincipal.add(index);
      return undefined;
    }
    const resource = snapshot.resources.get(key);
    const accountId = targets.accountOf(key);
    const principal: Principal = {
      key,
      id,
      kind,
      typeId,
      typeLabel: TYPE_LABELS[typeId] ?? snapshot.resourceTypes.get(typeId)?.name ?? typeId,
      name: resource?.name ?? id,
      status: resource?.status ?? "unknown",
      ...(resource?.email ? { email: resource.email } : {}),
      ...(resource?.login ? { login: resource.login } : {}),
      ...(resource?.lastLoginMs !== undefined ? { lastLoginMs: resource.lastLoginMs } : {}),
      ...(resource?.createdMs !== undefined ? { createdMs: resource.createdMs } : {}),
      ...(accountId ? { accountId } : {}),
    };
    principals.set(index, principal);
    return principal;
  };
  for (const resource of snapshot.resources.values()) {
    if (principalKind(snapshot, resource.typeId) === "user") principalOf(keys.id(resource.key));
  }

  // Entitlements standing for the same AWS fact share a fact index; only those need merging.
  const factIds = new Interner();
  const factOf = new Int32Array(entitlements.length);
  const policyTarget = new Uint8Array(entitlements.length);
  entitlements.forEach((_, e) => {
    const target = targets.ofIndex(e);
    factOf[e] = factIds.id(target.factPrefix);
    policyTarget[e] = isPolicyType(splitKey(target.resourceKey)[0]) ? 1 : 0;
  });
  const sharing = new Uint32Array(factIds.size);
  for (let e = 0; e < entitlements.length; e++) sharing[factOf[e]!]!++;

  const rows: AccessRows = { count: 0, principal: new Int32Array(grants.count), entitlement: new Int32Array(grants.count), pathSet: new Int32Array(grants.count) };
  const merged = new Map<number, number>();
  const stride = keys.size + 1;
  for (let i = 0; i < grants.count; i++) {
    const p = grants.principal[i]!;
    if (!principalOf(p)) continue;
    const e = grants.entitlement[i]!;
    if (policyTarget[e] && !isDirect(snapshot, i)) continue;
    const set = paths.pathSet(i);
    const fact = factOf[e]!;
    if (sharing[fact]! > 1) {
      const factKey = fact * stride + p;
      const row = merged.get(factKey);
      if (row !== undefined) {
        rows.pathSet[row] = paths.intern([...paths.sets[rows.pathSet[row]!]!, ...paths.sets[set]!]);
        continue;
      }
      merged.set(factKey, rows.count);
    }
    const r = rows.count++;
    rows.principal[r] = p;
    rows.entitlement[r] = e;
    rows.pathSet[r] = set;
  }

  return { snapshot, rows, principals, accountNames: accountNames(snapshot), targets, privileges, paths };
}

/** A row's principal (every row's principal is in the model). */
export const rowPrincipal = (model: AccessModel, r: number): Principal => model.principals.get(model.rows.principal[r]!)!;

export const rowTarget = (model: AccessModel, r: number): Target => model.targets.ofIndex(model.rows.entitlement[r]!);

/** The account a row's access applies in: its target's, or for a policy held directly, its holder's. */
export function rowAccount(model: AccessModel, r: number): string | undefined {
  const target = rowTarget(model, r);
  if (target.accountId) return target.accountId;
  return target.kind === "managed-policy" || target.kind === "inline-policy" ? rowPrincipal(model, r).accountId : undefined;
}

export const rowPrivilege = (model: AccessModel, r: number): Privilege | undefined => model.privileges.privilegeOf(rowTarget(model, r).bearers);

/** "<fact prefix>|<principal key>": the same AWS fact in any sync. */
export const rowFactKey = (model: AccessModel, r: number): string => `${rowTarget(model, r).factPrefix}|${model.snapshot.keys.values[model.rows.principal[r]!]}`;

/** Whether the row's principal holds it directly (by at least one path). */
export const rowIsDirect = (model: AccessModel, r: number): boolean => model.paths.sets[model.rows.pathSet[r]!]!.some((p) => p.length === 0);

function principalKind(snapshot: Snapshot, typeId: string): PrincipalKind | undefined {
  const traits = snapshot.resourceTypes.get(typeId)?.traits;
  if (traits?.has(ResourceType_Trait.USER) || typeId === TYPE.ssoUser || typeId === TYPE.iamUser) return "user";
  if (traits?.has(ResourceType_Trait.GROUP) || typeId === TYPE.ssoGroup || typeId === TYPE.iamGroup) return "group";
  if (typeId === TYPE.iamRole) return "role";
  return undefined;
}

/** Account display names from `account` and `account_iam` resources (`account` wins). */
function accountNames(snapshot: Snapshot): Map<string, string> {
  const names = new Map<string, string>();
  for (const resource of snapshot.resources.values()) {
    if (resource.typeId !== TYPE.account && resource.typeId !== TYPE.accountIam) continue;
    if (!resource.name || resource.name === resource.id) continue;
    if (!names.has(resource.id) || resource.typeId === TYPE.account) names.set(resource.id, resource.name);
  }
  return names;
}
