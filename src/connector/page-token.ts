import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Page tokens handed to baton hosts: opaque, versioned and integrity-checked.
 *
 *   "v1." base64url(JSON state) "." base64url(HMAC-SHA256(key, scope + payload))[:16 bytes]
 *
 * The MAC also covers the listing the token belongs to (RPC, resource type, resource id), so a token
 * replayed against another listing is rejected instead of silently restarting or mixing listings.
 * Hosts persist tokens in checkpoints and replay them after restarts, so the key must be stable
 * across processes (see page-token-key.ts).
 */
export const MAX_PAGE_TOKEN_BYTES = 1_048_576;

const VERSION = "v1";
const MAC_BYTES = 16;

export type PageState = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Which listing a token belongs to. */
export interface PageTokenScope {
  rpc: string;
  resourceTypeId: string;
  /** The resource (or parent resource) the listing is about, if any. */
  resourceId?: string;
}

export class InvalidPageTokenError extends Error {
  constructor(reason: string) {
    super(`invalid page token: ${reason}`);
    this.name = "InvalidPageTokenError";
  }
}

export class PageTokenCodec {
  readonly #key: Uint8Array;

  constructor(key: Uint8Array) {
    if (key.length < 16) throw new Error("page-token key must be at least 16 bytes");
    this.#key = key;
  }

  encode(scope: PageTokenScope, state: PageState): string {
    const payload = Buffer.from(JSON.stringify(state), "utf8").toString("base64url");
    const token = `${VERSION}.${payload}.${this.#mac(scope, payload).toString("base64url")}`;
    // A syncer state this large is a bug (states hold AWS tokens and a few indexes).
    if (token.length >= MAX_PAGE_TOKEN_BYTES) throw new Error(`page token of ${token.length} bytes is not under 1 MiB`);
    return token;
  }

  /** Empty token → undefined (first page). Anything malformed, foreign or tampered → InvalidPageTokenError. */
  decode(scope: PageTokenScope, token: string): PageState | undefined {
    if (token === "") return undefined;
    if (Buffer.byteLength(token, "utf8") > MAX_PAGE_TOKEN_BYTES) throw new InvalidPageTokenError("longer than 1 MiB");
    const parts = token.split(".");
    if (parts.length !== 3) throw new InvalidPageTokenError("not a token issued by this connector");
    const [version, payload, mac] = parts as [string, string, string];
    // Never echo token contents into messages: they are attacker-controlled.
    if (version !== VERSION) throw new InvalidPageTokenError("unsupported version");
    // Compared as text: Buffer's base64url decoder skips stray characters, so decoded-bytes equality
    // would accept many spellings of one token.
    const given = Buffer.from(mac, "utf8");
    const expected = Buffer.from(this.#mac(scope, payload).toString("base64url"), "utf8");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidPageTokenError("integrity check failed (tampered, truncated, or issued for another listing)");
    }
    let state: unknown;
    try {
      state = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch {
      throw new InvalidPageTokenError("undecodable payload");
    }
    if (typeof state !== "object" || state === null || Array.isArray(state)) {
      throw new InvalidPageTokenError("payload is not an object");
    }
    return state as PageState;
  }

  #mac(scope: PageTokenScope, payload: string): Buffer {
    const hmac = createHmac("sha256", this.#key);
    // Length-prefix (in UTF-8 bytes) each field so ("a:b","c") and ("a","b:c") cannot collide.
    for (const part of [VERSION, scope.rpc, scope.resourceTypeId, scope.resourceId ?? ""]) {
      hmac.update(`${Buffer.byteLength(part, "utf8")}:${part};`);
    }
    hmac.update(payload);
    return hmac.digest().subarray(0, MAC_BYTES);
  }
}
