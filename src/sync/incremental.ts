import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import pLimit from "p-limit";
import { fileSize } from "../c1z/container.js";
import { RowEncoder, resourceExternalId } from "../c1z/rows.js";
import { parseSyncStats } from "../c1z/stats.js";
import { defaultSync, newSyncId, type SyncRun } from "../c1z/sync-runs.js";
import { ResourceSchema, type Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { silentLogger } from "../log.js";
import { matchesRead, parseKey, type Baseline, type ChangeBatch, type ChangeTracking, type ParsedReadKey, type ReadPattern, type ResourceRef } from "./changes.js";
import { Checkpointer, DEFAULT_CHECKPOINT_POLICY, isInterruptedIncremental, newToken, parseToken, type SyncToken } from "./checkpoint.js";
import { acceptedResource, callConnector, describeError, nextPageToken, isWarningError, newSyncContext, SyncError, warn, warnIfTooLargeForBaton, type SyncContext } from "./context.js";
import { DEFAULT_WORKERS, runSync, type SyncOptions, type SyncResult } from "./engine.js";
import { accessListing, externalIdOf, listingKey, ReadLog, ReadRecorder, resourcesListing, type ListingRef } from "./read-log.js";
import { DEFAULT_RETRY_POLICY, withRetry } from "./retry.js";
import { childTypeIds, keptEntitlements, keptGrants, skipsEntitlements, skipsGrants } from "./rules.js";
import { loadTypes } from "./resources-phase.js";
import { ListingScheduler } from "./scheduler.js";
import { WorkingStore } from "./store.js";

/**
 * `connector sync --incremental`: the previous sync with only what changed since read again.
 *
 * 1. The file's latest full sync must carry a read log (read-log.ts) and a change cursor, made with
 *    the same connector configuration, recent enough for the change source (CloudTrail keeps 90
 *    days); otherwise a full sync runs, and the result says why.
 * 2. The previous sync's rows become the new sync's (incremental-store.ts) — on the store's thread,
 *    while the changes since the cursor are read and mapped (changes.ts): reads they invalidate,
 *    resources they name. A change that cannot be followed falls back to a full sync.
 * 3. Only the listings that depend on an invalidated read run again, plus the entitlement and
 *    grant listings of resources that are new or changed; named resources are read by id. Every
 *    other read is answered from the previous sync's responses, so listings whose other inputs
 *    are shared (the permission-set catalogue…) cost no AWS call.
 * 4. Grant expansion is redone for the entitlements the changes reach; the sync is sealed with the
 *    previous counts plus the changes, and published.
 *
 * The result is a complete sync: every reader sees a full, current sync.
 */
export interface IncrementalSyncOptions extends SyncOptions {
  changes: ChangeTracking;
}

export interface IncrementalInfo {
  /** The sync this one continued (it is superseded: its rows are this sync's now). */
  baseSyncId: string;
  /** Change events read, and those new since the previous sync. */
  events: number;
  applied: number;
  /** Calls made to read the changes (CloudTrail pages). */
  changeCalls: number;
  resourcesRead: number;
  listingsRun: number;
  resourcesDeleted: number;
  /** AWS reads answered from the previous sync's responses. */
  readsReplayed: number;
  expansionDestinations: number;
}

export interface IncrementalSyncResult extends SyncResult {
  /** Set when an incremental sync ran. */
  incremental?: IncrementalInfo;
  /** Why a full sync ran instead (undefined when the incremental one did). */
  fallback?: string;
}

/** A change the incremental sync cannot follow once it has started: it becomes a full sync. */
class FallBack extends Error {}

export async function runIncrementalSync(options: IncrementalSyncOptions): Promise<IncrementalSyncResult> {
  const log = options.log ?? silentLogger;
  const full = async (reason: string): Promise<IncrementalSyncResult> => {
    log.info({ reason }, "running a full sync instead of an incremental one");
    options.observer?.warning?.(`full sync instead of incremental: ${reason}`);
    return { ...(await runSync(options)), fallback: reason };
  };
  if (!(await fileSize(options.target))) return full(`${options.target} holds no earlier sync`);

  const started = performance.now();
  const store = await WorkingStore.start({ thread: options.writerThread ?? true });
  let published = false;
  let fallback: string | undefined;
  try {
    // The file's latest full sync becomes the new one while the working database is made from the
    // file (store-core.ts open, `advance`): its rows are relabelled once, with no journal to keep.
    const run = { syncId: newSyncId(), startedAtMs: Date.now(), token: { ...newToken(), phase: "incremental" } as SyncToken };
    const advance = { syncId: run.syncId, startedAtMs: run.startedAtMs, syncToken: JSON.stringify(run.token), fingerprint: options.changes.fingerprint };
    let opened = await store.call("open", options.target, { advance });
    if (!opened.created) {
      // What an interrupted incremental sync left is thrown away; anything else is the full sync's to finish.
      if (!opened.runs.some(isInterruptedIncremental)) {
        fallback = "an interrupted sync of this file is still to be finished";
        return await closeThen(store, () => full(fallback!));
      }
      await store.call("discard");
      opened = await store.call("open", options.target, { advance });
    }
    const base = opened.advancedFrom;
    const baseToken = base ? parseToken(base.syncToken) : undefined;
    if (!base || !baseToken?.changes) {
      const latest = defaultSync(opened.runs);
      const reason =
        !latest || !latest.endedAt ? "the file has no finished full sync" : (whyNotIncremental(latest, parseToken(latest.syncToken), options.changes) ?? "its latest sync cannot be continued");
      fallback = reason;
      await store.call("discard");
      return await closeThen(store, () => full(reason));
    }
    try {
      const result = await incremental(options, store, base, baseToken, run, started);
      published = true;
      return result;
    } catch (error) {
      if (!(error instanceof FallBack)) throw error;
      fallback = error.message;
      await store.call("rollback").catch(() => undefined);
      await store.call("discard");
      return await closeThen(store, () => full(fallback!));
    }
  } catch (error) {
    throw store.failure ?? error;
  } finally {
    if (!published && !fallback) {
      await store.call("rollback").catch(() => undefined);
      // A failed incremental sync leaves nothing behind: the next one starts over from the file.
      await store.call("discard").catch(() => undefined);
    }
    options.changes.responses.replayFrom(undefined);
    await store.shutdown();
  }
}

async function closeThen<T>(store: WorkingStore, next: () => Promise<T>): Promise<T> {
  await store.call("close").catch(() => undefined);
  await store.shutdown();
  return next();
}

/** Why the file's latest sync cannot be continued incrementally (undefined: it can). */
function whyNotIncremental(base: SyncRun, token: SyncToken | undefined, changes: ChangeTracking): string | undefined {
  if (!token) return `its latest sync (${base.syncId}) was not written by this connector`;
  if (!token.changes) return `its latest sync (${base.syncId}) has no read log (it was resumed after an interruption, or made over --connector-address)`;
  if (token.changes.fingerprint !== changes.fingerprint) return "the connector's configuration changed since the latest sync (features, Regions or roles)";
  return undefined;
}

async function incremental(
  options: IncrementalSyncOptions,
  store: WorkingStore,
  base: SyncRun,
  baseToken: SyncToken,
  run: { syncId: string; token: SyncToken },
  started: number,
): Promise<IncrementalSyncResult> {
  const { changes, api } = options;
  const { syncId, token } = run;
  const observer = options.observer ?? {};
  // The previous sync's session rows (its read log and responses) are this sync's now.
  const stored = await store.call("readLog", syncId);
  if (!stored.log) throw new FallBack(`its latest sync (${base.syncId}) has no read log`);
  const baseLog = ReadLog.fromJson(JSON.parse(stored.log));
  observer.phase?.("incremental", {});

  const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const validation = await withRetry(() => api.connector.validate({}, { signal: options.signal }), { policy: retry, signal: options.signal }).catch((error: unknown) => {
    throw new SyncError(`the connector failed validation: ${describeError(error)}`);
  });
  const baseline: Baseline = {
    grantsOfPrincipal: (type, id) => store.call("incGrantsOfPrincipal", type, id),
    grant: (id) => store.call("incGrant", id),
    readScopes: () => new Set([...baseLog.keys()].map((key) => key.split(" ", 2)[1]!)),
  };
  const batch = await changes.read(baseToken.changes!.cursor, baseline, options.signal);
  if (batch.fallback) throw new FallBack(batch.fallback);

  // Which earlier reads still hold, and which listings depend on one that does not.
  const responses = new Map(stored.responses);
  const parsed = new Map<string, ParsedReadKey>();
  const parse = (key: string) => parsed.get(key) ?? parsed.set(key, parseKey(key)).get(key)!;
  const matchesAny = (key: string, patterns: readonly ReadPattern[]) => patterns.some((p) => matchesRead(parse(key), p));
  const invalid = new Set<string>();
  for (const key of new Set([...baseLog.keys(), ...responses.keys()])) {
    if (matchesAny(key, batch.invalidate)) invalid.add(key);
    else if (matchesAny(key, batch.stale)) responses.delete(key);
  }
  for (const key of invalid) responses.delete(key);
  changes.responses.replayFrom({ get: (key) => responses.get(key) });
  changes.responses.clearRecorded();

  const scheduler = new ListingScheduler({ concurrency: 1, signal: options.signal });
  try {
    const ctx = newSyncContext({
      api,
      store,
      scheduler,
      syncId,
      sdkVersion: validation.sdkVersion,
      checkpoint: new Checkpointer(store, token, DEFAULT_CHECKPOINT_POLICY),
      token,
      workers: options.workers ?? DEFAULT_WORKERS,
      retry,
      observer,
      signal: options.signal,
      reads: new ReadRecorder(changes.tracker, baseLog),
    });
    for (const warning of batch.warnings) warn(ctx, warning);
    await loadTypes(ctx);
    const work = new Rework(ctx);
    await work.run(batch, invalid);

    const expansion = (options.expandGrants ?? true) ? await store.call("incReexpand", [...work.seeds]) : { destinations: 0, created: 0 };
    token.expanded_grants = expansion.created;
    observer.phase?.("finalize", {});
    const baseStats = parseSyncStats(base.stats);
    if (!baseStats) throw new FallBack(`its latest sync (${base.syncId}) has no stats`);
    const counts = await store.call("incStats", baseStats);
    // The new sync keeps every earlier response still valid, and the new ones.
    const kept = new Map(responses);
    for (const [key, value] of changes.responses.takeRecorded()) kept.set(key, value);
    const logJson = work.log.toJson();
    const needed = new Set(logJson.keys);
    store.send("putReadLog", JSON.stringify(logJson), [...kept].filter(([key]) => needed.has(key)));
    token.phase = "done";
    token.changes = { fingerprint: changes.fingerprint, cursor: batch.cursor, via: "incremental" };
    token.step_durations_ms.incremental = Math.round(performance.now() - started);
    const stats = await store.call("finalize", { endedAtMs: Date.now(), keep: options.keepSyncs ?? 2, token, counts });
    await api.connector.cleanup({ activeSyncId: ctx.activeSyncId }).catch(() => undefined);
    const fileBytes = await store.call("publish", options.compressionLevel);
    await warnIfTooLargeForBaton(ctx, options.target);
    observer.phase?.("done", {});
    return {
      path: options.target,
      syncId,
      resumed: false,
      publishedOnly: false,
      stats,
      expandedGrants: expansion.created,
      warnings: token.warnings,
      warningCount: token.warning_count,
      dropped: token.dropped,
      retries: token.retries,
      checkpoints: 0,
      connectorCalls: token.connector_call_stats,
      durationMs: Math.round(performance.now() - started),
      fileBytes,
      incremental: {
        baseSyncId: base.syncId,
        events: batch.events,
        applied: batch.applied,
        changeCalls: batch.calls,
        resourcesRead: work.resourcesRead,
        listingsRun: work.listingsRun,
        resourcesDeleted: work.resourcesDeleted,
        readsReplayed: changes.responses.replayed,
        expansionDestinations: expansion.destinations,
      },
    };
  } finally {
    scheduler.close();
  }
}

type Stored = Resource & { id: NonNullable<Resource["id"]> };

/** The listings and lookups an incremental sync runs again, and what they replace. */
class Rework {
  /** The new sync's read log: the previous one, with what ran again replaced. */
  readonly log: ReadLog;
  /** Entitlements whose grants (or own bytes) changed: grant expansion starts from them. */
  readonly seeds = new Set<string>();
  resourcesRead = 0;
  listingsRun = 0;
  resourcesDeleted = 0;
  readonly #rows = new RowEncoder();
  readonly #access = new Map<string, ListingRef>();
  readonly #limit: ReturnType<typeof pLimit>;

  constructor(private readonly ctx: SyncContext) {
    this.log = ctx.reads!.log;
    this.#limit = pLimit(Math.max(1, ctx.workers));
  }

  async run(batch: ChangeBatch, invalid: ReadonlySet<string>): Promise<void> {
    const affected = [...this.log.entries()].filter((e) => [...e.reads].some((key) => invalid.has(key))).map((e) => e.ref);
    // Resources first (their listings, then those named by id), so entitlement and grant listings see them as stored.
    let resourceListings = affected.filter((ref) => ref.kind === "resources" && ref.id === "");
    while (resourceListings.length > 0) {
      const children = (await Promise.all(resourceListings.map((ref) => this.#limit(() => this.#resources(ref))))).flat();
      resourceListings = children;
    }
    // Resources read by id: those the changes name, and those read so before whose reads changed.
    const byId = new Map(batch.resources.map((r) => [`${r.type}:${r.id}`, r]));
    for (const ref of affected) if (ref.kind === "resources" && ref.id !== "") byId.set(`${ref.type}:${ref.id}`, { type: ref.type, id: ref.id, parentType: ref.parentType || undefined, parentId: ref.parentId || undefined });
    const childListings = (await Promise.all([...byId.values()].map((ref) => this.#limit(() => this.#byId(ref))))).flat();
    for (let next = childListings; next.length > 0; ) next = (await Promise.all(next.map((ref) => this.#limit(() => this.#resources(ref))))).flat();
    for (const ref of affected) if (ref.kind !== "resources") this.#queueAccess(ref.kind, ref.type, ref.id);
    await Promise.all([...this.#access.values()].map((ref) => this.#limit(() => this.#accessListing(ref))));
  }

  #queueAccess(kind: "entitlements" | "grants", type: string, id: string): void {
    const ref = accessListing(kind, type, id);
    this.#access.set(`${kind} ${type}:${id}`, ref);
  }

  /** A resource that is new or changed: its entitlements and grants are listed again (they embed it). */
  #touched(resource: Stored, change: "new" | "changed" | "same"): ListingRef[] {
    if (change === "same") return [];
    const type = this.ctx.types.get(resource.id.resourceType);
    this.#queueAccess("entitlements", resource.id.resourceType, resource.id.resource);
    this.#queueAccess("grants", resource.id.resourceType, resource.id.resource);
    if (skipsEntitlements(resource, type) && skipsGrants(resource, type) && change !== "new") return [];
    // A new resource's child types are listed under it (an existing one's child listings are already known).
    return change === "new" ? childTypeIds(resource).map((child) => resourcesListing(child, resource.id.resourceType, resource.id.resource)) : [];
  }

  /** Runs a resource listing again; returns the child listings of resources it found new. */
  async #resources(ref: ListingRef): Promise<ListingRef[]> {
    const ctx = this.ctx;
    const before = new Set(this.log.get(ref)?.produced ?? []);
    this.log.reset(ref);
    this.listingsRun++;
    const found: Stored[] = [];
    const parentResourceId = ref.parentType ? { resourceType: ref.parentType, resource: ref.parentId } : undefined;
    let pageToken = "";
    try {
      do {
        const res = await ctx.reads!.listing(
          ref,
          () => callConnector(ctx, "list-resources", (s) => ctx.api.resources.listResources({ resourceTypeId: ref.type, parentResourceId, pageToken, activeSyncId: ctx.activeSyncId }, { signal: s })),
          (page) => page.list.filter((r) => r.id).map(externalIdOf),
        );
        for (const resource of res.list) if (this.#valid(resource)) found.push(resource);
        pageToken = nextPageToken(pageToken, res.nextPageToken, `ListResources ${ref.type}`);
      } while (pageToken !== "");
    } catch (error) {
      if (!isWarningError(error)) throw error;
      warn(ctx, `ListResources ${ref.type} skipped: ${describeError(error)}`);
    }
    this.log.add(ref, [], []);
    const children: ListingRef[] = [];
    if (found.length > 0) {
      const changes = await ctx.store.call("incUpsertResources", this.#rows.resources(found));
      found.forEach((resource, i) => children.push(...this.#touched(resource, changes[i]!)));
    }
    const now = new Set(found.map(externalIdOf));
    const producedElsewhere = this.#producedByOthers(ref);
    for (const gone of before) {
      if (now.has(gone) || producedElsewhere.has(gone)) continue;
      const colon = gone.indexOf(":");
      await this.#delete(gone.slice(0, colon), gone.slice(colon + 1));
    }
    return children;
  }

  /**
   * Reads a resource by id: stored if it exists, deleted if it does not. The lookup is a listing of
   * its own (a resources listing with the resource's id): its reads are its own, so a later change
   * to one of them reads this resource again, not its whole type.
   */
  async #byId(ref: ResourceRef): Promise<ListingRef[]> {
    const ctx = this.ctx;
    if (!ctx.types.has(ref.type)) return [];
    this.resourcesRead++;
    const parentResourceId = ref.parentType ? { resourceType: ref.parentType, resource: ref.parentId ?? "" } : undefined;
    const lookup: ListingRef = { kind: "resources", type: ref.type, id: ref.id, parentType: ref.parentType ?? "", parentId: ref.parentId ?? "" };
    this.log.reset(lookup);
    let resource: Resource | undefined;
    try {
      const res = await ctx.reads!.listing(lookup, () =>
        callConnector(ctx, "get-resource", (s) => ctx.api.resourceGetter.getResource({ resourceId: { resourceType: ref.type, resource: ref.id }, parentResourceId, activeSyncId: ctx.activeSyncId }, { signal: s })),
      );
      resource = res.resource;
    } catch (error) {
      const code = ConnectError.from(error).code;
      if (code === Code.Unimplemented) throw new FallBack(`the connector cannot read a single ${ref.type} (GetResource)`);
      if (code !== Code.NotFound) throw error;
    }
    const key = resourceExternalId(ref.type, ref.id);
    if (!resource || !this.#valid(resource)) {
      this.log.reset(lookup);
      this.#forgetProduced(key);
      await this.#delete(ref.type, ref.id);
      return [];
    }
    const [change] = await ctx.store.call("incUpsertResources", this.#rows.resources([resource]));
    this.log.add(lookup, [], [key]);
    return this.#touched(resource, change!);
  }

  /** baton's rules for a listed resource: an identity, and the trait its type declares. */
  #valid(resource: Resource): resource is Stored {
    return acceptedResource(this.ctx, resource);
  }

  /** A resource is gone: its rows, its listings, and (recursively) the resources listed under it. */
  async #delete(type: string, id: string): Promise<void> {
    const entitlements = await this.ctx.store.call("incDeleteResource", type, id);
    this.resourcesDeleted++;
    for (const e of entitlements) this.seeds.add(e);
    this.log.reset(accessListing("entitlements", type, id));
    this.log.reset(accessListing("grants", type, id));
    this.#access.delete(`entitlements ${type}:${id}`);
    this.#access.delete(`grants ${type}:${id}`);
    for (const entry of [...this.log.entries()]) {
      const ref = entry.ref;
      if (ref.kind !== "resources" || ref.parentType !== type || ref.parentId !== id) continue;
      this.log.reset(ref);
      for (const child of entry.produced ?? []) {
        if (this.#producedByOthers(ref).has(child)) continue;
        const colon = child.indexOf(":");
        await this.#delete(child.slice(0, colon), child.slice(colon + 1));
      }
    }
  }

  #producedByOthers(ref: ListingRef): Set<string> {
    const out = new Set<string>();
    for (const entry of this.log.entries()) {
      if (entry.ref.kind !== "resources" || listingKey(entry.ref) === listingKey(ref)) continue;
      for (const id of entry.produced ?? []) out.add(id);
    }
    return out;
  }

  #forgetProduced(key: string): void {
    for (const entry of this.log.entries()) entry.produced?.delete(key);
  }

  /** Lists a resource's entitlements or grants again and replaces what the sync held. */
  async #accessListing(ref: ListingRef): Promise<void> {
    const ctx = this.ctx;
    const kind = ref.kind as "entitlements" | "grants";
    const data = await ctx.store.call("incResourceData", ref.type, ref.id);
    this.log.reset(ref);
    if (!data) return;
    const resource = fromBinary(ResourceSchema, data) as Stored;
    const type = ctx.types.get(ref.type);
    const skipped = kind === "entitlements" ? skipsEntitlements(resource, type) : skipsGrants(resource, type);
    this.listingsRun++;
    const items: Array<unknown> = [];
    if (!skipped) {
      let pageToken = "";
      try {
        do {
          const request = { resource, pageToken, activeSyncId: ctx.activeSyncId };
          const res =
            kind === "entitlements"
              ? await ctx.reads!.listing(ref, () => callConnector(ctx, "list-entitlements", (s) => ctx.api.entitlements.listEntitlements(request, { signal: s })))
              : await ctx.reads!.listing(ref, () => callConnector(ctx, "list-grants", (s) => ctx.api.grants.listGrants(request, { signal: s })));
          items.push(...res.list);
          pageToken = nextPageToken(pageToken, res.nextPageToken, kind === "entitlements" ? "ListEntitlements" : "ListGrants");
        } while (pageToken !== "");
      } catch (error) {
        if (!isWarningError(error)) throw error;
        warn(ctx, `${kind === "entitlements" ? "ListEntitlements" : "ListGrants"} for ${resourceExternalId(ref.type, ref.id)} skipped: ${describeError(error)}`);
        items.length = 0;
      }
    }
    if (kind === "entitlements") {
      const kept = keptEntitlements(ctx.types, items as never);
      ctx.token.dropped.entitlements += items.length - kept.length;
      const touched = await ctx.store.call("incReplaceEntitlements", ref.type, ref.id, kept.length > 0 ? this.#rows.entitlements(kept) : undefined);
      for (const e of touched) this.seeds.add(e);
    } else {
      const kept = keptGrants(ctx.types, items as never);
      ctx.token.dropped.grants += items.length - kept.length;
      const touched = await ctx.store.call("incReplaceGrants", ref.type, ref.id, kept.length > 0 ? this.#rows.grants(kept) : undefined);
      for (const e of touched) this.seeds.add(e);
    }
    ctx.token.completed_actions++;
  }
}

