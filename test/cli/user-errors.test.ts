/**
 * What a user gets back when something is wrong with what they asked for — each case once led to a
 * stack trace, a misleading line or a silent exit 0. The real CLI (dist/), one line on stderr.
 * Permission cases run the CLI as an unprivileged user (root ignores file modes).
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { C1zReader } from "../../src/c1z/reader.js";
import { CRASH_HOOK_ENV } from "../../src/cli/commands/sync.js";
import { cleanEnv, DIST_MAIN, lines, runCli, type CliOptions, type CliResult } from "../support/cli-process.js";

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "user-errors-"));
  chmodSync(dir, 0o777);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** As an unprivileged user: nobody when the tests run as root, else the current user. */
const asUser = (): CliOptions => (isRoot ? { uid: NOBODY, gid: NOBODY, cwd: dir } : { cwd: dir });

/** Exactly one line on stderr, "connector: …", and that exit code. */
function oneLine(result: CliResult, code: number, pattern: RegExp): void {
  expect(lines(result.stderr), result.stderr).toEqual([expect.stringMatching(pattern)]);
  expect(result.stderr).toMatch(/^connector: /);
  expect(result.code, result.stderr).toBe(code);
}

const demoSync = (file: string, ...more: string[]) => ["sync", "--demo", "--file", file, "--no-progress", "--log-level", "silent", ...more];

describe("sync --file and --demo-profile", () => {
  it("an unknown --demo-profile names the profiles", async () => {
    oneLine(await runCli(demoSync(join(dir, "p.c1z"), "--demo-profile", "huge")), 2, /argument 'huge' is invalid\. Allowed choices are demo, small, medium, large/);
  });

  it("a directory", async () => {
    const target = join(dir, "a-directory");
    mkdirSync(target);
    oneLine(await runCli(demoSync(target)), 2, /--file .*a-directory is a directory; name the \.c1z file to write$/);
  });

  it("a missing parent directory is said as such, not as an interrupted sync", async () => {
    const result = await runCli(demoSync(join(dir, "missing", "x.c1z")));
    oneLine(result, 2, /the directory of --file .*missing\/x\.c1z does not exist/);
    expect(result.stderr).not.toMatch(/interrupted/);
  });

  it("a directory that cannot be written", async () => {
    const ro = join(dir, "read-only");
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    oneLine(await runCli(demoSync(join(ro, "x.c1z")), asUser()), 2, /cannot write in .*read-only .*permission denied \(EACCES\)/);
  });

  it("an unreadable file is not reported as missing, and is left alone", async () => {
    const file = join(dir, "unreadable.c1z");
    writeFileSync(file, "not for you");
    chmodSync(file, 0o000);
    const result = await runCli(demoSync(file), asUser());
    oneLine(result, 2, /cannot read --file .*unreadable\.c1z: permission denied \(EACCES\)/);
    expect(result.stderr).not.toMatch(/does not exist/);
    chmodSync(file, 0o600);
    expect(readFileSync(file, "utf8")).toBe("not for you");
  });

  it("an empty file is refused, not overwritten", async () => {
    const file = join(dir, "empty.c1z");
    writeFileSync(file, "");
    oneLine(await runCli(demoSync(file)), 2, /empty\.c1z is an empty file, not a c1z; refusing to replace it/);
    expect(statSync(file).size).toBe(0);
  });

  it("a symbolic link is followed: the file it points to is replaced, the link stays", async () => {
    const real = join(dir, "real.c1z");
    const link = join(dir, "link.c1z");
    symlinkSync("real.c1z", link);
    const result = await runCli(demoSync(link));
    expect(result.code, result.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe("real.c1z");
    const reader = await C1zReader.open(real);
    expect(reader.stats(reader.resolveSync().syncId).resources).toBeGreaterThan(0);
    reader.close();
  });

  it("a working database with damaged pages: one line that says to delete it (resuming cannot help)", async () => {
    const file = join(dir, "damaged.c1z");
    const crashed = await runCli(demoSync(file), { env: cleanEnv({ [CRASH_HOOK_ENV]: "3" }) });
    expect(crashed.signal ?? crashed.code).toBeTruthy();
    const working = `${file}.working.db`;
    expect(existsSync(working)).toBe(true);
    const bytes = readFileSync(working);
    // Keep the header page, wreck the pages after it.
    for (let i = 16384; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
    writeFileSync(working, bytes);
    const result = await runCli(demoSync(file));
    oneLine(result, 1, new RegExp(`damaged\\.c1z\\.working\\.db .*(corrupted|malformed|damaged).*delete .*working\\.db`));
    expect(result.stderr).not.toMatch(/run the same command again/);
  });

  it("a failed sync says its working database is kept for resuming and how to discard it", async () => {
    const file = join(dir, "refused.c1z");
    const result = await runCli(["sync", "--file", file, "--no-progress", "--log-level", "silent", "--aws-endpoint", "http://127.0.0.1:9", "--global-access-key-id", "AKIAEXAMPLEEXAMPLE01", "--global-secret-access-key", "x".repeat(40)], { env: cleanEnv() });
    oneLine(result, 1, /cannot reach AWS.*refused\.c1z\.working\.db keeps the progress: run the same command again to resume, or delete it to start over/);
  });
});

describe("--state-dir", () => {
  it("a file: one line, for the commands that read it and those that write it", async () => {
    const file = join(dir, "state-file");
    writeFileSync(file, "");
    oneLine(await runCli(["grants", "--state-dir", file]), 2, /state-dir .*state-file is not a directory/);
    oneLine(
      await runCli(["grant", "--entitlement", "group:arn:aws:iam::123456789012:group/g:member", "--principal", "iam_user:arn:aws:iam::123456789012:user/u", "--state-dir", file]),
      2,
      /state-dir .*state-file is not a directory/,
    );
  });

  it("one that cannot be written", async () => {
    const ro = join(dir, "ro-state-parent");
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    const result = await runCli(["validate", "--state-dir", join(ro, "state"), "--aws-endpoint", "http://127.0.0.1:9"], { ...asUser(), env: cleanEnv({ AWS_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE01", AWS_SECRET_ACCESS_KEY: "x".repeat(40) }) });
    oneLine(result, 1, /cannot mkdir .*ro-state-parent\/state: permission denied \(EACCES\)/);
  });
});

describe("audit and grants", () => {
  it("audit --since junk fails even when nothing is recorded yet", async () => {
    oneLine(await runCli(["audit", "--since", "junk", "--state-dir", join(dir, "fresh-state")]), 2, /--since: expected a duration \(24h, 7d\) or an ISO time, got "junk"/);
  });

  it("-o json on grants and audit", async () => {
    const state = join(dir, "empty-state");
    for (const command of ["grants", "audit"]) {
      const result = await runCli([command, "-o", "json", "--state-dir", state]);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual([]);
    }
  });
});

describe("inspect", () => {
  let file: string;
  beforeAll(async () => {
    file = join(dir, "inspect.c1z");
    const result = await runCli(demoSync(file));
    expect(result.code, result.stderr).toBe(0);
  });

  it("an unknown -t names the resource types the sync has", async () => {
    oneLine(await runCli(["inspect", "resources", "-f", file, "-t", "sso_users"]), 2, /unknown resource type "sso_users": this sync has .*sso_user.*/);
  });

  it("a directory or a missing file", async () => {
    oneLine(await runCli(["inspect", "grants", "-f", dir]), 2, /--file .* is a directory, not a file/);
    oneLine(await runCli(["inspect", "grants", "-f", join(dir, "nope.c1z")]), 2, /--file .*nope\.c1z does not exist/);
  });

  it("| head: ends quietly when the reader goes away", async () => {
    const result = await new Promise<{ code: number | null; stderr: string; lines: number }>((resolve) => {
      const child = spawn(process.execPath, [DIST_MAIN, "inspect", "grants", "-f", file], { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      let got = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.stdout.on("data", (c: Buffer) => {
        got += c.toString();
        if (got.split("\n").length > 3) child.stdout.destroy(); // head -3
      });
      child.on("close", (code) => resolve({ code, stderr, lines: got.split("\n").length }));
    });
    expect(result.stderr).toBe("");
    expect([0, 141]).toContain(result.code);
  });
});

describe("baton settings: honoured or refused, never ignored", () => {
  it("BATON_FILE and `file:` in .baton.yaml name the file for sync and inspect", async () => {
    const viaEnv = join(dir, "from-env.c1z");
    const sync = await runCli(["sync", "--demo", "--no-progress", "--log-level", "silent"], { env: cleanEnv({ BATON_FILE: viaEnv }) });
    expect(sync.code, sync.stderr).toBe(0);
    expect(existsSync(viaEnv)).toBe(true);

    const cwd = mkdtempSync(join(tmpdir(), "baton-yaml-"));
    writeFileSync(join(cwd, ".baton.yaml"), `file: ${viaEnv}\n`);
    const inspect = await runCli(["inspect", "stats"], { cwd });
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.stdout).toMatch(/^Sync \S+ \(full, ended/);
    // The flag still wins.
    oneLine(await runCli(["inspect", "stats", "--file", join(cwd, "other.c1z")], { cwd }), 2, /other\.c1z does not exist/);
  });

  it("BATON_CLIENT_ID / BATON_CLIENT_SECRET and `client-id:` are refused by name", async () => {
    oneLine(await runCli(["grants"], { env: cleanEnv({ BATON_CLIENT_ID: "abc" }) }), 2, /^connector: BATON_CLIENT_ID is not supported by this connector: .*service .*mode/);
    oneLine(await runCli(["inspect", "stats"], { env: cleanEnv({ BATON_CLIENT_SECRET: "abc" }) }), 2, /^connector: BATON_CLIENT_SECRET is not supported/);
    const cwd = mkdtempSync(join(tmpdir(), "baton-yaml-"));
    writeFileSync(join(cwd, ".baton.yaml"), "client-id: abc\n");
    oneLine(await runCli(["validate"], { cwd }), 2, /key "client-id" in config file .*\.baton\.yaml is not supported by this connector/);
  });
});

describe("Ctrl-C during a sync", () => {
  it("prints exactly one line — how to resume — and exits 130; no ERROR blocks, no stack traces", async () => {
    const file = join(dir, "interrupted.c1z");
    const result = await new Promise<{ code: number | null; before: string; after: string }>((resolve) => {
      const child = spawn(process.execPath, [DIST_MAIN, "sync", "--demo", "--demo-profile", "medium", "--file", file, "--log-format", "json"], { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      let cut = -1;
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
        // Interrupt once the entitlement and grant listings are in flight (AWS calls under way).
        if (cut < 0 && /"phase":"(entitlements|grants)"/.test(stderr)) {
          cut = stderr.length;
          child.kill("SIGINT");
        }
      });
      child.on("close", (code) => resolve({ code, before: stderr.slice(0, Math.max(cut, 0)), after: stderr.slice(Math.max(cut, 0)) }));
    });
    expect(result.before).toMatch(/"phase"/);
    // Lines already on their way when the signal came may follow; nothing at error level, nothing but one line of ours.
    const ours = lines(result.after).filter((l) => !l.startsWith("{"));
    expect(ours).toEqual([expect.stringMatching(/^connector: sync interrupted by SIGINT; run the same command again to resume — .*interrupted\.c1z\.working\.db keeps the progress \(delete it to start over\)$/)]);
    expect(result.after).not.toMatch(/"level":(50|60)|\n\s+at /);
    expect(result.code).toBe(130);
    expect(existsSync(`${file}.working.db`)).toBe(true);
  });
});

describe("validate outside an AWS Organization", () => {
  it("names both switches, and following its hint leads to a working configuration", async () => {
    const { startSimulator, SIM_CREDENTIALS } = await import("../../src/simulator/index.js");
    const sim = await startSimulator({ profile: "demo" });
    try {
      const env = (extra: NodeJS.ProcessEnv = {}) =>
        cleanEnv({
          AWS_ENDPOINT_URL: sim.endpoint,
          AWS_REGION: sim.region,
          AWS_ACCESS_KEY_ID: SIM_CREDENTIALS.standalone.accessKeyId,
          AWS_SECRET_ACCESS_KEY: SIM_CREDENTIALS.standalone.secretAccessKey,
          BATON_LOG_LEVEL: "silent",
          ...extra,
        });
      const state = ["--state-dir", join(dir, "validate-state")];
      const first = await runCli(["validate", ...state], { env: env() });
      oneLine(first, 1, /not a member of an AWS Organization — set BATON_GLOBAL_AWS_ORGS_ENABLED=false, and BATON_GLOBAL_AWS_SSO_ENABLED=false unless/);
      // The hint's first half alone is a valid configuration (Identity Center without Organizations);
      // this account has no Identity Center instance, and the next line says so.
      const second = await runCli(["validate", ...state], { env: env({ BATON_GLOBAL_AWS_ORGS_ENABLED: "false" }) });
      oneLine(second, 1, /no IAM Identity Center instance in .* BATON_GLOBAL_AWS_SSO_ENABLED=false/);
      const third = await runCli(["validate", ...state], { env: env({ BATON_GLOBAL_AWS_ORGS_ENABLED: "false", BATON_GLOBAL_AWS_SSO_ENABLED: "false" }) });
      expect(third.code, third.stderr).toBe(0);
      expect(third.stdout).toMatch(/^ok: /);
    } finally {
      await sim.stop();
    }
  });
});

describe("AWS that cannot be reached", () => {
  it("an unknown host or a TLS failure: one line within seconds, saying AWS cannot be reached", async () => {
    const { startSimulator } = await import("../../src/simulator/index.js");
    const sim = await startSimulator({ profile: "demo" });
    try {
      const env = cleanEnv({ AWS_ACCESS_KEY_ID: sim.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: sim.credentials.secretAccessKey, AWS_REGION: sim.region, BATON_LOG_LEVEL: "silent" });
      const state = ["--state-dir", join(dir, "unreachable-state")];
      const cases: Array<[string, RegExp]> = [
        // .invalid never resolves (RFC 6761): "not found", or "lookup failed" without DNS at all.
        ["http://aws.endpoint.invalid", /cannot reach AWS for sts:GetCallerIdentity: host name (not found|lookup failed) \(DNS\)/],
        // TLS spoken to a plain-HTTP port.
        [sim.endpoint.replace("http://", "https://"), /cannot reach AWS for sts:GetCallerIdentity: TLS handshake failed/],
      ];
      for (const [endpoint, pattern] of cases) {
        const result = await runCli(["validate", ...state, "--aws-endpoint", endpoint], { env });
        oneLine(result, 1, pattern);
        expect(result.ms, endpoint).toBeLessThan(15_000);
      }
    } finally {
      await sim.stop();
    }
  });
});
