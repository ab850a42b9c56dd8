/**
 * Per-sync memo of AWS results, keyed by baton's active_sync_id, so that within one sync no AWS
 * call is repeated: a baton host asks for resources, then entitlements and grants resource by
 * resource, and several of those answers come from the same AWS reads (one IAM snapshot per
 * account serves users, groups, roles and their grants; one permission-set catalog serves every
 * account).
 *
 * Two kinds of entries:
 *  - `getOrLoad`: a value loaded at most once per sync. Concurrent callers share one load; a
 *    failed load is forgotten so the host's retry reaches AWS again.
 *  - `progress`: a mutable record that survives a failed load (e.g. the pages of a listing read
 *    so far), so a retried load resumes where the failed one stopped instead of re-reading pages.
 *
 * Memory bound: entries for at most `maxSyncs` syncs (least recently used evicted first) and
 * Cleanup drops a sync's entries. Within a sync the syncers cache only org-shaped data (accounts,
 * permission sets, provisioned pairs, one compact IAM snapshot per account); Identity Store
 * users, group memberships and account assignments stream through and are never cached.
 * Calls without a sync id are not cached at all.
 *
 * With `reads` (the AWS read ledger, src/aws/read-replay.ts), a load runs in a read scope of its
 * own — kept across failed attempts, which `progress` records resume — and every caller, the one
 * that started it and those served from the cache, is credited with the AWS reads it made: a
 * listing depends on every read behind the answers it used.
 */
export interface ReadScopes {
  run<T>(reads: Set<string>, fn: () => Promise<T>): Promise<T>;
  merge(reads: Iterable<string>): void;
}

export class SyncCache {
  readonly #syncs = new Map<string, Map<string, unknown>>();

  constructor(
    private readonly maxSyncs = 2,
    private readonly reads?: ReadScopes,
  ) {
    if (!(maxSyncs >= 1)) throw new Error("SyncCache needs room for at least one sync");
  }

  /** The loader's result for (syncId, key), loading it at most once per sync. */
  getOrLoad<T>(syncId: string, key: string, load: () => Promise<T>): Promise<T> {
    if (syncId === "") return load();
    const entries = this.#entries(syncId);
    const slot = `load:${key}`;
    let pending = entries.get(slot) as Promise<T> | undefined;
    const reads = this.reads;
    let keys = entries.get(`reads:${key}`) as Set<string> | undefined;
    if (reads && !keys) entries.set(`reads:${key}`, (keys = new Set()));
    if (!pending) {
      pending = reads && keys ? reads.run(keys, load) : load();
      entries.set(slot, pending);
      // Failures are not remembered: a retry of the call must reach AWS again.
      pending.catch(() => {
        if (entries.get(slot) === pending) entries.delete(slot);
      });
    }
    if (!reads || !keys) return pending;
    const credited = keys;
    return pending.then((value) => {
      reads.merge(credited);
      return value;
    });
  }

  /** A mutable record for (syncId, key), created by `init` on first use; kept across failed loads. */
  progress<T extends object>(syncId: string, key: string, init: () => T): T {
    if (syncId === "") return init();
    const entries = this.#entries(syncId);
    const slot = `progress:${key}`;
    let record = entries.get(slot) as T | undefined;
    if (!record) {
      record = init();
      entries.set(slot, record);
    }
    return record;
  }

  /** Forgets a progress record once its load has completed (its data now lives in the loaded value). */
  forgetProgress(syncId: string, key: string): void {
    this.#syncs.get(syncId)?.delete(`progress:${key}`);
  }

  drop(syncId: string): void {
    this.#syncs.delete(syncId);
  }

  /** Number of entries held for a sync (tests and diagnostics). */
  size(syncId: string): number {
    return this.#syncs.get(syncId)?.size ?? 0;
  }

  /** Sync ids currently held, least recently used first. */
  syncIds(): string[] {
    return [...this.#syncs.keys()];
  }

  #entries(syncId: string): Map<string, unknown> {
    let entries = this.#syncs.get(syncId);
    if (entries) {
      // Most recently used last, so a long sync is not evicted by shorter ones started after it.
      this.#syncs.delete(syncId);
    } else {
      entries = new Map();
    }
    this.#syncs.set(syncId, entries);
    while (this.#syncs.size > this.maxSyncs) this.#syncs.delete(this.#syncs.keys().next().value as string);
    return entries;
  }
}
