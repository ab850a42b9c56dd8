/**
 * The connector itself against moto, an AWS emulator nobody here wrote: an organisation is
 * built through moto's write APIs, the connector syncs it as a baton host would, and the types
 * moto supports come out with the expected contents — managed and inline policies with their
 * documents and holders, the OU tree with accounts placed in it, access keys, permission sets'
 * policies and the permission-set-assignment bindings.
 *
 * moto quirks this test works with (and our simulator does not share): every AWS-managed policy
 * is in GetAccountAuthorizationDetails whether attached or not (the connector keeps the attached
 * ones), permission-set ARNs are `…:instance/ssoins-…/ps-…` rather than `…:permissionSet/…`, an
 * account assignment does not provision its permission set to the account (ProvisionPermissionSet
 * does, and only to the caller's account — so assignments here are on the management account),
 * AWS's managed policies are only there with MOTO_IAM_LOAD_MANAGED_POLICIES, IAM ids are
 * lower-case, and Organizations pages have no 20-item cap.
 */
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { CreateGroupCommand as CreateSsoGroupCommand, CreateGroupMembershipCommand, CreateUserCommand as CreateSsoUserCommand } from "@aws-sdk/client-identitystore";
import { CreateAccountCommand, CreateOrganizationalUnitCommand, CreateOrganizationCommand, ListRootsCommand, MoveAccountCommand } from "@aws-sdk/client-organizations";
import {
  AttachCustomerManagedPolicyReferenceToPermissionSetCommand,
  AttachManagedPolicyToPermissionSetCommand,
  CreateAccountAssignmentCommand,
  CreatePermissionSetCommand,
  ListInstancesCommand,
  ProvisionPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand,
} from "@aws-sdk/client-sso-admin";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnector, type Connector } from "../../src/connector/build.js";
import { defaultConfig } from "../../src/config/config.js";
import { GrantExpandableSchema } from "../../src/gen/c1/connector/v2/annotation_grant_pb.js";
import { SecretTraitSchema } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { clientsForConfig, type Clients } from "../simulator/helpers.js";
import { MOTO_MISSING, motoInstalled, startMoto, type MotoServer } from "../support/moto.js";
import { traverse, type TraversalResult } from "./support/traversal.js";

const doc = (action: string, condition?: unknown) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: action, Resource: "*", ...(condition ? { Condition: condition } : {}) }],
});
const trust = (principal: string) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: principal }, Action: "sts:AssumeRole" }] });
const READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";

interface Seeded {
  account: string;
  production: string;
  root: string;
  workloads: string;
  prod: string;
  keys: Array<{ user: string; id: string; secret: string }>;
  permissionSet: string;
  ssoUser: string;
}

async function seed(c: Clients): Promise<Seeded> {
  const account = (await c.sts.send(new GetCallerIdentityCommand({}))).Account!;
  const arn = (kind: string, name: string) => `arn:aws:iam::${account}:${kind}/${name}`;
  for (const name of ["alice", "bob"]) await c.iam.send(new CreateUserCommand({ UserName: name }));
  await c.iam.send(new CreateGroupCommand({ GroupName: "devs" }));
  await c.iam.send(new AddUserToGroupCommand({ GroupName: "devs", UserName: "alice" }));
  await c.iam.send(new CreateRoleCommand({ RoleName: "deployer", AssumeRolePolicyDocument: JSON.stringify(trust(arn("user", "alice"))), Description: "Deploys" }));
  const deploy = (await c.iam.send(new CreatePolicyCommand({ PolicyName: "deploy", PolicyDocument: JSON.stringify(doc("codedeploy:*")), Description: "Deploy things" }))).Policy!.Arn!;
  await c.iam.send(new CreatePolicyCommand({ PolicyName: "unused", PolicyDocument: JSON.stringify(doc("s3:GetObject")) }));
  await c.iam.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: deploy }));
  await c.iam.send(new AttachRolePolicyCommand({ RoleName: "deployer", PolicyArn: deploy }));
  await c.iam.send(new AttachGroupPolicyCommand({ GroupName: "devs", PolicyArn: READ_ONLY }));
  await c.iam.send(new PutUserPolicyCommand({ UserName: "alice", PolicyName: "s3-read", PolicyDocument: JSON.stringify(doc("s3:Get*")) }));
  await c.iam.send(
    new PutRolePolicyCommand({ RoleName: "deployer", PolicyName: "vendor", PolicyDocument: JSON.stringify(doc("sts:AssumeRole", { StringEquals: { "sts:ExternalId": "moto-external-id-1" } })) }),
  );
  const keys = [];
  for (const user of ["alice", "bob", "bob"]) {
    const key = (await c.iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!;
    keys.push({ user, id: key.AccessKeyId!, secret: key.SecretAccessKey! });
  }

  await c.organizations.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
  const root = (await c.organizations.send(new ListRootsCommand({}))).Roots![0]!.Id!;
  const workloads = (await c.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: "Workloads" }))).OrganizationalUnit!.Id!;
  const prod = (await c.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: workloads, Name: "Prod" }))).OrganizationalUnit!.Id!;
  const production = (await c.organizations.send(new CreateAccountCommand({ AccountName: "production", Email: "prod@example.com" }))).CreateAccountStatus!.AccountId!;
  await c.organizations.send(new MoveAccountCommand({ AccountId: production, SourceParentId: root, DestinationParentId: prod }));

  const { InstanceArn, IdentityStoreId } = (await c.ssoAdmin.send(new ListInstancesCommand({}))).Instances![0]!;
  const ssoUser = (await c.identitystore.send(new CreateSsoUserCommand({ IdentityStoreId, UserName: "ann", DisplayName: "Ann Archer", Name: { GivenName: "Ann", FamilyName: "Archer" } }))).UserId!;
  const ssoGroup = (await c.identitystore.send(new CreateSsoGroupCommand({ IdentityStoreId, DisplayName: "Engineering" }))).GroupId!;
  await c.identitystore.send(new CreateGroupMembershipCommand({ IdentityStoreId, GroupId: ssoGroup, MemberId: { UserId: ssoUser } }));
  const permissionSet = (await c.ssoAdmin.send(new CreatePermissionSetCommand({ InstanceArn, Name: "Admin", SessionDuration: "PT1H" }))).PermissionSet!.PermissionSetArn!;
  await c.ssoAdmin.send(new AttachManagedPolicyToPermissionSetCommand({ InstanceArn, PermissionSetArn: permissionSet, ManagedPolicyArn: ADMIN }));
  await c.ssoAdmin.send(new AttachCustomerManagedPolicyReferenceToPermissionSetCommand({ InstanceArn, PermissionSetArn: permissionSet, CustomerManagedPolicyReference: { Name: "deploy" } }));
  await c.ssoAdmin.send(new PutInlinePolicyToPermissionSetCommand({ InstanceArn, PermissionSetArn: permissionSet, InlinePolicy: JSON.stringify(doc("sso:*")) }));
  for (const [type, principal] of [
    ["USER", ssoUser],
    ["GROUP", ssoGroup],
  ] as const) {
    await c.ssoAdmin.send(
      new CreateAccountAssignmentCommand({ InstanceArn, TargetId: account, TargetType: "AWS_ACCOUNT", PermissionSetArn: permissionSet, PrincipalType: type, PrincipalId: principal }),
    );
  }
  // AWS provisions the set with the assignment; moto needs it asked, and only ever provisions to the caller's account.
  await c.ssoAdmin.send(new ProvisionPermissionSetCommand({ InstanceArn, PermissionSetArn: permissionSet, TargetType: "AWS_ACCOUNT", TargetId: account }));
  return { account, production, root, workloads, prod, keys, permissionSet, ssoUser };
}

if (!motoInstalled && process.env.CI) {
  describe("the connector against moto", () => {
    it("runs in CI", () => {
      throw new Error(`${MOTO_MISSING}. CI must run this suite, not skip it.`);
    });
  });
} else if (!motoInstalled) {
  console.warn(`connector-against-moto suite skipped: ${MOTO_MISSING}`);
  describe.skip(`the connector against moto (skipped: ${MOTO_MISSING})`, () => {
    it("syncs moto's organisation", () => undefined);
  });
} else {
  describe("the connector against moto", () => {
    let moto: MotoServer;
    let connector: Connector;
    let seeded: Seeded;
    let sync: TraversalResult;
    const credentials = { accessKeyId: "AKIAMOTOCONNECTOR001", secretAccessKey: "moto-secret" };

    beforeAll(async () => {
      moto = await startMoto({ env: { MOTO_IAM_LOAD_MANAGED_POLICIES: "true" } });
      seeded = await seed(clientsForConfig({ endpoint: moto.endpoint, region: "us-east-1", credentials }));
      connector = createConnector(
        defaultConfig({
          aws: { region: "us-east-1", ssoRegion: "us-east-1", endpoint: moto.endpoint, staticCredentials: credentials, maxAttempts: 2 },
          features: { organizationTree: true, syncSecrets: true },
          pageTokenSecret: "moto-connector-test-page-token-secret",
          stateDir: "/nonexistent-state-dir-unused",
        }),
      );
      sync = await traverse(connector.api);
    }, 120_000);

    afterAll(async () => {
      await connector?.close();
      moto?.stop();
    });

    const resource = (type: string, id: string) => sync.resources.get(`${type}:${id}`);
    const holders = (entitlementId: string) =>
      [...sync.grants.values()]
        .filter((g) => g.entitlement!.id === entitlementId)
        .map((g) => `${g.principal!.id!.resourceType}:${g.principal!.id!.resource}`)
        .sort();

    it("managed policies: every customer-managed one and the AWS-managed ones attached, with their documents and holders", () => {
      const policyArn = (name: string) => `arn:aws:iam::${seeded.account}:policy/${name}`;
      const policies = [...sync.resources.values()].filter((r) => r.id!.resourceType === "iam_policy").map((r) => r.id!.resource).sort();
      // moto reports every AWS-managed policy; only the attached ones (to IAM or to a permission set) are shown.
      expect(policies).toEqual([ADMIN, READ_ONLY, policyArn("deploy"), policyArn("unused")].sort());
      const deploy = resource("iam_policy", policyArn("deploy"))!;
      expect(deploy.description).toBe("Deploy things");
      expect(JSON.parse(deploy.profile!.policy_document as string)).toEqual(doc("codedeploy:*"));
      expect(JSON.parse(resource("iam_policy", ADMIN)!.profile!.policy_document as string).Statement).toBeDefined();
      const arn = (kind: string, name: string) => `arn:aws:iam::${seeded.account}:${kind}/${name}`;
      const binding = `${seeded.permissionSet}-${seeded.account}`;
      // The permission set's reference to "deploy" names this account's policy on its binding here (production's IAM is not synced).
      expect(holders(`iam_policy:${policyArn("deploy")}:attached`)).toEqual(
        [`iam_user:${arn("user", "alice")}`, `permission_set_assignment:${binding}`, `role:${arn("role", "deployer")}`].sort(),
      );
      expect(holders(`iam_policy:${READ_ONLY}:attached`)).toEqual([`group:${arn("group", "devs")}`]);
      expect(holders(`iam_policy:${ADMIN}:attached`)).toEqual([`permission_set:${seeded.permissionSet}`, `permission_set_assignment:${binding}`].sort());
      const groupGrant = sync.grants.get(`iam_policy:${READ_ONLY}:attached:group:${arn("group", "devs")}`)!;
      expect(anyUnpack(groupGrant.annotations[0]!, GrantExpandableSchema)).toMatchObject({ entitlementIds: [`group:${arn("group", "devs")}:member`], shallow: true });
    });

    it("inline policies of users, roles and the permission set, external IDs redacted", () => {
      const arn = (kind: string, name: string) => `arn:aws:iam::${seeded.account}:${kind}/${name}`;
      const inline = [...sync.resources.values()].filter((r) => r.id!.resourceType === "inline_policy").map((r) => r.id!.resource).sort();
      expect(inline).toEqual([`${arn("user", "alice")}::inline::s3-read`, `${arn("role", "deployer")}::inline::vendor`, `${seeded.permissionSet}::inline::inline`].sort());
      const vendor = resource("inline_policy", `${arn("role", "deployer")}::inline::vendor`)!;
      expect(vendor.profile!.policy_document).toContain("[redacted]");
      expect(vendor.profile!.policy_document).not.toContain("moto-external-id-1");
      expect(JSON.parse(resource("inline_policy", `${seeded.permissionSet}::inline::inline`)!.profile!.policy_document as string)).toEqual(doc("sso:*"));
      expect(holders(`inline_policy:${arn("user", "alice")}::inline::s3-read:attached`)).toEqual([`iam_user:${arn("user", "alice")}`]);
    });

    it("the OU tree, with each account under its unit", () => {
      expect(resource("organization", seeded.root)).toBeDefined();
      expect(resource("organizational_unit", seeded.workloads)?.parentResourceId).toMatchObject({ resourceType: "organization", resource: seeded.root });
      expect(resource("organizational_unit", seeded.prod)?.parentResourceId).toMatchObject({ resourceType: "organizational_unit", resource: seeded.workloads });
      expect(resource("account", seeded.production)?.parentResourceId).toMatchObject({ resourceType: "organizational_unit", resource: seeded.prod });
      expect(resource("account", seeded.account)?.parentResourceId).toMatchObject({ resourceType: "organization", resource: seeded.root });
    });

    it("access keys, by id and user, never their secrets", () => {
      const keys = [...sync.resources.values()].filter((r) => r.id!.resourceType === "access-key");
      expect(keys.map((k) => k.displayName).sort()).toEqual(seeded.keys.map((k) => `${k.user}|${k.id}`).sort());
      const alice = keys.find((k) => k.displayName.startsWith("alice|"))!;
      expect(anyUnpack(alice.annotations.find((a) => a.typeUrl.endsWith("SecretTrait"))!, SecretTraitSchema)?.identityId?.resource).toBe(`arn:aws:iam::${seeded.account}:user/alice`);
      const everything = JSON.stringify([...sync.resources.values()].map((r) => r.profile));
      for (const key of seeded.keys) expect(everything).not.toContain(key.secret);
    });

    it("permission-set assignments as scope bindings, granted to the assigned user and group, as the flat account entitlement is", () => {
      const binding = `${seeded.permissionSet}-${seeded.account}`;
      expect(resource("permission_set_assignment", binding)?.displayName).toBe(`Admin on ${seeded.account}`);
      const assigned = holders(`permission_set_assignment:${binding}:assigned`);
      expect(assigned).toEqual([expect.stringMatching(/^sso_group:.*\/group\//), expect.stringMatching(new RegExp(`^sso_user:.*/user/${seeded.ssoUser}$`))]);
      expect(holders(`${seeded.account}|${seeded.permissionSet}`)).toEqual(assigned);
      // Not provisioned to production (moto only provisions to the caller's account): no binding there.
      expect(resource("permission_set_assignment", `${seeded.permissionSet}-${seeded.production}`)).toBeUndefined();
    });
  });
}
