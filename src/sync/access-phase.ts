import { fromBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Grant } from "../gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, type Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { resourceExternalId } from "../c1z/writer.js";
import { callConnector, describeError, isWarningError, warn, type SyncContext } from "./context.js";
import { runPipeline, type Page } from "./pipeline.js";
import { hasIdentity, skipsEntitlements, skipsGrants } from "./rules.js";

type AccessKind = "entitlements" | "grants";

interface ResourceJob {
  rowId: number;
  resource: Resource & { id: NonNullable<Resource["id"]> };
}

/**
 * Phases 4 and 5: ListEntitlements, then ListGrants, for every resource of this sync that the
 * Skip* annotations (on the resource or its type) do not exclude. Listings run concurrently;
 * pages are committed in resource order (see pipeline.ts), so the rows do not depend on timing.
 */
export async function syncAccess(ctx: SyncContext, kind: AccessKind): Promise<void> {
  const cursor = (ctx.token.resources ??= { afterRowId: 0 });
  const scan = ctx.db.prepare(`select id, data from v1_resources where sync_id = ? and id > ? order by id limit 512`);
  const skipped = kind === "entitlements" ? skipsEntitlements : skipsGrants;
  const total = (ctx.db.prepare(`select count(*) as n from v1_resources where sync_id = ? and id > ?`).get(ctx.syncId, cursor.afterRowId) as { n: number }).n;
  ctx.observer.phase?.(kind, { jobs: total });
  let buffer: Array<{ id: number; data: Buffer }> = [];
  let lastScanned = cursor.afterRowId;
  // Resources skipped between two jobs are done too: everything ≤ rowId is.
  const done = (job: ResourceJob) => {
    cursor.afterRowId = job.rowId;
    cursor.headRowId = undefined;
    cursor.headToken = undefined;
    ctx.token.completed_actions++;
    ctx.observer.jobDone?.(kind);
  };

  const rpc = kind === "entitlements" ? "list-entitlements" : "list-grants";
  await runPipeline<ResourceJob, Entitlement | Grant>({
    concurrency: ctx.workers,
    signal: ctx.signal,
    nextJob() {
      for (;;) {
        if (buffer.length === 0) buffer = scan.all(ctx.syncId, lastScanned) as typeof buffer;
        const row = buffer.shift();
        if (!row) return undefined;
        lastScanned = row.id;
        const resource = fromBinary(ResourceSchema, row.data);
        if (!hasIdentity(resource) || skipped(resource, ctx.types.get(resource.id.resourceType))) {
          ctx.observer.jobDone?.(kind);
          continue;
        }
        return { rowId: row.id, resource };
      }
    },
    startToken: (job) => (job.rowId === cursor.headRowId ? (cursor.headToken ?? "") : ""),
    async fetchPage(job, pageToken, signal): Promise<Page<Entitlement | Grant>> {
      const request = { resource: job.resource, pageToken, activeSyncId: ctx.activeSyncId };
      const res: { list: Array<Entitlement | Grant>; nextPageToken: string; annotations: Any[] } =
        kind === "entitlements"
          ? await callConnector(ctx, rpc, (s) => ctx.api.entitlements.listEntitlements(request, { signal: s }), signal)
          : await callConnector(ctx, rpc, (s) => ctx.api.grants.listGrants(request, { signal: s }), signal);
      return { items: res.list, next: res.nextPageToken, annotations: res.annotations };
    },
    commitPage(job, page) {
      const written =
        kind === "entitlements" ? commitEntitlements(ctx, page.items as Entitlement[]) : commitGrants(ctx, page as Page<Grant>);
      ctx.observer.records?.(kind, job.resource.id.resourceType, written);
      // The last page completes the job in the same commit: "" must never be read back as "start over".
      if (page.next === "") done(job);
      else {
        cursor.headRowId = job.rowId;
        cursor.headToken = page.next;
      }
      ctx.checkpoint.rows(written);
      ctx.checkpoint.maybe();
    },
    finishJob(job, warning) {
      if (!warning) return;
      done(job);
      const op = kind === "entitlements" ? "ListEntitlements" : "ListGrants";
      warn(ctx, `${op} for ${resourceExternalId(job.resource.id.resourceType, job.resource.id.resource)} skipped: ${describeError(warning)}`);
      ctx.checkpoint.maybe();
    },
    isWarning: isWarningError,
  });
  // Trailing skipped resources are done too.
  cursor.afterRowId = Math.max(cursor.afterRowId, lastScanned);
  if (kind === "entitlements") {
    ctx.token.phase = "grants";
    ctx.token.resources = { afterRowId: 0 };
  } else {
    ctx.token.phase = "expansion";
    ctx.token.resources = undefined;
  }
  ctx.checkpoint.flush();
}

/** baton drops entitlements without identity, and those of resource types this sync does not have. */
function commitEntitlements(ctx: SyncContext, items: Entitlement[]): number {
  const valid = items.filter((e) => {
    const ok = e.id !== "" && hasIdentity(e.resource) && ctx.types.has(e.resource.id.resourceType);
    if (!ok) ctx.token.dropped.entitlements++;
    return ok;
  });
  ctx.writer.putEntitlements(valid);
  return valid.length;
}

/**
 * Grants need an id, an entitlement with a resource and a principal, both of resource types this
 * sync has (baton's fresh-ingest filter). InsertResourceGrants on the response upserts each grant's
 * entitlement resource first.
 */
function commitGrants(ctx: SyncContext, page: Page<Grant>): number {
  const valid = page.items.filter((g) => {
    const ok =
      g.id !== "" &&
      !!g.entitlement &&
      g.entitlement.id !== "" &&
      hasIdentity(g.entitlement.resource) &&
      hasIdentity(g.principal) &&
      ctx.types.has(g.entitlement.resource.id.resourceType) &&
      ctx.types.has(g.principal.id.resourceType);
    if (!ok) ctx.token.dropped.grants++;
    return ok;
  });
  // Not in our generated protos (we never emit it); recognised by its type URL.
  const insertResources = ((page.annotations ?? []) as Any[]).some((a) => a.typeUrl.endsWith("/c1.connector.v2.InsertResourceGrants"));
  if (insertResources) {
    const byKey = new Map<string, Resource>();
    for (const g of valid) {
      const r = g.entitlement!.resource!;
      byKey.set(resourceExternalId(r.id!.resourceType, r.id!.resource), r);
    }
    ctx.writer.putResources([...byKey.values()]);
  }
  if (ctx.writer.putGrants(valid) > 0) ctx.token.needs_expansion = true;
  return valid.length;
}
