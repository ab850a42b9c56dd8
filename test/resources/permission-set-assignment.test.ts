import { ListAccountsCommand } from "@aws-sdk/client-organizations";
import {
  DescribePermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListAccountsForProvisionedPermissionSetCommand,
  ListInstancesCommand,
  ListPermissionSetsCommand,
  type AccountAssignment,
} from "@aws-sdk/client-sso-admin";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, test } from "vitest";
import { GrantExpandableSchema } from "../../src/gen/c1/connector/v2/annotation_grant_pb.js";
import { ChildResourceTypeSchema } from "../../src/gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { ScopeBindingTraitSchema } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { V1IdentifierSchema } from "../../src/gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import { OptInRequiredSchema } from "../../src/gen/c1/connector/v2/connector_pb.js";
import { Entitlement_PurposeValue } from "../../src/gen/c1/connector/v2/entitlement_pb.js";
import { ResourceType_Trait, type Resource } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { IDENTITY_STORE_ID, INSTANCE_ARN, annotationOf, call, readAll, unitSetup } from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

const ps = (n: number) => `arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-${String(n).padStart(16, "0")}`;
const A1 = "100000000001";
const A2 = "100000000002";
const userArn = (id: string) => `arn:aws:identitystore:eu-west-1::${IDENTITY_STORE_ID}/user/${id}`;
const groupArn = (id: string) => `arn:aws:identitystore:eu-west-1::${IDENTITY_STORE_ID}/group/${id}`;

/** Two sets; set 0 provisioned to A1 and A2, set 1 to A1. A1/set 0 has 150 assignments (two AWS pages). */
function organisation() {
  const { sso, organizations } = setup.mocks;
  sso.on(ListInstancesCommand).resolves({ Instances: [{ InstanceArn: INSTANCE_ARN, IdentityStoreId: IDENTITY_STORE_ID }] });
  sso.on(ListPermissionSetsCommand).resolves({ PermissionSets: [ps(0), ps(1)] });
  for (const n of [0, 1]) sso.on(DescribePermissionSetCommand, { PermissionSetArn: ps(n) }).resolves({ PermissionSet: { PermissionSetArn: ps(n), Name: `Set${n}` } });
  sso.on(ListAccountsForProvisionedPermissionSetCommand, { PermissionSetArn: ps(0) }).resolves({ AccountIds: [A1, A2] });
  sso.on(ListAccountsForProvisionedPermissionSetCommand, { PermissionSetArn: ps(1) }).resolves({ AccountIds: [A1] });
  organizations.on(ListAccountsCommand).resolves({ Accounts: [{ Id: A1, Name: "one", State: "ACTIVE" }, { Id: A2, Name: "two", State: "ACTIVE" }] });
  const many: AccountAssignment[] = Array.from({ length: 150 }, (_, i) => ({ AccountId: A1, PermissionSetArn: ps(0), PrincipalType: "USER", PrincipalId: `u${i}` }));
  sso
    .on(ListAccountAssignmentsCommand, { AccountId: A1, PermissionSetArn: ps(0), NextToken: undefined })
    .resolves({ AccountAssignments: many.slice(0, 100), NextToken: "t2" })
    .on(ListAccountAssignmentsCommand, { AccountId: A1, PermissionSetArn: ps(0), NextToken: "t2" })
    .resolves({ AccountAssignments: many.slice(100) })
    .on(ListAccountAssignmentsCommand, { AccountId: A1, PermissionSetArn: ps(1) })
    .resolves({ AccountAssignments: [{ AccountId: A1, PermissionSetArn: ps(1), PrincipalType: "GROUP", PrincipalId: "g1" }] })
    .on(ListAccountAssignmentsCommand, { AccountId: A2, PermissionSetArn: ps(0) })
    .resolves({ AccountAssignments: [] });
}

const accounts = async () => (await readAll((s) => setup.syncer("account").listResources(undefined, s, call()))).items;
const bindingsOf = async (account: string) =>
  (await readAll((s) => setup.syncer("permission_set_assignment").listResources({ resourceType: "account", resource: account } as never, s, call()))).items;
const grantsOf = async (type: string, resource: Resource) => (await readAll((s) => setup.syncer(type).listGrants(resource, s, call()))).items;
const pairReads = () => setup.mocks.sso.commandCalls(ListAccountAssignmentsCommand).map((c) => `${c.args[0].input.AccountId}|${c.args[0].input.PermissionSetArn}|${c.args[0].input.NextToken ?? ""}`);

describe("permission_set_assignment", () => {
  test("resource type as baton-aws: SCOPE_BINDING trait, OptInRequired, no V1 identifier; accounts name it as their child type", async () => {
    setup = unitSetup();
    const type = setup.syncer("permission_set_assignment").resourceType;
    expect(type).toMatchObject({ id: "permission_set_assignment", displayName: "Permission Set Assignment", traits: [ResourceType_Trait.SCOPE_BINDING] });
    expect(annotationOf(type.annotations, OptInRequiredSchema)).toBeDefined();
    expect(annotationOf(type.annotations, V1IdentifierSchema)).toBeUndefined();
    organisation();
    const [a1] = await accounts();
    expect(annotationOf(a1!.annotations, ChildResourceTypeSchema)?.resourceTypeId).toBe("permission_set_assignment");
    expect(annotationOf(setup.syncer("account").resourceType.annotations, ChildResourceTypeSchema)?.resourceTypeId).toBe("permission_set_assignment");
  });

  test("one per provisioned pair, under its account: <ps ARN>-<account>, '<set> on <account>', a ScopeBindingTrait naming the set and the account", async () => {
    setup = unitSetup();
    organisation();
    const bindings = await bindingsOf(A1);
    expect(bindings.map((b) => [b.id!.resource, b.displayName, b.parentResourceId?.resourceType, b.parentResourceId?.resource])).toEqual([
      [`${ps(0)}-${A1}`, `Set0 on ${A1}`, "account", A1],
      [`${ps(1)}-${A1}`, `Set1 on ${A1}`, "account", A1],
    ]);
    const trait = annotationOf(bindings[0]!.annotations, ScopeBindingTraitSchema)!;
    expect(trait.roleId).toMatchObject({ resourceType: "permission_set", resource: ps(0) });
    expect(trait.scopeResourceId).toMatchObject({ resourceType: "account", resource: A1 });
    expect((await bindingsOf(A2)).map((b) => b.id!.resource)).toEqual([`${ps(0)}-${A2}`]);
    expect((await setup.syncer("permission_set_assignment").listResources(undefined, undefined, call())).items).toEqual([]);
    const unknown = await bindingsOf("999999999999").catch((e: unknown) => e);
    expect((unknown as ConnectError).code).toBe(Code.NotFound);
  });

  test("the assigned entitlement (ConductorOne's just-in-time slug), granted to users directly and to groups expandably", async () => {
    setup = unitSetup();
    organisation();
    const [b0, b1] = await bindingsOf(A1);
    const [entitlement] = (await setup.syncer("permission_set_assignment").listEntitlements(b1!, undefined, call())).items;
    expect(entitlement).toMatchObject({
      id: `permission_set_assignment:${ps(1)}-${A1}:assigned`,
      slug: "assigned",
      displayName: "assigned",
      purpose: Entitlement_PurposeValue.ASSIGNMENT,
    });
    expect(entitlement!.grantableTo.map((t) => t.id)).toEqual(["sso_user", "sso_group"]);

    const [group] = await grantsOf("permission_set_assignment", b1!);
    expect(group!.id).toBe(`grant:sso_group:${groupArn("g1")}:${entitlement!.id}`);
    expect(annotationOf(group!.annotations, V1IdentifierSchema)?.id).toBe(`grant:${entitlement!.id}:${groupArn("g1")}`);
    expect(annotationOf(group!.annotations, GrantExpandableSchema)?.entitlementIds).toEqual([`sso_group:${groupArn("g1")}:member`]);
    const users = await grantsOf("permission_set_assignment", b0!);
    expect(users).toHaveLength(150);
    expect(users[0]!.id).toBe(`grant:sso_user:${userArn("u0")}:permission_set_assignment:${ps(0)}-${A1}:assigned`);
    expect(annotationOf(users[0]!.annotations, GrantExpandableSchema)).toBeUndefined();
  });

  test.each(["account first", "bindings first"])("the account's flat grants and the bindings' grants read each pair once (%s)", async (order) => {
    setup = unitSetup();
    organisation();
    const [a1, a2] = await accounts();
    const flat = async () => [...(await grantsOf("account", a1!)), ...(await grantsOf("account", a2!))];
    const bound = async () => [...(await Promise.all([...(await bindingsOf(A1)), ...(await bindingsOf(A2))].map((b) => grantsOf("permission_set_assignment", b)))).flat()];
    const [flatGrants, boundGrants] = order === "account first" ? [await flat(), await bound()] : await (async () => { const b = await bound(); return [await flat(), b]; })();
    expect(flatGrants).toHaveLength(151);
    expect(boundGrants).toHaveLength(151);
    // Same principals, on the two models' entitlements.
    expect(flatGrants.map((g) => g.principal!.id!.resource).sort()).toEqual(boundGrants.map((g) => g.principal!.id!.resource).sort());
    expect(pairReads().sort()).toEqual([`${A1}|${ps(0)}|`, `${A1}|${ps(0)}|t2`, `${A1}|${ps(1)}|`, `${A2}|${ps(0)}|`]);
    // Each page was handed to both listings and forgotten.
    expect(setup.ctx.cache.progress("sync-1", "sso:assignment-pages", () => new Map()).size).toBe(0);
  });

  test("a binding the sync does not know is refused (NotFound) without reading its assignments; GetResource finds a known one", async () => {
    setup = unitSetup();
    organisation();
    const fake = { id: { resourceType: "permission_set_assignment", resource: `${ps(1)}-${A2}` } } as Resource;
    for (const list of [() => setup.syncer("permission_set_assignment").listEntitlements(fake, undefined, call()), () => grantsOf("permission_set_assignment", fake)]) {
      const error = await list().catch((e: unknown) => e);
      expect((error as ConnectError).code).toBe(Code.NotFound);
    }
    expect(pairReads()).toEqual([]);
    const get = (id: string) => setup.syncer("permission_set_assignment").getResource!({ resourceType: "permission_set_assignment", resource: id } as never, undefined, call());
    expect((await get(`${ps(0)}-${A2}`))?.displayName).toBe(`Set0 on ${A2}`);
    expect(await get(`${ps(1)}-${A2}`)).toBeUndefined();
    expect(await get("garbage")).toBeUndefined();
  });
});
