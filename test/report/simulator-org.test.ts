/**
 * Privileged access end to end: an organisation built with known administrators, IAM writers and
 * Identity Center writers, served by the simulator, synced by this connector, reviewed — the
 * privileged view names exactly them (and the AWSReservedSSO roles AWS creates for a privileged
 * permission set, which really are privileged), and every number agrees with `baton grants`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { defaultConfig } from "../../src/config/config.js";
import { createConnector } from "../../src/connector/build.js";
import { buildReport, type Report } from "../../src/report/report.js";
import { cell, reportViews } from "../../src/report/views.js";
import { startSimulator, type OrgSpec, type Simulator } from "../../src/simulator/index.js";
import { runSync } from "../../src/sync/engine.js";
import { batonJson, findBaton, isUnavailable, skipOrFail, type Unavailable } from "../interop/go-tools.js";

const MGMT = "100000000001";
const PROD = "100000000002";
const aws = (name: string) => `arn:aws:iam::aws:policy/${name}`;
const allow = (action: string | string[]) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });
const trust = (arn: string) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: arn }, Action: "sts:AssumeRole" }] });

const ORG: OrgSpec = {
  version: 1,
  organization: { managementAccountId: MGMT },
  accounts: [
    {
      id: MGMT,
      name: "management",
      email: "mgmt@example.com",
      iam: {
        users: [{ name: "root-ops", groups: ["Admins"] }, { name: "viewer", groups: ["Viewers"] }, { name: "ci" }],
        groups: [
          { name: "Admins", attachedPolicies: [aws("AdministratorAccess")] },
          { name: "Viewers", attachedPolicies: [aws("ReadOnlyAccess")] },
        ],
        roles: [
          { name: "Deployer", trustPolicy: trust(`arn:aws:iam::${MGMT}:user/ci`), attachedPolicies: [aws("AmazonS3FullAccess")] },
          { name: "IamBoss", trustPolicy: trust(`arn:aws:iam::${MGMT}:role/Deployer`), inlinePolicies: [{ name: "escalate", document: allow("iam:*") }] },
        ],
      },
    },
    {
      id: PROD,
      name: "prod",
      email: "prod@example.com",
      // The role the connector assumes to read the member account's IAM (which also makes it an administrator there).
      iam: { roles: [{ name: "OrganizationAccountAccessRole", trustPolicy: trust(`arn:aws:iam::${MGMT}:root`), attachedPolicies: [aws("AdministratorAccess")] }] },
    },
  ],
  identityCenter: {
    users: ["alice", "bob", "carol"].map((name) => ({ userName: `${name}@example.com`, givenName: name, familyName: "Example", email: `${name}@example.com` })),
    groups: [{ displayName: "Platform", members: ["alice@example.com"] }],
    permissionSets: [
      { name: "Admin", managedPolicies: [aws("AdministratorAccess")] },
      { name: "ReadOnly", managedPolicies: [aws("ReadOnlyAccess")] },
      { name: "IdentityOps", inlinePolicy: allow(["sso:CreateAccountAssignment", "identitystore:CreateGroupMembership"]) },
    ],
    assignments: [
      { accountId: PROD, permissionSet: "Admin", principalType: "GROUP", principal: "Platform" },
      { accountId: PROD, permissionSet: "ReadOnly", principalType: "USER", principal: "bob@example.com" },
      { accountId: PROD, permissionSet: "IdentityOps", principalType: "USER", principal: "carol@example.com" },
    ],
  },
};

const dir = mkdtempSync(join(tmpdir(), "report-sim-org-"));
const file = join(dir, "sync.c1z");
let sim: Simulator;
let report: Report;

beforeAll(async () => {
  sim = await startSimulator({ org: ORG });
  const connector = createConnector(
    defaultConfig({
      aws: { region: sim.region, ssoRegion: sim.region, endpoint: sim.endpoint, staticCredentials: { ...sim.credentials } },
      features: { organizations: true, identityCenter: true, crossAccountIam: true },
      stateDir: join(dir, "state"),
      pageTokenSecret: "report-tests",
    }),
  );
  try {
    await runSync({ target: file, api: connector.api });
  } finally {
    await connector.close();
  }
  report = await buildReport({ file, staleDays: 90 });
}, 120_000);
afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function rows(name: string): Array<Record<string, string | number | null>> {
  const view = reportViews(report).find((v) => v.name === name)!;
  return [...view.rows()].map((row) => Object.fromEntries(view.columns.map((c) => [c.key, cell(report.tables, view, row, c)])));
}

describe("privileged access of an organisation built with known admins, through this connector's sync", () => {
  test("exactly the administrators, IAM writers and Identity Center writers", () => {
    const privileged = rows("privileged").filter((r) => !String(r.principal).startsWith("AWSReservedSSO_"));
    const holders = (level: string) => [...new Set(privileged.filter((r) => r.privilege === level).map((r) => `${r.principalType} ${r.principal}`))].sort();
    expect(holders("Administrator")).toEqual(["IAM group Admins", "IAM role OrganizationAccountAccessRole", "IAM user root-ops", "SSO group Platform", "SSO user alice@example.com"]);
    expect(holders("IAM write")).toEqual(["IAM role Deployer", "IAM role IamBoss", "IAM user ci"]);
    expect(holders("Identity Center write")).toEqual(["SSO user carol@example.com"]);
    expect(privileged.find((r) => r.principal === "ci")).toMatchObject({ access: "IamBoss", path: "IAM role Deployer", account: "management", privilegeReason: "escalate: iam:*" });
    expect(privileged.find((r) => r.principal === "alice@example.com")).toMatchObject({ access: "Admin", account: "prod", path: "SSO group Platform", privilegeReason: "AdministratorAccess: * on *" });
  });

  test("the role AWS creates for a privileged permission set is privileged too; read-only and S3 access are not", () => {
    const reserved = rows("privileged").filter((r) => String(r.principal).startsWith("AWSReservedSSO_"));
    expect(reserved.map((r) => [String(r.principal).replace(/_[0-9a-f]{16}$/, ""), r.access, r.privilege])).toEqual(
      expect.arrayContaining([["AWSReservedSSO_Admin", "AdministratorAccess", "Administrator"]]),
    );
    const plain = rows("by-account").filter((r) => r.privilege === "" && !String(r.principal).startsWith("AWSReservedSSO_"));
    expect(plain.map((r) => `${r.principal} ${r.access}`)).toEqual(expect.arrayContaining(["bob@example.com ReadOnly", "viewer Viewers", "ci Deployer", "Deployer AmazonS3FullAccess"]));
  });

  describe("every number agrees with the official reader", () => {
    let baton: string | Unavailable;
    beforeAll(() => {
      baton = findBaton();
    }, 900_000);

    test("grants and users holding access (baton grants, the report's rule)", (ctx) => {
      if (isUnavailable(baton)) return skipOrFail(ctx.skip, baton);
      type G = { grant: { entitlement: { id: string; resource: { id: { resourceType: string } } }; principal: { id: { resourceType: string; resource: string } }; sources?: { sources?: Record<string, unknown> } } };
      const grants = batonJson<{ grants: G[] }>(baton as string, file, ["grants"]).grants.map((g) => g.grant);
      const kept = grants.filter((g) => {
        if (!["sso_user", "iam_user", "sso_group", "group", "role"].includes(g.principal.id.resourceType)) return false;
        const holder = g.entitlement.resource.id.resourceType;
        const sources = Object.keys(g.sources?.sources ?? {});
        return !((holder === "iam_policy" || holder === "inline_policy") && sources.length > 0 && !sources.includes(g.entitlement.id));
      });
      const fact = (g: G["grant"]) => {
        const binding = /^permission_set_assignment:(arn:.+)-(\d{12}):assigned$/.exec(g.entitlement.id);
        return `${binding ? `${binding[2]}|${binding[1]}` : g.entitlement.id} ${g.principal.id.resourceType}:${g.principal.id.resource}`;
      };
      const facts = new Set(kept.map(fact));
      const summary = Object.fromEntries(report.summary.map((s) => [s.key, s.value]));
      expect(summary.grants).toBe(facts.size);
      expect(summary.usersWithAccess).toBe(new Set(kept.filter((g) => ["sso_user", "iam_user"].includes(g.principal.id.resourceType)).map((g) => g.principal.id.resource)).size);
    });
  });
});
