import { readFile, writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { ListAccountAssignmentsCommand, ListInstancesCommand } from "@aws-sdk/client-sso-admin";
import { describe, expect, it } from "vitest";
import { OrgSpecError, buildModel, loadOrgFile, parseOrgSpec, startSimulator } from "../../src/simulator/index.js";
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

  it("file errors say which file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sim-org-"));
    const file = join(dir, "broken.json");
    await writeFile(file, "{ not json");
    await expect(loadOrgFile(file)).rejects.toThrow(/broken\.json is not valid JSON/);
    await expect(startSimulator({ orgFile: join(dir, "missing.json") })).rejects.toThrow(/cannot read .*missing\.json/);
  });
});
