import { create, fromBinary } from "@bufbuild/protobuf";
import { EntitlementSchema, type Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import { ResourceSchema, ResourceTypeSchema, type Resource, type ResourceType } from "../gen/c1/connector/v2/resource_pb.js";
import { urgently } from "../aws/call-urgency.js";
import { acceptedResource, callConnector, describeError, nextPageToken, isWarningError, recorded, warn, type SyncContext } from "./context.js";
import { externalIdOf, resourcesListing } from "./read-log.js";
import { childTypeIds, typeFlags } from "./rules.js";
import type { Page } from "./scheduler.js";
import type { QueueEntry } from "./store-core.js";

/**
 * Phase 1: ListResourceTypes, every page; then queue one top-level listing per type. Returns that
 * queue: a sync that lists every type itself knows the types and the queue without reading them
 * back, so the resources phase can start while the store is still opening the database.
 */
export async function syncResourceTypes(ctx: SyncContext): Promise<QueueEntry[]> {
  let pageToken = ctx.token.typesToken ?? "";
  const resumed = pageToken !== "";
  const listed: ResourceType[] = [];
  for (;;) {
    const res = await callConnector(ctx, "list-resource-types", (signal) =>
      ctx.api.resourceTypes.listResourceTypes({ pageToken, activeSyncId: ctx.activeSyncId }, { signal }),
    );
    const valid = res.list.filter((rt) => rt.id !== "");
    ctx.store.send("putResourceTypes", valid);
    listed.push(...valid);
    ctx.checkpoint.rows(valid.length);
    pageToken = nextPageToken(pageToken, res.nextPageToken, "ListResourceTypes");
    ctx.token.typesToken = pageToken;
    if (pageToken === "") break;
    await ctx.checkpoint.maybe();
  }
  // Pages stored by an interrupted run are only in the database.
  if (resumed) await loadTypes(ctx);
  else setTypes(ctx, listed);
  // baton lists every type at top level, child types included.
  const queue = [...ctx.types.keys()].map((id) => ({ resourceTypeId: id, parentType: "", parentId: "" }));
  ctx.store.send("enqueue", queue);
  ctx.token.completed_actions++;
  ctx.token.phase = "resources";
  ctx.token.queue = { done: 0 };
  await ctx.checkpoint.flush();
  return queue;
}

/** Reads this sync's resource types (in listing order) into the context. */
export async function loadTypes(ctx: SyncContext): Promise<void> {
  setTypes(ctx, (await ctx.store.call("resourceTypes")).map((data) => fromBinary(ResourceTypeSchema, data)));
}

/** As the store keeps them: each id where it first came, with the last descriptor listed for it. */
function setTypes(ctx: SyncContext, types: readonly ResourceType[]): void {
  ctx.types.clear();
  for (const rt of types) ctx.types.set(rt.id, typeFlags(rt));
}

interface QueueJob extends QueueEntry {
  /** Position in the queue: jobs are committed in this order. */
  index: number;
}

const queueKey = (e: QueueEntry) => `${e.resourceTypeId}\u0000${e.parentType}\u0000${e.parentId}`;

/**
 * Phase 2: works through the listing queue: every type at top level, then one listing per
 * (child type, parent) found in ChildResourceType annotations — each scheduled once per sync.
 * Pages are committed in queue order; `place` writes them (and, on a fresh sync, hands the new
 * rows to the entitlement and grant listings, which start at once).
 */
export async function syncResources(ctx: SyncContext, place: (resources: Resource[]) => void, queued?: QueueEntry[]): Promise<void> {
  const cursor = (ctx.token.queue ??= { done: 0 });
  const queue: QueueJob[] = (queued ?? (await ctx.store.call("queue"))).map((entry, index) => ({ ...entry, index }));
  const known = new Set(queue.map(queueKey));
  const done = (job: QueueJob) => {
    cursor.done = job.index + 1;
    cursor.headToken = undefined;
    ctx.token.completed_actions++;
    ctx.observer.jobDone?.("resources");
  };

  const stream = ctx.scheduler.stream<QueueJob, Resource[]>("resources", {
    lane: (job) => job.resourceTypeId,
    startToken: (job) => (job.index === cursor.done ? (cursor.headToken ?? "") : ""),
    async fetchPage(job, pageToken, signal): Promise<Page<Resource[]>> {
      const parentResourceId = job.parentType ? { resourceType: job.parentType, resource: job.parentId } : undefined;
      // Urgent: nothing past the resources phase is committed before its last listing is in.
      const res = await urgently(() => recorded(
        ctx,
        resourcesListing(job.resourceTypeId, job.parentType, job.parentId),
        () =>
          callConnector(
            ctx,
            "list-resources",
            (s) => ctx.api.resources.listResources({ resourceTypeId: job.resourceTypeId, parentResourceId, pageToken, activeSyncId: ctx.activeSyncId }, { signal: s }),
            signal,
          ),
        (page) => page.list.filter((r) => r.id).map(externalIdOf),
      ));
      return { content: res.list, count: res.list.length, next: res.nextPageToken };
    },
    isWarning: isWarningError,
  });
  for (const job of queue.slice(cursor.done)) stream.add(job);
  stream.end();
  ctx.observer.phase?.("resources", { jobs: queue.length - cursor.done });

  await stream.commit({
    async commitPage(job, page) {
      const valid: Resource[] = [];
      for (const resource of page.content) if (acceptedResource(ctx, resource)) valid.push(resource);
      if (valid.length > 0) place(valid);
      const children: QueueEntry[] = [];
      for (const resource of valid) {
        for (const child of childTypeIds(resource)) {
          const entry = { resourceTypeId: child, parentType: resource.id!.resourceType, parentId: resource.id!.resource };
          if (known.has(queueKey(entry))) continue;
          known.add(queueKey(entry));
          children.push(entry);
          const next = { ...entry, index: queue.length };
          queue.push(next);
          stream.add(next);
        }
      }
      if (children.length > 0) ctx.store.send("enqueue", children);
      // The last page completes the job in the same commit: "" must never be read back as "start over".
      if (page.next === "") done(job);
      else cursor.headToken = page.next;
      ctx.observer.records?.("resources", job.resourceTypeId, valid.length);
      ctx.checkpoint.rows(valid.length);
      await ctx.checkpoint.maybe();
    },
    async finishJob(job, warning) {
      if (!warning) return;
      done(job);
      const where = job.parentType ? ` under ${job.parentType}:${job.parentId}` : "";
      warn(ctx, `ListResources ${job.resourceTypeId}${where} skipped: ${describeError(warning)}`);
      await ctx.checkpoint.maybe();
    },
  });
  ctx.token.phase = "static-entitlements";
  ctx.token.staticEntitlements = { typeIndex: 0, token: "" };
  await ctx.checkpoint.flush();
}

/**
 * Phase 3: ListStaticEntitlements per type; each template becomes an entitlement on every resource
 * of the type, with id "<type>:<resource>:<slug>" as baton builds it.
 */
export async function syncStaticEntitlements(ctx: SyncContext): Promise<void> {
  const state = (ctx.token.staticEntitlements ??= { typeIndex: 0, token: "" });
  const typeIds = [...ctx.types.keys()];
  ctx.observer.phase?.("static-entitlements", { jobs: typeIds.length - state.typeIndex });
  while (state.typeIndex < typeIds.length) {
    const typeId = typeIds[state.typeIndex]!;
    try {
      const res = await callConnector(ctx, "list-static-entitlements", (signal) =>
        ctx.api.entitlements.listStaticEntitlements({ resourceTypeId: typeId, pageToken: state.token, activeSyncId: ctx.activeSyncId }, { signal }),
      );
      for (const template of res.list) {
        const rows = await ctx.store.call("resourcesOfType", typeId);
        const entitlements = rows.map((data) => fromTemplate(template, fromBinary(ResourceSchema, data)));
        if (entitlements.length > 0) ctx.store.send("putEntitlements", entitlements);
        ctx.observer.records?.("entitlements", typeId, entitlements.length);
        ctx.checkpoint.rows(entitlements.length);
      }
      state.token = res.nextPageToken;
      if (state.token !== "") {
        await ctx.checkpoint.maybe();
        continue;
      }
    } catch (error) {
      if (!isWarningError(error)) throw error;
      warn(ctx, `ListStaticEntitlements ${typeId} skipped: ${describeError(error)}`);
      state.token = "";
    }
    state.typeIndex++;
    ctx.token.completed_actions++;
    ctx.observer.jobDone?.("static-entitlements");
    await ctx.checkpoint.maybe();
  }
  ctx.token.phase = "entitlements";
  await ctx.checkpoint.flush();
}

function fromTemplate(template: Entitlement, resource: Resource): Entitlement {
  return create(EntitlementSchema, {
    resource,
    id: `${resource.id!.resourceType}:${resource.id!.resource}:${template.slug}`,
    displayName: template.displayName || resource.displayName,
    description: template.description || resource.description,
    grantableTo: template.grantableTo,
    annotations: template.annotations,
    slug: template.slug,
    purpose: template.purpose,
  });
}
