import { Code, ConnectError } from "@connectrpc/connect";
import { fileSize } from "../c1z/container.js";
import { resourceExternalId, RowEncoder } from "../c1z/rows.js";
import type { SyncStats } from "../c1z/stats.js";
import { defaultSync, newSyncId } from "../c1z/sync-runs.js";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Grant } from "../gen/c1/connector/v2/grant_pb.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import type { ResourceRef } from "./changes.js";
import { Checkpointer, DEFAULT_CHECKPOINT_POLICY, newToken } from "./checkpoint.js";
import { acceptedResource, callConnector, describeError, nextPageToken, isWarningError, newSyncContext, SyncError, warn, warnIfTooLargeForBaton, type SyncContext } from "./context.js";
import { DEFAULT_WORKERS, type SyncOptions, type SyncResult } from "./engine.js";
import { DEFAULT_RETRY_POLICY, withRetry } from "./retry.js";
import { childTypeIds, keptEntitlements, keptGrants, skipsEntitlements, skipsGrants, typeFlags } from "./rules.js";
import { ListingScheduler } from "./scheduler.js";
import { WorkingStore } from "./store.js";

/**
 * `connector sync --sync-resources TYPE:ID,…`: a targeted sync, recorded as baton records one — a
 * new `partial` sync whose parent is the file's latest full sync, holding the resource types, each
 * target as GetResource returns it, the resources listed under it (its child types), its
 * entitlements and grants, and the resources those grants' entitlements belong to when they are
 * not there yet. As in baton's syncer, a partial sync gets no grant expansion (it lacks the other
 * resources' grants). baton's reader shows the latest full sync by default; a platform merges
 * partial syncs onto their parent.
 */
export interface TargetedSyncOptions extends Omit<SyncOptions, "changes"> {
  resources: readonly ResourceRef[];
}

export interface TargetedSyncResult extends SyncResult {
  parentSyncId: string;
  /** Targets the connector no longer has (GetResource: NotFound). */
  missing: string[];
}

type Stored = Resource & { id: NonNullable<Resource["id"]> };

export async function runTargetedSync(options: TargetedSyncOptions): Promise<TargetedSyncResult> {
  const started = performance.now();
  if (options.resources.length === 0) throw new SyncError("a targeted sync needs at least one resource");
  const store = await WorkingStore.start({ thread: options.writerThread ?? false });
  const scheduler = new ListingScheduler({ concurrency: 1, signal: options.signal });
  let published = false;
  try {
    const existed = ((await fileSize(options.target)) ?? 0) > 0;
    const { created, runs } = await store.call("open", options.target);
    if (!created) throw new SyncError(`an interrupted sync of ${options.target} is still to be finished: run a full sync first`);
    const parent = existed ? defaultSync(runs) : undefined;
    const parentSyncId = parent?.endedAt && parent.syncType === "full" ? parent.syncId : "";
    const syncId = newSyncId();
    const token = newToken();
    await store.call("startRun", { syncId, startedAtMs: Date.now(), syncToken: JSON.stringify(token), syncType: "partial", parentSyncId });
    store.send("useSync", syncId);
    store.send("begin");
    const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const validation = await withRetry(() => options.api.connector.validate({}, { signal: options.signal }), { policy: retry, signal: options.signal }).catch((error: unknown) => {
      throw new SyncError(`the connector failed validation: ${describeError(error)}`);
    });
    const ctx = newSyncContext({
      api: options.api,
      store,
      scheduler,
      syncId,
      sdkVersion: validation.sdkVersion,
      checkpoint: new Checkpointer(store, token, DEFAULT_CHECKPOINT_POLICY),
      token,
      workers: options.workers ?? DEFAULT_WORKERS,
      retry,
      observer: options.observer ?? {},
      signal: options.signal,
    });
    const writer = new PartialWriter(ctx);
    await writer.resourceTypes();
    const missing: string[] = [];
    for (const target of options.resources) {
      const parentRef = target.parentType ? target : parentSyncId ? await store.call("storedParent", parentSyncId, resourceExternalId(target.type, target.id)) : undefined;
      const resource = await writer.getResource(target.type, target.id, parentRef?.parentType ? { resourceType: parentRef.parentType, resource: parentRef.parentId ?? "" } : undefined);
      if (!resource) {
        missing.push(resourceExternalId(target.type, target.id));
        continue;
      }
      await writer.target(resource);
    }
    const stats = await store.call("finalize", { endedAtMs: Date.now(), keep: options.keepSyncs ?? 2, token: { ...token, phase: "done" }, counts: writer.counts() });
    await options.api.connector.cleanup({ activeSyncId: ctx.activeSyncId }).catch(() => undefined);
    const fileBytes = await store.call("publish", options.compressionLevel);
    published = true;
    await warnIfTooLargeForBaton(ctx, options.target);
    return {
      path: options.target,
      syncId,
      parentSyncId,
      missing,
      resumed: false,
      publishedOnly: false,
      stats,
      expandedGrants: 0,
      warnings: token.warnings,
      warningCount: token.warning_count,
      dropped: token.dropped,
      retries: token.retries,
      checkpoints: 0,
      connectorCalls: token.connector_call_stats,
      durationMs: Math.round(performance.now() - started),
      fileBytes,
    };
  } catch (error) {
    throw store.failure ?? error;
  } finally {
    scheduler.close();
    if (!published) {
      await store.call("rollback").catch(() => undefined);
      // Nothing of a failed targeted sync is kept: the file is as it was.
      await store.call("discard").catch(() => undefined);
    }
    await store.shutdown();
  }
}

/** What a partial sync writes, with its counts (for its stats). */
class PartialWriter {
  readonly #rows = new RowEncoder();
  readonly #resources = new Map<string, string>();
  readonly #entitlements = new Map<string, string>();
  readonly #grants = new Map<string, string>();
  #resourceTypes = 0;

  constructor(private readonly ctx: SyncContext) {}

  async resourceTypes(): Promise<void> {
    const ctx = this.ctx;
    let pageToken = "";
    do {
      const res = await callConnector(ctx, "list-resource-types", (signal) => ctx.api.resourceTypes.listResourceTypes({ pageToken, activeSyncId: ctx.activeSyncId }, { signal }));
      const valid = res.list.filter((rt) => rt.id !== "");
      ctx.store.send("putResourceTypes", valid);
      for (const rt of valid) ctx.types.set(rt.id, typeFlags(rt));
      pageToken = nextPageToken(pageToken, res.nextPageToken, "ListResourceTypes");
    } while (pageToken !== "");
    this.#resourceTypes = ctx.types.size;
  }

  async getResource(type: string, id: string, parent: { resourceType: string; resource: string } | undefined): Promise<Stored | undefined> {
    const ctx = this.ctx;
    if (!ctx.types.has(type)) throw new SyncError(`unknown resource type "${type}" (the connector's types: ${[...ctx.types.keys()].join(", ")})`);
    try {
      const res = await callConnector(ctx, "get-resource", (signal) =>
        ctx.api.resourceGetter.getResource({ resourceId: { resourceType: type, resource: id }, parentResourceId: parent, activeSyncId: ctx.activeSyncId }, { signal }),
      );
      return res.resource && this.#valid(res.resource) ? res.resource : undefined;
    } catch (error) {
      const code = ConnectError.from(error).code;
      if (code === Code.NotFound) return undefined;
      if (code === Code.Unimplemented) throw new SyncError(`the connector cannot read a single ${type} (GetResource is not implemented for it)`);
      throw error;
    }
  }

  /** The target, the resources listed under it, its entitlements and grants. */
  async target(resource: Stored): Promise<void> {
    const ctx = this.ctx;
    this.#putResources([resource]);
    for (const child of childTypeIds(resource)) {
      await this.#pages(`ListResources ${child} under ${resourceExternalId(resource.id.resourceType, resource.id.resource)}`, async (pageToken, signal) => {
        const res = await ctx.api.resources.listResources({ resourceTypeId: child, parentResourceId: resource.id, pageToken, activeSyncId: ctx.activeSyncId }, { signal });
        this.#putResources(res.list.filter((r): r is Stored => this.#valid(r)));
        return res.nextPageToken;
      });
    }
    const type = ctx.types.get(resource.id.resourceType);
    const where = resourceExternalId(resource.id.resourceType, resource.id.resource);
    if (!skipsEntitlements(resource, type)) {
      await this.#pages(`ListEntitlements for ${where}`, async (pageToken, signal) => {
        const res = await ctx.api.entitlements.listEntitlements({ resource, pageToken, activeSyncId: ctx.activeSyncId }, { signal });
        this.#putEntitlements(keptEntitlements(ctx.types, res.list));
        return res.nextPageToken;
      });
    }
    if (!skipsGrants(resource, type)) {
      await this.#pages(`ListGrants for ${where}`, async (pageToken, signal) => {
        const res = await ctx.api.grants.listGrants({ resource, pageToken, activeSyncId: ctx.activeSyncId }, { signal });
        const grants = keptGrants(ctx.types, res.list);
        // baton fetches the resources of the grants' entitlements that the partial sync lacks.
        for (const grant of grants) {
          const owner = grant.entitlement!.resource as Stored;
          if (this.#resources.has(resourceExternalId(owner.id.resourceType, owner.id.resource))) continue;
          const fetched = await this.getResource(owner.id.resourceType, owner.id.resource, owner.parentResourceId);
          if (fetched) this.#putResources([fetched]);
        }
        this.#putGrants(grants);
        return res.nextPageToken;
      });
    }
  }

  /** Every page of one listing, with baton's retries; NotFound skips it with a warning. */
  async #pages(what: string, page: (token: string, signal: AbortSignal | undefined) => Promise<string>): Promise<void> {
    let token = "";
    try {
      do token = nextPageToken(token, await callConnector(this.ctx, "targeted", (signal) => page(token, signal)), what);
      while (token !== "");
    } catch (error) {
      if (!isWarningError(error)) throw error;
      warn(this.ctx, `${what} skipped: ${describeError(error)}`);
    }
  }

  #valid(resource: Resource): resource is Stored {
    return acceptedResource(this.ctx, resource);
  }

  #putResources(list: Stored[]): void {
    if (list.length === 0) return;
    for (const r of list) this.#resources.set(resourceExternalId(r.id.resourceType, r.id.resource), r.id.resourceType);
    this.ctx.store.send("writeResources", this.#rows.resources(list));
  }

  #putEntitlements(list: Entitlement[]): void {
    if (list.length === 0) return;
    for (const e of list) this.#entitlements.set(e.id, e.resource!.id!.resourceType);
    this.ctx.store.send("writeEntitlements", this.#rows.entitlements(list));
  }

  #putGrants(list: Grant[]): void {
    if (list.length === 0) return;
    for (const g of list) this.#grants.set(g.id, g.entitlement!.resource!.id!.resourceType);
    this.ctx.store.send("writeGrants", this.#rows.grants(list));
  }

  counts(): SyncStats {
    const byType = (m: Map<string, string>) => {
      const out: Record<string, number> = {};
      for (const type of m.values()) out[type] = (out[type] ?? 0) + 1;
      return out;
    };
    const resourcesByResourceType = Object.fromEntries([...this.ctx.types.keys()].map((t) => [t, 0]));
    Object.assign(resourcesByResourceType, byType(this.#resources));
    return {
      resourceTypes: this.#resourceTypes,
      resources: this.#resources.size,
      entitlements: this.#entitlements.size,
      grants: this.#grants.size,
      resourcesByResourceType,
      entitlementsByResourceType: byType(this.#entitlements),
      grantsByResourceType: byType(this.#grants),
      assets: 0,
    };
  }
}
