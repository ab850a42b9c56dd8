/**
 * Encode-once caching for list items. Most listed objects (users, groups, roles, memberships,
 * assignments) never change after creation, yet a sync lists them page after page; encoding a
 * 100-item page from scratch dominated the server's CPU. A render function maps an item to its
 * wire object; `cachedFragment` encodes that once per (render function, item) and the encoders
 * splice the text in. Render functions must depend on the item alone (they are cache keys).
 */
export class Fragment {
  constructor(readonly text: string) {}

  /** Fragments are spliced by the encoders; reaching JSON.stringify means one was misplaced. */
  toJSON(): never {
    throw new Error("a pre-encoded fragment must be a top-level list item of a JSON result");
  }
}

export type Render<T> = (item: T) => unknown;

export function createFragmentCache(encode: (value: unknown) => string) {
  const caches = new WeakMap<Render<never>, WeakMap<object, Fragment>>();
  return function cachedFragment<T extends object>(item: T, render: Render<T>): Fragment {
    let cache = caches.get(render as Render<never>);
    if (!cache) {
      cache = new WeakMap();
      caches.set(render as Render<never>, cache);
    }
    let fragment = cache.get(item);
    if (!fragment) {
      fragment = new Fragment(encode(render(item)));
      cache.set(item, fragment);
    }
    return fragment;
  };
}
