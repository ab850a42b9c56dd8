import {
  GetAccountAuthorizationDetailsCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListPoliciesCommand,
  type ManagedPolicyDetail,
} from "@aws-sdk/client-iam";
import { ListAccountsCommand } from "@aws-sdk/client-organizations";
import {
  DescribePermissionSetCommand,
  ListAccountsForProvisionedPermissionSetCommand,
  ListCustomerManagedPolicyReferencesInPermissionSetCommand,
  ListInstancesCommand,
  ListManagedPoliciesInPermissionSetCommand,
  ListPermissionSetsCommand,
  ListPermissionSetsProvisionedToAccountCommand,
} from "@aws-sdk/client-sso-admin";
import { afterEach, describe, expect, test } from "vitest";
import { GrantExpandableSchema } from "../../src/gen/c1/connector/v2/annotation_grant_pb.js";
import { RoleTraitSchema } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { V1IdentifierSchema } from "../../src/gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import { SkipGrantsSchema } from "../../src/gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { ResourceType_Trait, type Resource } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { CREATED, allow, group, role, user } from "./support/iam-fixtures.js";
import {
  IDENTITY_STORE_ID,
  INSTANCE_ARN,
  MEMBER_ACCOUNT,
  OWN_ACCOUNT,
  annotationOf,
  call,
  callerAccountOf,
  encodedPolicy,
  readAll,
  unitSetup,
} from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

const doc = (action: string) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });
const AWS_READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const AWS_ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const AWS_BILLING = "arn:aws:iam::aws:policy/job-function/Billing";
const ps = (n: number) => `arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-${String(n).padStart(16, "0")}`;

function managed(arn: string, attachments: number, document: unknown, extra: Partial<ManagedPolicyDetail> = {}): ManagedPolicyDetail {
  const name = arn.slice(arn.lastIndexOf("/") + 1);
  return {
    PolicyName: name,
    PolicyId: `ANPA${name.toUpperCase().replace(/[^A-Z]/g, "").padEnd(17, "X").slice(0, 17)}`,
    Arn: arn,
    Path: "/",
    DefaultVersionId: "v2",
    AttachmentCount: attachments,
    CreateDate: CREATED,
    UpdateDate: CREATED,
    PolicyVersionList: [
      { VersionId: "v1", IsDefaultVersion: false, Document: encodedPolicy(doc("old:*")) },
      { VersionId: "v2", IsDefaultVersion: true, Document: encodedPolicy(document) },
    ],
    ...extra,
  };
}

const localArn = (account: string, name: string, path = "/") => `arn:aws:iam::${account}:policy${path}${name}`;
const alice = user(OWN_ACCOUNT, "alice", { AttachedManagedPolicies: [{ PolicyName: "deploy", PolicyArn: localArn(OWN_ACCOUNT, "deploy") }] });
const admins = group(OWN_ACCOUNT, "admins", { AttachedManagedPolicies: [{ PolicyName: "ReadOnlyAccess", PolicyArn: AWS_READ_ONLY }] });
const ops = role(OWN_ACCOUNT, "ops", allow({ AWS: alice.Arn }), {
  AttachedManagedPolicies: [
    { PolicyName: "ReadOnlyAccess", PolicyArn: AWS_READ_ONLY },
    { PolicyName: "deploy", PolicyArn: localArn(OWN_ACCOUNT, "deploy") },
  ],
});

/**
 * The connector's own IAM: a used and an unused customer-managed policy, one AWS-managed policy in
 * use. A member account (when asked) has `member`.
 */
function ownIam(member: Record<string, unknown> = {}) {
  setup.mocks.iam.on(GetAccountAuthorizationDetailsCommand).callsFake(async (_input, getClient) =>
    (await callerAccountOf(getClient() as never)) === MEMBER_ACCOUNT
      ? member
      : {
          UserDetailList: [alice],
          GroupDetailList: [admins],
          RoleDetailList: [ops],
          Policies: [
            managed(localArn(OWN_ACCOUNT, "deploy"), 2, doc("codedeploy:*"), { Description: "Deploy things" }),
            managed(localArn(OWN_ACCOUNT, "unused", "/team/"), 0, doc("s3:Get*"), { Path: "/team/" }),
            managed(AWS_READ_ONLY, 2, doc("*:Get*")),
          ],
        },
  );
}

/** Identity Center: set 0 carries AdministratorAccess (in no IAM snapshot) and a reference to "deploy"; both provisioned to own and member. */
function identityCenter() {
  const { sso, organizations } = setup.mocks;
  sso.on(ListInstancesCommand).resolves({ Instances: [{ InstanceArn: INSTANCE_ARN, IdentityStoreId: IDENTITY_STORE_ID }] });
  sso.on(ListPermissionSetsCommand).resolves({ PermissionSets: [ps(0)] });
  sso.on(DescribePermissionSetCommand).resolves({ PermissionSet: { PermissionSetArn: ps(0), Name: "Admins" } });
  sso.on(ListManagedPoliciesInPermissionSetCommand).resolves({ AttachedManagedPolicies: [{ Arn: AWS_ADMIN, Name: "AdministratorAccess" }] });
  sso.on(ListCustomerManagedPolicyReferencesInPermissionSetCommand).resolves({ CustomerManagedPolicyReferences: [{ Name: "deploy", Path: "/" }] });
  sso.on(ListAccountsForProvisionedPermissionSetCommand).resolves({ AccountIds: [OWN_ACCOUNT, MEMBER_ACCOUNT] });
  sso.on(ListPermissionSetsProvisionedToAccountCommand).resolves({ PermissionSets: [ps(0)] });
  organizations.on(ListAccountsCommand).resolves({
    Accounts: [
      { Id: OWN_ACCOUNT, Name: "management", State: "ACTIVE" },
      { Id: MEMBER_ACCOUNT, Name: "member", State: "ACTIVE" },
    ],
  });
  setup.mocks.iam
    .on(GetPolicyCommand, { PolicyArn: AWS_ADMIN })
    .resolves({ Policy: { PolicyName: "AdministratorAccess", Arn: AWS_ADMIN, Path: "/", DefaultVersionId: "v1", AttachmentCount: 0, Description: "Full access" } })
    .on(GetPolicyVersionCommand, { PolicyArn: AWS_ADMIN, VersionId: "v1" })
    .resolves({ PolicyVersion: { VersionId: "v1", IsDefaultVersion: true, Document: encodedPolicy(doc("*")) } });
}

const policies = async (parent?: { resourceType: string; resource: string }) =>
  (await readAll((s) => setup.syncer("iam_policy").listResources(parent as never, s, call()))).items;
const grantsOf = async (policy: Resource) => (await readAll((s) => setup.syncer("iam_policy").listGrants(policy, s, call()))).items;

describe("iam_policy", () => {
  test("resource type as baton-aws: IAM Managed Policy, ROLE trait, V1 identifier", () => {
    setup = unitSetup();
    const type = setup.syncer("iam_policy").resourceType;
    expect(type).toMatchObject({ id: "iam_policy", displayName: "IAM Managed Policy", traits: [ResourceType_Trait.ROLE] });
    expect(annotationOf(type.annotations, V1IdentifierSchema)?.id).toBe("iam_policy");
  });

  test("IAM only: every customer-managed policy and the AWS-managed ones in use, with their default version's document", async () => {
    setup = unitSetup({ organizations: false, identityCenter: false });
    ownIam();
    const listed = await policies();
    expect(listed.map((p) => [p.id!.resource, p.displayName, p.parentResourceId])).toEqual([
      [localArn(OWN_ACCOUNT, "deploy"), "deploy", undefined],
      [localArn(OWN_ACCOUNT, "unused", "/team/"), "unused", undefined],
      [AWS_READ_ONLY, "ReadOnlyAccess", undefined],
    ]);
    const [deploy] = listed;
    expect(deploy!.description).toBe("Deploy things");
    expect(deploy!.profile).toMatchObject({
      aws_policy_name: "deploy",
      aws_policy_arn: localArn(OWN_ACCOUNT, "deploy"),
      aws_policy_type: "customer-managed",
      aws_default_version_id: "v2",
      aws_attachment_count: 2,
    });
    expect(JSON.parse(deploy!.profile!.policy_document as string)).toEqual(doc("codedeploy:*"));
    expect(annotationOf(deploy!.annotations, RoleTraitSchema)).toBeDefined();
    // Grants are listed here, on the policy; baton-aws's SkipGrants is the one annotation we leave out.
    expect(annotationOf(deploy!.annotations, SkipGrantsSchema)).toBeUndefined();
    // One snapshot call serves the whole listing; no GetPolicy/GetPolicyVersion for what it carries.
    expect(setup.mocks.iam.commandCalls(GetAccountAuthorizationDetailsCommand)).toHaveLength(1);
    expect(setup.mocks.iam.commandCalls(GetPolicyCommand)).toHaveLength(0);
    expect(setup.mocks.iam.commandCalls(GetPolicyVersionCommand)).toHaveLength(0);
  });

  test("the attached entitlement as baton-aws names it", async () => {
    setup = unitSetup({ organizations: false, identityCenter: false });
    ownIam();
    const [deploy] = await policies();
    const [entitlement] = (await setup.syncer("iam_policy").listEntitlements(deploy!, undefined, call())).items;
    expect(entitlement).toMatchObject({
      id: `iam_policy:${localArn(OWN_ACCOUNT, "deploy")}:attached`,
      slug: "attached",
      displayName: "deploy Managed Policy",
      description: "Has the deploy managed policy in AWS",
    });
    expect(entitlement!.grantableTo.map((t) => t.id)).toEqual(["iam_user", "role", "group", "permission_set", "permission_set_assignment"]);
  });

  test("grants to users (direct), groups (shallow, to their members) and roles (through whoever assumes them)", async () => {
    setup = unitSetup({ organizations: false, identityCenter: false });
    ownIam();
    const listed = await policies();
    const summary = (grants: Awaited<ReturnType<typeof grantsOf>>) =>
      grants.map((g) => [g.id, annotationOf(g.annotations, GrantExpandableSchema) && { ...annotationOf(g.annotations, GrantExpandableSchema)!, $typeName: undefined }]);
    const deployId = `iam_policy:${localArn(OWN_ACCOUNT, "deploy")}:attached`;
    expect(summary(await grantsOf(listed[0]!))).toEqual([
      [`${deployId}:iam_user:${alice.Arn}`, undefined],
      [`${deployId}:role:${ops.Arn}`, expect.objectContaining({ entitlementIds: [`role:${ops.Arn}:assignment`], shallow: false })],
    ]);
    const readOnlyId = `iam_policy:${AWS_READ_ONLY}:attached`;
    expect(summary(await grantsOf(listed[2]!))).toEqual([
      [`${readOnlyId}:group:${admins.Arn}`, expect.objectContaining({ entitlementIds: [`group:${admins.Arn}:member`], shallow: true })],
      [`${readOnlyId}:role:${ops.Arn}`, expect.objectContaining({ entitlementIds: [`role:${ops.Arn}:assignment`] })],
    ]);
    expect(await grantsOf(listed[1]!)).toEqual([]);
  });

  test("scope attached (baton-aws's sync-only-attached-policies): unattached customer-managed policies are left out", async () => {
    setup = unitSetup({ organizations: false, identityCenter: false, managedPolicies: "attached" });
    ownIam();
    expect((await policies()).map((p) => p.displayName)).toEqual(["deploy", "ReadOnlyAccess"]);
  });

  test("scope all: ListPolicies (Scope AWS) adds the unattached AWS-managed ones, each with one GetPolicyVersion", async () => {
    setup = unitSetup({ organizations: false, identityCenter: false, managedPolicies: "all" });
    ownIam();
    setup.mocks.iam
      .on(ListPoliciesCommand, { Marker: undefined })
      .resolves({ Policies: [{ PolicyName: "ReadOnlyAccess", Arn: AWS_READ_ONLY, DefaultVersionId: "v9" }], IsTruncated: true, Marker: "p2" })
      .on(ListPoliciesCommand, { Marker: "p2" })
      .resolves({ Policies: [{ PolicyName: "Billing", Arn: AWS_BILLING, Path: "/job-function/", DefaultVersionId: "v3", AttachmentCount: 0 }] })
      .on(GetPolicyVersionCommand, { PolicyArn: AWS_BILLING, VersionId: "v3" })
      .resolves({ PolicyVersion: { Document: encodedPolicy(doc("aws-portal:*")) } });
    const listed = await policies();
    expect(listed.map((p) => p.displayName)).toEqual(["deploy", "unused", "ReadOnlyAccess", "Billing"]);
    expect(listed[3]!.profile).toMatchObject({ aws_path: "/job-function/", aws_policy_type: "aws-managed" });
    expect(JSON.parse(listed[3]!.profile!.policy_document as string)).toEqual(doc("aws-portal:*"));
    expect(setup.mocks.iam.commandCalls(ListPoliciesCommand).map((c) => c.args[0].input)).toEqual([
      { Scope: "AWS", OnlyAttached: false, MaxItems: 1000, Marker: undefined },
      { Scope: "AWS", OnlyAttached: false, MaxItems: 1000, Marker: "p2" },
    ]);
    // Only the one not already documented by a snapshot.
    expect(setup.mocks.iam.commandCalls(GetPolicyVersionCommand)).toHaveLength(1);
  });

  test("permission sets: their AWS-managed policies become resources (GetPolicy + GetPolicyVersion when no snapshot has them) and are granted to the set and to each provisioned pair", async () => {
    setup = unitSetup({ crossAccountIam: true });
    ownIam();
    identityCenter();
    const listed = await policies();
    expect(listed.map((p) => p.displayName)).toEqual(["deploy", "unused", "ReadOnlyAccess", "AdministratorAccess"]);
    const admin = listed[3]!;
    expect(admin.description).toBe("Full access");
    expect(JSON.parse(admin.profile!.policy_document as string)).toEqual(doc("*"));
    expect(setup.mocks.iam.commandCalls(GetPolicyCommand).map((c) => c.args[0].input)).toEqual([{ PolicyArn: AWS_ADMIN }]);

    const adminId = `iam_policy:${AWS_ADMIN}:attached`;
    const binding = (account: string) => `${ps(0)}-${account}`;
    const grants = await grantsOf(admin);
    expect(grants.map((g) => [g.id, annotationOf(g.annotations, GrantExpandableSchema)?.entitlementIds])).toEqual([
      [`${adminId}:permission_set:${ps(0)}`, undefined],
      [`${adminId}:permission_set_assignment:${binding(OWN_ACCOUNT)}`, [`permission_set_assignment:${binding(OWN_ACCOUNT)}:assigned`]],
      [`${adminId}:permission_set_assignment:${binding(MEMBER_ACCOUNT)}`, [`permission_set_assignment:${binding(MEMBER_ACCOUNT)}:assigned`]],
    ]);
    // The customer-managed reference names "deploy" in each account: granted where that account's IAM is synced and has it.
    const deploy = listed[0]!;
    expect((await grantsOf(deploy)).map((g) => g.principal!.id!.resource)).toEqual([alice.Arn, ops.Arn, binding(OWN_ACCOUNT)]);
    expect(setup.mocks.sso.commandCalls(ListManagedPoliciesInPermissionSetCommand)).toHaveLength(1);
    expect(setup.mocks.sso.commandCalls(ListCustomerManagedPolicyReferencesInPermissionSetCommand)).toHaveLength(1);
  });

  test("a member account's customer-managed policies, under its account_iam; AWS-managed ones only at the top level", async () => {
    setup = unitSetup({ crossAccountIam: true, identityCenter: false });
    setup.mocks.organizations.on(ListAccountsCommand).resolves({ Accounts: [{ Id: OWN_ACCOUNT, State: "ACTIVE" }, { Id: MEMBER_ACCOUNT, State: "ACTIVE" }] });
    const memberUser = user(MEMBER_ACCOUNT, "dave", { AttachedManagedPolicies: [{ PolicyName: "Billing", PolicyArn: AWS_BILLING }] });
    ownIam({
      UserDetailList: [memberUser],
      Policies: [managed(localArn(MEMBER_ACCOUNT, "member-local"), 1, doc("ec2:*")), managed(AWS_BILLING, 1, doc("aws-portal:*"), { Path: "/job-function/" })],
    });
    const parent = { resourceType: "account_iam", resource: MEMBER_ACCOUNT };
    const underMember = await policies(parent);
    expect(underMember.map((p) => [p.displayName, p.parentResourceId?.resourceType, p.parentResourceId?.resource])).toEqual([["member-local", "account_iam", MEMBER_ACCOUNT]]);
    // The top level: our own policies, then every AWS-managed one in use in any synced account, once.
    const top = await policies();
    expect(top.map((p) => [p.displayName, p.parentResourceId])).toEqual([
      ["deploy", undefined],
      ["unused", undefined],
      ["ReadOnlyAccess", undefined],
      ["Billing", undefined],
    ]);
    const billing = top[3]!;
    expect((await grantsOf(billing)).map((g) => g.principal!.id!.resource)).toEqual([memberUser.Arn]);
  });

  test("GetResource: a listed policy by ARN; others are not found", async () => {
    setup = unitSetup({ organizations: false, identityCenter: false });
    ownIam();
    const get = (arn: string) => setup.syncer("iam_policy").getResource!({ resourceType: "iam_policy", resource: arn } as never, undefined, call());
    expect((await get(localArn(OWN_ACCOUNT, "deploy")))?.displayName).toBe("deploy");
    expect((await get(AWS_READ_ONLY))?.displayName).toBe("ReadOnlyAccess");
    expect(await get(AWS_ADMIN)).toBeUndefined();
    expect(await get(localArn(MEMBER_ACCOUNT, "deploy"))).toBeUndefined();
  });
});
