/**
 * vitest globalSetup: tests that run the real CLI run the compiled build (dist/). Rebuild it once,
 * before any test file, when a source file is newer than it — never a stale build under test.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DIST_MAIN, ROOT } from "./cli-process.js";

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : entry.name.endsWith(".ts") ? statSync(path).mtimeMs : 0);
  }
  return latest;
}

export default function setup(): void {
  let built = 0;
  try {
    built = statSync(DIST_MAIN).mtimeMs;
  } catch {
    // no build yet
  }
  const sources = Math.max(newest(join(ROOT, "src")), statSync(join(ROOT, "tsconfig.json")).mtimeMs, statSync(join(ROOT, "package.json")).mtimeMs);
  if (built >= sources) return;
  execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.build.json")], { cwd: ROOT, stdio: "inherit" });
}
