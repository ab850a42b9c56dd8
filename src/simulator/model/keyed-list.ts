/**
 * An insertion-ordered collection with O(1) lookup by key and O(1) positional access, which is
 * what offset-based pagination over a large, mostly-append collection needs. Deleting is O(n)
 * in the size of this one list; writes are rare next to reads, and the lists that see deletes
 * (one group's members, one user's groups) are small.
 */
export class KeyedList<T> implements Iterable<T> {
  readonly #items: T[] = [];
  readonly #byKey = new Map<string, T>();

  constructor(private readonly keyOf: (item: T) => string) {}

  get length(): number {
    return this.#items.length;
  }

  get(key: string): T | undefined {
    return this.#byKey.get(key);
  }

  has(key: string): boolean {
    return this.#byKey.has(key);
  }

  /** Appends the item; returns false (and changes nothing) when its key is already present. */
  add(item: T): boolean {
    const key = this.keyOf(item);
    if (this.#byKey.has(key)) return false;
    this.#byKey.set(key, item);
    this.#items.push(item);
    return true;
  }

  /** Puts `item` in the place of the item with the same key; false (no change) when there is none. */
  replace(item: T): boolean {
    const key = this.keyOf(item);
    const old = this.#byKey.get(key);
    if (old === undefined) return false;
    this.#byKey.set(key, item);
    this.#items[this.#items.indexOf(old)] = item;
    return true;
  }

  delete(key: string): T | undefined {
    const item = this.#byKey.get(key);
    if (item === undefined) return undefined;
    this.#byKey.delete(key);
    this.#items.splice(this.#items.indexOf(item), 1);
    return item;
  }

  at(index: number): T | undefined {
    return this.#items[index];
  }

  slice(start: number, end?: number): T[] {
    return this.#items.slice(start, end);
  }

  values(): IterableIterator<T> {
    return this.#items.values();
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.#items.values();
  }

  toArray(): T[] {
    return [...this.#items];
  }
}

/** A read-only ordered view that pagination can slice without copying the whole collection. */
export interface Sequence<T> {
  readonly length: number;
  slice(start: number, end?: number): T[];
}

/** Several sequences read back to back, e.g. users then groups then roles for one listing. */
export function concatSequences<T>(parts: ReadonlyArray<Sequence<T>>): Sequence<T> {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  return {
    length,
    slice(start, end = length) {
      const out: T[] = [];
      let offset = 0;
      for (const part of parts) {
        const from = Math.max(start - offset, 0);
        const to = Math.min(end - offset, part.length);
        if (from < to) out.push(...part.slice(from, to));
        offset += part.length;
        if (offset >= end) break;
      }
      return out;
    },
  };
}

/** Adapts a lazily built array (filtering or joining done per request) to a Sequence. */
export function sequenceOf<T>(items: readonly T[]): Sequence<T> {
  return { length: items.length, slice: (start, end) => items.slice(start, end) };
}

/** A sequence whose items are transformed only when sliced (no per-request copy of the whole). */
export function mapSequence<T, U>(source: Sequence<T>, map: (item: T) => U): Sequence<U> {
  return { length: source.length, slice: (start, end) => source.slice(start, end).map(map) };
}
