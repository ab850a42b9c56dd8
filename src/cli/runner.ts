import { CommanderError, type Command } from "commander";
import { writeFully } from "../log.js";
import { describeFailure } from "./failure.js";
import { EXIT, InterruptedError, UserError } from "./fatal.js";

/**
 * The one way the CLI runs a command, whichever it is. It owns what every command must get right
 * and none should do for itself:
 *
 *  - the exit code and the error line: a command returns (exit 0) or throws; describeFailure()
 *    turns what it threw into one line and a code;
 *  - "ended while unfinished": if the process is about to end while the command's promise is
 *    still pending (nothing left in the event loop to settle it — e.g. an unref'd timer was the
 *    last thing it waited for), that is a loud EXIT.unfinished, never a silent 0;
 *  - a closed output pipe (`| head`): ends quietly with EXIT.brokenPipe, no EPIPE stack;
 *  - Ctrl-C / SIGTERM: a command that can stop cleanly takes interruptSignal() and finishes with
 *    an InterruptedError (one line); any other command is ended at once with one line;
 *  - nothing written is lost: stdout and stderr are drained before the process exits.
 *
 * Commands are plain commander actions; they never call process.exit themselves.
 */

/** What the runner knows about the command being run (one per process). */
interface RunState {
  /** "connector grant", for messages. */
  name: string;
  /** The command's action has started and has not settled. */
  running: boolean;
  interrupt: AbortController;
  /** The command took interruptSignal(): it stops by itself when interrupted. */
  handlesInterrupt: boolean;
  /** Called when the command is interrupted (loggers go quiet: the one line says it all). */
  onInterrupt: Array<() => void>;
  exiting: boolean;
}

let state: RunState | undefined;

/**
 * The signal a command watches to stop cleanly on Ctrl-C / SIGTERM. Taking it is a promise to
 * settle soon after it fires (throwing its reason, an InterruptedError, is the simplest way).
 * Outside the runner (a command called in-process by a test) it never fires.
 */
export function interruptSignal(): AbortSignal {
  if (!state) return new AbortController().signal;
  state.handlesInterrupt = true;
  return state.interrupt.signal;
}

/** Registers something to do when the command is interrupted, before it winds down. */
export function onInterrupt(action: () => void): void {
  state?.onInterrupt.push(action);
}

/** Parses argv, runs the chosen command and ends the process with its exit code. */
export async function runCli(program: Command, argv: readonly string[]): Promise<never> {
  const run: RunState = { name: program.name(), running: false, interrupt: new AbortController(), handlesInterrupt: false, onInterrupt: [], exiting: false };
  state = run;
  program.hook("preAction", (_program, action) => {
    run.name = commandPath(action);
    run.running = true;
  });

  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      // The reader went away (`| head`, a closed terminal): nothing more can be said there.
      if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") hardExit(EXIT.brokenPipe);
      else fail(error);
    });
  }
  process.on("beforeExit", () => {
    // The event loop is empty yet the command has not settled: nothing will ever settle it.
    if (run.running) fail(unfinished(run));
  });
  process.on("exit", (code) => {
    // Anything else ending the process mid-command must not look like success.
    if (run.running && code === EXIT.ok) {
      emergencyLine(`connector: ${describeFailure(unfinished(run)).line}`);
      process.exitCode = EXIT.unfinished;
    }
  });
  process.on("uncaughtException", (error) => fail(error));
  process.on("unhandledRejection", (error) => fail(error));
  const onSignal = (signal: NodeJS.Signals) => {
    if (!run.running) hardExit(EXIT.interrupted);
    if (run.interrupt.signal.aborted || !run.handlesInterrupt) {
      // A second signal, or a command that cannot stop cleanly: stop now.
      for (const action of run.onInterrupt) action();
      emergencyLine(`connector: ${run.name} interrupted by ${signal}${run.handlesInterrupt ? "" : " before it finished; its outcome is unknown"}`);
      hardExit(EXIT.interrupted);
    }
    for (const action of run.onInterrupt) action();
    run.interrupt.abort(new InterruptedError(`interrupted by ${signal}`));
  };
  process.on("SIGINT", onSignal).on("SIGTERM", onSignal);

  try {
    await program.parseAsync([...argv]);
    run.running = false;
    finish(EXIT.ok);
  } catch (error) {
    run.running = false;
    // commander has printed its message (usage errors) or the help/version asked for.
    if (error instanceof CommanderError) finish(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
    else fail(error);
  }
  // The process ends in finish(), once stdout and stderr are drained.
  return new Promise<never>(() => undefined);

  /** One line for what went wrong (the first thing only: what follows from it adds nothing). */
  function fail(error: unknown): void {
    run.running = false;
    if (run.exiting) return;
    const failure = describeFailure(error);
    emergencyLine(`connector: ${failure.line}`);
    finish(failure.exitCode);
  }

  /** Ends the process with `code` once stdout and stderr hold nothing unwritten. */
  function finish(code: number): void {
    if (run.exiting) return;
    run.exiting = true;
    process.exitCode = code;
    const drained = [process.stdout, process.stderr].map(
      (stream) =>
        new Promise<void>((resolve) => {
          if (stream.destroyed || stream.writableLength === 0) return resolve();
          stream.once("drain", resolve).once("error", () => resolve()).once("close", resolve);
        }),
    );
    void Promise.all(drained).then(() => process.exit(code));
  }
}

function hardExit(code: number): never {
  process.exit(code);
}

/** Written synchronously: it must reach stderr even if the process ends right after. */
function emergencyLine(line: string): void {
  writeFully(2, `${line}\n`);
}
function unfinished(run: RunState): UserError {
  return new UserError(`${run.name} stopped before it finished: the process had nothing left to wait for (a bug); its outcome is unknown`, EXIT.unfinished);
}

/** "connector inspect grants". */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}
