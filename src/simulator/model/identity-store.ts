/** Identity Store state changes and indexed lookups (memberships indexed by group and by user). */
import { KeyedList } from "./keyed-list.js";
import type { GroupMembership, IdentityStore, IdentityStoreGroup, IdentityStoreUser } from "./types.js";

export function createIdentityStore(id: string, idPrefix: string): IdentityStore {
  return {
    id,
    idPrefix,
    users: new KeyedList<IdentityStoreUser>((u) => u.id),
    usersByName: new Map(),
    groups: new KeyedList<IdentityStoreGroup>((g) => g.id),
    groupsByName: new Map(),
    memberships: new Map(),
    membershipsByGroup: new Map(),
    membershipsByUser: new Map(),
  };
}

export function addUser(store: IdentityStore, user: IdentityStoreUser): boolean {
  const nameKey = user.userName.toLowerCase();
  if (store.usersByName.has(nameKey) || !store.users.add(user)) return false;
  store.usersByName.set(nameKey, user);
  return true;
}

export function addGroup(store: IdentityStore, group: IdentityStoreGroup): boolean {
  const nameKey = group.displayName.toLowerCase();
  if (store.groupsByName.has(nameKey) || !store.groups.add(group)) return false;
  store.groupsByName.set(nameKey, group);
  return true;
}

/**
 * Replaces a user with an updated copy (same id). A new object, not an in-place edit, so list
 * items encoded from the old one (protocol/fragments.ts) are not served stale. False when the
 * new user name belongs to another user.
 */
export function replaceUser(store: IdentityStore, updated: IdentityStoreUser): boolean {
  const old = store.users.get(updated.id);
  if (!old) return false;
  const nameKey = updated.userName.toLowerCase();
  const holder = store.usersByName.get(nameKey);
  if (holder && holder.id !== updated.id) return false;
  store.usersByName.delete(old.userName.toLowerCase());
  store.usersByName.set(nameKey, updated);
  store.users.replace(updated);
  return true;
}

/** Deletes a user and its group memberships (account assignments naming it are left, as AWS leaves them). */
export function deleteUser(store: IdentityStore, user: IdentityStoreUser): void {
  for (const m of [...membershipsOfUser(store, user.id)]) removeMembership(store, m.id);
  store.membershipsByUser.delete(user.id);
  store.usersByName.delete(user.userName.toLowerCase());
  store.users.delete(user.id);
}

/** Deletes a group and its memberships (account assignments naming it are left). */
export function deleteGroup(store: IdentityStore, group: IdentityStoreGroup): void {
  for (const m of [...membershipsOfGroup(store, group.id)]) removeMembership(store, m.id);
  store.membershipsByGroup.delete(group.id);
  store.groupsByName.delete(group.displayName.toLowerCase());
  store.groups.delete(group.id);
}

export function findMembership(store: IdentityStore, groupId: string, userId: string): GroupMembership | undefined {
  return store.membershipsByGroup.get(groupId)?.get(userId);
}

/** Returns false when the user already is a member of the group. */
export function addMembership(store: IdentityStore, membership: GroupMembership): boolean {
  if (findMembership(store, membership.groupId, membership.userId)) return false;
  store.memberships.set(membership.id, membership);
  listFor(store.membershipsByGroup, membership.groupId, (m) => m.userId).add(membership);
  listFor(store.membershipsByUser, membership.userId, (m) => m.groupId).add(membership);
  return true;
}

export function removeMembership(store: IdentityStore, membershipId: string): GroupMembership | undefined {
  const membership = store.memberships.get(membershipId);
  if (!membership) return undefined;
  store.memberships.delete(membershipId);
  store.membershipsByGroup.get(membership.groupId)?.delete(membership.userId);
  store.membershipsByUser.get(membership.userId)?.delete(membership.groupId);
  return membership;
}

const EMPTY = new KeyedList<GroupMembership>((m) => m.id);

export const membershipsOfGroup = (store: IdentityStore, groupId: string) => store.membershipsByGroup.get(groupId) ?? EMPTY;
export const membershipsOfUser = (store: IdentityStore, userId: string) => store.membershipsByUser.get(userId) ?? EMPTY;

function listFor<T>(index: Map<string, KeyedList<T>>, key: string, keyOf: (item: T) => string): KeyedList<T> {
  let list = index.get(key);
  if (!list) {
    list = new KeyedList<T>(keyOf);
    index.set(key, list);
  }
  return list;
}
