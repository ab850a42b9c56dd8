import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const KEY_FILE = "page-token.key";

/**
 * The page-token key must survive restarts: baton hosts checkpoint our tokens and replay them after a
 * crash. Use the configured secret if there is one, else a random key kept in the state directory
 * (created with mode 0600 on first use).
 */
export function loadPageTokenKey(stateDir: string, secret?: string): Uint8Array {
  if (secret) return createHash("sha256").update(secret, "utf8").digest();
  const path = join(stateDir, KEY_FILE);
  try {
    const existing = readFileSync(path);
    if (existing.length >= 32) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    // "wx": never overwrite a key another process created a moment ago.
    writeFileSync(path, key, { mode: 0o600, flag: "wx" });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return readFileSync(path);
    throw error;
  }
}
