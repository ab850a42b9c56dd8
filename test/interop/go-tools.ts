import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/**
 * Finds (or builds) the Go programs the interop tests need: the official `baton` reader, the
 * credential opener and the baton-sdk syncer harness (test/interop/harness, its own go.mod pinned to baton-sdk v0.25.0).
 *
 * Missing tools make the tests skip with the reason — except in CI (process.env.CI set), where a
 * missing tool is a failure: interop must never be skipped silently there.
 */
export const HARNESS_DIR = join(import.meta.dirname, "harness");
const BUILD_DIR = join(tmpdir(), "aws-access-connector-interop");

export interface Unavailable {
  reason: string;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function findGo(): string | undefined {
  return onPath("go") ?? ["/usr/local/go/bin/go", "/usr/lib/go/bin/go"].find((p) => existsSync(p));
}

function goEnv(go: string, name: string): string {
  try {
    return execFileSync(go, ["env", name], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}

/** go build in the harness module; the first build downloads baton-sdk from the Go module proxy (minutes). */
function goBuild(go: string, output: string, pkg: string): string | Unavailable {
  mkdirSync(BUILD_DIR, { recursive: true });
  const run = spawnSync(go, ["build", "-buildvcs=false", "-o", output, pkg], { cwd: HARNESS_DIR, encoding: "utf8" });
  if (run.status !== 0) return { reason: `go build ${pkg} failed: ${(run.stderr || run.error?.message || "").trim().split("\n").slice(-3).join(" | ")}` };
  return output;
}

/** The `baton` reader: BATON_BIN, PATH, $GOBIN, ~/go/bin, else built from the harness module. */
export function findBaton(): string | Unavailable {
  const explicit = process.env.BATON_BIN;
  if (explicit) return existsSync(explicit) ? explicit : { reason: `BATON_BIN=${explicit} does not exist` };
  const go = findGo();
  const candidates = [onPath("baton"), go && goEnv(go, "GOBIN") ? join(goEnv(go, "GOBIN"), "baton") : undefined, join(homedir(), "go", "bin", "baton")];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (found) return found;
  if (!go) return { reason: "no `baton` binary (BATON_BIN, PATH, $GOBIN, ~/go/bin) and no Go toolchain to build it" };
  return goBuild(go, join(BUILD_DIR, "baton"), "github.com/conductorone/baton-sdk/cmd/baton");
}

/** The baton-sdk syncer harness, built from test/interop/harness. */
export function buildHarness(): string | Unavailable {
  const go = findGo();
  if (!go) return { reason: "no Go toolchain (go) to build test/interop/harness" };
  return goBuild(go, join(BUILD_DIR, "harness"), ".");
}

/** The credential opener (test/interop/harness/cmd/decrypt): baton-sdk's side of baton/jwk/v1 and baton/age/v1. */
export function buildDecrypter(): string | Unavailable {
  const go = findGo();
  if (!go) return { reason: "no Go toolchain (go) to build test/interop/harness/cmd/decrypt" };
  return goBuild(go, join(BUILD_DIR, "decrypt"), "./cmd/decrypt");
}

export function isUnavailable(value: string | Unavailable): value is Unavailable {
  return typeof value !== "string";
}

/** Skip with a reason outside CI; fail in CI. */
export function skipOrFail(skip: (note: string) => void, what: Unavailable): void {
  const message = `interop test not run: ${what.reason}`;
  if (process.env.CI) throw new Error(`${message} (CI must run the interop tests)`);
  skip(message);
}

/** Runs `baton -f file <args> -o json` and parses its output. */
export function batonJson<T>(baton: string, file: string, args: string[]): T {
  const out = execFileSync(baton, ["-f", file, ...args, "-o", "json"], { encoding: "utf8", maxBuffer: 1 << 30 });
  return JSON.parse(out) as T;
}
