import type { AccessModel, PrincipalKind } from "./access.js";
import { rowAccount } from "./access.js";
import type { Path } from "./paths.js";
import { PRIVILEGE_LABELS, rank, type PrivilegeLevel } from "./policy-privilege.js";
import { Interner } from "./snapshot.js";
import { ACCESS_KIND_LABELS, splitKey, TYPE, type AccessKind } from "./targets.js";

/**
 * What a reviewer reads, deduplicated across every view and both syncs of a comparison: people
 * (and groups and roles), access targets (an entitlement in an account, with its privilege), and
 * paths rendered as text. Views hold indexes into these tables, so millions of rows cost a few
 * integers each — in memory, and in the page's embedded data.
 */
export interface PrincipalEntry {
  key: string;
  id: string;
  kind: PrincipalKind;
  typeLabel: string;
  name: string;
  email: string;
  status: string;
  /** Epoch ms, or null when the sync has none. */
  lastLoginMs: number | null;
  createdMs: number | null;
  accountId: string;
}

export interface TargetEntry {
  entitlementId: string;
  kind: AccessKind;
  kindLabel: string;
  name: string;
  accountId: string;
  accountName: string;
  level: PrivilegeLevel | "";
  levelLabel: string;
  /** 0 most powerful … PRIVILEGE_LEVELS.length for none: the privilege column sorts by it. */
  levelRank: number;
  reason: string;
  /** Names of the policies that give the target its power. */
  policies: string;
}

export interface ViaEntry {
  /** "direct", "SSO group Engineers", "IAM role a → IAM role b"; several paths joined with "; ". */
  text: string;
  /** The first hop's kind of each path: "direct", "group", "role", "binding", joined with " + ". */
  how: string;
}

interface ModelMap {
  principal: Int32Array;
  via: Int32Array;
  /** By entitlement, for targets whose account does not depend on the principal. */
  target: Int32Array;
}

export class ReportTables {
  readonly principals: PrincipalEntry[] = [];
  readonly targets: TargetEntry[] = [];
  readonly vias: ViaEntry[] = [];
  /** Account id → name (the id itself when the sync has no name). */
  readonly accounts = new Map<string, string>();
  readonly #principalIds = new Interner();
  readonly #targetIds = new Interner();
  readonly #viaIds = new Interner();
  readonly #maps = new WeakMap<AccessModel, ModelMap>();

  /** The table index of the principal at resource-key index `keyIndex` of `model`. */
  principal(model: AccessModel, keyIndex: number): number {
    const map = this.#map(model);
    let index = map.principal[keyIndex]!;
    if (index >= 0) return index;
    const p = model.principals.get(keyIndex)!;
    index = this.#principalIds.id(p.key);
    if (index === this.principals.length) {
      this.principals.push({
        key: p.key,
        id: p.id,
        kind: p.kind,
        typeLabel: p.typeLabel,
        name: p.name,
        email: p.email ?? "",
        status: p.status,
        lastLoginMs: p.lastLoginMs ?? null,
        createdMs: p.createdMs ?? null,
        accountId: p.accountId ?? "",
      });
      if (p.accountId) this.#account(model, p.accountId);
    }
    map.principal[keyIndex] = index;
    return index;
  }

  /** The table index of row `r`'s target (its entitlement, in the account the row applies in). */
  target(model: AccessModel, r: number): number {
    const e = model.rows.entitlement[r]!;
    const map = this.#map(model);
    const cached = map.target[e]!;
    if (cached >= 0) return cached;
    const target = model.targets.ofIndex(e);
    const index = this.targetFor(model, e, rowAccount(model, r) ?? "");
    // A policy held directly applies in its holder's account: that one varies by row.
    if (target.accountId || (target.kind !== "managed-policy" && target.kind !== "inline-policy")) map.target[e] = index;
    return index;
  }

  /** The table index of entitlement `e` of `model` in account `accountId` ("" for none). */
  targetFor(model: AccessModel, e: number, accountId: string): number {
    const entitlementId = model.snapshot.entitlementIds.values[e]!;
    const index = this.#targetIds.id(`${entitlementId}\n${accountId}`);
    if (index === this.targets.length) {
      const target = model.targets.ofIndex(e);
      const privilege = model.privileges.privilegeOf(target.bearers);
      const policies = [...new Set(target.bearers.flatMap((b) => (isPolicyKey(b) ? [b] : model.privileges.policiesOf(b))))];
      this.targets.push({
        entitlementId,
        kind: target.kind,
        kindLabel: ACCESS_KIND_LABELS[target.kind],
        name: target.name,
        accountId,
        accountName: accountId ? (model.accountNames.get(accountId) ?? accountId) : "",
        level: privilege?.level ?? "",
        levelLabel: privilege ? PRIVILEGE_LABELS[privilege.level] : "",
        levelRank: rank(privilege?.level),
        reason: privilege?.reason ?? "",
        policies: policies.map((key) => model.snapshot.resources.get(key)?.name ?? splitKey(key)[1]).sort().join(", "),
      });
      if (accountId) this.#account(model, accountId);
    }
    return index;
  }

  /** The table index of path set `set` of `model`. */
  via(model: AccessModel, set: number): number {
    const map = this.#map(model);
    let index = map.via[set] ?? -1;
    if (index >= 0) return index;
    const paths = model.paths.sets[set]!;
    const text = paths.map((path) => pathText(model, path)).join("; ");
    index = this.#viaIds.id(text);
    if (index === this.vias.length) {
      this.vias.push({ text, how: [...new Set(paths.map((path) => hopKind(model, path)))].join(" + ") });
    }
    if (set >= map.via.length) {
      const grown = new Int32Array(Math.max(set + 1, map.via.length * 2)).fill(-1);
      grown.set(map.via);
      map.via = grown;
    }
    map.via[set] = index;
    return index;
  }

  accountName(accountId: string): string {
    return this.accounts.get(accountId) ?? accountId;
  }

  #account(model: AccessModel, accountId: string): void {
    const name = model.accountNames.get(accountId);
    if (!this.accounts.has(accountId) || (name && this.accounts.get(accountId) === accountId)) this.accounts.set(accountId, name ?? accountId);
  }

  #map(model: AccessModel): ModelMap {
    let map = this.#maps.get(model);
    if (!map) {
      map = {
        principal: new Int32Array(model.snapshot.keys.size).fill(-1),
        via: new Int32Array(model.paths.sets.length).fill(-1),
        target: new Int32Array(model.snapshot.entitlements.length).fill(-1),
      };
      this.#maps.set(model, map);
    }
    return map;
  }
}

const isPolicyKey = (key: string) => {
  const [typeId] = splitKey(key);
  return typeId === TYPE.managedPolicy || typeId === TYPE.inlinePolicy;
};

const HOP_LABELS: Record<string, string> = {
  [TYPE.ssoGroup]: "SSO group",
  [TYPE.iamGroup]: "IAM group",
  [TYPE.iamRole]: "IAM role",
  [TYPE.binding]: "permission set",
};

function hopLabel(model: AccessModel, keyIndex: number): string {
  const key = model.snapshot.keys.values[keyIndex]!;
  const [typeId, id] = splitKey(key);
  const name = model.snapshot.resources.get(key)?.name ?? id;
  const label = HOP_LABELS[typeId] ?? model.snapshot.resourceTypes.get(typeId)?.name;
  return label ? `${label} ${name}` : name;
}

function pathText(model: AccessModel, path: Path): string {
  return path.length === 0 ? "direct" : path.map((hop) => hopLabel(model, hop)).join(" → ");
}

function hopKind(model: AccessModel, path: Path): string {
  if (path.length === 0) return "direct";
  const [typeId] = splitKey(model.snapshot.keys.values[path[0]!]!);
  if (typeId === TYPE.ssoGroup || typeId === TYPE.iamGroup) return "group";
  if (typeId === TYPE.iamRole) return path.length > 1 ? "role chain" : "role";
  if (typeId === TYPE.binding) return "binding";
  return "other";
}
