/** `connector --version` / `-V`: the version in package.json, from sources and from the build layout. */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = join(ROOT, "src/cli/main.ts");
/** tsx's loader by URL: the child runs in a scratch directory where "tsx" would not resolve. */
const TSX = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
const run = promisify(execFile);

const expected = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

describe("connector --version", () => {
  it.each(["--version", "-V"])("%s prints package.json's version and exits 0", async (flag) => {
    // A scratch cwd: the version must come from beside the module, not from wherever the user stands.
    const { stdout, stderr } = await run(process.execPath, ["--import", TSX, MAIN, flag], {
      cwd: mkdtempSync(join(tmpdir(), "connector-cwd-")),
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    expect(stdout).toBe(`${expected}\n`);
    expect(stderr).toBe("");
  });

  it("finds package.json from the compiled layout (dist/src/cli/) too", async () => {
    const pkg = mkdtempSync(join(tmpdir(), "connector-pkg-"));
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "x", version: "3.2.1-layout", type: "module" }));
    const cliDir = join(pkg, "dist/src/cli");
    mkdirSync(cliDir, { recursive: true });
    const source = readFileSync(join(ROOT, "src/cli/version.ts"), "utf8");
    const compiled = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } });
    writeFileSync(join(cliDir, "version.js"), compiled.outputText);

    const script = `import(${JSON.stringify(pathToFileURL(join(cliDir, "version.js")).href)}).then((m) => console.log(m.packageVersion()))`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: tmpdir() });
    expect(stdout).toBe("3.2.1-layout\n");
  });
});
