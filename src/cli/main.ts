#!/usr/bin/env node
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
import { Command } from "commander";
import { commandFactories } from "./commands/index.js";
import { reportFatal } from "./fatal.js";
import { packageVersion } from "./version.js";

export function buildProgram(): Command {
  const program = new Command("connector")
    .description("Identity-governance connector for AWS IAM and IAM Identity Center (baton-compatible).")
    .version(packageVersion(), "-V, --version", "print the connector's version")
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });
  for (const create of commandFactories) program.addCommand(create());
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => reportFatal(error));
