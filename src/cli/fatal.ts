import { scrubSecrets } from "../secret-values.js";

/**
 * An error whose message is fit to show a user as is: one line, no stack trace.
 * Anything else reaching the top level is a bug and is printed with its stack.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = "UserError";
  }
}

export function reportFatal(error: unknown): never {
  if (error instanceof UserError) {
    process.stderr.write(`connector: ${scrubSecrets(error.message)}\n`);
    process.exit(error.exitCode);
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`connector: unexpected error: ${scrubSecrets(text)}\n`);
  process.exit(1);
}
