import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The version in our package.json, read at runtime: the nearest package.json above this module,
 * which is the package root both from sources (src/cli/) and from the build (dist/src/cli/).
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const text = readIfPresent(join(dir, "package.json"));
    if (text !== undefined) {
      const { version } = JSON.parse(text) as { version?: unknown };
      if (typeof version !== "string") throw new Error(`${join(dir, "package.json")} has no version`);
      return version;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("package.json not found above the CLI module");
    dir = parent;
  }
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
