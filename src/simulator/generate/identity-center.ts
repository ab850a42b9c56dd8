/**
 * IAM Identity Center content: SSO users with realistic names, groups whose sizes follow a
 * skewed distribution, permission sets, and assignments where a few permission sets and groups
 * are very popular and most are rare.
 */
import type { AssignmentSpec, IdentityCenterSpec, IdentityStoreGroupSpec, IdentityStoreUserSpec, PermissionSetSpec } from "../model/spec.js";
import { countAround, distinctSamples, zipfSampler } from "./distributions.js";
import { DEPARTMENTS, GROUP_NAMES, PERMISSION_SETS } from "./names.js";
import type { Prng } from "./prng.js";
import type { ProfileSizes } from "./profiles.js";
import { createdTime } from "./time.js";

export interface PersonName {
  given: string;
  family: string;
  /** Unique, lower-case `given.family[N]`. */
  handle: string;
}

export function identityCenter(
  sizes: ProfileSizes,
  targetAccountIds: string[],
  people: () => PersonName,
  domain: string,
  prng: Prng,
): IdentityCenterSpec {
  const users: IdentityStoreUserSpec[] = Array.from({ length: sizes.ssoUsers }, () => {
    const person = people();
    return {
      userName: `${person.handle}@${domain}`,
      givenName: person.given,
      familyName: person.family,
      email: `${person.handle}@${domain}`,
      status: prng.chance(sizes.disabledUserShare) ? "DISABLED" : "ENABLED",
      createdAt: createdTime(prng),
    };
  });
  const groups: IdentityStoreGroupSpec[] = Array.from({ length: sizes.ssoGroups }, (_, i) => {
    const [displayName, description] = GROUP_NAMES[i] ?? [
      `${DEPARTMENTS[i % DEPARTMENTS.length]}-team-${String(i).padStart(4, "0")}`,
      `Generated team ${i}`,
    ];
    return { displayName, description, createdAt: createdTime(prng), members: [] };
  });
  const pickGroup = zipfSampler(groups.length, 1.05, prng);
  for (const user of users) {
    for (const g of distinctSamples(countAround(sizes.meanGroupsPerUser, prng, groups.length), pickGroup)) {
      groups[g]!.members!.push(user.userName);
    }
  }
  // The long tail may leave a group empty; real directories rarely keep those, so give it one.
  for (const group of groups) {
    if (group.members!.length === 0 && users.length > 0) group.members!.push(prng.pick(users).userName);
  }
  const permissionSets: PermissionSetSpec[] = Array.from({ length: sizes.permissionSets }, (_, i) => {
    const known = PERMISSION_SETS[i];
    if (known) {
      return {
        name: known.name,
        description: known.description,
        sessionDuration: known.duration,
        createdAt: createdTime(prng),
        managedPolicies: known.policies.map((p) => `arn:aws:iam::aws:policy/${p}`),
      };
    }
    return {
      name: `Team${String(i).padStart(4, "0")}-${prng.pick(["Developer", "Operator", "Analyst", "ReadOnly"])}`,
      description: `Generated permission set ${i}`,
      sessionDuration: prng.pick(["PT1H", "PT4H", "PT8H"]),
      createdAt: createdTime(prng),
      managedPolicies: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    };
  });
  return { users, groups, permissionSets, assignments: assignments(sizes, targetAccountIds, users, groups, permissionSets, prng) };
}

function assignments(
  sizes: ProfileSizes,
  accountIds: string[],
  users: IdentityStoreUserSpec[],
  groups: IdentityStoreGroupSpec[],
  permissionSets: PermissionSetSpec[],
  prng: Prng,
): AssignmentSpec[] {
  const out: AssignmentSpec[] = [];
  if (permissionSets.length === 0) return out;
  const pickPermissionSet = zipfSampler(permissionSets.length, 0.9, prng);
  const pickGroup = groups.length ? zipfSampler(groups.length, 0.8, prng) : undefined;
  for (const accountId of accountIds) {
    const chosen = distinctSamples(countAround(sizes.meanPermissionSetsPerAccount, prng, permissionSets.length), pickPermissionSet);
    for (const p of chosen) {
      const seen = new Set<string>();
      const principals = Math.max(1, countAround(sizes.meanPrincipalsPerPair, prng, 50));
      for (let k = 0; k < principals; k++) {
        const toUser = !pickGroup || (users.length > 0 && prng.chance(sizes.userAssignmentShare));
        if (toUser && users.length === 0) continue;
        const principal = toUser ? prng.pick(users).userName : groups[pickGroup!()]!.displayName;
        const key = `${toUser ? "U" : "G"}:${principal}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ accountId, permissionSet: permissionSets[p]!.name, principalType: toUser ? "USER" : "GROUP", principal });
      }
    }
  }
  return out;
}
