import { Code, ConnectError } from "@connectrpc/connect";
import { C1zFormatError } from "../c1z/container.js";
import { scrubSecrets } from "../secret-values.js";
import { SyncError } from "../sync/context.js";
import { MaxDepthExceededError } from "../sync/expansion-graph.js";
import { EXIT, UserError } from "./fatal.js";

export interface Failure {
  /** One line, secrets scrubbed. */
  line: string;
  exitCode: number;
  /** Not a known failure: the stack trace follows the line. */
  bug: boolean;
}

/**
 * Why an error-number failure happened, in words (the code stays in brackets for searching).
 * Any filesystem or socket error that reaches the top level becomes one line with these.
 */
const ERRNO_TEXT: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ENOTDIR: "a component of the path is not a directory",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EEXIST: "already exists",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
  EMFILE: "too many open files",
  EBUSY: "resource busy",
  EIO: "input/output error",
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available",
};

/** "permission denied (EACCES)" for an errno code; undefined for codes we do not describe. */
export function errnoText(code: string | undefined): string | undefined {
  const text = code ? ERRNO_TEXT[code] : undefined;
  return text ? `${text} (${code})` : undefined;
}

/** The line and exit code for anything a command threw. */
export function describeFailure(error: unknown): Failure {
  const one = (line: string, exitCode: number): Failure => ({ line: scrubSecrets(firstLine(line)), exitCode, bug: false });
  if (error instanceof UserError) return one(error.message, error.exitCode);
  if (error instanceof C1zFormatError || error instanceof SyncError || error instanceof MaxDepthExceededError) return one(error.message, EXIT.failed);
  if (error instanceof ConnectError) return one(`${Code[error.code]}: ${error.rawMessage}`, EXIT.failed);
  const sqlite = sqliteText((error as { code?: string } | null)?.code);
  if (sqlite && error instanceof Error) return one(`database error: ${sqlite}: ${error.message}`, EXIT.failed);
  const errno = error as (NodeJS.ErrnoException & { dest?: string }) | null;
  const reason = errnoText(errno?.code);
  if (reason && errno) {
    const what = errno.syscall ? `cannot ${errno.syscall}` : "failed";
    return one(`${what}${errno.path ? ` ${errno.path}` : ""}${errno.dest ? ` → ${errno.dest}` : ""}: ${reason}`, EXIT.failed);
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { line: scrubSecrets(`unexpected error (a bug; please report it): ${text}`), exitCode: EXIT.failed, bug: true };
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0]!.trim();
  return line === "" ? "failed" : line;
}

/** SQLite failures that come from the file or the machine, not from our code. */
const SQLITE_TEXT: Record<string, string> = {
  SQLITE_CORRUPT: "the database file is damaged",
  SQLITE_NOTADB: "not a database file",
  SQLITE_IOERR: "input/output error",
  SQLITE_FULL: "disk full",
  SQLITE_CANTOPEN: "cannot open the database file",
  SQLITE_READONLY: "the database file is read-only",
  SQLITE_PERM: "permission denied",
  SQLITE_BUSY: "the database is in use by another process",
  SQLITE_LOCKED: "the database is locked",
};

function sqliteText(code: string | undefined): string | undefined {
  if (!code?.startsWith("SQLITE_")) return undefined;
  return SQLITE_TEXT[code] ?? SQLITE_TEXT[code.replace(/^(SQLITE_[A-Z]+)_.*$/, "$1")];
}
