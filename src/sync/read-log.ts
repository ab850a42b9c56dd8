import { resourceExternalId } from "../c1z/rows.js";

/**
 * A sync's read log: for each of its listings, the AWS reads behind it (keys from the connector's
 * read ledger, src/aws/read-replay.ts) and, for resource listings, the resources it produced; and
 * the responses of those reads. Kept in the .c1z with the sync (v1_connector_sessions, baton's
 * per-sync connector state), it is what lets a later incremental sync re-run only the listings
 * whose reads CloudTrail says changed, and replay every other read.
 *
 * The engine needs no AWS knowledge for this: it only asks a tracker (the connector's read
 * ledger) which keys each listing call read.
 */
export type ListingKind = "resources" | "entitlements" | "grants";

/** One listing of a sync: a resource type (under a parent) for "resources", one resource for the others. */
export interface ListingRef {
  kind: ListingKind;
  /** The listed resource type ("resources") or the resource's type. */
  type: string;
  /** The resource ("entitlements", "grants"); "" for "resources". */
  id: string;
  /** Parent of a "resources" listing ("" at top level). */
  parentType: string;
  parentId: string;
}

/** Runs a connector call in a read scope; implemented by the connector's read ledger. */
export interface ReadTracker {
  track<T>(fn: () => Promise<T>): Promise<{ value: T; reads: Set<string> }>;
}

export interface ListingEntry {
  ref: ListingRef;
  reads: Set<string>;
  /** External ids of the resources a "resources" listing returned. */
  produced?: Set<string>;
}

/** The persisted form: read keys interned, listings referring to them by index. */
export interface ReadLogJson {
  version: 1;
  keys: string[];
  listings: Array<{ l: ListingRef; r: number[]; p?: string[] }>;
}

export const listingKey = (ref: ListingRef) => `${ref.kind}\u0000${ref.type}\u0000${ref.id}\u0000${ref.parentType}\u0000${ref.parentId}`;

export const resourcesListing = (type: string, parentType = "", parentId = ""): ListingRef => ({ kind: "resources", type, id: "", parentType, parentId });
export const accessListing = (kind: "entitlements" | "grants", type: string, id: string): ListingRef => ({ kind, type, id, parentType: "", parentId: "" });

/** The listings of one sync, with their reads; merged page by page as the listings run. */
export class ReadLog {
  readonly #entries = new Map<string, ListingEntry>();

  add(ref: ListingRef, reads: Iterable<string>, produced?: Iterable<string>): void {
    const key = listingKey(ref);
    let entry = this.#entries.get(key);
    if (!entry) this.#entries.set(key, (entry = { ref, reads: new Set() }));
    for (const read of reads) entry.reads.add(read);
    if (produced) {
      entry.produced ??= new Set();
      for (const id of produced) entry.produced.add(id);
    }
  }

  /** Starts a listing over (it is being re-run): what it read and produced before no longer counts. */
  reset(ref: ListingRef): void {
    this.#entries.delete(listingKey(ref));
  }

  get(ref: ListingRef): ListingEntry | undefined {
    return this.#entries.get(listingKey(ref));
  }

  entries(): IterableIterator<ListingEntry> {
    return this.#entries.values();
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Every read key some listing depends on. */
  keys(): Set<string> {
    const out = new Set<string>();
    for (const entry of this.#entries.values()) for (const key of entry.reads) out.add(key);
    return out;
  }

  toJson(): ReadLogJson {
    const index = new Map<string, number>();
    const keys: string[] = [];
    const intern = (key: string) => {
      let i = index.get(key);
      if (i === undefined) {
        i = keys.length;
        keys.push(key);
        index.set(key, i);
      }
      return i;
    };
    const listings = [...this.#entries.values()].map((e) => ({
      l: e.ref,
      r: [...e.reads].map(intern),
      ...(e.produced ? { p: [...e.produced] } : {}),
    }));
    return { version: 1, keys, listings };
  }

  static fromJson(json: ReadLogJson): ReadLog {
    const log = new ReadLog();
    for (const listing of json.listings) log.add(listing.l, listing.r.map((i) => json.keys[i]!), listing.p);
    return log;
  }
}

/** Records which reads each listing call made (and, for resource listings, what it produced). */
export class ReadRecorder {
  /** `log`: where to record (an incremental sync records into the log it continues). */
  constructor(
    private readonly tracker: ReadTracker,
    readonly log = new ReadLog(),
  ) {}

  async listing<T>(ref: ListingRef, call: () => Promise<T>, produced?: (value: T) => Iterable<string>): Promise<T> {
    const { value, reads } = await this.tracker.track(call);
    this.log.add(ref, reads, produced?.(value));
    return value;
  }
}

export const externalIdOf = (r: { id?: { resourceType: string; resource: string } }) => resourceExternalId(r.id!.resourceType, r.id!.resource);
