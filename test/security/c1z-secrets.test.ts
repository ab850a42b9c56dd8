import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { readC1zToDb } from "../../src/c1z/container.js";
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
let demo: DemoConnector;
let database: Buffer;

beforeAll(async () => {
  const base = defaultConfig({ stateDir: dir, pageTokenSecret: PAGE_TOKEN_SECRET, features: { memberExternalId: MEMBER_EXTERNAL_ID } });
  demo = await startDemoConnector(base, { profile: "demo", log: silentLogger });
  const target = join(dir, "sync.c1z");
  await runSync({ target, api: demo.connector.api });
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

test("no credential, external ID or token secret appears anywhere in the decompressed .c1z", () => {
  const secrets = [
    demo.simulator.credentials.accessKeyId,
    demo.simulator.credentials.secretAccessKey,
    MEMBER_EXTERNAL_ID,
    PAGE_TOKEN_SECRET,
    ...trustPolicyExternalIds(),
  ];
  for (const secret of secrets) {
    expect(database.includes(Buffer.from(secret, "utf8")), `found a secret in the c1z: ${secret.slice(0, 4)}…`).toBe(false);
  }
});
