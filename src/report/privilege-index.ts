import { documentPrivilege, stronger, wellKnownPolicyPrivilege, type Privilege } from "./policy-privilege.js";
import { isDirect, type Snapshot } from "./snapshot.js";
import { isPolicyType, splitKey, TYPE } from "./targets.js";

/**
 * The policies each resource carries, from the sync itself: managed and inline policies attached
 * to it (baton-aws's `iam_policy`/`inline_policy` `attached` grants whose principal is the
 * resource, listed not derived), and inline policies that are its children. A bearer's privilege
 * is the strongest of its policies'; a policy's comes from its document, else from AWS's
 * well-known managed policies.
 */
export class PrivilegeIndex {
  readonly #policiesOf = new Map<string, Set<string>>();
  readonly #policyPrivilege = new Map<string, Privilege | undefined>();
  readonly #bearerPrivilege = new Map<string, Privilege | undefined>();

  constructor(private readonly snapshot: Snapshot) {
    const { grants, entitlements, keys } = snapshot;
    const policyHolder = entitlements.map((e) => isPolicyType(splitKey(e.resourceKey)[0]));
    for (let i = 0; i < grants.count; i++) {
      const e = grants.entitlement[i]!;
      if (policyHolder[e] && isDirect(snapshot, i)) this.#attach(keys.values[grants.principal[i]!]!, entitlements[e]!.resourceKey);
    }
    for (const resource of snapshot.resources.values()) {
      if (resource.typeId === TYPE.inlinePolicy && resource.parentKey) this.#attach(resource.parentKey, resource.key);
    }
  }

  /** Policy resource keys attached to a bearer. */
  policiesOf(bearerKey: string): string[] {
    return [...(this.#policiesOf.get(bearerKey) ?? [])].sort();
  }

  /** The strongest privilege among the bearers (a policy counts as its own bearer). */
  privilegeOf(bearers: readonly string[]): Privilege | undefined {
    let best: Privilege | undefined;
    for (const bearer of bearers) best = stronger(best, this.#bearer(bearer));
    return best;
  }

  #bearer(key: string): Privilege | undefined {
    if (this.#bearerPrivilege.has(key)) return this.#bearerPrivilege.get(key);
    let best = isPolicyType(splitKey(key)[0]) ? this.policyPrivilege(key) : undefined;
    for (const policy of this.#policiesOf.get(key) ?? []) best = stronger(best, this.policyPrivilege(policy));
    this.#bearerPrivilege.set(key, best);
    return best;
  }

  /** A policy's own privilege, its reason prefixed with the policy's name. */
  policyPrivilege(policyKey: string): Privilege | undefined {
    if (this.#policyPrivilege.has(policyKey)) return this.#policyPrivilege.get(policyKey);
    const resource = this.snapshot.resources.get(policyKey);
    const [typeId, id] = splitKey(policyKey);
    const name = resource?.name ?? id.slice(id.lastIndexOf("/") + 1);
    let found: Privilege | undefined;
    if (resource?.policyDocument) {
      const fromDocument = documentPrivilege(resource.policyDocument);
      if (fromDocument) found = { level: fromDocument.level, reason: `${name}: ${fromDocument.reason}` };
    } else if (typeId === TYPE.managedPolicy) {
      found = wellKnownPolicyPrivilege(id);
    }
    this.#policyPrivilege.set(policyKey, found);
    return found;
  }

  #attach(bearerKey: string, policyKey: string): void {
    let set = this.#policiesOf.get(bearerKey);
    if (!set) this.#policiesOf.set(bearerKey, (set = new Set()));
    set.add(policyKey);
  }
}
