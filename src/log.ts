import { pino, type Logger, type LevelWithSilent } from "pino";
import { scrubSecrets } from "./secret-values.js";

export type { Logger };

export interface LogOptions {
  level?: LevelWithSilent;
  /** "json" (default when not a TTY) or "pretty" (default on a TTY). */
  format?: "json" | "pretty";
  /** Write logs here instead of stderr (file descriptor 2). */
  destination?: number | string;
}

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

/** Logs go to stderr so stdout stays clean for command output (JSON summaries, inspect tables). */
export function createLogger(options: LogOptions = {}): Logger {
  const format = options.format ?? (process.stderr.isTTY ? "pretty" : "json");
  const level = options.level ?? "info";
  const destination = options.destination ?? 2;
  const redact = { paths: REDACT_PATHS, censor: "[redacted]" };
  // Registered secret values are removed from every line, whatever field they hide in.
  const hooks = { streamWrite: scrubSecrets };
  if (format === "pretty") {
    return pino({
      level,
      redact,
      hooks,
      transport: {
        target: "pino-pretty",
        options: { destination, colorize: process.stderr.isTTY, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" },
      },
    });
  }
  return pino({ level, redact, hooks }, pino.destination({ dest: destination, sync: true }));
}

/** A logger that discards everything; the default in library code and tests. */
export const silentLogger: Logger = pino({ level: "silent" });
