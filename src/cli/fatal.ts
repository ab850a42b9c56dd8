/**
 * Exit codes of every command (README "Exit codes"). The CLI runner (runner.ts) is the only place
 * that ends the process; commands throw, and describeFailure() decides the line and the code.
 */
export const EXIT = {
  ok: 0,
  /** The request was understood but failed: AWS or the connector said no, a file is unreadable, … */
  failed: 1,
  /** Bad command line or configuration: nothing was attempted. */
  usage: 2,
  /** The process was about to end while the command was still running: a bug; the outcome is unknown. */
  unfinished: 70,
  /** Ctrl-C or SIGTERM. */
  interrupted: 130,
  /** The reader closed our output (`| head`): the output is incomplete (128 + SIGPIPE, as a shell reports). */
  brokenPipe: 141,
} as const;

/**
 * An error whose message is fit to show a user as is: one line, no stack trace.
 * Anything else reaching the top level that describeFailure() does not know is a bug and is
 * printed with its stack.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = "UserError";
  }
}

/** The command was stopped by a signal; the message says what to do next. */
export class InterruptedError extends UserError {
  constructor(message: string) {
    super(message, EXIT.interrupted);
    this.name = "InterruptedError";
  }
}
