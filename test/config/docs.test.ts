import { readFileSync } from "node:fs";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { batonSettings, CONNECTOR_OPTIONS, envName, SERVICE_ENDPOINT_ENV } from "../../src/config/options.js";

const doc = readFileSync(fileURLToPath(new URL("../../docs/configuration.md", import.meta.url)), "utf8");

describe("docs/configuration.md", () => {
  it("lists every option with its flag, environment variable and config key", () => {
    for (const option of CONNECTOR_OPTIONS) {
      expect(doc, option.key).toContain(`\`--${option.key}\``);
      expect(doc, option.key).toContain(`\`${envName(option.key)}\``);
      for (const aws of option.awsEnv ?? []) expect(doc, option.key).toContain(`\`${aws}\``);
    }
    for (const name of Object.values(SERVICE_ENDPOINT_ENV)) expect(doc).toContain(name);
  });

  it("names every baton setting, honoured or refused", () => {
    const section = doc.slice(doc.indexOf("## baton's own settings"));
    const named = [...section.matchAll(/`([a-z0-9*-]+|BATON_[A-Z_]+)`/g)].map((m) => m[1]!);
    for (const setting of batonSettings()) {
      const found = named.some((n) => n === setting.key || n === envName(setting.key) || (n.endsWith("*") && setting.key.startsWith(n.replace(/-?\*$/, ""))));
      expect(found, setting.key).toBe(true);
    }
  });

  it("its example config file loads", () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const dir = mkdtempSync(join(tmpdir(), "doc-example-"));
    writeFileSync(join(dir, ".baton.yaml"), yaml);
    const config = loadConfig({ flags: {}, env: {}, cwd: dir });
    expect(config.aws.assumeRoleChain).toEqual([{ roleArn: "arn:aws:iam::123456789012:role/IdentityGovernanceConnector", externalId: undefined }]);
    expect(config.server.tlsClientCaFile).toBe("/etc/connector/clients-ca.crt");
  });
});
