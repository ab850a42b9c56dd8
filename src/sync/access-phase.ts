import { fromBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Grant } from "../gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, type Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { resourceExternalId, rowCount, RowEncoder, type EntitlementRows, type GrantRows } from "../c1z/rows.js";
import type { GrantsCursor, ResourceCursor } from "./checkpoint.js";
import { callConnector, describeError, isWarningError, recorded, warn, type SyncContext } from "./context.js";
import { accessListing } from "./read-log.js";
import { resourceKey } from "./resource-key.js";
import { hasIdentity, keptEntitlements, keptGrants, skipsEntitlements, skipsGrants } from "./rules.js";
import type { Page, Stream } from "./scheduler.js";
import type { PlacedResources } from "./store-core.js";

/**
 * Phases 4 and 5: ListEntitlements, then ListGrants, for every resource row of this sync that the
 * Skip* annotations (on the resource or its type) do not exclude — entitlements before grants, as
 * baton's phases do. Entitlements are committed in resource row order; grants in `commitOrder`,
 * each resource's children right after it, so that a child's grants (a permission set's binding on
 * an account) are written, and grant expansion can start from them, as soon as its parent's are —
 * not after every other resource's.
 *
 * The listings themselves start early: each resource becomes a job as soon as the resources
 * phase has stored it (`place`), so grants are being fetched while resources are still listed and
 * every service works at once. Nothing is committed before the resources phase is over; a job
 * whose resource a later page upserts is fetched again with the stored data (baton lists with
 * the final rows). Rows the early feed did not cover (on resume, or past `EARLY_JOBS`) are read
 * back from the database when the resources phase ends.
 */
export interface AccessJob {
  rowId: number;
  typeId: string;
  resourceId: string;
  /** Dropped once every listing of the job is fetched (memory), restored if the job restarts. */
  resource: (Resource & { id: NonNullable<Resource["id"]> }) | undefined;
  listEntitlements: boolean;
  listGrants: boolean;
  /** Listings of this job still fetching. */
  fetching: number;
  /** The parent resource's key (resourceKey), if it has one. */
  parent: string | undefined;
}

/** Jobs fed early and still holding their resource, beyond which rows are read back later instead. */
const EARLY_JOBS = 20_000;
const SCAN_BATCH = 512;

type AccessKind = "entitlements" | "grants";

/**
 * A fetched page as the scheduler buffers it until its commit: filtered and encoded at once, so
 * that no graph of messages waits (the pages ahead of the commit point would otherwise end up in
 * V8's old generation, which grows to several times what stays alive).
 */
interface Batch<R> {
  /** The records baton keeps, encoded; undefined when none. */
  rows: R | undefined;
  /** Records baton drops (counted when the page is committed). */
  dropped: number;
}

interface GrantBatch extends Batch<GrantRows> {
  /** InsertResourceGrants: the grants' entitlement resources, upserted before the grants. */
  insertResources?: Array<Resource & { id: NonNullable<Resource["id"]> }>;
}

/** Most listings (a user's grants, say) answer one empty page: one shared object stands for all of them. */
const LAST_EMPTY_PAGE: Page<Batch<never>> = Object.freeze({ content: Object.freeze({ rows: undefined, dropped: 0 }), count: 0, next: "" });

export class AccessListings {
  readonly entitlements: Stream<AccessJob, Batch<EntitlementRows>> | undefined;
  readonly grants: Stream<AccessJob, GrantBatch>;
  readonly #ctx: SyncContext;
  readonly #rows = new RowEncoder();
  readonly #cursors: { entitlements: ResourceCursor; grants: GrantsCursor };
  readonly #byRow = new Map<number, AccessJob>();
  /** Every job of the resources phase, in row order. */
  readonly #jobs: AccessJob[] = [];
  /** Jobs whose grant listing started while resources were still listed (a fresh sync). */
  readonly #fed = new Set<AccessJob>();
  readonly #expandEarly: boolean;
  /** Rows up to this one have jobs. */
  #lastRowId: number;
  #feeding: boolean;
  #windowClosed = false;
  #holding = 0;
  #placing: Promise<void> = Promise.resolve();

  /**
   * `feed`: resources are placed through this object while the resources phase runs (a fresh
   * sync); otherwise every job is read back from the database at the end of that phase.
   * `expandEarly`: grant expansion starts steps as their inputs are written (early-expansion.ts).
   */
  constructor(ctx: SyncContext, options: { feed: boolean; expandEarly: boolean }) {
    this.#ctx = ctx;
    const access = (ctx.token.access ??= { entitlements: { afterRowId: 0 }, grants: { done: 0 } });
    this.#cursors = access;
    // The grants' commit order needs every row, those already done included.
    this.#lastRowId = 0;
    this.#feeding = options.feed;
    this.#expandEarly = options.expandEarly;
    // Entitlements are all committed once the grants phase has begun.
    if (ctx.token.phase !== "grants") {
      this.entitlements = this.#stream("entitlements", async (request, signal) => {
        const ref = accessListing("entitlements", request.resource.id!.resourceType, request.resource.id!.resource);
        const res = await recorded(ctx, ref, () => callConnector(ctx, "list-entitlements", (s) => ctx.api.entitlements.listEntitlements(request, { signal: s }), signal));
        return this.#entitlementPage(res.list, res.nextPageToken);
      });
    }
    this.grants = this.#stream("grants", async (request, signal) => {
      const ref = accessListing("grants", request.resource.id!.resourceType, request.resource.id!.resource);
      const res = await recorded(ctx, ref, () => callConnector(ctx, "list-grants", (s) => ctx.api.grants.listGrants(request, { signal: s }), signal));
      return this.#grantPage(res.list, res.annotations, res.nextPageToken);
    });
  }

  #stream<B>(
    kind: AccessKind,
    fetch: (request: { resource: Resource; pageToken: string; activeSyncId: string }, signal: AbortSignal) => Promise<Page<B>>,
  ): Stream<AccessJob, B> {
    const ctx = this.#ctx;
    const cursor = this.#cursors[kind];
    const wanted = (job: AccessJob) => (kind === "entitlements" ? job.listEntitlements : job.listGrants);
    return ctx.scheduler.stream<AccessJob, B>(kind, {
      lane: (job) => job.typeId,
      skip: (job) => !wanted(job),
      startToken: (job) => (job.rowId === cursor.headRowId ? (cursor.headToken ?? "") : ""),
      fetchPage: (job, pageToken, signal) =>
        job.resource
          ? fetch({ resource: job.resource, pageToken, activeSyncId: ctx.activeSyncId }, signal)
          : this.#hydrate(job).then((resource) => fetch({ resource, pageToken, activeSyncId: ctx.activeSyncId }, signal)),
      onDone: (job) => this.#fetched(job),
      isWarning: isWarningError,
      maxBufferedItems: kind === "grants" ? 50_000 : 20_000,
    });
  }

  /** baton drops entitlements without identity, and those of resource types this sync does not have. */
  #entitlementPage(items: Entitlement[], next: string): Page<Batch<EntitlementRows>> {
    if (items.length === 0 && next === "") return LAST_EMPTY_PAGE;
    const valid = keptEntitlements(this.#ctx.types, items);
    const rows = valid.length > 0 ? this.#rows.entitlements(valid) : undefined;
    return { content: { rows, dropped: items.length - valid.length }, count: valid.length, next };
  }

  /**
   * Grants need an id, an entitlement with a resource and a principal, both of resource types this
   * sync has (baton's fresh-ingest filter). InsertResourceGrants on the response upserts each
   * grant's entitlement resource first.
   */
  #grantPage(items: Grant[], annotations: Any[], next: string): Page<GrantBatch> {
    if (items.length === 0 && next === "" && annotations.length === 0) return LAST_EMPTY_PAGE;
    const valid = keptGrants(this.#ctx.types, items);
    const batch: GrantBatch = { rows: valid.length > 0 ? this.#rows.grants(valid) : undefined, dropped: items.length - valid.length };
    // Not in our generated protos (we never emit it); recognised by its type URL.
    if (annotations.some((a) => a.typeUrl.endsWith("/c1.connector.v2.InsertResourceGrants"))) {
      const byKey = new Map<string, Resource & { id: NonNullable<Resource["id"]> }>();
      for (const g of valid) {
        const r = g.entitlement!.resource! as Resource & { id: NonNullable<Resource["id"]> };
        byKey.set(resourceExternalId(r.id.resourceType, r.id.resource), r);
      }
      batch.insertResources = [...byKey.values()];
    }
    return { content: batch, count: valid.length, next };
  }

  #fetched(job: AccessJob): void {
    if (--job.fetching > 0 || !job.resource) return;
    job.resource = undefined;
    this.#holding--;
  }

  /** A job that gave its resource back (memory) reads it again when its listing starts. */
  async #hydrate(job: AccessJob): Promise<Resource> {
    const data = await this.#ctx.store.call("resourceAt", job.rowId);
    if (!data) throw new Error(`resource row ${job.rowId} disappeared from the working database`);
    return fromBinary(ResourceSchema, data);
  }

  #job(rowId: number, resource: Resource & { id: NonNullable<Resource["id"]> }): AccessJob {
    const job: AccessJob = {
      rowId,
      typeId: resource.id.resourceType,
      resourceId: resource.id.resource,
      resource: undefined,
      listEntitlements: false,
      listGrants: false,
      fetching: 0,
      parent: undefined,
    };
    this.#assign(job, resource);
    return job;
  }

  /** (Re)computes what the job lists from its resource, as it is stored now. */
  #assign(job: AccessJob, resource: Resource & { id: NonNullable<Resource["id"]> }): void {
    const type = this.#ctx.types.get(resource.id.resourceType);
    const { entitlements } = this.#cursors;
    const parent = resource.parentResourceId;
    job.parent = parent ? resourceKey(parent.resourceType, parent.resource) : undefined;
    job.listEntitlements = !!this.entitlements && job.rowId > entitlements.afterRowId && !skipsEntitlements(resource, type);
    // Grants done before an interruption are known only once the commit order is (finishResources).
    job.listGrants = !skipsGrants(resource, type);
    job.fetching = Number(job.listEntitlements) + Number(job.listGrants);
    if (job.fetching > 0 && !job.resource) this.#holding++;
    if (job.fetching === 0 && job.resource) this.#holding--;
    job.resource = job.fetching > 0 ? resource : undefined;
  }

  /** A job of the resources phase; its grant listing starts now only while feeding (a fresh sync: nothing done yet). */
  #add(job: AccessJob): void {
    this.#byRow.set(job.rowId, job);
    this.#jobs.push(job);
    this.#lastRowId = job.rowId;
    this.entitlements?.add(job);
    if (this.#feeding) {
      this.grants.add(job);
      this.#fed.add(job);
    }
  }

  /** Writes a page of the resources phase; while feeding, its new rows become jobs. */
  place(resources: Resource[]): void {
    const { store } = this.#ctx;
    if (!this.#feeding) {
      store.send("putResources", resources);
      return;
    }
    const placed = store.call("placeResources", resources);
    this.#placing = this.#placing.then(() => placed.then((p) => this.#onPlaced(resources, p)));
    // A failure surfaces through the store (it is poisoned); do not let it go unhandled here.
    this.#placing.catch(() => undefined);
  }

  #onPlaced(resources: Resource[], placed: PlacedResources): void {
    resources.forEach((resource, i) => {
      const rowId = placed.rowIds[i]!;
      const r = resource as Resource & { id: NonNullable<Resource["id"]> };
      if (placed.updated[i]) {
        // A later page upserted a row: its listings must use the stored (latest) data.
        const job = this.#byRow.get(rowId);
        if (!job) return;
        this.#assign(job, r);
        this.entitlements?.restart(job);
        this.grants.restart(job);
        return;
      }
      // Past the early window, rows are read back at the end of the phase (in row order).
      if (this.#holding >= EARLY_JOBS) this.#windowClosed = true;
      if (!this.#windowClosed) this.#add(this.#job(rowId, r));
    });
  }

  /**
   * The resources phase is over: every remaining row becomes a job, in row order; no job changes
   * from now on. Beyond the early window's worth of resources, jobs do not keep theirs in memory.
   */
  async finishResources(): Promise<void> {
    await this.#placing;
    this.#ctx.store.throwIfFailed();
    this.#feeding = false;
    for (;;) {
      const rows = await this.#ctx.store.call("resources", this.#lastRowId, SCAN_BATCH);
      if (rows.length === 0) break;
      for (const row of rows) {
        const resource = fromBinary(ResourceSchema, row.data);
        this.#lastRowId = row.id;
        if (!hasIdentity(resource)) continue;
        const job = this.#job(row.id, resource);
        if (job.resource && this.#holding > EARLY_JOBS) {
          job.resource = undefined;
          this.#holding--;
        }
        this.#add(job);
      }
    }
    this.#byRow.clear();
    this.#orderGrants();
    this.entitlements?.end();
    this.grants.end();
  }

  /**
   * Puts the grant listings in commit order; on a resumed sync, the first `done` of them were
   * committed before the interruption and are not listed again. Early expansion starts from there.
   */
  #orderGrants(): void {
    const cursor = this.#cursors.grants;
    cursor.resourcesThrough ??= this.#lastRowId;
    const through = cursor.resourcesThrough;
    const jobs = this.#jobs.splice(0);
    const order = [...commitOrder(jobs.filter((j) => j.rowId <= through)), ...jobs.filter((j) => j.rowId > through)];
    const done = order.slice(0, cursor.done);
    for (const job of done) {
      if (!job.listGrants) continue;
      job.listGrants = false;
      if (--job.fetching === 0 && job.resource) {
        job.resource = undefined;
        this.#holding--;
      }
    }
    const rest = order.slice(cursor.done);
    for (const job of rest) if (!this.#fed.has(job)) this.grants.add(job);
    if (this.#fed.size > 0) this.grants.reorder(rest);
    this.#fed.clear();
    if (this.#expandEarly) this.#ctx.store.send("expandEarly", done.map((j) => ({ typeId: j.typeId, resourceId: j.resourceId })));
  }

  /** Commits the entitlements of every job, in row order. */
  async commitEntitlements(): Promise<void> {
    if (!this.entitlements) return;
    const ctx = this.#ctx;
    ctx.observer.phase?.("entitlements", { jobs: this.entitlements.waiting });
    await this.entitlements.commit(
      this.#handlers("entitlements", (_job, { content }: Page<Batch<EntitlementRows>>) => {
        ctx.token.dropped.entitlements += content.dropped;
        if (!content.rows) return 0;
        ctx.store.send("writeEntitlements", content.rows);
        return rowCount(content.rows);
      }),
    );
  }

  /** Commits the grants of every job, in commitOrder (then those InsertResourceGrants added, in row order). */
  async commitGrants(): Promise<void> {
    const ctx = this.#ctx;
    ctx.observer.phase?.("grants", { jobs: this.grants.waiting });
    await this.grants.commit(this.#handlers("grants", (job, page: Page<GrantBatch>) => this.#commitGrants(job, page.content)));
  }

  #handlers<B>(kind: AccessKind, write: (job: AccessJob, page: Page<B>) => number | Promise<number>) {
    const ctx = this.#ctx;
    const cursor = this.#cursors[kind];
    const wanted = (job: AccessJob) => (kind === "entitlements" ? job.listEntitlements : job.listGrants);
    // Entitlements: resources skipped between two jobs are done too, everything ≤ rowId is.
    // Grants: one more job of the commit order is done.
    const { entitlements, grants } = this.#cursors;
    const advance =
      kind === "grants"
        ? () => void grants.done++
        : (job: AccessJob) => {
            entitlements.afterRowId = Math.max(entitlements.afterRowId, job.rowId);
          };
    // Grant expansion may begin the steps a finished grants job completes (early-expansion.ts).
    const finished = (job: AccessJob) => {
      if (kind === "grants") ctx.store.send("grantsJobDone", { typeId: job.typeId, resourceId: job.resourceId });
    };
    const done = (job: AccessJob) => {
      finished(job);
      advance(job);
      cursor.headRowId = undefined;
      cursor.headToken = undefined;
      ctx.token.completed_actions++;
      ctx.observer.jobDone?.(kind);
    };
    // Synchronous unless something must be waited for (see Stream.commit).
    const committed = (job: AccessJob, page: Page<B>, written: number): Promise<void> | undefined => {
      ctx.observer.records?.(kind, job.typeId, written);
      // The last page completes the job in the same commit: "" must never be read back as "start over".
      if (page.next === "") done(job);
      else {
        cursor.headRowId = job.rowId;
        cursor.headToken = page.next;
      }
      ctx.checkpoint.rows(written);
      return ctx.checkpoint.maybe();
    };
    return {
      commitPage: (job: AccessJob, page: Page<B>): Promise<void> | undefined => {
        const written = write(job, page);
        return typeof written === "number" ? committed(job, page, written) : written.then((n) => committed(job, page, n));
      },
      finishJob: (job: AccessJob, warning?: unknown): Promise<void> | undefined => {
        if (!wanted(job)) {
          finished(job);
          advance(job);
          ctx.observer.jobDone?.(kind);
          return undefined;
        }
        if (!warning) return undefined;
        done(job);
        const op = kind === "entitlements" ? "ListEntitlements" : "ListGrants";
        warn(ctx, `${op} for ${resourceExternalId(job.typeId, job.resourceId)} skipped: ${describeError(warning)}`);
        return ctx.checkpoint.maybe();
      },
    };
  }

  /** A resource that InsertResourceGrants made new to this sync gets its grants listed too (it is the newest row). */
  #commitGrants(job: AccessJob, batch: GrantBatch): number | Promise<number> {
    const ctx = this.#ctx;
    ctx.token.dropped.grants += batch.dropped;
    if (!batch.insertResources) return this.#writeGrants(job, batch);
    const resources = batch.insertResources;
    return ctx.store.call("placeResources", resources).then((placed) => {
      resources.forEach((r, i) => {
        if (!placed.updated[i]) this.grants.add(this.#job(placed.rowIds[i]!, r));
      });
      return this.#writeGrants(job, batch);
    });
  }

  #writeGrants(job: AccessJob, batch: GrantBatch): number {
    if (!batch.rows) return 0;
    this.#ctx.store.send("writeGrants", batch.rows, { typeId: job.typeId, resourceId: job.resourceId });
    return rowCount(batch.rows);
  }
}

/**
 * The grants' commit order: depth first, each resource's children right after it (in row order),
 * roots in row order. It depends only on the rows, so a resumed sync finds it again, and it keeps
 * a child's grants next to its parent's: a binding's grants are written, and expansion from them
 * can run, while AWS is still listing the next account's, instead of after the last one's.
 */
export function commitOrder(jobs: readonly AccessJob[]): AccessJob[] {
  const byKey = new Map<string, AccessJob>();
  for (const job of jobs) byKey.set(resourceKey(job.typeId, job.resourceId), job);
  const children = new Map<AccessJob, AccessJob[]>();
  const roots: AccessJob[] = [];
  for (const job of jobs) {
    const parent = job.parent === undefined ? undefined : byKey.get(job.parent);
    if (!parent || parent === job) roots.push(job);
    else {
      const siblings = children.get(parent);
      if (siblings) siblings.push(job);
      else children.set(parent, [job]);
    }
  }
  const order: AccessJob[] = [];
  const placed = new Set<AccessJob>();
  const visit = (root: AccessJob) => {
    const stack = [root];
    while (stack.length > 0) {
      const job = stack.pop()!;
      if (placed.has(job)) continue;
      placed.add(job);
      order.push(job);
      const kids = children.get(job);
      if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
    }
  };
  for (const root of roots) visit(root);
  // Resources whose parents form a cycle are reached from none of the roots: in row order, last.
  for (const job of jobs) visit(job);
  return order;
}
