import { create, fromBinary } from "@bufbuild/protobuf";
import { EntitlementSchema, type Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import { ResourceSchema, ResourceTypeSchema, type Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { callConnector, describeError, isWarningError, SyncError, warn, type SyncContext } from "./context.js";
import { runPipeline, type Page } from "./pipeline.js";
import { childTypeIds, hasIdentity, missingTrait, typeFlags } from "./rules.js";
import { QUEUE_TABLE } from "./working-db.js";

/** Phase 1: ListResourceTypes, every page; then queue one top-level listing per type. */
export async function syncResourceTypes(ctx: SyncContext): Promise<void> {
  let pageToken = ctx.token.typesToken ?? "";
  for (;;) {
    const res = await callConnector(ctx, "list-resource-types", (signal) =>
      ctx.api.resourceTypes.listResourceTypes({ pageToken, activeSyncId: ctx.activeSyncId }, { signal }),
    );
    const valid = res.list.filter((rt) => rt.id !== "");
    ctx.writer.putResourceTypes(valid);
    ctx.checkpoint.rows(valid.length);
    if (res.nextPageToken !== "" && res.nextPageToken === pageToken) throw new SyncError("ListResourceTypes returned the same page token again");
    pageToken = res.nextPageToken;
    ctx.token.typesToken = pageToken;
    if (pageToken === "") break;
    ctx.checkpoint.maybe();
  }
  loadTypes(ctx);
  // baton lists every type at top level, child types included.
  const enqueue = ctx.db.prepare(
    `insert or ignore into ${QUEUE_TABLE} (sync_id, resource_type_id, parent_resource_type_id, parent_resource_id) values (?, ?, '', '')`,
  );
  for (const id of ctx.types.keys()) enqueue.run(ctx.syncId, id);
  ctx.token.completed_actions++;
  ctx.token.phase = "resources";
  ctx.token.queue = { afterSeq: 0 };
  ctx.checkpoint.flush();
}

/** Reads this sync's resource types (in listing order) into the context. */
export function loadTypes(ctx: SyncContext): void {
  ctx.types.clear();
  const rows = ctx.db.prepare(`select data from v1_resource_types where sync_id = ? order by id`).all(ctx.syncId) as Array<{ data: Buffer }>;
  for (const row of rows) {
    const rt = fromBinary(ResourceTypeSchema, row.data);
    ctx.types.set(rt.id, typeFlags(rt));
  }
}

interface QueueJob {
  seq: number;
  resourceTypeId: string;
  parentType: string;
  parentId: string;
}

/**
 * Phase 2: works through the listing queue: every type at top level, then one listing per
 * (child type, parent) found in ChildResourceType annotations — each scheduled once per sync.
 */
export async function syncResources(ctx: SyncContext): Promise<void> {
  const cursor = (ctx.token.queue ??= { afterSeq: 0 });
  const nextRows = ctx.db.prepare(
    `select seq, resource_type_id, parent_resource_type_id, parent_resource_id from ${QUEUE_TABLE} where sync_id = ? and seq > ? order by seq limit 256`,
  );
  const enqueue = ctx.db.prepare(
    `insert or ignore into ${QUEUE_TABLE} (sync_id, resource_type_id, parent_resource_type_id, parent_resource_id) values (?, ?, ?, ?)`,
  );
  const pending = (ctx.db.prepare(`select count(*) as n from ${QUEUE_TABLE} where sync_id = ? and seq > ?`).get(ctx.syncId, cursor.afterSeq) as { n: number }).n;
  ctx.observer.phase?.("resources", { jobs: pending });
  let buffer: QueueJob[] = [];
  let lastSeq = cursor.afterSeq;
  const done = (job: QueueJob) => {
    cursor.afterSeq = job.seq;
    cursor.headSeq = undefined;
    cursor.headToken = undefined;
    ctx.token.completed_actions++;
    ctx.observer.jobDone?.("resources");
  };

  await runPipeline<QueueJob, Resource>({
    concurrency: ctx.workers,
    signal: ctx.signal,
    nextJob() {
      if (buffer.length === 0) {
        const rows = nextRows.all(ctx.syncId, lastSeq) as Array<Record<string, string | number>>;
        buffer = rows.map((r) => ({
          seq: Number(r.seq),
          resourceTypeId: String(r.resource_type_id),
          parentType: String(r.parent_resource_type_id),
          parentId: String(r.parent_resource_id),
        }));
      }
      const job = buffer.shift();
      if (job) lastSeq = job.seq;
      return job;
    },
    startToken: (job) => (job.seq === cursor.headSeq ? (cursor.headToken ?? "") : ""),
    async fetchPage(job, pageToken, signal): Promise<Page<Resource>> {
      const parentResourceId = job.parentType ? { resourceType: job.parentType, resource: job.parentId } : undefined;
      const res = await callConnector(
        ctx,
        "list-resources",
        (s) => ctx.api.resources.listResources({ resourceTypeId: job.resourceTypeId, parentResourceId, pageToken, activeSyncId: ctx.activeSyncId }, { signal: s }),
        signal,
      );
      return { items: res.list, next: res.nextPageToken };
    },
    commitPage(job, page) {
      const valid: Resource[] = [];
      for (const resource of page.items) {
        if (!hasIdentity(resource)) {
          ctx.token.dropped.resources++;
          continue;
        }
        const missing = missingTrait(resource, ctx.types.get(resource.id.resourceType));
        if (missing) {
          throw new SyncError(`resource ${resource.id.resourceType}:${resource.id.resource} lacks the ${missing} annotation its resource type declares`);
        }
        valid.push(resource);
      }
      ctx.writer.putResources(valid);
      for (const resource of valid) {
        for (const child of childTypeIds(resource)) enqueue.run(ctx.syncId, child, resource.id!.resourceType, resource.id!.resource);
      }
      // The last page completes the job in the same commit: "" must never be read back as "start over".
      if (page.next === "") done(job);
      else {
        cursor.headSeq = job.seq;
        cursor.headToken = page.next;
      }
      ctx.observer.records?.("resources", job.resourceTypeId, valid.length);
      ctx.checkpoint.rows(valid.length);
      ctx.checkpoint.maybe();
    },
    finishJob(job, warning) {
      if (!warning) return;
      done(job);
      const where = job.parentType ? ` under ${job.parentType}:${job.parentId}` : "";
      warn(ctx, `ListResources ${job.resourceTypeId}${where} skipped: ${describeError(warning)}`);
      ctx.checkpoint.maybe();
    },
    isWarning: isWarningError,
  });
  ctx.token.phase = "static-entitlements";
  ctx.token.staticEntitlements = { typeIndex: 0, token: "" };
  ctx.checkpoint.flush();
}

/**
 * Phase 3: ListStaticEntitlements per type; each template becomes an entitlement on every resource
 * of the type, with id "<type>:<resource>:<slug>" as baton builds it.
 */
export async function syncStaticEntitlements(ctx: SyncContext): Promise<void> {
  const state = (ctx.token.staticEntitlements ??= { typeIndex: 0, token: "" });
  const typeIds = [...ctx.types.keys()];
  const resourcesOfType = ctx.db.prepare(`select data from v1_resources where sync_id = ? and resource_type_id = ? order by id`);
  ctx.observer.phase?.("static-entitlements", { jobs: typeIds.length - state.typeIndex });
  while (state.typeIndex < typeIds.length) {
    const typeId = typeIds[state.typeIndex]!;
    try {
      const res = await callConnector(ctx, "list-static-entitlements", (signal) =>
        ctx.api.entitlements.listStaticEntitlements({ resourceTypeId: typeId, pageToken: state.token, activeSyncId: ctx.activeSyncId }, { signal }),
      );
      for (const template of res.list) {
        const rows = resourcesOfType.all(ctx.syncId, typeId) as Array<{ data: Buffer }>;
        const entitlements = rows.map((row) => fromTemplate(template, fromBinary(ResourceSchema, row.data)));
        ctx.writer.putEntitlements(entitlements);
        ctx.observer.records?.("entitlements", typeId, entitlements.length);
        ctx.checkpoint.rows(entitlements.length);
      }
      state.token = res.nextPageToken;
      if (state.token !== "") {
        ctx.checkpoint.maybe();
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
    ctx.checkpoint.maybe();
  }
  ctx.token.phase = "entitlements";
  ctx.token.resources = { afterRowId: 0 };
  ctx.checkpoint.flush();
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
