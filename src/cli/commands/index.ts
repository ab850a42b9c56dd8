import type { Command } from "commander";
import { auditCommand } from "./audit.js";
import { capabilitiesCommand } from "./capabilities.js";
import { createAccountCommand } from "./create-account.js";
import { deleteResourceCommand } from "./delete-resource.js";
import { grantCommand } from "./grant.js";
import { grantsCommand } from "./grants.js";
import { inspectCommand } from "./inspect.js";
import { reportCommand } from "./report.js";
import { revokeCommand } from "./revoke.js";
import { serveCommand } from "./serve.js";
import { simCommand } from "./sim.js";
import { syncCommand } from "./sync.js";
import { validateCommand } from "./validate.js";

/**
 * Every subcommand, one module each. A module exports a factory returning a configured
 * commander Command; add it here to make it part of the CLI.
 */
export const commandFactories: Array<() => Command> = [
  simCommand,
  serveCommand,
  validateCommand,
  capabilitiesCommand,
  grantCommand,
  revokeCommand,
  createAccountCommand,
  deleteResourceCommand,
  grantsCommand,
  auditCommand,
  syncCommand,
  inspectCommand,
  reportCommand,
];
