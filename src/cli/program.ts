import { Command } from "commander";
import { applyBatonSettings } from "./baton-settings.js";
import { commandFactories } from "./commands/index.js";
import { commandPath } from "./runner.js";
import { packageVersion } from "./version.js";

/** The `connector` program with every subcommand (run by main.ts through runner.ts; enumerated by tests). */
export function buildProgram(): Command {
  const program = new Command("connector")
    .description("Identity-governance connector for AWS IAM and IAM Identity Center (baton-compatible).")
    .version(packageVersion(), "-V, --version", "print the connector's version");
  for (const create of commandFactories) program.addCommand(create());
  // baton's settings (BATON_FILE, `file:` in .baton.yaml, …): honoured or refused, never ignored.
  program.hook("preAction", (_program, action) => applyBatonSettings(action));
  for (const command of allCommands(program)) {
    command
      // Parse errors come back to the runner (it owns exit codes) instead of ending the process.
      .exitOverride()
      // One line, like every other error: "connector: unknown option '--x' (see: connector sync --help)".
      .configureOutput({ outputError: (text, write) => write(`connector: ${usageLine(text)} (see: ${commandPath(command)} --help)\n`) });
  }
  return program;
}

/** The program and every subcommand under it, depth first. */
export function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap((c) => allCommands(c))];
}

/** commander's message ("error: …", sometimes with a "(Did you mean …?)" line) as one line. */
function usageLine(text: string): string {
  return text
    .replace(/^error: /, "")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .join(" ");
}
