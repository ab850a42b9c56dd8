import { writeSync } from "node:fs";
import { pino, type Logger, type LevelWithSilent } from "pino";
import { prettyFactory } from "pino-pretty";
import { scrubSecrets } from "./secret-values.js";

export type { Logger };

export interface LogOptions {
  level?: LevelWithSilent;
  /** "json" (default when not a TTY) or "pretty" (default on a TTY). */
  format?: "json" | "pretty";
  /** Where lines go (default: the process's stderr, through processLogOutput). */
  output?: LogOutput;
}

/**
 * Where the process log's lines go: stderr, written synchronously (a line is never lost or
 * reordered when the process ends), unless a live display owns the terminal for a while — then
 * through that display, which prints them above itself instead of being overwritten by them.
 */
export class LogOutput {
  #divert: ((line: string) => void) | undefined;

  constructor(private readonly fd = 2) {}

  write(line: string): void {
    if (this.#divert) this.#divert(line);
    else writeFully(this.fd, line);
  }

  /** Sends lines to `to` until the returned function is called. */
  divert(to: (line: string) => void): () => void {
    this.#divert = to;
    return () => {
      if (this.#divert === to) this.#divert = undefined;
    };
  }
}

export const processLogOutput = new LogOutput();

/**
 * Key names whose values must never reach a log line. pino replaces them with "[redacted]" at any
 * depth we list; credentials are never logged on purpose, this is the safety net.
 */
const REDACT_PATHS = [
  "secretAccessKey",
  "sessionToken",
  "accessKeyId",
  "authToken",
  "*.secretAccessKey",
  "*.sessionToken",
  "*.accessKeyId",
  "*.authToken",
  "*.credentials",
  "credentials",
  "headers.authorization",
  "*.headers.authorization",
];

/**
 * Logs go to stderr so stdout stays clean for command output (JSON summaries, inspect tables).
 * Pretty lines are formatted in this thread (not a transport worker), so they stay in order with
 * everything else the process writes to the terminal.
 */
export function createLogger(options: LogOptions = {}): Logger {
  const format = options.format ?? (process.stderr.isTTY ? "pretty" : "json");
  const level = options.level ?? "info";
  const output = options.output ?? processLogOutput;
  const redact = { paths: REDACT_PATHS, censor: "[redacted]" };
  // Registered secret values are removed from every line, whatever field they hide in.
  const hooks = { streamWrite: scrubSecrets };
  if (format === "pretty") {
    const pretty = prettyFactory({ colorize: !!process.stderr.isTTY, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" });
    return pino({ level, redact, hooks }, { write: (line: string) => output.write(pretty(line)) });
  }
  return pino({ level, redact, hooks }, { write: (line: string) => output.write(line) });
}

/** writeSync until all of it is written (a non-blocking pipe may take it in parts, or be full for a moment). */
export function writeFully(fd: number, text: string): void {
  let buffer = Buffer.from(text);
  for (let spins = 0; buffer.length > 0 && spins < 10_000; ) {
    try {
      const written = writeSync(fd, buffer);
      buffer = buffer.subarray(written);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EAGAIN") return; // stderr closed: nowhere to log
      spins++;
    }
  }
}

/** A logger that discards everything; the default in library code and tests. */
export const silentLogger: Logger = pino({ level: "silent" });
