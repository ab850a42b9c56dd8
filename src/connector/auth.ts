import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { UserError } from "../cli/fatal.js";
import { registerSecret } from "../secret-values.js";

/**
 * Optional bearer-token authentication: with `--auth-token-file`, every RPC must carry
 * `authorization: Bearer <token>`. Checked before the request body is read, so an unauthenticated
 * peer learns nothing about our messages. The health service stays open for load balancers and
 * orchestrators (it reveals only SERVING / NOT_SERVING).
 */
export const OPEN_PATH_PREFIXES = ["/grpc.health.v1.Health/"];

export function isOpenPath(path: string): boolean {
  return OPEN_PATH_PREFIXES.some((prefix) => path.startsWith(prefix));
}

export interface TokenFile {
  token: string;
  /** True when group or others may read the file. */
  readableByOthers: boolean;
}

export function loadAuthToken(path: string): TokenFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UserError(`cannot read auth-token-file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const token = text.trim();
  if (token === "") throw new UserError(`auth-token-file ${path} is empty`);
  if (/\s/.test(token)) throw new UserError(`auth-token-file ${path} must hold one token without spaces`);
  registerSecret(token);
  return { token, readableByOthers: (statSync(path).mode & 0o077) !== 0 };
}

/** Returns why the request is refused, or undefined when it may proceed. */
export function createTokenCheck(token: string): (authorization: string | undefined) => string | undefined {
  // Comparing digests keeps the comparison constant-time whatever the presented length.
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? "");
    if (!match) return "missing bearer token (send \"authorization: Bearer <token>\")";
    return timingSafeEqual(digest(match[1]!), expected) ? undefined : "invalid bearer token";
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
