import { Interner, type Snapshot } from "./snapshot.js";

/**
 * How a principal came to hold a grant, from the expansion sources baton recorded: a listed grant
 * is direct; a derived one names the entitlement(s) its principal holds that lead to it — a group's
 * `member`, a role's `assignment`, a binding's `assigned` — and the principal's grant of *that*
 * entitlement has its own path, so a role chain unfolds hop by hop. A path is the list of resources
 * passed through (resource-key indexes), nearest the principal first; [] is direct.
 *
 * Path sets repeat across millions of grants (every member of a group reaches the group's
 * assignments the same way), so they are interned: a grant's paths are one index.
 */
export type Path = number[];

/** Paths kept per grant; a principal in many overlapping groups could otherwise multiply them. */
export const MAX_PATHS = 20;
/** baton's expansion depth cap. */
const MAX_DEPTH = 20;
/** Markers among a grant's sources: its own entitlement (held directly), a source grant not found. */
const DIRECT_SOURCE = -2;
const UNRESOLVED = -1;

export class PathFinder {
  /** Interned path sets; index 0 is "direct" ([[]]). */
  readonly sets: Path[][] = [[[]]];
  readonly #setIds = new Interner();
  /** Grants of entitlements that are some grant's source, by (entitlement, principal). */
  readonly #held = new Map<number, number>();
  readonly #memo = new Map<number, number>();
  readonly #byHeld = new Map<number, number>();
  readonly #stride: number;

  constructor(private readonly snapshot: Snapshot) {
    this.#setIds.id("");
    const { grants, sourceLists } = snapshot;
    this.#stride = snapshot.keys.size + 1;
    const isSource = new Uint8Array(snapshot.entitlementIds.size);
    for (const list of sourceLists) for (const e of list) isSource[e] = 1;
    for (let i = 0; i < grants.count; i++) {
      const e = grants.entitlement[i]!;
      if (isSource[e]) this.#held.set(e * this.#stride + grants.principal[i]!, i);
    }
  }

  /** The path set (index into `sets`) of grant `i`. */
  pathSet(i: number): number {
    return this.#pathSet(i, 0, new Set());
  }

  #pathSet(i: number, depth: number, visiting: Set<number>): number {
    const { grants, sourceLists, entitlements, keys } = this.snapshot;
    const list = grants.sources[i]!;
    if (list < 0) return 0;
    const memo = this.#memo.get(i);
    if (memo !== undefined) return memo;
    const own = grants.entitlement[i]!;
    const principal = grants.principal[i]!;
    const sources = sourceLists[list]!;
    visiting.add(i);
    // The common case — one source, e.g. a group's membership — depends only on the source list
    // and the path set of the principal's grant of that source: computed once per such pair.
    const heldSets = sources.map((source) => {
      if (source === own) return DIRECT_SOURCE;
      const held = this.#held.get(source * this.#stride + principal);
      return held === undefined || depth >= MAX_DEPTH || visiting.has(held) ? UNRESOLVED : this.#pathSet(held, depth + 1, visiting);
    });
    visiting.delete(i);
    const cacheKey = sources.length === 1 && heldSets[0]! < 0x1ffff0 ? list * 0x200000 + heldSets[0]! + 2 : undefined;
    let set = cacheKey === undefined ? undefined : this.#byHeld.get(cacheKey);
    if (set === undefined) {
      const out: Path[] = [];
      sources.forEach((source, k) => {
        const held = heldSets[k]!;
        if (held === DIRECT_SOURCE) return out.push([]);
        const via = keys.id(entitlements[source]!.resourceKey);
        if (held === UNRESOLVED) return out.push([via]);
        for (const prefix of this.sets[held]!) out.push([...prefix, via]);
      });
      set = this.intern(out);
      if (cacheKey !== undefined) this.#byHeld.set(cacheKey, set);
    }
    // Only grants other grants pass through are asked for again.
    if (this.#held.get(own * this.#stride + principal) === i) this.#memo.set(i, set);
    return set;
  }

  /** Interns a list of paths (deduplicated, direct first then shortest, at most MAX_PATHS). */
  intern(paths: readonly Path[]): number {
    const unique = new Map<string, Path>();
    for (const path of paths) unique.set(path.join(">"), path);
    const sorted = [...unique.entries()].sort((a, b) => a[1].length - b[1].length || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, MAX_PATHS);
    const id = this.#setIds.id(sorted.map(([key]) => key).join("|"));
    if (id === this.sets.length) this.sets.push(sorted.map(([, path]) => path));
    return id;
  }
}
