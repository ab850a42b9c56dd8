import { readFile, writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { ListAccountAssignmentsCommand, ListInstancesCommand } from "@aws-sdk/client-sso-admin";
import { describe, expect, it } from "vitest";
import { OrgSpecError, buildModel, loadOrgFile, modelQueries, parseOrgSpec, startSimulator } from "../../src/simulator/index.js";
import { clientsFor } from "./helpers.js";

const EXAMPLE = new URL("../../docs/examples/org.example.json", import.meta.url).pathname;

describe("the documented example organisation", () => {
  it("loads, serves and binds the fixed keys to the users it names", async () => {
    const sim = await startSimulator({ orgFile: EXAMPLE });
    try {
      expect(sim.region).toBe("eu-west-1");
      const clients = clientsFor(sim);
      expect((await clients.sts.send(new GetCallerIdentityCommand({}))).Arn).toBe("arn:aws:iam::111122223333:user/sim-admin");
      expect((await clientsFor(sim, "member").sts.send(new GetCallerIdentityCommand({}))).Arn).toBe("arn:aws:iam::444455556666:user/sim-member");
      expect((await clientsFor(sim, "standalone").sts.send(new GetCallerIdentityCommand({}))).Account).toBe("123412341234");
      const assumed = await clients.sts.send(
        new AssumeRoleCommand({ RoleArn: "arn:aws:iam::111122223333:role/ConnectorReadOnly", RoleSessionName: "doc", ExternalId: "example-external-id" }),
      );
      expect(assumed.AssumedRoleUser!.Arn).toBe("arn:aws:sts::111122223333:assumed-role/ConnectorReadOnly/doc");
      const { Instances } = await clients.ssoAdmin.send(new ListInstancesCommand({}));
      expect(Instances![0]).toMatchObject({ InstanceArn: "arn:aws:sso:::instance/ssoins-0123456789abcdef", IdentityStoreId: "d-0123456789" });
      const readOnly = [...sim.model.ssoInstance!.permissionSets].find((p) => p.name === "ReadOnlyAccess")!;
      const { AccountAssignments } = await clients.ssoAdmin.send(
        new ListAccountAssignmentsCommand({ InstanceArn: Instances![0]!.InstanceArn, AccountId: "444455556666", PermissionSetArn: readOnly.arn }),
      );
      const engineering = sim.model.identityStore!.groupsByName.get("engineering")!;
      expect(AccountAssignments).toEqual([{ AccountId: "444455556666", PermissionSetArn: readOnly.arn, PrincipalType: "GROUP", PrincipalId: engineering.id }]);
      expect(sim.model.ssoInstance!.provisionedByAccount.get("777788889999")!.has(readOnly.arn)).toBe(true);
      expect(sim.model.accounts.get("444455556666")!.iam.roles.toArray().some((r) => r.name.startsWith("AWSReservedSSO_ReadOnlyAccess_"))).toBe(true);
    } finally {
      await sim.stop();
    }
  });

  it("declares the access model exactly: OU tree, policy versions, boundaries, credentials, permission-set policies", async () => {
    const model = buildModel(await loadOrgFile(EXAMPLE));
    const org = model.organization!;
    expect(org.root).toEqual({ id: "r-ex12", arn: "arn:aws:organizations::111122223333:root/o-exampleorg1/r-ex12", name: "Root" });
    expect([...org.units].map((u) => [u.name, u.parentId])).toEqual([
      ["Workloads", "r-ex12"],
      ["Prod", "ou-ex12-workload"],
      ["NonProd", "ou-ex12-workload"],
      ["Suspended", "r-ex12"],
    ]);
    expect(org.units.get("ou-ex12-prodprod")!.arn).toBe("arn:aws:organizations::111122223333:ou/o-exampleorg1/ou-ex12-prodprod");
    expect(model.accounts.get("444455556666")!.parentId).toBe("ou-ex12-prodprod");
    expect(model.accounts.get("111122223333")!.parentId).toBe("r-ex12");
    expect(model.accounts.get("123412341234")!.parentId).toBeUndefined();
    expect(modelQueries.organizationalUnitPath(model, "444455556666")).toEqual(["Workloads", "Prod"]);
    expect(modelQueries.organizationalUnitPath(model, "111122223333")).toEqual([]);
    expect(modelQueries.managedPolicy(model, "111122223333", "arn:aws:iam::aws:policy/IAMFullAccess")!.defaultVersionId).toBe("v2");
    expect(modelQueries.managedPolicy(model, "444455556666", "arn:aws:iam::111122223333:policy/DeployerPolicy")).toBeUndefined();
    expect(modelQueries.managedPolicyUsage(model, "111122223333").get("arn:aws:iam::111122223333:policy/boundaries/DeveloperBoundary")).toEqual({ attachments: 0, boundaries: 1 });

    const iam = model.accounts.get("111122223333")!.iam;
    const deployer = iam.policies.get("arn:aws:iam::111122223333:policy/DeployerPolicy")!;
    expect(deployer.versions.map((v) => v.versionId)).toEqual(["v1", "v2"]);
    expect(deployer).toMatchObject({ defaultVersionId: "v2", createdAt: Date.UTC(2020, 1, 1), updatedAt: Date.UTC(2021, 4, 1) });
    expect(JSON.parse(deployer.document).Statement[0].Action).toBe("cloudformation:*");
    const admin = iam.users.get("sim-admin")!;
    expect(admin.loginProfile).toEqual({ createdAt: Date.UTC(2020, 0, 2), passwordResetRequired: false });
    expect(admin.mfaDevices.map((d) => d.serialNumber)).toEqual(["arn:aws:iam::111122223333:mfa/sim-admin"]);
    expect(iam.mfaDevices.get("arn:aws:iam::111122223333:mfa/sim-admin")!.user).toBe(admin);
    expect(admin.accessKeys).toEqual([{ id: "AKIASIMMGMTADMIN0001", status: "Active", createdAt: admin.createdAt, lastUsed: { date: Date.UTC(2024, 11, 1, 10), service: "sts", region: "eu-west-1" } }]);
    const bot = iam.users.get("ci-bot")!;
    expect(bot.permissionsBoundary).toBe("arn:aws:iam::111122223333:policy/boundaries/DeveloperBoundary");
    expect(bot.accessKeys.map((k) => [k.status, k.lastUsed?.service])).toEqual([["Inactive", undefined], ["Active", "cloudformation"]]);
    for (const key of bot.accessKeys) expect(key.id).toMatch(/^AKIA[A-Z0-9]{16}$/);
    expect(bot.sshPublicKeys[0]!.id).toMatch(/^APKA[A-Z0-9]{16}$/);
    expect(bot.serviceSpecificCredentials[0]).toMatchObject({ serviceName: "codecommit.amazonaws.com", serviceUserName: "ci-bot-at-111122223333", status: "Active" });
    expect(iam.groups.get("Deployers")!.inlinePolicies.map((p) => p.name)).toEqual(["read-artifacts"]);
    expect(iam.roles.get("ConnectorReadOnly")!).toMatchObject({ maxSessionDuration: 7200, lastUsed: { date: Date.UTC(2024, 11, 31, 12), region: "eu-west-1" } });
    // The member key is bound to sim-member, which declares no keys: it becomes one of its keys.
    expect(model.accounts.get("444455556666")!.iam.users.get("sim-member")!.accessKeys.map((k) => k.id)).toEqual(["AKIASIMMEMBERUSER001"]);

    expect(model.awsManagedPolicies.get("arn:aws:iam::aws:policy/AmazonSageMakerFullAccess")!.description).toMatch(/Declared here/);
    const developer = [...model.ssoInstance!.permissionSets].find((p) => p.name === "Developer")!;
    expect(developer.customerManagedPolicies).toEqual([{ name: "DeveloperBoundary", path: "/boundaries/" }]);
    expect(developer.permissionsBoundary).toEqual({ customerManagedPolicyReference: { name: "DeveloperBoundary", path: "/boundaries/" } });
    const role = [...model.accounts.get("444455556666")!.iam.roles].find((r) => r.name.startsWith("AWSReservedSSO_Developer_"))!;
    expect(role.attachedPolicies).toEqual(["arn:aws:iam::aws:policy/AmazonSageMakerFullAccess", "arn:aws:iam::444455556666:policy/boundaries/DeveloperBoundary"]);
    expect(role.inlinePolicies).toEqual([{ name: "AwsSSOInlinePolicy", document: developer.inlinePolicy }]);
    expect(role.permissionsBoundary).toBe("arn:aws:iam::444455556666:policy/boundaries/DeveloperBoundary");
  });

  it("fills missing ids deterministically from the seed", async () => {
    const spec = await loadOrgFile(EXAMPLE);
    const a = buildModel(spec);
    const b = buildModel(structuredClone(spec));
    expect([...a.identityStore!.users].map((u) => u.id)).toEqual([...b.identityStore!.users].map((u) => u.id));
    expect(buildModel({ ...structuredClone(spec), seed: 43 }).identityStore!.users.at(0)!.id).not.toBe(a.identityStore!.users.at(0)!.id);
  });
});

describe("validation errors name the bad field", () => {
  const example = async () => JSON.parse(await readFile(EXAMPLE, "utf8")) as Record<string, any>;
  const failure = (value: unknown) => {
    try {
      buildModel(parseOrgSpec(value));
    } catch (error) {
      expect(error).toBeInstanceOf(OrgSpecError);
      return (error as OrgSpecError).message;
    }
    throw new Error("expected the organisation to be rejected");
  };

  it("shape errors (zod)", async () => {
    const badId = await example();
    badId.accounts[1].id = "12345";
    expect(failure(badId)).toBe("accounts[1].id: must be a 12-digit account id");
    const unknownField = await example();
    unknownField.accounts[0].iam.users[0].colour = "blue";
    expect(failure(unknownField)).toMatch(/^accounts\[0\]\.iam\.users\[0\]: .*colour/);
    const badState = await example();
    badState.accounts[2].state = "ASLEEP";
    expect(failure(badState)).toMatch(/^accounts\[2\]\.state: /);
  });

  it("reference errors (model builder)", async () => {
    const unknownGroup = await example();
    unknownGroup.accounts[0].iam.users[1].groups = ["Deployers", "Nope"];
    expect(failure(unknownGroup)).toBe("accounts[0].iam.users[1].groups[1]: unknown IAM group Nope");
    const unknownMember = await example();
    unknownMember.identityCenter.groups[0].members.push("zed@example.com");
    expect(failure(unknownMember)).toBe("identityCenter.groups[0].members[2]: unknown user zed@example.com");
    const unknownSet = await example();
    unknownSet.identityCenter.assignments[0].permissionSet = "PowerUser";
    expect(failure(unknownSet)).toBe("identityCenter.assignments[0].permissionSet: unknown permission set PowerUser");
    const badManagement = await example();
    badManagement.organization.managementAccountId = "999999999999";
    expect(failure(badManagement)).toBe("organization.managementAccountId: unknown account 999999999999");
  });

  it("access-model errors", async () => {
    const unknownOu = await example();
    unknownOu.accounts[1].organizationalUnit = "Workloads/Staging";
    expect(failure(unknownOu)).toBe("accounts[1].organizationalUnit: unknown OU Workloads/Staging");
    const outsideOu = await example();
    outsideOu.accounts[3].organizationalUnit = "Suspended";
    expect(failure(outsideOu)).toBe("accounts[3].organizationalUnit: the account is not in the organisation");
    const slash = await example();
    slash.organization.organizationalUnits[1].name = "A/B";
    expect(failure(slash)).toBe("organization.organizationalUnits[1].name: must not contain /");
    const unknownAwsPolicy = await example();
    unknownAwsPolicy.accounts[0].iam.groups[0].attachedPolicies.push("arn:aws:iam::aws:policy/NoSuchThing");
    expect(failure(unknownAwsPolicy)).toBe(
      "accounts[0].iam.groups[0].attachedPolicies[1]: unknown managed policy arn:aws:iam::aws:policy/NoSuchThing (not in the built-in catalogue: declare it under awsManagedPolicies)",
    );
    const otherAccountPolicy = await example();
    otherAccountPolicy.accounts[1].iam.roles[0].attachedPolicies.push("arn:aws:iam::111122223333:policy/DeployerPolicy");
    expect(failure(otherAccountPolicy)).toBe("accounts[1].iam.roles[0].attachedPolicies[1]: unknown managed policy arn:aws:iam::111122223333:policy/DeployerPolicy");
    const threeKeys = await example();
    threeKeys.accounts[0].iam.users[1].accessKeys.push({});
    expect(failure(threeKeys)).toBe("accounts[0].iam.users[1].accessKeys: a user has at most 2 access keys");
    const missingReference = await example();
    missingReference.identityCenter.assignments[3].accountId = "111122223333";
    missingReference.accounts[0].iam.policies.pop();
    missingReference.accounts[0].iam.users[1].permissionsBoundary = undefined;
    expect(failure(missingReference)).toBe(
      "identityCenter.assignments[3].permissionSet: Developer needs arn:aws:iam::111122223333:policy/boundaries/DeveloperBoundary, which account 111122223333 does not have",
    );
    const twoBoundaries = await example();
    twoBoundaries.identityCenter.permissionSets[2].permissionsBoundary.managedPolicyArn = "arn:aws:iam::aws:policy/PowerUserAccess";
    expect(failure(twoBoundaries)).toBe("identityCenter.permissionSets[2].permissionsBoundary: give exactly one of managedPolicyArn and customerManagedPolicy");
  });

  it("file errors say which file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sim-org-"));
    const file = join(dir, "broken.json");
    await writeFile(file, "{ not json");
    await expect(loadOrgFile(file)).rejects.toThrow(/broken\.json is not valid JSON/);
    await expect(startSimulator({ orgFile: join(dir, "missing.json") })).rejects.toThrow(/cannot read .*missing\.json/);
  });
});
