import type { Command } from "commander";

/**
 * Every subcommand, one module each. A module exports a factory returning a configured
 * commander Command; add it here to make it part of the CLI.
 */
export const commandFactories: Array<() => Command> = [];
