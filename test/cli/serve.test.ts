/**
 * `connector serve` as a process, against the AWS simulator, driven by an independent grpc-js
 * client; and no secret in anything it prints.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, SIM_CREDENTIALS, type Simulator } from "../../src/simulator/index.js";
import { grpc, GrpcHost } from "../connector/support/grpc-client.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = join(ROOT, "src/cli/main.ts");
/** tsx's loader by URL: the child runs in a scratch directory where "tsx" would not resolve. */
const TSX = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, ["--import", TSX, MAIN, ...args], {
    cwd: mkdtempSync(join(tmpdir(), "connector-cwd-")),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Resolves with the first JSON log line carrying `msg`. */
function logLine(r: Run, msg: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const look = () => {
      for (const line of r.output().split("\n")) {
        if (!line.startsWith("{")) continue;
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.msg === msg) return resolve(parsed);
      }
      return undefined;
    };
    r.child.stderr!.on("data", look);
    r.exited.then((code) => reject(new Error(`exited ${code} before "${msg}": ${r.output()}`)));
    look();
  });
}

let sim: Simulator;
const secrets = {
  token: "tok-" + "q8W2m4N6b1V3c5X7z9".repeat(2),
  pageTokenSecret: "page-token-secret-Zr7Kp2Lm9Qx4",
  secretKey: SIM_CREDENTIALS.management.secretAccessKey,
};
let dir: string;
let baseEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  sim = await startSimulator({ profile: "demo", seed: 7 });
  dir = mkdtempSync(join(tmpdir(), "connector-serve-"));
  writeFileSync(join(dir, "token"), `${secrets.token}\n`, { mode: 0o600 });
  baseEnv = {
    BATON_GLOBAL_ACCESS_KEY_ID: SIM_CREDENTIALS.management.accessKeyId,
    BATON_GLOBAL_SECRET_ACCESS_KEY: secrets.secretKey,
    BATON_GLOBAL_REGION: sim.region,
    BATON_GLOBAL_AWS_SSO_REGION: sim.region,
    AWS_ENDPOINT_URL: sim.endpoint,
    BATON_STATE_DIR: join(dir, "state"),
    BATON_PAGE_TOKEN_SECRET: secrets.pageTokenSecret,
    BATON_LOG_LEVEL: "debug",
  };
});
afterAll(async () => {
  await sim.stop();
});

describe("connector serve (process) against the simulator", () => {
  let serve: Run;
  let host: GrpcHost;
  let listening: Record<string, unknown>;

  beforeAll(async () => {
    serve = run(["serve", "--listen", "127.0.0.1:0", "--auth-token-file", join(dir, "token")], baseEnv);
    listening = await logLine(serve, "connector listening");
    host = new GrpcHost(String(listening.address).replace("http://", ""), { token: secrets.token });
  });
  afterAll(() => {
    host.close();
    serve.child.kill("SIGKILL");
  });

  it("logs where it listens, as JSON, with its security settings", () => {
    expect(listening).toMatchObject({ level: 30, tls: "off", auth: "bearer token", provisioning: false });
    expect(String(listening.address)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("Validate, GetMetadata and a real resource type listed to the end match the simulator's model", async () => {
    expect((await host.call("connector", "Validate", {})).sdk_version).toBe("v0.25.0");
    const management = sim.model.accounts.get(sim.model.organization!.managementAccountId)!;
    const { metadata } = await host.call("connector", "GetMetadata", {});
    expect(metadata.display_name).toBe(`AWS (${management.iam.alias ?? management.id})`);

    const types = (await host.call("resourceTypes", "ListResourceTypes", {})).list.map((t: { id: string }) => t.id);
    expect(types).toEqual(expect.arrayContaining(["iam_user", "sso_user"]));
    const names: string[] = [];
    let page_token = "";
    do {
      const res = await host.call("resources", "ListResources", { resource_type_id: "sso_user", page_token, active_sync_id: "sync-e2e" });
      names.push(...res.list.map((r: { display_name: string }) => r.display_name));
      page_token = res.next_page_token;
    } while (page_token !== "");
    expect(names).toHaveLength(sim.model.identityStore!.users.length);
  });

  it("refuses without the token, bad tokens and unknown types — then stops cleanly on SIGTERM", async () => {
    const anonymous = new GrpcHost(host.target);
    expect((await anonymous.code("connector", "Validate", {})).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await anonymous.code("health", "Check", { service: "" })).code).toBe(grpc.status.OK);
    anonymous.close();
    expect((await host.code("resources", "ListResources", { resource_type_id: "sso_user", page_token: "v1.forged.token" })).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await host.code("resources", "ListResources", { resource_type_id: "nope" })).code).toBe(grpc.status.NOT_FOUND);

    serve.child.kill("SIGTERM");
    expect(await serve.exited).toBe(0);
    expect(serve.output()).toContain('"msg":"stopped"');
    for (const secret of Object.values(secrets)) expect(serve.output()).not.toContain(secret);
  });
});

describe("connector validate / capabilities (process)", () => {
  it("validate: a human line and exit 0 when everything is reachable", async () => {
    const r = run(["validate"], { ...baseEnv, BATON_LOG_LEVEL: "warn" });
    expect(await r.exited).toBe(0);
    expect(r.output()).toMatch(/^ok: AWS \(.+\) is reachable with every enabled feature/m);
  });

  it("validate: exit 1 naming the missing permission and the switch (member-account credentials)", async () => {
    const r = run(["validate"], {
      ...baseEnv,
      BATON_GLOBAL_ACCESS_KEY_ID: SIM_CREDENTIALS.member.accessKeyId,
      BATON_GLOBAL_SECRET_ACCESS_KEY: SIM_CREDENTIALS.member.secretAccessKey,
    });
    expect(await r.exited).toBe(1);
    expect(r.output()).toMatch(/^connector: validation failed: organizations:\w+ denied — .*BATON_GLOBAL_AWS_ORGS_ENABLED=false/m);
    expect(r.output()).not.toContain(SIM_CREDENTIALS.member.secretAccessKey);
  });

  it("invalid configuration: one line, exit 2", async () => {
    const r = run(["validate", "--global-aws-orgs-enabled=perhaps"], baseEnv);
    expect(await r.exited).toBe(2);
    expect(r.output().trim()).toBe("connector: invalid global-aws-orgs-enabled (flag --global-aws-orgs-enabled): expected true or false");
  });

  it("capabilities: protojson of an Any-wrapped ConnectorCapabilities, without AWS", async () => {
    const r = run(["capabilities"], { AWS_ENDPOINT_URL: "http://127.0.0.1:1" });
    expect(await r.exited).toBe(0);
    const json = JSON.parse(r.output()) as { "@type": string; resourceTypeCapabilities: Array<{ resourceType: { id: string } }> };
    expect(json["@type"]).toBe("type.googleapis.com/c1.connector.v2.ConnectorCapabilities");
    expect(json.resourceTypeCapabilities.map((c) => c.resourceType.id)).toEqual(expect.arrayContaining(["iam_user", "sso_user"]));
  });

  it("--help everywhere", async () => {
    const commands = ["serve", "validate", "capabilities"];
    const runs = commands.map((command) => run([command, "--help"], {}));
    for (const [i, r] of runs.entries()) {
      expect(await r.exited).toBe(0);
      expect(r.output()).toContain(`Usage: connector ${commands[i]}`);
      expect(r.output()).toContain("BATON_GLOBAL_AWS_SSO_REGION");
    }
  });
});
