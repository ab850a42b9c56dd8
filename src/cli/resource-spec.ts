import type { ResourceRef } from "../sync/changes.js";
import { EXIT, UserError } from "./fatal.js";

/**
 * A resource named on the command line: `TYPE:ID` (the id as the connector gives it, e.g.
 * `role:arn:aws:iam::123456789012:role/admin`), or a baton id `bid:r:[PARENT_TYPE/PARENT_ID/]TYPE/ID`
 * with `:`, `/` and `\` escaped by a backslash, as baton's --sync-resources takes them.
 */
export function parseResourceSpec(text: string): ResourceRef {
  if (text.startsWith("bid:")) return parseBatonId(text);
  const ref = splitTypeAndId(text);
  if (!ref) throw new UserError(`--sync-resources: expected TYPE:ID or bid:r:…, got "${text}"`, EXIT.usage);
  return ref;
}

/** `TYPE:ID` split at its first colon (ids such as ARNs hold colons); undefined when either part is empty. */
export function splitTypeAndId(text: string): { type: string; id: string } | undefined {
  const colon = text.indexOf(":");
  if (colon <= 0 || colon === text.length - 1) return undefined;
  return { type: text.slice(0, colon), id: text.slice(colon + 1) };
}

function parseBatonId(text: string): ResourceRef {
  const bad = (why: string) => new UserError(`--sync-resources: "${text}" is not a baton resource id (${why})`, EXIT.usage);
  if (!text.startsWith("bid:r:")) throw bad("resource ids start with bid:r:");
  const parts: string[] = [];
  let current = "";
  const body = text.slice("bid:r:".length);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "\\") {
      const next = body[i + 1];
      if (next !== ":" && next !== "/" && next !== "\\") throw bad("invalid escape");
      current += next;
      i++;
    } else if (c === "/") {
      parts.push(current);
      current = "";
    } else if (c === ":") {
      throw bad("unescaped colon");
    } else {
      current += c;
    }
  }
  parts.push(current);
  if (parts.some((p) => p === "")) throw bad("empty part");
  if (parts.length === 2) return { type: parts[0]!, id: parts[1]! };
  if (parts.length === 4) return { parentType: parts[0]!, parentId: parts[1]!, type: parts[2]!, id: parts[3]! };
  throw bad("expected TYPE/ID or PARENT_TYPE/PARENT_ID/TYPE/ID");
}
