import { accountIdFromArn, parseAccountEntitlementId } from "../resources/ids.js";
import { resourceKey, type EntitlementInfo, type ResourceInfo, type Snapshot } from "./snapshot.js";

/**
 * What an entitlement gives access to, in an auditor's words: the kind of access, its name, the
 * AWS account it applies in, the resources whose policies decide its power, and the identity of
 * the AWS fact behind a grant of it (so the same assignment seen through baton-aws's two models —
 * the `account` entitlement and the `permission_set_assignment` binding — counts once).
 */
export type AccessKind = "permission-set" | "iam-role" | "iam-group" | "sso-group" | "managed-policy" | "inline-policy" | "other";

export const ACCESS_KIND_LABELS: Record<AccessKind, string> = {
  "permission-set": "Permission set",
  "iam-role": "IAM role",
  "iam-group": "IAM group",
  "sso-group": "SSO group",
  "managed-policy": "Managed policy",
  "inline-policy": "Inline policy",
  other: "Other",
};

export interface Target {
  kind: AccessKind;
  /** The resource holding the entitlement. */
  resourceKey: string;
  name: string;
  /** The account the access applies in, when it is tied to one. */
  accountId?: string;
  /** Resources whose attached policies give this access its power. */
  bearers: string[];
  /**
   * The AWS fact a grant of this entitlement stands for, without the principal: assignments are
   * "assignment|<account>|<permission set ARN>", everything else the entitlement id.
   */
  factPrefix: string;
  /** For a permission set: its ARN. */
  permissionSetArn?: string;
}

/** baton-aws's resource type ids (ConductorOne/baton-aws pkg/connector/resource_types.go). */
export const TYPE = {
  account: "account",
  accountIam: "account_iam",
  binding: "permission_set_assignment",
  permissionSet: "permission_set",
  iamRole: "role",
  iamGroup: "group",
  iamUser: "iam_user",
  ssoGroup: "sso_group",
  ssoUser: "sso_user",
  managedPolicy: "iam_policy",
  inlinePolicy: "inline_policy",
} as const;

export const isPolicyType = (typeId: string) => typeId === TYPE.managedPolicy || typeId === TYPE.inlinePolicy;

export function assignmentFact(accountId: string, permissionSetArn: string): string {
  return `assignment|${accountId}|${permissionSetArn}`;
}

/** A grant's fact key: the target's fact and the principal. */
export const factKey = (target: Pick<Target, "factPrefix">, principalKey: string) => `${target.factPrefix}|${principalKey}`;

export class TargetResolver {
  readonly #cache = new Map<string, Target>();
  readonly #byIndex: Array<Target | undefined> = [];
  constructor(private readonly snapshot: Snapshot) {}

  /** The target of any entitlement id (one the sync does not list is read from the id's shape). */
  of(entitlementId: string): Target {
    const index = this.snapshot.entitlementIds.find(entitlementId);
    if (index !== undefined) return this.ofIndex(index);
    let target = this.#cache.get(entitlementId);
    if (!target) {
      target = this.#resolve(entitlementId);
      this.#cache.set(entitlementId, target);
    }
    return target;
  }

  ofIndex(index: number): Target {
    let target = this.#byIndex[index];
    if (!target) {
      target = this.#resolve(this.snapshot.entitlementIds.values[index]!);
      this.#byIndex[index] = target;
    }
    return target;
  }

  /** The account id an IAM principal, policy or account resource lives in. */
  accountOf(key: string): string | undefined {
    const resource = this.snapshot.resources.get(key);
    const [typeId, id] = splitKey(key);
    if (typeId === TYPE.account || typeId === TYPE.accountIam) return id;
    const fromArn = accountIdFromArn(id.split("::inline::")[0]!);
    if (fromArn) return fromArn;
    if (resource?.parentKey) {
      const [parentType, parentId] = splitKey(resource.parentKey);
      if (parentType === TYPE.account || parentType === TYPE.accountIam) return parentId;
    }
    return undefined;
  }

  #resolve(entitlementId: string): Target {
    const index = this.snapshot.entitlementIds.find(entitlementId);
    const entitlement = index === undefined ? undefined : this.snapshot.entitlements[index];
    const assignment = parseAccountEntitlementId(entitlementId);
    if (assignment && (!entitlement || entitlement.resourceKey === resourceKey(TYPE.account, assignment.accountId))) {
      return this.#permissionSet(assignment.accountId, assignment.permissionSetArn, entitlement, [resourceKey(TYPE.permissionSet, assignment.permissionSetArn)]);
    }
    const holderKey = entitlement?.resourceKey ?? holderFromConventionalId(entitlementId);
    const [typeId, id] = splitKey(holderKey);
    const holder = this.snapshot.resources.get(holderKey);
    const name = holder?.name ?? (id || entitlementId);
    switch (typeId) {
      case TYPE.binding: {
        const bound = bindingOf(holder, id);
        if (bound) return this.#permissionSet(bound.accountId, bound.permissionSetArn, entitlement, [holderKey, resourceKey(TYPE.permissionSet, bound.permissionSetArn)], holderKey);
        break;
      }
      case TYPE.iamRole:
        return this.#simple("iam-role", holderKey, name, entitlementId, [holderKey]);
      case TYPE.iamGroup:
        return this.#simple("iam-group", holderKey, name, entitlementId, [holderKey]);
      case TYPE.ssoGroup:
        return { kind: "sso-group", resourceKey: holderKey, name, bearers: [], factPrefix: entitlementId };
      case TYPE.managedPolicy:
        return this.#simple("managed-policy", holderKey, name, entitlementId, [holderKey]);
      case TYPE.inlinePolicy:
        return this.#simple("inline-policy", holderKey, name, entitlementId, [holderKey]);
    }
    return this.#simple("other", holderKey, entitlement?.displayName || name, entitlementId, [holderKey]);
  }

  #simple(kind: AccessKind, key: string, name: string, entitlementId: string, bearers: string[]): Target {
    const accountId = this.accountOf(key);
    return { kind, resourceKey: key, name, bearers, factPrefix: entitlementId, ...(accountId ? { accountId } : {}) };
  }

  #permissionSet(accountId: string, arn: string, entitlement: EntitlementInfo | undefined, bearers: string[], holderKey?: string): Target {
    const ps = this.snapshot.resources.get(resourceKey(TYPE.permissionSet, arn));
    const fromEntitlement = entitlement?.displayName.replace(/ Permission Set$/, "") || entitlement?.slug.replace(/ access$/, "");
    return {
      kind: "permission-set",
      resourceKey: holderKey ?? resourceKey(TYPE.account, accountId),
      name: ps?.name ?? (fromEntitlement || arn.slice(arn.lastIndexOf("/") + 1)),
      accountId,
      bearers,
      factPrefix: assignmentFact(accountId, arn),
      permissionSetArn: arn,
    };
  }
}

export function splitKey(key: string): [string, string] {
  const colon = key.indexOf(":");
  return colon < 0 ? [key, ""] : [key.slice(0, colon), key.slice(colon + 1)];
}

/** "<type>:<resource id>:<slug>" → "<type>:<resource id>" (for an entitlement the file does not list). */
function holderFromConventionalId(entitlementId: string): string {
  const last = entitlementId.lastIndexOf(":");
  return last > 0 ? entitlementId.slice(0, last) : entitlementId;
}

/** A permission_set_assignment's account and permission set: its ScopeBindingTrait, else its id "<psArn>-<accountId>". */
function bindingOf(holder: ResourceInfo | undefined, id: string): { accountId: string; permissionSetArn: string } | undefined {
  if (holder?.binding) {
    const [, permissionSetArn] = splitKey(holder.binding.roleKey);
    const [, accountId] = splitKey(holder.binding.scopeKey);
    if (permissionSetArn && accountId) return { accountId, permissionSetArn };
  }
  const match = /^(arn:.+)-(\d{12})$/.exec(id);
  return match ? { permissionSetArn: match[1]!, accountId: match[2]! } : undefined;
}
