import { accessSync, closeSync, constants, lstatSync, openSync, readlinkSync, statSync, type Stats } from "node:fs";
import { dirname, resolve } from "node:path";
import { errnoText } from "./failure.js";
import { UserError } from "./fatal.js";

/**
 * The files a command names on its command line, checked before any work starts so that each
 * problem is one line that names it — not a stack trace from deep inside, and never a misleading
 * guess ("an interrupted sync" for a missing directory, "does not exist" for an unreadable file).
 */

const MAX_LINKS = 40;

/**
 * The .c1z a sync writes. A symbolic link is followed (the file it points to is replaced, the
 * link stays); the directory must exist and be writable; an existing file must be a readable,
 * non-empty regular file (an empty file is not a c1z, and replacing what we cannot read could
 * destroy something that is not ours).
 */
export function syncTarget(path: string, flag = "--file"): string {
  const target = followLinks(resolve(path), path, flag);
  const dir = dirname(target);
  const dirStats = statOrUndefined(dir, `the directory of ${flag} ${path}`);
  if (!dirStats) throw new UserError(`the directory of ${flag} ${path} does not exist (${dir}); create it first`);
  if (!dirStats.isDirectory()) throw new UserError(`the directory of ${flag} ${path} is not a directory (${dir})`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new UserError(`cannot write in ${dir} (the directory of ${flag} ${path}): ${reason(error)}`);
  }
  const stats = statOrUndefined(target, `${flag} ${path}`);
  if (stats) {
    if (stats.isDirectory()) throw new UserError(`${flag} ${path} is a directory; name the .c1z file to write`);
    if (!stats.isFile()) throw new UserError(`${flag} ${path} is not a regular file`);
    checkReadable(target, `${flag} ${path}`);
    if (stats.size === 0) {
      throw new UserError(`${flag} ${path} is an empty file, not a c1z; refusing to replace it (delete it, or name another file)`);
    }
  }
  return target;
}

/** A file a command reads (a .c1z to inspect or look grants up in): it must exist and be readable. */
export function readableFile(path: string, flag = "--file"): string {
  const target = resolve(path);
  const stats = statOrUndefined(target, `${flag} ${path}`);
  if (!stats) throw new UserError(`${flag} ${path} does not exist`);
  if (stats.isDirectory()) throw new UserError(`${flag} ${path} is a directory, not a file`);
  checkReadable(target, `${flag} ${path}`);
  return target;
}

/**
 * The state directory (--state-dir): if it exists it must be a directory. Whether it is writable
 * shows where it is written (with the path and the reason, by the CLI runner).
 */
export function checkStateDir(dir: string): void {
  const stats = statOrUndefined(dir, `state-dir ${dir}`);
  if (stats && !stats.isDirectory()) throw new UserError(`state-dir ${dir} is not a directory`);
}

function followLinks(absolute: string, given: string, flag: string): string {
  let current = absolute;
  for (let hops = 0; hops < MAX_LINKS; hops++) {
    let stats: Stats;
    try {
      stats = lstatSync(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return current;
      throw new UserError(`cannot use ${flag} ${given}: ${reason(error)}`);
    }
    if (!stats.isSymbolicLink()) return current;
    current = resolve(dirname(current), readlinkSync(current));
  }
  throw new UserError(`cannot use ${flag} ${given}: too many levels of symbolic links`);
}

/** stat(); undefined when the path does not exist, a one-line error for anything else. */
function statOrUndefined(path: string, what: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new UserError(`cannot use ${what}: ${reason(error)}`);
  }
}

function checkReadable(path: string, what: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new UserError(`cannot read ${what}: ${reason(error)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function reason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return errnoText(e.code) ?? e.message;
}
