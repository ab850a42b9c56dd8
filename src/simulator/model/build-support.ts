/** Pieces every part of the model builder uses: the error naming a spec field, times and tags. */
import type { Tag } from "./types.js";

/** A reference or value in an OrgSpec that cannot be used; `path` names the field. */
export class OrgSpecError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = "OrgSpecError";
  }
}

/** Creation time for objects that do not say: fixed, so models are reproducible. */
export const DEFAULT_CREATED_AT = Date.UTC(2021, 0, 4, 9, 30, 0);

export function time(value: string | undefined, path: string, fallback = DEFAULT_CREATED_AT): number {
  if (value === undefined) return fallback;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new OrgSpecError(path, `not an ISO-8601 time: ${value}`);
  return ms;
}

export const tags = (map: Record<string, string> | undefined): Tag[] => Object.entries(map ?? {}).map(([key, value]) => ({ key, value }));
