import { GetAccountAuthorizationDetailsCommand } from "@aws-sdk/client-iam";
import { ListAccountsCommand, type Account } from "@aws-sdk/client-organizations";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { afterEach, describe, expect, test } from "vitest";
import { ChildResourceTypeSchema, SkipEntitlementsAndGrantsSchema } from "../../src/gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { AppTraitSchema } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { ResourceType_Trait, Status_ResourceStatus, type Resource } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { MEMBER_ACCOUNT, OWN_ACCOUNT, annotationOf, annotationsOf, call, readAll, unitSetup } from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

const OTHER = "333333333333";
const SUSPENDED = "444444444444";
const account = (id: string, name: string, state = "ACTIVE"): Account => ({ Id: id, Name: name, State: state as Account["State"] });
const denied = () => Object.assign(new Error("User: x is not authorized to perform: sts:AssumeRole"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });

async function listAccountIam() {
  setup.mocks.organizations.on(ListAccountsCommand).resolves({
    Accounts: [account(OWN_ACCOUNT, "management"), account(MEMBER_ACCOUNT, "prod"), account(OTHER, "dev"), account(SUSPENDED, "old", "SUSPENDED")],
  });
  return (await readAll((s) => setup.syncer("account_iam").listResources(undefined, s, call()))).items;
}
const children = (r: Resource | undefined) => annotationsOf(r!.annotations, ChildResourceTypeSchema).map((c) => c.resourceTypeId);

describe("account_iam", () => {
  test("registered only with cross-account IAM; APP trait; no entitlements or grants", () => {
    setup = unitSetup({ crossAccountIam: false });
    expect(setup.syncerIds()).not.toContain("account_iam");
    setup.restore();
    setup = unitSetup({ crossAccountIam: true });
    const type = setup.syncer("account_iam").resourceType;
    expect(type).toMatchObject({ id: "account_iam", displayName: "Account IAM", traits: [ResourceType_Trait.APP] });
    expect(annotationOf(type.annotations, SkipEntitlementsAndGrantsSchema)).toBeDefined();
  });

  test("children for member accounts the role gets into; none for our own account or suspended ones", async () => {
    setup = unitSetup({ crossAccountIam: true });
    setup.mocks.sts.on(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${OTHER}:role/OrganizationAccountAccessRole` }).rejects(denied());
    const [own, member, other, suspended] = await listAccountIam();
    expect([own, member, other, suspended].map((r) => r!.id!.resource)).toEqual([OWN_ACCOUNT, MEMBER_ACCOUNT, OTHER, SUSPENDED]);
    expect(children(own)).toEqual([]);
    expect(children(member)).toEqual(["iam_user", "role", "group", "iam_policy"]);
    expect(member!.displayName).toBe("prod");
    expect(annotationOf(member!.annotations, AppTraitSchema)).toBeDefined();

    // The unreachable account: listed, no children, why in status/description/profile, and a problem.
    expect(children(other)).toEqual([]);
    expect(other!.description).toMatch(new RegExp(`^IAM not synced: cannot assume arn:aws:iam::${OTHER}:role/OrganizationAccountAccessRole: AccessDenied`));
    expect(other!.status?.details).toMatch(/^IAM not synced/);
    expect(other!.profile?.aws_iam_sync_error).toMatch(/AccessDenied/);
    expect(setup.ctx.problems!.list("sync-1")).toEqual([
      { kind: "member-account-unreachable", accountId: OTHER, accountName: "dev", message: expect.stringContaining("cannot assume") },
    ]);

    expect(children(suspended)).toEqual([]);
    expect(suspended!.status).toMatchObject({ status: Status_ResourceStatus.DISABLED, details: "account is SUSPENDED" });
    // Suspended accounts are not probed; the others once each.
    expect(setup.mocks.sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.RoleArn!.split(":")[4]).sort()).toEqual([MEMBER_ACCOUNT, OTHER]);

    // Listing the unreachable account's IAM (if a host asked) neither retries the role nor reads IAM.
    const parent = { resourceType: "account_iam", resource: OTHER } as never;
    expect((await setup.syncer("iam_user").listResources(parent, undefined, call())).items).toEqual([]);
    expect(setup.mocks.sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    expect(setup.mocks.iam.commandCalls(GetAccountAuthorizationDetailsCommand)).toHaveLength(0);
  });

  test("a throttled assume-role is not mistaken for an unreachable account: the call fails for the host to retry", async () => {
    setup = unitSetup({ crossAccountIam: true });
    setup.mocks.sts.on(AssumeRoleCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "Throttling", $metadata: { httpStatusCode: 400 } }));
    await expect(listAccountIam()).rejects.toThrow(/Rate exceeded/);
    expect(setup.ctx.problems!.list("sync-1")).toEqual([]);
  });

  test("every account on every page: Organizations pages of 20, our pages of 100", async () => {
    setup = unitSetup({ crossAccountIam: true });
    const ids = Array.from({ length: 150 }, (_, i) => String(500000000000 + i));
    for (let page = 0; page * 20 < ids.length; page++) {
      setup.mocks.organizations
        .on(ListAccountsCommand, { NextToken: page === 0 ? undefined : `p${page}` })
        .resolves({ Accounts: ids.slice(page * 20, page * 20 + 20).map((id) => account(id, `a-${id}`)), NextToken: (page + 1) * 20 < ids.length ? `p${page + 1}` : undefined });
    }
    const { items, pages } = await readAll((s) => setup.syncer("account_iam").listResources(undefined, s, call()));
    expect(items.map((r) => r.id!.resource)).toEqual(ids);
    expect(pages).toBe(2);
    expect(setup.mocks.organizations.commandCalls(ListAccountsCommand)).toHaveLength(8);
    expect(setup.mocks.sts.commandCalls(AssumeRoleCommand)).toHaveLength(150);
  });
});
