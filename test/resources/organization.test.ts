import {
  DescribeOrganizationalUnitCommand,
  ListAccountsCommand,
  ListChildrenCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListRootsCommand,
} from "@aws-sdk/client-organizations";
import { DescribePermissionSetCommand, ListInstancesCommand, ListPermissionSetsCommand } from "@aws-sdk/client-sso-admin";
import { afterEach, describe, expect, test } from "vitest";
import { ChildResourceTypeSchema, SkipEntitlementsAndGrantsSchema } from "../../src/gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { CapabilityPermissionsSchema, OptInRequiredSchema } from "../../src/gen/c1/connector/v2/connector_pb.js";
import type { Resource } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { IDENTITY_STORE_ID, INSTANCE_ARN, annotationOf, annotationsOf, call, readAll, unitSetup } from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

const ROOT = "r-ab12";
const OU_A = "ou-ab12-aaaaaaaa";
const OU_B = "ou-ab12-bbbbbbbb";
const OU_C = "ou-ab12-cccccccc";
const account = (n: number) => String(100000000000 + n);
const denied = () => Object.assign(new Error("You don't have permissions to access this resource."), { name: "AccessDeniedException" });

/**
 * root ─┬─ A ── C (25 accounts: two ListChildren pages)
 *       └─ B
 * account 0 in the root, 1 in A, 2 in B, 10…34 in C.
 */
function tree() {
  const { organizations, sso } = setup.mocks;
  sso.on(ListInstancesCommand).resolves({ Instances: [{ InstanceArn: INSTANCE_ARN, IdentityStoreId: IDENTITY_STORE_ID }] });
  sso.on(ListPermissionSetsCommand).resolves({ PermissionSets: [] });
  sso.on(DescribePermissionSetCommand).resolves({});
  const ids = [0, 1, 2, ...Array.from({ length: 25 }, (_, i) => 10 + i)].map(account);
  organizations.on(ListAccountsCommand).resolves({ Accounts: ids.map((id) => ({ Id: id, Name: `acct-${id}`, State: "ACTIVE" })) });
  organizations.on(ListRootsCommand).resolves({ Roots: [{ Id: ROOT, Name: "Root", Arn: `arn:aws:organizations::${account(0)}:root/o-x/${ROOT}` }] });
  organizations
    .on(ListOrganizationalUnitsForParentCommand, { ParentId: ROOT })
    .resolves({ OrganizationalUnits: [{ Id: OU_A, Name: "Workloads" }, { Id: OU_B, Name: "Sandbox" }] })
    .on(ListOrganizationalUnitsForParentCommand, { ParentId: OU_A })
    .resolves({ OrganizationalUnits: [{ Id: OU_C, Name: "Prod" }] })
    .on(ListOrganizationalUnitsForParentCommand, { ParentId: OU_B })
    .resolves({ OrganizationalUnits: [] })
    .on(ListOrganizationalUnitsForParentCommand, { ParentId: OU_C })
    .resolves({ OrganizationalUnits: [] });
  const children = (list: string[]) => list.map((Id) => ({ Id, Type: "ACCOUNT" as const }));
  organizations
    .on(ListChildrenCommand, { ParentId: ROOT })
    .resolves({ Children: children([account(0)]) })
    .on(ListChildrenCommand, { ParentId: OU_A })
    .resolves({ Children: children([account(1)]) })
    .on(ListChildrenCommand, { ParentId: OU_B })
    .resolves({ Children: children([account(2)]) })
    .on(ListChildrenCommand, { ParentId: OU_C, NextToken: undefined })
    .resolves({ Children: children(ids.slice(3, 23)), NextToken: "c2" })
    .on(ListChildrenCommand, { ParentId: OU_C, NextToken: "c2" })
    .resolves({ Children: children(ids.slice(23)) });
}

const list = async (type: string, parent?: Resource) =>
  (await readAll((s) => setup.syncer(type).listResources(parent?.id as never, s, call()))).items;
const parentOf = (r: Resource | undefined) => r?.parentResourceId && `${r.parentResourceId.resourceType}:${r.parentResourceId.resource}`;

describe("organization and organizational_unit (sync-org-tree)", () => {
  test("types as baton-aws: no trait, SkipEntitlementsAndGrants, OptInRequired, organizational_unit as child type", () => {
    setup = unitSetup({ organizationTree: true });
    for (const [id, displayName] of [["organization", "Organization Root"], ["organizational_unit", "Organizational Unit"]] as const) {
      const type = setup.syncer(id).resourceType;
      expect(type).toMatchObject({ id, displayName, traits: [] });
      expect(annotationOf(type.annotations, SkipEntitlementsAndGrantsSchema)).toBeDefined();
      expect(annotationOf(type.annotations, OptInRequiredSchema)).toBeDefined();
      expect(annotationOf(type.annotations, ChildResourceTypeSchema)?.resourceTypeId).toBe("organizational_unit");
    }
    expect(annotationOf(setup.syncer("account").resourceType.annotations, CapabilityPermissionsSchema)?.permissions.map((p) => p.permission)).toEqual(
      expect.arrayContaining(["organizations:ListRoots", "organizations:ListOrganizationalUnitsForParent", "organizations:ListChildren"]),
    );
  });

  test("the root, the nested units under their parents, and every account under its unit; each node read once", async () => {
    setup = unitSetup({ organizationTree: true });
    tree();
    const [root, ...others] = await list("organization");
    expect(others).toEqual([]);
    expect(root).toMatchObject({ id: { resourceType: "organization", resource: ROOT }, displayName: "Root" });
    expect(annotationsOf(root!.annotations, ChildResourceTypeSchema).map((c) => c.resourceTypeId)).toEqual(["organizational_unit"]);
    const top = await list("organizational_unit", root);
    expect(top.map((u) => [u.displayName, parentOf(u)])).toEqual([
      ["Workloads", `organization:${ROOT}`],
      ["Sandbox", `organization:${ROOT}`],
    ]);
    const nested = await list("organizational_unit", top[0]);
    expect(nested.map((u) => [u.id!.resource, parentOf(u)])).toEqual([[OU_C, `organizational_unit:${OU_A}`]]);
    expect(await list("organizational_unit", nested[0])).toEqual([]);

    const accounts = await list("account");
    // Node by node, breadth first: the root's accounts, then the units'.
    expect(accounts.slice(0, 3).map((a) => a.id!.resource)).toEqual([account(0), account(1), account(2)]);
    const parents = new Map(accounts.map((a) => [a.id!.resource, parentOf(a)]));
    expect(parents.get(account(0))).toBe(`organization:${ROOT}`);
    expect(parents.get(account(1))).toBe(`organizational_unit:${OU_A}`);
    expect(parents.get(account(2))).toBe(`organizational_unit:${OU_B}`);
    for (let i = 10; i < 35; i++) expect(parents.get(account(i))).toBe(`organizational_unit:${OU_C}`);

    const { organizations } = setup.mocks;
    expect(organizations.commandCalls(ListRootsCommand)).toHaveLength(1);
    expect(organizations.commandCalls(ListOrganizationalUnitsForParentCommand).map((c) => c.args[0].input.ParentId).sort()).toEqual([OU_A, OU_B, OU_C, ROOT].sort());
    // One ListChildren per node (two for the unit with 25 accounts), never ListParents per account.
    expect(organizations.commandCalls(ListChildrenCommand)).toHaveLength(5);
    expect(organizations.commandCalls(ListChildrenCommand).every((c) => c.args[0].input.ChildType === "ACCOUNT" && c.args[0].input.MaxResults === 20)).toBe(true);
    expect(organizations.commandCalls(ListParentsCommand)).toHaveLength(0);
  });

  test.each([
    ["ListRoots", ListRootsCommand, []],
    ["ListChildren", ListChildrenCommand, []],
    // The root's accounts are read before the units under it are refused.
    ["ListOrganizationalUnitsForParent", ListOrganizationalUnitsForParentCommand, [account(0)]],
  ] as const)("access denied on %s: accounts flat (but those already placed), a warning once (also in the sync's problems), the sync goes on", async (operation, command, placed) => {
    setup = unitSetup({ organizationTree: true });
    tree();
    setup.mocks.organizations.on(command as typeof ListRootsCommand).rejects(denied());
    const accounts = await list("account");
    expect(accounts.map((a) => a.id!.resource).sort()).toEqual([0, 1, 2, ...Array.from({ length: 25 }, (_, i) => 10 + i)].map(account).sort());
    expect(accounts.filter((a) => a.parentResourceId !== undefined).map((a) => a.id!.resource)).toEqual(placed);
    await list("organization");
    expect(setup.ctx.problems!.list("sync-1")).toEqual([
      expect.objectContaining({ kind: "organization-tree-unreadable", message: expect.stringContaining(`organizations:${operation}`) }),
    ]);
  });

  test("without sync-org-tree: no tree types, no tree calls, accounts without parents", async () => {
    setup = unitSetup();
    tree();
    expect(setup.syncerIds()).not.toContain("organization");
    expect((await list("account")).every((a) => a.parentResourceId === undefined)).toBe(true);
    expect(setup.mocks.organizations.commandCalls(ListRootsCommand)).toHaveLength(0);
  });

  test("GetResource: the root from ListRoots; a unit with DescribeOrganizationalUnit and its parent from ListParents", async () => {
    setup = unitSetup({ organizationTree: true });
    tree();
    setup.mocks.organizations
      .on(DescribeOrganizationalUnitCommand, { OrganizationalUnitId: OU_C })
      .resolves({ OrganizationalUnit: { Id: OU_C, Name: "Prod" } })
      .on(ListParentsCommand, { ChildId: OU_C })
      .resolves({ Parents: [{ Id: OU_A, Type: "ORGANIZATIONAL_UNIT" }] })
      .on(DescribeOrganizationalUnitCommand, { OrganizationalUnitId: "ou-ab12-gone0000" })
      .rejects(Object.assign(new Error("gone"), { name: "OrganizationalUnitNotFoundException" }));
    const get = (type: string, id: string) => setup.syncer(type).getResource!({ resourceType: type, resource: id } as never, undefined, call());
    expect((await get("organization", ROOT))?.displayName).toBe("Root");
    const unit = await get("organizational_unit", OU_C);
    expect([unit?.displayName, parentOf(unit)]).toEqual(["Prod", `organizational_unit:${OU_A}`]);
    expect(await get("organizational_unit", "ou-ab12-gone0000")).toBeUndefined();
    expect(parentOf(await get("account", account(12)))).toBe(`organizational_unit:${OU_C}`);
  });
});
