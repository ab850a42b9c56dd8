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
      // One line, like every other error: "connector: unknown option '--x'", and where to look.
      .showHelpAfterError(`(see: ${commandPath(command)} --help)`)
      .configureOutput({ outputError: (text, write) => write(`connector: ${text.replace(/^error: /, "")}`) });
  }
  return program;
}

/** The program and every subcommand under it, depth first. */
export function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap((c) => allCommands(c))];
}
