import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { addConnectorOptions, loadConnectorConfig } from "../../src/cli/connector-options.js";
import { UserError } from "../../src/cli/fatal.js";
import { defaultConfig } from "../../src/config/config.js";
import { loadConfig, loadSettings } from "../../src/config/load-config.js";
import { BATON_SETTINGS, batonSettings, CONNECTOR_OPTIONS, envName } from "../../src/config/options.js";

const noFile = mkdtempSync(join(tmpdir(), "cfg-empty-"));
const load = (flags: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}, cwd = noFile) => loadConfig({ flags, env, cwd });

function dirWith(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "cfg-"));
  writeFileSync(join(dir, name), text);
  return dir;
}

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    const message = (error as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("expected a UserError");
}

/** What commander hands the action, for argv. */
function parse(argv: string[]): Record<string, unknown> {
  const command = addConnectorOptions(new Command("x").exitOverride(), { server: true });
  command.parse(argv, { from: "user" });
  return command.opts();
}

describe("defaults", () => {
  it("nothing given → defaultConfig(), except the state dir resolved against the working directory", () => {
    const config = load();
    expect({ ...config, stateDir: ".connector-state" }).toEqual(defaultConfig());
  });
});

describe("precedence: flags > environment (BATON_* then AWS_*) > config file > defaults", () => {
  const dir = dirWith(".baton.yaml", "global-region: eu-west-1\nglobal-aws-sso-region: eu-west-2\nlisten: 127.0.0.1:6000\n");
  it("each layer wins over the ones below it", () => {
    expect(load({}, {}, dir).aws.region).toBe("eu-west-1");
    expect(load({}, { AWS_DEFAULT_REGION: "ap-south-1" }, dir).aws.region).toBe("ap-south-1");
    expect(load({}, { AWS_REGION: "ca-central-1", AWS_DEFAULT_REGION: "ap-south-1" }, dir).aws.region).toBe("ca-central-1");
    expect(load({}, { BATON_GLOBAL_REGION: "us-west-1", AWS_REGION: "ca-central-1" }, dir).aws.region).toBe("us-west-1");
    expect(load({ globalRegion: "sa-east-1" }, { BATON_GLOBAL_REGION: "us-west-1" }, dir).aws.region).toBe("sa-east-1");
    expect(load({}, {}, dir).aws.ssoRegion).toBe("eu-west-2");
    expect(load({}, {}, dir).server.listen).toBe("127.0.0.1:6000");
  });

  it("an empty environment variable counts as unset", () => {
    expect(load({}, { BATON_GLOBAL_REGION: "" }, dir).aws.region).toBe("eu-west-1");
  });

  it("--config and BATON_CONFIG_PATH name the file; ./.baton.yaml is only the fallback", () => {
    const other = join(dirWith("c.yml", "global-region: us-east-2\n"), "c.yml");
    expect(load({ config: other }, {}, dir).aws.region).toBe("us-east-2");
    expect(load({}, { BATON_CONFIG_PATH: other }, dir).aws.region).toBe("us-east-2");
    const json = join(dirWith("c.json", '{"global-region": "me-south-1", "global-aws-orgs-enabled": true}'), "c.json");
    expect(load({ config: json }).aws.region).toBe("me-south-1");
  });
});

describe("baton and baton-aws names", () => {
  it("map to the typed config", () => {
    const config = load(
      {},
      {
        BATON_GLOBAL_REGION: "us-west-2",
        BATON_GLOBAL_AWS_SSO_REGION: "eu-west-1",
        BATON_GLOBAL_AWS_ORGS_ENABLED: "true",
        BATON_GLOBAL_AWS_SSO_ENABLED: "false",
        BATON_GLOBAL_AWS_CROSS_ACCOUNT_IAM_ENABLED: "1",
        BATON_GLOBAL_ROLE_ARN: "arn:aws:iam::111111111111:role/binding",
        BATON_GLOBAL_BINDING_EXTERNAL_ID: "binding-ext-id",
        BATON_ROLE_ARN: "arn:aws:iam::222222222222:role/customer",
        BATON_EXTERNAL_ID: "customer-ext-id",
        BATON_USE_ASSUME: "yes",
        BATON_IAM_ASSUME_ROLE_NAME: "AuditRole",
        BATON_GLOBAL_ACCESS_KEY_ID: "AKIAEXAMPLE000000001",
        BATON_GLOBAL_SECRET_ACCESS_KEY: "secret",
        BATON_MEMBER_EXTERNAL_ID: "member-ext-id",
        BATON_PROVISIONING: "true",
        BATON_LISTEN: "[::1]:7000",
        AWS_MAX_ATTEMPTS: "12",
        AWS_RETRY_MODE: "adaptive",
        AWS_PROFILE: "audit",
      },
    );
    expect(config.aws).toMatchObject({
      region: "us-west-2",
      ssoRegion: "eu-west-1",
      staticCredentials: { accessKeyId: "AKIAEXAMPLE000000001", secretAccessKey: "secret" },
      profile: "audit",
      maxAttempts: 12,
      retryMode: "adaptive",
      assumeRoleChain: [
        { roleArn: "arn:aws:iam::111111111111:role/binding", externalId: "binding-ext-id" },
        { roleArn: "arn:aws:iam::222222222222:role/customer", externalId: "customer-ext-id" },
      ],
    });
    expect(config.features).toMatchObject({ organizations: true, identityCenter: false, crossAccountIam: true, memberRoleName: "AuditRole", memberExternalId: "member-ext-id" });
    expect(config.provisioning.enabled).toBe(true);
    expect(config.server.listen).toBe("[::1]:7000");
  });

  it("single hop without global-role-arn; legacy retry mode reads as standard", () => {
    const config = load({}, { BATON_USE_ASSUME: "true", BATON_ROLE_ARN: "arn:aws:iam::222222222222:role/customer", AWS_RETRY_MODE: "legacy" });
    expect(config.aws.assumeRoleChain).toEqual([{ roleArn: "arn:aws:iam::222222222222:role/customer", externalId: undefined }]);
    expect(config.aws.retryMode).toBe("standard");
  });

  it("AWS_ENDPOINT_URL_<SERVICE> fill per-service endpoints unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true", () => {
    const env = { AWS_ENDPOINT_URL_IAM: "http://127.0.0.1:1", AWS_ENDPOINT_URL_SSO_ADMIN: "http://127.0.0.1:2", AWS_ENDPOINT_URL: "http://127.0.0.1:3" };
    expect(load({}, env).aws).toMatchObject({ endpoint: "http://127.0.0.1:3", serviceEndpoints: { iam: "http://127.0.0.1:1", sso: "http://127.0.0.1:2" } });
    expect(load({}, { ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true" }).aws.serviceEndpoints).toEqual({});
  });
});

describe("command-line flags (commander)", () => {
  it("booleans take =false, -p switches provisioning on, values reach the config", () => {
    const config = loadConnectorConfig(parse(["--global-aws-sso-enabled=false", "-p", "--aws-endpoint", "http://127.0.0.1:4566", "--rate-limit-sso", "5.5", "--use-assume", "--role-arn", "arn:aws:iam::222222222222:role/r"]), {});
    expect(config.features.identityCenter).toBe(false);
    expect(config.provisioning.enabled).toBe(true);
    expect(config.aws.endpoint).toBe("http://127.0.0.1:4566");
    expect(config.rateLimits.requestsPerSecond.sso).toBe(5.5);
    expect(config.aws.assumeRoleChain).toHaveLength(1);
  });

  it("a flag beats the environment", () => {
    expect(loadConnectorConfig(parse(["--listen", "127.0.0.1:9"]), { BATON_LISTEN: "127.0.0.1:8" }).server.listen).toBe("127.0.0.1:9");
  });
});

describe("invalid configuration: one line naming the key and where it came from, never the value", () => {
  it.each([
    [{ BATON_GLOBAL_AWS_ORGS_ENABLED: "maybe" }, /^invalid global-aws-orgs-enabled \(environment variable BATON_GLOBAL_AWS_ORGS_ENABLED\): expected true or false$/],
    [{ AWS_MAX_ATTEMPTS: "0" }, /^invalid aws-max-attempts \(environment variable AWS_MAX_ATTEMPTS\): must be at least 1$/],
    [{ BATON_RATE_LIMIT_IAM: "fast" }, /^invalid rate-limit-iam .*: expected a number$/],
    [{ BATON_LISTEN: "localhost" }, /^invalid listen .*: expected HOST:PORT/],
    [{ BATON_LISTEN: "127.0.0.1:70000" }, /^invalid listen/],
    [{ BATON_ROLE_ARN: "arn:aws:iam::12:role/x", BATON_USE_ASSUME: "true" }, /^invalid role-arn .*: expected an IAM role ARN/],
    [{ BATON_USE_ASSUME: "true" }, /^invalid use-assume .*: requires role-arn/],
    [{ BATON_ROLE_ARN: "arn:aws:iam::222222222222:role/x" }, /^invalid role-arn .*: is only used with use-assume=true/],
    [{ BATON_EXTERNAL_ID: "x" }, /^invalid external-id .*: expected 2 to 1224 characters/],
    [{ BATON_GLOBAL_ACCESS_KEY_ID: "AKIAEXAMPLE000000001" }, /^invalid global-access-key-id .*: requires global-secret-access-key$/],
    [{ BATON_GLOBAL_AWS_ORGS_ENABLED: "false" }, null],
    [{ BATON_GLOBAL_AWS_ORGS_ENABLED: "false", BATON_GLOBAL_AWS_CROSS_ACCOUNT_IAM_ENABLED: "true" }, null],
    [
      { BATON_GLOBAL_AWS_ORGS_ENABLED: "false", BATON_GLOBAL_AWS_SSO_ENABLED: "false", BATON_GLOBAL_AWS_CROSS_ACCOUNT_IAM_ENABLED: "true" },
      /^invalid global-aws-cross-account-iam-enabled .*: needs global-aws-orgs-enabled or global-aws-sso-enabled/,
    ],
    [{ BATON_TLS_KEY: "k.pem" }, /^invalid tls-key .*: requires tls-cert$/],
    [{ BATON_TLS_CERT: "c.pem", BATON_TLS_KEY: "k.pem", BATON_TLS_CLIENT_CA: "" }, null],
    [{ BATON_AWS_ENDPOINT: "ftp://x" }, /^invalid aws-endpoint .*: expected an http\(s\) URL$/],
    [{ AWS_ENDPOINT_URL_IAM: "not a url" }, /^invalid environment variable AWS_ENDPOINT_URL_IAM: expected an http\(s\) URL$/],
    [{ BATON_LOG_LEVEL: "loud" }, /^invalid log-level .*: expected one of trace, debug/],
    [{ BATON_PAGE_TOKEN_SECRET: "short" }, /^invalid page-token-secret .*: must be at least 16 characters$/],
    [{ BATON_SYNC_UNATTACHED_POLICIES: "true", BATON_SYNC_ONLY_ATTACHED_POLICIES: "true" }, /^invalid sync-only-attached-policies .*: contradicts sync-unattached-policies=true/],
    [{ BATON_SYNC_UNATTACHED_POLICIES: "false", BATON_SYNC_ONLY_ATTACHED_POLICIES: "false" }, /^invalid sync-only-attached-policies .*: contradicts sync-unattached-policies=false/],
    [{ BATON_SYNC_ORG_TREE: "true", BATON_GLOBAL_AWS_ORGS_ENABLED: "false", BATON_GLOBAL_AWS_SSO_ENABLED: "false" }, /^invalid sync-org-tree .*: requires global-aws-orgs-enabled$/],
  ] as Array<[NodeJS.ProcessEnv, RegExp | null]>)("%o", (env, expected) => {
    if (expected === null) {
      expect(() => load({}, env)).not.toThrow();
      return;
    }
    expect(failure(() => load({}, env))).toMatch(expected);
  });

  it("secret values are not echoed", () => {
    const message = failure(() => load({}, { BATON_GLOBAL_ACCESS_KEY_ID: "lowercase-not-a-key-id-SECRETVALUE", BATON_GLOBAL_SECRET_ACCESS_KEY: "s" }));
    expect(message).not.toContain("SECRETVALUE");
  });

  it("config-file problems: unknown key, baton's own keys tolerated, bad YAML, missing file, not a mapping", () => {
    expect(failure(() => load({}, {}, dirWith(".baton.yaml", "global-regoin: us-east-1\n")))).toMatch(/^unknown key "global-regoin" in config file .*\.baton\.yaml$/);
    expect(failure(() => load({}, {}, dirWith(".baton.yaml", "GLOBAL_REGION: us-east-1\n")))).toMatch(/keys are written like the flags/);
    expect(load({}, {}, dirWith(".baton.yaml", "file: sync.c1z\nworkers: 4\nlog-level: debug\n")).aws.region).toBe("us-east-1");
    // baton-aws's sync-secrets is a setting of ours now, not a tolerated foreign key.
    expect(load({}, {}, dirWith(".baton.yaml", "sync-secrets: true\n")).features.syncSecrets).toBe(true);
    expect(failure(() => load({}, {}, dirWith(".baton.yaml", "global-region: [unclosed\n")))).toMatch(/is not valid YAML/);
    expect(failure(() => load({ config: "/nonexistent/connector.yaml" }))).toBe("cannot read config file /nonexistent/connector.yaml: no such file");
    expect(failure(() => load({}, {}, dirWith(".baton.yaml", "- a\n- b\n")))).toMatch(/must be a mapping/);
    expect(failure(() => load({}, {}, dirWith(".baton.yaml", "global-aws-sso-enabled: sometimes\n")))).toMatch(/^invalid global-aws-sso-enabled \(key "global-aws-sso-enabled" in .*\): expected true or false$/);
  });

  it("which policies: ours by default; sync-unattached-policies or baton-aws's sync-only-attached-policies", () => {
    expect(load().features.managedPolicies).toBe("customer-and-attached");
    expect(load({}, { BATON_SYNC_UNATTACHED_POLICIES: "true" }).features.managedPolicies).toBe("all");
    expect(load({}, { BATON_SYNC_ONLY_ATTACHED_POLICIES: "false" }).features.managedPolicies).toBe("all");
    expect(load({}, { BATON_SYNC_ONLY_ATTACHED_POLICIES: "true" }).features.managedPolicies).toBe("attached");
    expect(load({}, { BATON_SYNC_ONLY_ATTACHED_POLICIES: "true", BATON_SYNC_UNATTACHED_POLICIES: "false" }).features.managedPolicies).toBe("attached");
    expect(load({ syncOrgTree: true, syncSecrets: true }).features).toMatchObject({ organizationTree: true, syncSecrets: true });
  });

  it("log settings come out alongside the config", () => {
    expect(loadSettings({ flags: { logLevel: "debug", logFormat: "console" }, env: {}, cwd: noFile }).log).toEqual({ level: "debug", format: "pretty" });
  });
});

describe("baton settings (options.ts BATON_SETTINGS): honoured or refused, never ignored", () => {
  const unsupported = batonSettings().filter((s) => s.unsupported);

  it("each unsupported one is refused by name, from the environment and from the config file", () => {
    expect(unsupported.map((s) => s.key)).toEqual(expect.arrayContaining(["client-id", "client-secret", "skip-full-sync"]));
    for (const setting of unsupported) {
      expect(failure(() => load({}, { [envName(setting.key)]: "x" }))).toBe(`${envName(setting.key)} is not supported by this connector: ${setting.unsupported} (unset it)`);
      expect(failure(() => load({}, {}, dirWith(".baton.yaml", `${setting.key}: x\n`)))).toMatch(
        new RegExp(`^key "${setting.key}" in config file .*\\.baton\\.yaml is not supported by this connector: `),
      );
    }
  });

  it("each one this connector honours sets a command option, and no key is both an option and a baton setting", () => {
    for (const setting of batonSettings()) expect(!!setting.sets !== !!setting.unsupported, setting.key).toBe(true);
    const options = new Set(CONNECTOR_OPTIONS.map((o) => o.key));
    // A key that became a real option is the option's (the table entry is then ignored).
    expect(batonSettings().filter((s) => options.has(s.key))).toEqual([]);
    expect(BATON_SETTINGS.length).toBeGreaterThanOrEqual(batonSettings().length);
  });

  it("an empty environment variable counts as unset", () => {
    expect(() => load({}, { BATON_CLIENT_ID: "" })).not.toThrow();
  });
});

describe("--aws-rate and --rate-limit-<service>", () => {
  it("defaults to auto for every service; caps, keywords and all= reach the config", () => {
    expect(load().rateLimits.requestsPerSecond).toEqual({ iam: "auto", sts: "auto", identitystore: "auto", sso: "auto", organizations: "auto", cloudtrail: "auto" });
    const config = loadConnectorConfig(parse(["--aws-rate", "sso=10, identitystore=5.5,all=unlimited"]), {});
    expect(config.rateLimits.requestsPerSecond).toEqual({ iam: "unlimited", sts: "unlimited", identitystore: 5.5, sso: 10, organizations: "unlimited", cloudtrail: "unlimited" });
    expect(load({}, { BATON_AWS_RATE: "organizations=off" }).rateLimits.requestsPerSecond.organizations).toBe("off");
  });

  it("both are caps: the lower applies; a cap with unlimited or off for one service is refused", () => {
    expect(load({}, { BATON_AWS_RATE: "sso=10", BATON_RATE_LIMIT_SSO: "15" }).rateLimits.requestsPerSecond.sso).toBe(10);
    expect(load({}, { BATON_AWS_RATE: "sso=auto", BATON_RATE_LIMIT_SSO: "15" }).rateLimits.requestsPerSecond.sso).toBe(15);
    expect(load({}, { BATON_RATE_LIMIT_SSO: "15" }).rateLimits.requestsPerSecond).toMatchObject({ sso: 15, iam: "auto" });
    expect(failure(() => load({}, { BATON_AWS_RATE: "all=off", BATON_RATE_LIMIT_IAM: "3" }))).toMatch(/^invalid aws-rate: iam=off contradicts rate-limit-iam; keep one of them$/);
  });

  it.each([
    ["sso", /expected SERVICE=RATE/],
    ["sso=fast", /sso: expected requests per second/],
    ["sso=0", /sso: expected requests per second/],
    ["ec2=5", /unknown service "ec2"/],
    ["sso=5,sso=6", /sso is given twice/],
    [",", /expected SERVICE=RATE pairs/],
  ])("%s is refused, naming the key and where it came from", (value, expected) => {
    const message = failure(() => load({}, { BATON_AWS_RATE: value }));
    expect(message).toMatch(/^invalid aws-rate \(environment variable BATON_AWS_RATE\): /);
    expect(message).toMatch(expected);
  });
});
