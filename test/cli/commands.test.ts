/**
 * Every registered command, enumerated from the program itself (a command added later is covered
 * without touching this file): each one runs through the CLI runner, so a usage error is one line
 * and exit 2; each one that prints a result takes the same `-o/--output` option.
 */
import { CommanderError, type Command } from "commander";
import { describe, expect, it, vi } from "vitest";
import { allCommands, buildProgram } from "../../src/cli/program.js";
import { commandPath } from "../../src/cli/runner.js";
import { lines, runCli } from "../support/cli-process.js";

/** Commands that print no result, and why. Anything else must accept -o json. */
const NO_RESULT: Record<string, string> = {
  "connector serve": "a server: it logs, it prints no result",
  "connector sim": "prints the environment to export for the simulator (shell lines), not a result",
};

const program = buildProgram();
/** The commands a user runs: those with an action (not groups such as `inspect`). */
const leaves: Command[] = allCommands(program).filter((c) => c.commands.length === 0 && c !== program);

describe("every registered command", () => {
  it("is enumerated (the program has the commands the README documents)", () => {
    const names = leaves.map(commandPath);
    for (const expected of ["connector sync", "connector grant", "connector revoke", "connector validate", "connector inspect grants", "connector audit", "connector grants"]) {
      expect(names).toContain(expected);
    }
  });

  it("that prints a result accepts -o/--output with json (and table unless JSON is its only form)", () => {
    for (const command of leaves) {
      const path = commandPath(command);
      if (NO_RESULT[path]) continue;
      const option = command.options.find((o) => o.long === "--output");
      expect(option, `${path} has no --output`).toBeDefined();
      expect(option!.short, path).toBe("-o");
      expect(option!.argChoices, path).toContain("json");
    }
  });

  it("answers a usage error with one line (commander's error goes back to the runner, which exits 2)", async () => {
    for (const command of leaves) {
      const path = commandPath(command).split(" ").slice(1);
      for (const args of [["--no-such-option"], ...(command.options.some((o) => o.long === "--output") ? [["--output", "yaml"]] : [])]) {
        const written: string[] = [];
        const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
          written.push(String(chunk));
          return true;
        });
        let thrown: unknown;
        try {
          await buildProgram().parseAsync(["node", "connector", ...path, ...args]);
        } catch (error) {
          thrown = error;
        } finally {
          spy.mockRestore();
        }
        const label = `${path.join(" ")} ${args.join(" ")}`;
        expect(thrown, label).toBeInstanceOf(CommanderError);
        expect(lines(written.join("")), label).toEqual([expect.stringMatching(new RegExp(`^connector: .*\\(see: connector ${path.join(" ")} --help\\)$`))]);
      }
    }
  });

  it("a usage error from the real CLI: exit 2, one line, nothing on stdout", async () => {
    for (const path of [["grant"], ["inspect", "grants"], ["sync"]]) {
      const bad = await runCli([...path, "--no-such-option"]);
      expect(bad.code, path.join(" ")).toBe(2);
      expect(bad.stdout).toBe("");
      expect(lines(bad.stderr)).toEqual([`connector: unknown option '--no-such-option' (see: connector ${path.join(" ")} --help)`]);
    }
    const badOutput = await runCli(["audit", "-o", "yaml"]);
    expect(badOutput.code).toBe(2);
    expect(lines(badOutput.stderr)).toEqual([expect.stringMatching(/^connector: option '-o, --output <format>' argument 'yaml' is invalid\. Allowed choices are table, json\./)]);
  });

  it("--help and --version exit 0 and print to stdout", async () => {
    const help = await runCli(["grant", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: connector grant");
    expect(help.stderr).toBe("");
    expect((await runCli(["--version"])).code).toBe(0);
  });
});
