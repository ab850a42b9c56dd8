/**
 * The CLI runner (src/cli/runner.ts), the one path every command runs through, in real processes:
 * a small program built on the compiled runner, each action reproducing one way a command can
 * mislead — and the exit code and stderr the user gets.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { cleanEnv, lines, ROOT } from "../support/cli-process.js";

const RUNNER = pathToFileURL(join(ROOT, "dist/src/cli/runner.js")).href;
const FATAL = pathToFileURL(join(ROOT, "dist/src/cli/fatal.js")).href;
const OUTPUT = pathToFileURL(join(ROOT, "dist/src/cli/output.js")).href;
const COMMANDER = pathToFileURL(join(ROOT, "node_modules/commander/esm.mjs")).href;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  stdoutBytes: number;
}

/** Runs `connector demo` whose action is `body` (an async function body; `interruptSignal`, `UserError`, `writeOut` in scope). */
function runAction(body: string, options: { signalWhenReady?: boolean; closeStdoutAfterBytes?: number; readSlowly?: boolean } = {}): Promise<Outcome> {
  const script = `
    import { Command } from ${JSON.stringify(COMMANDER)};
    import { runCli, interruptSignal } from ${JSON.stringify(RUNNER)};
    import { UserError } from ${JSON.stringify(FATAL)};
    import { writeOut } from ${JSON.stringify(OUTPUT)};
    const program = new Command("connector").exitOverride();
    program.addCommand(new Command("demo").exitOverride().action(async () => { ${body} }));
    runCli(program, ["node", "connector", "demo"]);
  `;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stdoutBytes = 0;
    let stderr = "";
    let signalled = false;
    child.stdout.on("data", (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdout.length < 10_000) stdout += chunk.toString();
      // The action says "ready" once it runs (a loaded machine may take seconds to get there).
      if (options.signalWhenReady && stdout.includes("ready\n") && !signalled) {
        signalled = true;
        child.kill("SIGINT");
      }
      if (options.closeStdoutAfterBytes !== undefined && stdoutBytes >= options.closeStdoutAfterBytes) child.stdout.destroy();
      if (options.readSlowly) {
        child.stdout.pause();
        setTimeout(() => child.stdout.resume(), 5);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr, stdoutBytes }));
  });
}

describe("the CLI runner", () => {
  it("a command whose process runs out of work before it settles exits 70 with one line, never 0", async () => {
    // The original defect: a retry waiting on an unref'd timer let Node exit with the grant pending.
    const r = await runAction(`await new Promise((resolve) => setTimeout(resolve, 500).unref()); await writeOut("granted\\n");`);
    expect(r.code).toBe(70);
    expect(r.stdout).toBe("");
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^connector: connector demo stopped before it finished: .*its outcome is unknown$/)]);
  });

  it("a library calling process.exit(0) mid-command does not pass for success", async () => {
    const r = await runAction(`await new Promise((resolve) => setTimeout(resolve, 20)); process.exit(0);`);
    expect(r.code).toBe(70);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/stopped before it finished/)]);
  });

  it("a UserError is one line with its exit code; an unknown error says it is a bug and keeps its stack", async () => {
    const user = await runAction(`throw new UserError("--limit must be a positive integer", 2);`);
    expect(user.code).toBe(2);
    expect(user.stderr).toBe("connector: --limit must be a positive integer\n");
    const bug = await runAction(`throw new TypeError("x is undefined");`);
    expect(bug.code).toBe(1);
    expect(bug.stderr).toMatch(/^connector: unexpected error \(a bug; please report it\): TypeError: x is undefined\n\s+at /);
  });

  it("an error a filesystem call threw is one line naming the path and the reason", async () => {
    const r = await runAction(`const { readFileSync } = await import("node:fs"); readFileSync("/nonexistent-dir/x.c1z");`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("connector: cannot open /nonexistent-dir/x.c1z: no such file or directory (ENOENT)\n");
  });

  it("a reader closing the pipe (| head) ends the command quietly with 141", async () => {
    const r = await runAction(`for (let i = 0; i < 100000; i++) await writeOut("row " + i + " " + "x".repeat(100) + "\\n");`, { closeStdoutAfterBytes: 1000 });
    expect(r.code).toBe(141);
    expect(r.stderr).toBe("");
  });

  it("everything written reaches a slow reader before the process exits", async () => {
    const r = await runAction(`await writeOut("y".repeat(3_000_000)); await writeOut("\\nend\\n");`, { readSlowly: true });
    expect(r.code).toBe(0);
    expect(r.stdoutBytes).toBe(3_000_000 + 5);
  });

  it("Ctrl-C: a command that cannot stop cleanly ends at once with one line and 130", async () => {
    const r = await runAction(`process.stdout.write("ready\\n"); await new Promise((resolve) => setTimeout(resolve, 30_000));`, { signalWhenReady: true });
    expect(r.code).toBe(130);
    expect(lines(r.stderr)).toEqual(["connector: connector demo interrupted by SIGINT before it finished; its outcome is unknown"]);
  });

  it("Ctrl-C: a command that takes interruptSignal() finishes with its own one line", async () => {
    const r = await runAction(
      `const signal = interruptSignal();
       const work = setInterval(() => undefined, 1000); // something in progress keeps the process alive
       process.stdout.write("ready\\n");
       await new Promise((resolve) => signal.addEventListener("abort", resolve));
       clearInterval(work);
       throw new UserError(signal.reason.message + "; run the same command again to resume", 130);`,
      { signalWhenReady: true },
    );
    expect(r.code).toBe(130);
    expect(lines(r.stderr)).toEqual(["connector: interrupted by SIGINT; run the same command again to resume"]);
  });
});
