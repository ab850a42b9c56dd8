/**
 * The deterministic organisation generator: a seeded PRNG and a size profile in, an OrgSpec out
 * (the same format as `--org FILE`). No wall-clock time and no Math.random.
 */
import * as ids from "../model/ids.js";
import type { AccountSpec, OrgSpec } from "../model/spec.js";
import { addAccessModel, addPermissionSetPolicies } from "./access-model.js";
import { identityCenter, type PersonName } from "./identity-center.js";
import { organizationTree } from "./organization-tree.js";
import { managementIam, memberIam, standaloneIam } from "./iam.js";
import { ACCOUNT_NAMES, ENVIRONMENTS, FIRST_NAMES, LAST_NAMES } from "./names.js";
import { createPrng, type Prng } from "./prng.js";
import { PROFILES, isProfileName, type ProfileSizes } from "./profiles.js";
import { createdTime } from "./time.js";

export interface GenerateOptions {
  /** A profile name (demo, small, medium, large) or explicit sizes. */
  profile: string | ProfileSizes;
  seed?: number;
  region?: string;
}

const DOMAIN = "example.com";

export function generateOrgSpec(options: GenerateOptions): OrgSpec {
  const sizes = resolveSizes(options.profile);
  const seed = options.seed ?? 1;
  const prng = createPrng(seed, "generate");
  const newAccountId = uniqueAccountIds(prng);
  const managementId = newAccountId();
  const vendorAccountId = newAccountId(); // outside the simulation: only named in trust policies
  const people = personNames(prng.fork("people"));
  const iamPeople = () => people().handle;

  const management: AccountSpec = {
    id: managementId,
    name: "management",
    email: `aws-management@${DOMAIN}`,
    alias: "example-corp",
    joinedMethod: "CREATED",
    joinedAt: "2019-01-01T00:00:00.000Z",
    iam: managementIam(managementId, sizes.managementIam, iamPeople, prng.fork("iam-management")),
  };
  const members: AccountSpec[] = Array.from({ length: sizes.memberAccounts }, (_, i) => {
    const id = newAccountId();
    const name = ACCOUNT_NAMES[i] ?? `workload-${String(i).padStart(3, "0")}-${ENVIRONMENTS[i % ENVIRONMENTS.length]}`;
    const suspended = i >= sizes.memberAccounts - sizes.suspendedAccounts;
    const accountPrng = prng.fork(`iam-${id}`);
    return {
      id,
      name: suspended && i < ACCOUNT_NAMES.length ? `${name}-legacy` : name,
      email: `aws-${name}@${DOMAIN}`,
      state: suspended ? "SUSPENDED" : "ACTIVE",
      joinedMethod: i % 5 === 4 ? "INVITED" : "CREATED",
      joinedAt: createdTime(accountPrng),
      alias: i % 2 === 0 ? `example-${name}` : undefined,
      iam: memberIam({ managementAccountId: managementId, withMemberUser: i === 0, vendorAccountId }, sizes.memberIam, iamPeople, accountPrng),
    };
  });
  const standalone: AccountSpec[] = Array.from({ length: sizes.standaloneAccounts }, (_, i) => {
    const id = newAccountId();
    return {
      id,
      name: `acquired-startup-${i + 1}`,
      email: `aws-acquired-${i + 1}@${DOMAIN}`,
      inOrganization: false,
      iam: standaloneIam(id, prng.fork(`iam-${id}`)),
    };
  });
  const targets = [managementId, ...members.map((m) => m.id)];
  const center = identityCenter(sizes, targets, people, DOMAIN, prng.fork("identity-center"));

  // The access model and the OU tree come from their own streams: the base organisation above is
  // the same with or without them.
  const access = prng.fork("access-model");
  const customerPolicies = sizes.customerPoliciesPerAccount ?? 3;
  addAccessModel(management.iam!, { accountId: managementId, kind: "management", customerPolicies }, access.fork(managementId));
  for (const m of members) addAccessModel(m.iam!, { accountId: m.id, kind: "member", customerPolicies }, access.fork(m.id));
  for (const a of standalone) addAccessModel(a.iam!, { accountId: a.id, kind: "standalone", customerPolicies }, access.fork(a.id));
  addPermissionSetPolicies(center.permissionSets, access.fork("permission-sets"));
  const tree = organizationTree(members, sizes.businessUnits ?? 0);
  for (const m of members) m.organizationalUnit = tree.placement.get(m.id);

  return {
    version: 1,
    seed,
    region: options.region ?? "us-east-1",
    organization: { id: ids.organizationId(prng), featureSet: "ALL", managementAccountId: managementId, organizationalUnits: tree.units },
    accounts: [management, ...members, ...standalone],
    identityCenter: {
      name: "example-corp",
      instanceId: ids.ssoInstanceId(prng),
      identityStoreId: ids.identityStoreId(prng),
      createdAt: "2020-06-01T12:00:00.000Z",
      ...center,
    },
  };
}

export function resolveSizes(profile: string | ProfileSizes): ProfileSizes {
  if (typeof profile !== "string") return profile;
  if (!isProfileName(profile)) {
    throw new Error(`unknown profile "${profile}" (known: ${Object.keys(PROFILES).join(", ")})`);
  }
  return PROFILES[profile];
}

function uniqueAccountIds(prng: Prng): () => string {
  const used = new Set<string>();
  return () => {
    let id = ids.accountId(prng);
    while (used.has(id)) id = ids.accountId(prng);
    used.add(id);
    return id;
  };
}

/** Unique people: realistic combinations first, then numbered handles once they run out. */
function personNames(prng: Prng): () => PersonName {
  const used = new Map<string, number>();
  return () => {
    const given = prng.pick(FIRST_NAMES);
    const family = prng.pick(LAST_NAMES);
    const base = `${given}.${family}`.toLowerCase();
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return { given, family, handle: n === 1 ? base : `${base}${n}` };
  };
}
