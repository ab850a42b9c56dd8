import Table from "cli-table3";
import { Command, Option } from "commander";
import { recordJson } from "../../c1z/json.js";
import { C1zReader, type GrantRow, type ListOptions } from "../../c1z/reader.js";
import type { SyncRun } from "../../c1z/sync-runs.js";
import { EntitlementSchema, type Entitlement } from "../../gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema } from "../../gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, ResourceType_Trait, ResourceTypeSchema, type Resource } from "../../gen/c1/connector/v2/resource_pb.js";
import { UserError } from "../fatal.js";
import { readableFile } from "../files.js";
import { limitHeapGrowth } from "../heap.js";
import { COMPACT_TABLE, ColumnStream, JsonArrayStream, outputOption, writeOut, type OutputFormat } from "../output.js";

/**
 * `connector inspect <view>`: what a .c1z holds (any c1z v1 file, ours or baton's). Listings are
 * streamed — one row decoded, looked up and written at a time, in constant memory whatever the
 * file's size — and filtered in SQL like `baton grants -t/-r/-e`.
 */

interface InspectFlags {
  file: string;
  resourceType?: string;
  resource?: string;
  entitlement?: string;
  principal?: string;
  syncId?: string;
  output: OutputFormat;
}

type View = "resource-types" | "resources" | "entitlements" | "grants" | "stats" | "syncs";
type Filter = "resourceType" | "resource" | "entitlement" | "principal";

const VIEWS: Array<{ view: View; description: string; filters: Filter[] }> = [
  { view: "resource-types", description: "resource types of the sync", filters: ["resourceType"] },
  { view: "resources", description: "resources with their display names (-t: of one type; -r: one resource)", filters: ["resourceType", "resource"] },
  { view: "entitlements", description: "entitlements (-t: on resources of one type; -r: of one resource; -e: one entitlement)", filters: ["resourceType", "resource", "entitlement"] },
  {
    view: "grants",
    description: "grants, expanded ones included, with display names (-t/-r: on a resource type or resource; -e: of one entitlement; -p: held by one principal)",
    filters: ["resourceType", "resource", "entitlement", "principal"],
  },
  { view: "stats", description: "counts by resource type", filters: ["resourceType"] },
  { view: "syncs", description: "the syncs stored in the file", filters: [] },
];

const FILTER_OPTIONS: Record<Filter, () => Option> = {
  resourceType: () => new Option("-t, --resource-type <id>", "only this resource type (e.g. sso_user, account)"),
  resource: () => new Option("-r, --resource <id>", "only this resource (its id, with -t giving its type)"),
  entitlement: () => new Option("-e, --entitlement <id>", "only this entitlement, e.g. group:<arn>:member or <accountId>|<permissionSetArn>"),
  principal: () => new Option("-p, --principal <type:id>", "only grants held by this principal, e.g. sso_user:<arn> or iam_user:<arn>"),
};

export function inspectCommand(): Command {
  const command = new Command("inspect").description("Show what a .c1z file holds (any baton c1z v1 file), streamed in constant memory");
  for (const { view, description, filters } of VIEWS) {
    const sub = new Command(view)
      .description(description)
      .option("-f, --file <path>", "the .c1z file", "sync.c1z")
      .option("--sync-id <id>", "this sync instead of the default (latest finished full sync)")
      .addOption(outputOption());
    for (const filter of filters) sub.addOption(FILTER_OPTIONS[filter]());
    command.addCommand(sub.action(async (flags: InspectFlags) => inspect(view, flags)));
  }
  return command;
}

async function inspect(view: View, flags: InspectFlags): Promise<void> {
  // Every row becomes garbage a moment later: keep the heap near what is alive (as sync does).
  limitHeapGrowth();
  const reader = await C1zReader.open(readableFile(flags.file));
  try {
    if (view === "syncs") return await syncs(reader, flags.output);
    const run = reader.resolveSync(flags.syncId);
    const filter = checkFilters(reader, run.syncId, flags);
    const json = flags.output === "json";
    switch (view) {
      case "resource-types":
        return await resourceTypes(reader, run, filter, json);
      case "resources":
        return await resources(reader, run, filter, json);
      case "entitlements":
        return await entitlements(reader, run, filter, json);
      case "grants":
        return await grants(reader, run, filter, json);
      case "stats":
        return await stats(reader, run, filter, json);
    }
  } finally {
    reader.close();
  }
}

/**
 * The filters as the reader takes them, each checked against the sync: a misspelt type or id is
 * an error naming what exists, not an empty listing that looks like "nothing there".
 */
function checkFilters(reader: C1zReader, syncId: string, flags: InspectFlags): ListOptions {
  const filter: ListOptions = {};
  if (flags.resourceType !== undefined) {
    const known = reader.resourceTypes(syncId).map((rt) => rt.id);
    if (!known.includes(flags.resourceType)) {
      throw new UserError(`unknown resource type "${flags.resourceType}": this sync has ${known.length ? known.join(", ") : "none"}`);
    }
    filter.resourceTypeId = flags.resourceType;
  }
  if (flags.resource !== undefined) {
    if (!filter.resourceTypeId) throw new UserError("-r/--resource needs -t/--resource-type: a resource id is unique within its type");
    if (!reader.resource(syncId, filter.resourceTypeId, flags.resource)) throw new UserError(`no ${filter.resourceTypeId} "${flags.resource}" in this sync`);
    filter.resourceId = flags.resource;
  }
  if (flags.entitlement !== undefined) {
    if (!reader.entitlement(syncId, flags.entitlement)) throw new UserError(`no entitlement "${flags.entitlement}" in this sync`);
    filter.entitlementId = flags.entitlement;
  }
  if (flags.principal !== undefined) {
    const colon = flags.principal.indexOf(":");
    if (colon <= 0) throw new UserError(`-p/--principal must be TYPE:ID, e.g. sso_user:<arn> (got "${flags.principal}")`);
    const principal = { resourceTypeId: flags.principal.slice(0, colon), resourceId: flags.principal.slice(colon + 1) };
    if (!reader.resource(syncId, principal.resourceTypeId, principal.resourceId)) throw new UserError(`no ${principal.resourceTypeId} "${principal.resourceId}" in this sync`);
    filter.principal = principal;
  }
  return filter;
}

async function resourceTypes(reader: C1zReader, run: SyncRun, filter: ListOptions, json: boolean): Promise<void> {
  const list = reader.resourceTypes(run.syncId).filter((rt) => !filter.resourceTypeId || rt.id === filter.resourceTypeId);
  if (json) return writeOut(`${JSON.stringify({ syncId: run.syncId, resourceTypes: list.map((rt) => recordJson(ResourceTypeSchema, rt)) }, null, 2)}\n`);
  const table = new ColumnStream(["ID", "DISPLAY NAME", "TRAITS"]);
  for (const rt of list) await table.row([rt.id, rt.displayName, rt.traits.map((t) => ResourceType_Trait[t]).join(", ")]);
  await table.end("no resource types");
}

async function resources(reader: C1zReader, run: SyncRun, filter: ListOptions, json: boolean): Promise<void> {
  if (json) return streamJson(run, "resources", reader.eachResource(run.syncId, filter), (r) => recordJson(ResourceSchema, r));
  const names = new DisplayNames(reader, run.syncId);
  const table = new ColumnStream(["TYPE", "ID", "DISPLAY NAME", "PARENT", "PARENT NAME"]);
  for (const r of reader.eachResource(run.syncId, filter)) {
    const parent = r.parentResourceId;
    await table.row([r.id?.resourceType ?? "", r.id?.resource ?? "", r.displayName, parent ? `${parent.resourceType}:${parent.resource}` : "", parent ? names.resource(parent.resourceType, parent.resource) : ""]);
  }
  await table.end("no resources");
}

async function entitlements(reader: C1zReader, run: SyncRun, filter: ListOptions, json: boolean): Promise<void> {
  if (json) return streamJson(run, "entitlements", reader.eachEntitlement(run.syncId, filter), (e) => recordJson(EntitlementSchema, e));
  const names = new DisplayNames(reader, run.syncId);
  const table = new ColumnStream(["ID", "DISPLAY NAME", "RESOURCE", "RESOURCE NAME"]);
  for (const e of reader.eachEntitlement(run.syncId, filter)) {
    const id = e.resource?.id;
    await table.row([e.id, e.displayName, id ? `${id.resourceType}:${id.resource}` : "", id ? names.resource(id.resourceType, id.resource) : ""]);
  }
  await table.end("no entitlements");
}

async function grants(reader: C1zReader, run: SyncRun, filter: ListOptions, json: boolean): Promise<void> {
  if (json) return streamJson(run, "grants", reader.grants(run.syncId, filter), (g) => recordJson(GrantSchema, g));
  const names = new DisplayNames(reader, run.syncId);
  const table = new ColumnStream(["ENTITLEMENT", "ENTITLEMENT NAME", "PRINCIPAL", "PRINCIPAL NAME", "VIA"]);
  for (const g of reader.grantRows(run.syncId, filter)) {
    const { resourceTypeId, resourceId } = g.principal;
    await table.row([g.entitlementId, names.entitlement(g.entitlementId), `${resourceTypeId}:${resourceId}`, names.resource(resourceTypeId, resourceId), via(g, names)]);
  }
  await table.end("no grants");
}

/** How a grant came about: "direct", "via <entitlement>" (grant expansion), or both. */
function via(grant: GrantRow, names: DisplayNames): string {
  const sources = [...grant.sourceEntitlementIds].sort();
  const others = sources.filter((s) => s !== grant.entitlementId);
  if (others.length === 0) return "direct";
  const first = names.entitlement(others[0]!) || others[0]!;
  const more = others.length > 1 ? ` (+${others.length - 1} more)` : "";
  return `${sources.length > others.length ? "direct, " : ""}via ${first}${more}`;
}

async function stats(reader: C1zReader, run: SyncRun, filter: ListOptions, json: boolean): Promise<void> {
  const counts = reader.stats(run.syncId);
  if (json) return writeOut(`${JSON.stringify({ syncId: run.syncId, syncType: run.syncType, startedAt: run.startedAt, endedAt: run.endedAt, ...counts }, null, 2)}\n`);
  const types = [...new Set([...Object.keys(counts.resourcesByResourceType), ...Object.keys(counts.entitlementsByResourceType), ...Object.keys(counts.grantsByResourceType)])]
    .filter((t) => !filter.resourceTypeId || t === filter.resourceTypeId)
    .sort();
  const table = new Table({ head: ["Resource type", "Resources", "Entitlements", "Grants"], style: { head: [], border: [] }, chars: COMPACT_TABLE });
  for (const t of types) table.push([t, counts.resourcesByResourceType[t] ?? 0, counts.entitlementsByResourceType[t] ?? 0, counts.grantsByResourceType[t] ?? 0]);
  if (!filter.resourceTypeId) table.push(["total", counts.resources, counts.entitlements, counts.grants]);
  await writeOut(`Sync ${run.syncId} (${run.syncType}, ${run.endedAt ? `ended ${run.endedAt}` : "unfinished"})\n${table.toString()}\n`);
}

async function syncs(reader: C1zReader, output: OutputFormat): Promise<void> {
  const runs = reader.syncs();
  const chosen = runs.length > 0 ? reader.resolveSync() : undefined;
  if (output === "json") {
    const list = runs.map((r) => ({ id: r.syncId, startedAt: r.startedAt, endedAt: r.endedAt, syncType: r.syncType, parentSyncId: r.parentSyncId, default: r.syncId === chosen?.syncId }));
    return writeOut(`${JSON.stringify({ syncs: list }, null, 2)}\n`);
  }
  const table = new ColumnStream(["ID", "TYPE", "STARTED", "ENDED", "DEFAULT"]);
  for (const r of runs) await table.row([r.syncId, r.syncType, r.startedAt, r.endedAt ?? "(unfinished)", r.syncId === chosen?.syncId ? "yes" : ""]);
  await table.end("no syncs");
}

async function streamJson<T>(run: SyncRun, key: string, items: Iterable<T>, toJson: (item: T) => unknown): Promise<void> {
  const out = new JsonArrayStream({ syncId: run.syncId }, key);
  for (const item of items) await out.item(toJson(item));
  await out.end();
}

/**
 * Display names by id, looked up in the file (indexed) and kept in a bounded cache: grants name
 * the same principals and entitlements over and over, and memory must not grow with the file.
 */
class DisplayNames {
  static readonly MAX_ENTRIES = 20_000;
  readonly #resources = new Map<string, string>();
  readonly #entitlements = new Map<string, string>();

  constructor(
    private readonly reader: C1zReader,
    private readonly syncId: string,
  ) {}

  resource(type: string, id: string): string {
    return cached(this.#resources, `${type}:${id}`, () => (this.reader.resource(this.syncId, type, id) as Resource | undefined)?.displayName ?? "");
  }

  /** "AdministratorAccess Permission Set on prod-account": the resource's name too, unless the entitlement's already says it. */
  entitlement(id: string): string {
    return cached(this.#entitlements, id, () => {
      const entitlement = this.reader.entitlement(this.syncId, id) as Entitlement | undefined;
      if (!entitlement) return "";
      const rid = entitlement.resource?.id;
      const resourceName = entitlement.resource?.displayName || (rid ? this.resource(rid.resourceType, rid.resource) : "");
      const name = entitlement.displayName;
      return resourceName && !name.includes(resourceName) ? `${name} on ${resourceName}` : name;
    });
  }
}

/** First in, first out: a miss costs one indexed lookup, so a plain bounded cache is enough. */
function cached(cache: Map<string, string>, key: string, load: () => string): string {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const value = load();
  cache.set(key, value);
  if (cache.size > DisplayNames.MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return value;
}
