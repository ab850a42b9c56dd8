import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { readC1zToDb } from "../../src/c1z/container.js";
import { createChangeTracking } from "../../src/changes/change-tracking.js";
import { defaultConfig } from "../../src/config/config.js";
import { silentLogger } from "../../src/log.js";
import { startDemoConnector, type DemoConnector } from "../../src/sync/demo.js";
import { runSync } from "../../src/sync/engine.js";

/**
 * Nothing secret may reach the .c1z: not the connector's AWS keys, not the external IDs it sends,
 * not the external IDs that roles' trust policies require (conditions travel into grant metadata),
 * not the page-token secret. The whole decompressed database is scanned for each value.
 */
const dir = mkdtempSync(join(tmpdir(), "c1z-secrets-"));
const MEMBER_EXTERNAL_ID = "member-hop-external-id-7f3a9c";
const PAGE_TOKEN_SECRET = "page-token-secret-b81e22";
/** External IDs written into a user's inline policy and a permission set's inline policy (policy documents reach profiles). */
const POLICY_EXTERNAL_IDS = ["inline-policy-external-id-41c0d2", "permission-set-external-id-9e51aa"];
const assumeWithExternalId = (externalId: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "arn:aws:iam::999999999999:role/vendor", Condition: { StringEquals: { "sts:ExternalId": externalId } } }],
  });
let demo: DemoConnector;
let database: Buffer;

beforeAll(async () => {
  const base = defaultConfig({
    stateDir: dir,
    pageTokenSecret: PAGE_TOKEN_SECRET,
    features: { memberExternalId: MEMBER_EXTERNAL_ID, syncSecrets: true, organizationTree: true },
  });
  demo = await startDemoConnector(base, { profile: "demo", log: silentLogger });
  const model = demo.simulator.model;
  const management = model.accounts.get(model.organization!.managementAccountId)!;
  [...management.iam.users][0]!.inlinePolicies.push({ name: "vendor-access", document: assumeWithExternalId(POLICY_EXTERNAL_IDS[0]!) });
  [...model.ssoInstance!.permissionSets][0]!.inlinePolicy = assumeWithExternalId(POLICY_EXTERNAL_IDS[1]!);
  const target = join(dir, "sync.c1z");
  // As `connector sync` runs it: with change tracking, whose read log and AWS responses go into the file too.
  const changes = createChangeTracking(demo.connector.config, demo.connector.aws);
  await runSync({ target, api: demo.connector.api, changes });
  const dbPath = join(dir, "sync.db");
  await readC1zToDb(target, dbPath);
  database = readFileSync(dbPath);
});

afterAll(async () => {
  await demo?.close();
});

function trustPolicyExternalIds(): string[] {
  const values = new Set<string>();
  for (const account of demo.simulator.model.accounts.values()) {
    for (const role of account.iam.roles.values()) {
      // Every string under an sts:ExternalId condition key, whatever the operator.
      JSON.parse(role.trustPolicy, (key, value) => {
        if (key.toLowerCase() === "sts:externalid") for (const v of [value].flat()) if (typeof v === "string") values.add(v);
        return value;
      });
    }
  }
  return [...values];
}

test("the demo organisation has roles whose trust policies require external IDs (the test can fail)", () => {
  expect(trustPolicyExternalIds().length).toBeGreaterThan(0);
  // The grants of those roles are in the file, with their conditions recorded (values redacted).
  expect(database.includes(Buffer.from("sts:ExternalId"))).toBe(true);
});

test("policy documents are in the file (access keys too), their external IDs replaced by a marker", () => {
  // The read log and the responses an incremental sync replays are kept (v1_connector_sessions).
  expect(database.includes(Buffer.from("GetAccountAuthorizationDetails"))).toBe(true);
  expect(database.includes(Buffer.from("vendor-access"))).toBe(true);
  expect(database.includes(Buffer.from("::inline::inline"))).toBe(true);
  expect(database.includes(Buffer.from("[redacted]"))).toBe(true);
  expect(database.includes(Buffer.from("aws.access_key"))).toBe(true);
});

test("no credential, external ID or token secret appears anywhere in the decompressed .c1z", () => {
  // The connector's access key *id* is in the file: sync-secrets lists every IAM user's keys by id (key ids
  // are identifiers, shown by IAM to anyone who may list keys); its secret never is.
  expect(database.includes(Buffer.from(demo.simulator.credentials.accessKeyId))).toBe(true);
  const secrets = [
    demo.simulator.credentials.secretAccessKey,
    MEMBER_EXTERNAL_ID,
    PAGE_TOKEN_SECRET,
    ...trustPolicyExternalIds(),
    ...POLICY_EXTERNAL_IDS,
  ];
  for (const secret of secrets) {
    expect(database.includes(Buffer.from(secret, "utf8")), `found a secret in the c1z: ${secret.slice(0, 4)}…`).toBe(false);
  }
});
