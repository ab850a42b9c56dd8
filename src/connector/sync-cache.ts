/**
 * Per-sync memo of AWS results, keyed by baton's active_sync_id, so that within one sync no AWS
 * call is repeated (the per-resource ListEntitlements/ListGrants calls of a baton host would
 * otherwise re-read the same pages). Bounded: only the most recent syncs are kept, and Cleanup
 * drops a sync's entries. Calls without a sync id are not cached.
 *
 * PLACEHOLDER: to be completed by the resource-sync work (issue #4).
 */
export class SyncCache {
  readonly #syncs = new Map<string, Map<string, Promise<unknown>>>();

  constructor(private readonly maxSyncs = 2) {}

  /** The loader's result for (syncId, key), loading it at most once per sync. */
  getOrLoad<T>(syncId: string, key: string, load: () => Promise<T>): Promise<T> {
    if (syncId === "") return load();
    let entries = this.#syncs.get(syncId);
    if (!entries) {
      entries = new Map();
      this.#syncs.set(syncId, entries);
      while (this.#syncs.size > this.maxSyncs) this.#syncs.delete(this.#syncs.keys().next().value as string);
    }
    let pending = entries.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = load();
      entries.set(key, pending);
      // Failures are not remembered: a retry of the call must reach AWS again.
      pending.catch(() => entries!.delete(key));
    }
    return pending;
  }

  drop(syncId: string): void {
    this.#syncs.delete(syncId);
  }
}
