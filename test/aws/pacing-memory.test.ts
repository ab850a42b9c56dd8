import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PACING_FILE, PacingMemory, pacingScope } from "../../src/aws/pacing-memory.js";
import { AwsRateLimiter, serviceLimits } from "../../src/aws/rate-limiter.js";
import { defaultConfig } from "../../src/config/config.js";

const scope = pacingScope(undefined, "us-east-1", "eu-west-1");
const stateDir = () => mkdtempSync(join(tmpdir(), "pacing-memory-"));

describe("PacingMemory", () => {
  it("round-trips what was learned, in a file only its owner can read", () => {
    const dir = stateDir();
    const memory = PacingMemory.load(dir, scope);
    expect(memory.rates()).toEqual({});
    memory.setWindow("sso:account-assignments", { window: 7, limit: 8 });
    memory.save({ sso: { rate: 18.5, limit: 21 }, "iam:222222222222": { rate: 20 } });
    expect(statSync(join(dir, PACING_FILE)).mode & 0o777).toBe(0o600);

    const again = PacingMemory.load(dir, scope);
    expect(again.rates()).toEqual({ sso: { rate: 18.5, limit: 21 }, "iam:222222222222": { rate: 20 } });
    expect(again.window("sso:account-assignments")).toEqual({ window: 7, limit: 8 });
    // Another endpoint or region sharing the directory starts from nothing, and keeps the first scope's entries.
    const other = PacingMemory.load(dir, pacingScope("http://127.0.0.1:4566", "us-east-1", "us-east-1"));
    expect(other.rates()).toEqual({});
    other.save({ sso: { rate: 500 } });
    expect(PacingMemory.load(dir, scope).rates().sso).toEqual({ rate: 18.5, limit: 21 });
  });

  it("ignores a corrupt file, a corrupt entry, an old entry and prototype keys — with a warning, never an error", () => {
    const warnings: string[] = [];
    const log = { warn: (_obj: unknown, msg: string) => warnings.push(msg) } as never;
    const dir = stateDir();
    const path = join(dir, PACING_FILE);

    writeFileSync(path, "{ not json");
    expect(PacingMemory.load(dir, scope, log).rates()).toEqual({});
    writeFileSync(path, JSON.stringify({ version: 99, scopes: {} }));
    expect(PacingMemory.load(dir, scope, log).rates()).toEqual({});
    expect(warnings).toHaveLength(2);

    const now = Date.parse("2026-06-01T00:00:00Z");
    const fresh = new Date(now - 86_400_000).toISOString();
    writeFileSync(
      path,
      `{"version":1,"scopes":{${JSON.stringify(scope)}:{"savedAt":"${fresh}","rates":{"sso":{"rate":-4},"identitystore":{"rate":"fast"},"iam":{"rate":1e308},"organizations":{"rate":7},"__proto__":{"rate":5}}},` +
        `"__proto__":{${JSON.stringify(scope)}:{"savedAt":"${fresh}","rates":{"sts":{"rate":9}}}}}}`,
    );
    const loaded = PacingMemory.load(dir, scope, log, now).rates();
    expect(loaded).toEqual({ organizations: { rate: 7 } });
    expect(Object.getPrototypeOf(loaded)).toBe(Object.prototype);

    // Forgotten after 30 days.
    const old = new Date(now - 31 * 86_400_000).toISOString();
    writeFileSync(path, JSON.stringify({ version: 1, scopes: { [scope]: { savedAt: old, rates: { sso: { rate: 7 } } } } }));
    expect(PacingMemory.load(dir, scope, log, now).rates()).toEqual({});
  });

  it("a tampered file cannot lift a ceiling: what it says is clamped to the published quota or the operator's cap", () => {
    const dir = stateDir();
    writeFileSync(
      join(dir, PACING_FILE),
      JSON.stringify({ version: 1, scopes: { [scope]: { savedAt: new Date().toISOString(), rates: { sso: { rate: 5_000, limit: 9_000 }, identitystore: { rate: 900 } } } } }),
    );
    const config = defaultConfig({ rateLimits: { requestsPerSecond: { identitystore: 5 } } });
    const limiter = new AwsRateLimiter(serviceLimits(config.rateLimits), { memory: PacingMemory.load(dir, scope) });
    expect(limiter.currentRate("sso")).toBe(20);
    expect(limiter.currentRate("identitystore")).toBe(5);
  });

  it("keeps only an endpoint's origin and path in the scope", () => {
    expect(pacingScope("http://user:secret@127.0.0.1:4566/?token=abc", "us-east-1", "eu-west-1")).toBe("http://127.0.0.1:4566 us-east-1 eu-west-1");
    expect(pacingScope(undefined, "us-east-1", "eu-west-1")).toBe("aws us-east-1 eu-west-1");
  });

  it("a state directory that cannot be written costs the head start, nothing else", () => {
    const dir = stateDir();
    writeFileSync(join(dir, "not-a-dir"), "");
    const warnings: string[] = [];
    const memory = PacingMemory.load(join(dir, "not-a-dir"), scope, { warn: (_o: unknown, m: string) => warnings.push(m) } as never);
    expect(() => memory.save({ sso: { rate: 10 } })).not.toThrow();
    expect(warnings.at(-1)).toMatch(/could not save/);
    expect(readFileSync(join(dir, "not-a-dir"), "utf8")).toBe("");
  });
});
