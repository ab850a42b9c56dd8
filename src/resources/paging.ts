import { Code, ConnectError } from "@connectrpc/connect";
import { isNotFound } from "../aws/errors.js";
import type { SyncCache } from "../connector/sync-cache.js";
import type { Page, PageState } from "../connector/resource-syncer.js";

/**
 * Paging helpers shared by every syncer: the one drain-all-pages loop (for the few lists that are
 * needed whole), the AWS end-of-list rules per protocol, and reading our own page states back.
 */

/** One AWS page, normalised: `next` is the token for the following page, absent on the last. */
export interface AwsPage<T> {
  items: T[];
  next?: string;
}

/** How far a drain got; kept in the sync cache so a retried drain resumes at the page that failed. */
export interface DrainProgress<T> {
  items: T[];
  next?: string;
  done: boolean;
}

export const newDrainProgress = <T>(): DrainProgress<T> => ({ items: [], done: false });

/** Reads every page of an AWS listing, in order. */
export async function drainPages<T>(
  fetchPage: (token: string | undefined) => Promise<AwsPage<T>>,
  progress: DrainProgress<T> = newDrainProgress(),
): Promise<T[]> {
  while (!progress.done) {
    const token = progress.next;
    const page = await fetchPage(token);
    for (const item of page.items) progress.items.push(item);
    if (page.next !== undefined && page.next === token) {
      // An echoed token would loop forever; AWS never does this, so it is a fault worth surfacing.
      throw new Error("AWS returned the page token it was given; refusing to loop");
    }
    progress.next = page.next;
    progress.done = page.next === undefined;
  }
  return progress.items;
}

/** A whole listing read at most once per sync, resuming after a failed page rather than restarting. */
export function cachedDrain<T>(
  cache: SyncCache,
  syncId: string,
  key: string,
  fetchPage: (token: string | undefined) => Promise<AwsPage<T>>,
): Promise<T[]> {
  return cache.getOrLoad(syncId, key, async () => {
    const items = await drainPages(fetchPage, cache.progress(syncId, key, newDrainProgress<T>));
    cache.forgetProgress(syncId, key);
    return items;
  });
}

/**
 * One page of a listing streamed to the host, whose next request carries the token back. An empty
 * page that hands back the very token it was given would have the host ask for it forever, so it
 * is asked for again, twice at most, before that is an error. (Nothing documents AWS doing this;
 * a simulator's cut-short pages can.)
 */
export async function advancingPage<P extends { items: unknown[]; next?: string }>(token: string | undefined, fetch: () => Promise<P>): Promise<P> {
  for (let attempt = 1; ; attempt++) {
    const page = await fetch();
    if (page.items.length > 0 || page.next === undefined || page.next !== token) return page;
    if (attempt === 3) throw new Error("AWS keeps answering an empty page with the page token it was given; refusing to loop");
  }
}

/** A listing of something deleted since it was listed (a permission set, a user): it has nothing in it any more. */
export async function emptyIfGone<T>(load: () => Promise<T[]>): Promise<T[]> {
  try {
    return await load();
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

/** JSON-protocol services (Identity Store, SSO Admin, Organizations): more pages while NextToken is non-empty. */
export function nextToken(token: string | undefined | null): string | undefined {
  return token ? token : undefined;
}

/**
 * IAM (query protocol): more pages while IsTruncated. A truncated page without a Marker would end
 * the listing early without anyone noticing, so it is an error rather than the end.
 */
export function iamNextMarker(out: { IsTruncated?: boolean; Marker?: string }, operation: string): string | undefined {
  if (out.Marker) return out.Marker;
  if (out.IsTruncated) throw new Error(`iam:${operation} answered IsTruncated without a Marker; the listing cannot continue`);
  return undefined;
}

// --- Our own page states (they travel inside HMAC-checked tokens, so a bad one is a bug or a stale token).

export function badState(what: string): ConnectError {
  return new ConnectError(`invalid page token: ${what}`, Code.InvalidArgument);
}

/** A non-negative integer field of the state (0 when the state is absent). */
export function stateOffset(state: PageState | undefined, field = "o"): number {
  const value = state?.[field];
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw badState(`${field} is not an offset`);
  return value;
}

/** An optional string field of the state (an AWS token carried between pages). */
export function stateToken(state: PageState | undefined, field = "t"): string | undefined {
  const value = state?.[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value === "") throw badState(`${field} is not a token`);
  return value;
}

/** One page of an in-memory list (a cached snapshot): `{o: offset}` states, `size` items per page. */
export function offsetPage<T, R>(items: readonly T[], state: PageState | undefined, size: number, map: (item: T) => R): Page<R> {
  const offset = stateOffset(state);
  if (offset > items.length) throw badState("offset past the end of the listing");
  const end = Math.min(offset + size, items.length);
  const page: Page<R> = { items: items.slice(offset, end).map(map) };
  if (end < items.length) page.next = { o: end };
  return page;
}

/** A page streamed from one AWS page: `{t: token}` states. */
export function tokenPage<R>(items: R[], next: string | undefined): Page<R> {
  return next === undefined ? { items } : { items, next: { t: next } };
}

/** Our page size for lists we serve from memory; baton's request limit, so hosts see familiar pages. */
export const MEMORY_PAGE_SIZE = 250;
