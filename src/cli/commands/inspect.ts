import Table from "cli-table3";

/** Box tables without a rule between every row. */
const COMPACT = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };
import { Command, Option } from "commander";
import { C1zFormatError } from "../../c1z/container.js";
import { recordJson } from "../../c1z/json.js";
import { C1zReader } from "../../c1z/reader.js";
import type { SyncRun } from "../../c1z/sync-runs.js";
import { EntitlementSchema } from "../../gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema } from "../../gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, ResourceType_Trait, ResourceTypeSchema } from "../../gen/c1/connector/v2/resource_pb.js";
import { UserError } from "../fatal.js";

interface InspectFlags {
  file: string;
  resourceType?: string;
  syncId?: string;
  output: "table" | "json";
}

type View = "resource-types" | "resources" | "entitlements" | "grants" | "stats" | "syncs";

const VIEWS: Array<[View, string]> = [
  ["resource-types", "resource types of the sync"],
  ["resources", "resources (-t: of one type)"],
  ["entitlements", "entitlements (-t: of one resource type)"],
  ["grants", "grants, expanded ones included (-t: on one resource type)"],
  ["stats", "counts by resource type"],
  ["syncs", "the syncs stored in the file"],
];

/** `connector inspect <view>`: reads any c1z v1 file, ours or baton's. */
export function inspectCommand(): Command {
  const command = new Command("inspect").description("Show what a .c1z file holds (any baton c1z v1 file)");
  for (const [view, description] of VIEWS) {
    command.addCommand(
      new Command(view)
        .description(description)
        .option("-f, --file <path>", "the .c1z file", "sync.c1z")
        .option("-t, --resource-type <id>", "only this resource type")
        .option("--sync-id <id>", "this sync instead of the default (latest finished full sync)")
        .addOption(new Option("-o, --output <format>", "output format").choices(["table", "json"]).default("table"))
        .action(async (flags: InspectFlags) => inspect(view, flags)),
    );
  }
  return command;
}

async function inspect(view: View, flags: InspectFlags): Promise<void> {
  let reader: C1zReader;
  try {
    reader = await C1zReader.open(flags.file);
  } catch (error) {
    throw asUserError(error);
  }
  try {
    if (view === "syncs") return write(syncs(reader.syncs(), reader, flags));
    const run = reader.resolveSync(flags.syncId);
    const filter = { resourceTypeId: flags.resourceType };
    const json = flags.output === "json";
    switch (view) {
      case "resource-types": {
        const list = reader.resourceTypes(run.syncId).filter((rt) => !flags.resourceType || rt.id === flags.resourceType);
        return write(
          json
            ? JSON.stringify({ syncId: run.syncId, resourceTypes: list.map((rt) => recordJson(ResourceTypeSchema, rt)) }, null, 2)
            : table(["Id", "Display name", "Traits"], list.map((rt) => [rt.id, rt.displayName, rt.traits.map((t) => ResourceType_Trait[t]).join(", ")])),
        );
      }
      case "resources": {
        const list = reader.resources(run.syncId, filter);
        return write(
          json
            ? JSON.stringify({ syncId: run.syncId, resources: list.map((r) => recordJson(ResourceSchema, r)) }, null, 2)
            : table(
                ["Type", "Id", "Display name", "Parent"],
                list.map((r) => [r.id?.resourceType ?? "", r.id?.resource ?? "", r.displayName, r.parentResourceId ? `${r.parentResourceId.resourceType}:${r.parentResourceId.resource}` : ""]),
              ),
        );
      }
      case "entitlements": {
        const list = reader.entitlements(run.syncId, filter);
        return write(
          json
            ? JSON.stringify({ syncId: run.syncId, entitlements: list.map((e) => recordJson(EntitlementSchema, e)) }, null, 2)
            : table(["Id", "Display name", "Resource"], list.map((e) => [e.id, e.displayName, `${e.resource?.id?.resourceType}:${e.resource?.id?.resource}`])),
        );
      }
      case "grants": {
        if (json) {
          // Streamed: grant listings can be large.
          process.stdout.write(`{"syncId":${JSON.stringify(run.syncId)},"grants":[`);
          let first = true;
          for (const g of reader.grants(run.syncId, filter)) {
            process.stdout.write(`${first ? "" : ","}\n${JSON.stringify(recordJson(GrantSchema, g))}`);
            first = false;
          }
          process.stdout.write("\n]}\n");
          return;
        }
        const rows = [...reader.grants(run.syncId, filter)].map((g) => [
          g.id,
          g.entitlement?.id ?? "",
          `${g.principal?.id?.resourceType}:${g.principal?.id?.resource}`,
          Object.keys(g.sources?.sources ?? {}).length > 0 ? Object.keys(g.sources!.sources).sort().join(", ") : "",
        ]);
        return write(table(["Id", "Entitlement", "Principal", "Sources (expansion)"], rows));
      }
      case "stats": {
        const stats = reader.stats(run.syncId);
        if (json) return write(JSON.stringify({ syncId: run.syncId, syncType: run.syncType, startedAt: run.startedAt, endedAt: run.endedAt, ...stats }, null, 2));
        const types = [...new Set([...Object.keys(stats.resourcesByResourceType), ...Object.keys(stats.entitlementsByResourceType), ...Object.keys(stats.grantsByResourceType)])]
          .filter((t) => !flags.resourceType || t === flags.resourceType)
          .sort();
        const rows = types.map((t) => [t, stats.resourcesByResourceType[t] ?? 0, stats.entitlementsByResourceType[t] ?? 0, stats.grantsByResourceType[t] ?? 0]);
        rows.push(["total", stats.resources, stats.entitlements, stats.grants]);
        return write(`Sync ${run.syncId} (${run.syncType}, ${run.endedAt ? `ended ${run.endedAt}` : "unfinished"})\n${table(["Resource type", "Resources", "Entitlements", "Grants"], rows)}`);
      }
    }
  } catch (error) {
    throw asUserError(error);
  } finally {
    reader.close();
  }
}

function syncs(runs: SyncRun[], reader: C1zReader, flags: InspectFlags): string {
  const chosen = runs.length > 0 ? reader.resolveSync() : undefined;
  if (flags.output === "json") {
    return JSON.stringify(
      { syncs: runs.map((r) => ({ id: r.syncId, startedAt: r.startedAt, endedAt: r.endedAt, syncType: r.syncType, parentSyncId: r.parentSyncId, default: r.syncId === chosen?.syncId })) },
      null,
      2,
    );
  }
  return table(
    ["Id", "Type", "Started", "Ended", "Default"],
    runs.map((r) => [r.syncId, r.syncType, r.startedAt, r.endedAt ?? "(unfinished)", r.syncId === chosen?.syncId ? "yes" : ""]),
  );
}

function table(head: string[], rows: Array<Array<string | number>>): string {
  const t = new Table({ head, style: { head: [], border: [] }, chars: COMPACT });
  for (const row of rows) t.push(row);
  return `${t.toString()}\n${rows.length} row(s)`;
}

function write(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

function asUserError(error: unknown): unknown {
  return error instanceof C1zFormatError ? new UserError(error.message, 1) : error;
}
