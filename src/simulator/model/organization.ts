/** The organisation tree: root, nested OUs and the accounts placed in them, indexed by parent. */
import { KeyedList } from "./keyed-list.js";
import type { Account, Organization, OrganizationalUnit } from "./types.js";

function childrenOf(org: Organization, parentId: string) {
  let children = org.children.get(parentId);
  if (!children) {
    children = { units: new KeyedList<OrganizationalUnit>((u) => u.id), accounts: new KeyedList<Account>((a) => a.id) };
    org.children.set(parentId, children);
  }
  return children;
}

/** Adds an OU under its parent; false when its id is taken. */
export function addOrganizationalUnit(org: Organization, unit: OrganizationalUnit): boolean {
  if (!org.units.add(unit)) return false;
  childrenOf(org, unit.parentId).units.add(unit);
  return true;
}

export function placeAccount(org: Organization, account: Account, parentId: string): void {
  account.parentId = parentId;
  childrenOf(org, parentId).accounts.add(account);
}

const NO_UNITS = new KeyedList<OrganizationalUnit>((u) => u.id);
const NO_ACCOUNTS = new KeyedList<Account>((a) => a.id);

export const childUnits = (org: Organization, parentId: string) => org.children.get(parentId)?.units ?? NO_UNITS;
export const childAccounts = (org: Organization, parentId: string) => org.children.get(parentId)?.accounts ?? NO_ACCOUNTS;

/** Whether the id names the root or an OU of this organisation. */
export const isParent = (org: Organization, id: string) => id === org.root.id || org.units.has(id);

/** The OU names from the root down to the account's parent, e.g. ["Workloads", "Prod"]. */
export function unitPath(org: Organization, parentId: string | undefined): string[] {
  const path: string[] = [];
  for (let unit = parentId ? org.units.get(parentId) : undefined; unit; unit = org.units.get(unit.parentId)) path.unshift(unit.name);
  return path;
}
