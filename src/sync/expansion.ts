import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import type { Database, Statement } from "better-sqlite3";
import { annotation } from "../connector/annotations.js";
import { GrantExpandableSchema, GrantImmutableSchema } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import { EntitlementSchema, type Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema, GrantSourcesSchema, GrantSources_GrantSourceSchema, type Grant } from "../gen/c1/connector/v2/grant_pb.js";
import { encodeGrantParts, lengthDelimitedField } from "../c1z/grant-bytes.js";
import type { C1zWriter } from "../c1z/writer.js";
import { SyncError } from "./context.js";
import { EntitlementGraph, type ExpansionStep } from "./expansion-graph.js";

/**
 * Grant expansion as baton does it (pkg/sync/expand, SQLite path), over this sync's rows:
 * every principal holding an edge's source entitlement (directly, for shallow edges; of the listed
 * resource types, when filtered) receives the destination entitlement — a new grant with id
 * "<dst>:<principalType>:<principalId>", GrantImmutable{} and sources {src: {is_direct}}, or, when it
 * already holds the destination, src merged into that grant's sources.
 */
export interface ExpansionStore {
  db: Database;
  writer: C1zWriter;
  syncId: string;
}

export interface ExpansionProgress {
  /** Called after each step with its position, so a checkpoint can record it. */
  afterStep(round: number, step: number, grantsWritten: number, grantsCreated: number): void;
}

export interface GraphLoad {
  graph: EntitlementGraph;
  /** Edges whose source entitlement is not in this sync (baton drops them too). */
  missingSources: number;
}

/** Builds the graph from grants with needs_expansion = 1, checking each source as baton does. */
export function loadExpansionGraph(store: ExpansionStore): GraphLoad {
  const graph = new EntitlementGraph();
  let missingSources = 0;
  const page = store.db.prepare(
    `select id, entitlement_id, principal_resource_type_id, principal_resource_id, expansion from v1_grants
     where sync_id = ? and needs_expansion = 1 and expansion is not null and id > ? order by id limit 5000`,
  );
  const sourceOf = store.db.prepare(`select resource_type_id, resource_id from v1_entitlements where external_id = ? and sync_id = ?`);
  let last = 0;
  for (;;) {
    const rows = page.all(store.syncId, last) as Array<{
      id: number;
      entitlement_id: string;
      principal_resource_type_id: string;
      principal_resource_id: string;
      expansion: Buffer;
    }>;
    if (rows.length === 0) break;
    for (const row of rows) {
      last = row.id;
      const expandable = fromBinary(GrantExpandableSchema, row.expansion);
      for (const source of expandable.entitlementIds) {
        const found = sourceOf.get(source, store.syncId) as { resource_type_id: string; resource_id: string } | undefined;
        if (!found) {
          missingSources++;
          continue;
        }
        if (found.resource_type_id !== row.principal_resource_type_id || found.resource_id !== row.principal_resource_id) {
          throw new SyncError(
            `grant expansion: source entitlement ${source} belongs to ${found.resource_type_id}:${found.resource_id}, ` +
              `not to the grant's principal ${row.principal_resource_type_id}:${row.principal_resource_id}`,
          );
        }
        graph.addEdge(source, row.entitlement_id, { shallow: expandable.shallow, resourceTypeIds: expandable.resourceTypeIds });
      }
    }
  }
  graph.collapseCycles();
  return { graph, missingSources };
}

/** Runs the plan from (round, step) on; returns how many grants were created or updated. */
export async function applyExpansion(
  store: ExpansionStore,
  rounds: ExpansionStep[][],
  start: { round: number; edge: number },
  progress: ExpansionProgress,
): Promise<{ created: number; updated: number; missingDestinations: number }> {
  const q = new Queries(store.db);
  const totals = { created: 0, updated: 0, missingDestinations: 0 };
  // Steps of a round are ordered by destination: consecutive steps share what is known about it.
  let destination: DestinationState | undefined;
  for (let r = start.round; r < rounds.length; r++) {
    const steps = rounds[r]!;
    for (let s = r === start.round ? start.edge : 0; s < steps.length; s++) {
      const step = steps[s]!;
      if (destination?.id !== step.destination) destination = loadDestination(store, q, step.destination);
      const result = destination ? applyStep(store, q, step, destination) : { created: 0, updated: 0 };
      totals.created += result.created;
      totals.updated += result.updated;
      if (!destination) totals.missingDestinations++;
      progress.afterStep(r, s, result.created + result.updated, result.created);
      // Let timers (progress display, signals) run now and then.
      if (s % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return totals;
}

/** A destination entitlement, who holds it, and their grants on it (loaded on demand). */
interface DestinationState {
  id: string;
  entitlement: Entitlement;
  /** The entitlement as stored: derived grants embed exactly these bytes. */
  entitlementBytes: Uint8Array;
  holders: Set<string>;
  byPrincipal: Map<string, Grant[]>;
}

function loadDestination(store: ExpansionStore, q: Queries, id: string): DestinationState | undefined {
  const row = q.entitlement.get(id, store.syncId) as { data: Buffer } | undefined;
  if (!row) return undefined;
  const holders = new Set((q.principalsOf.all(id, store.syncId) as Array<{ t: string; r: string }>).map((p) => key(p.t, p.r)));
  return { id, entitlement: fromBinary(EntitlementSchema, row.data), entitlementBytes: row.data, holders, byPrincipal: new Map() };
}

class Queries {
  readonly entitlement: Statement;
  readonly principalsOf: Statement;
  readonly grantsOf: Statement;
  readonly grantsOfPrincipal: Statement;

  constructor(db: Database) {
    this.entitlement = db.prepare(`select data from v1_entitlements where external_id = ? and sync_id = ?`);
    this.principalsOf = db.prepare(
      `select distinct principal_resource_type_id as t, principal_resource_id as r from v1_grants where entitlement_id = ? and sync_id = ?`,
    );
    this.grantsOf = db.prepare(`select id, data from v1_grants where entitlement_id = ? and sync_id = ? and id > ? order by id limit 2000`);
    this.grantsOfPrincipal = db.prepare(
      `select data from v1_grants where entitlement_id = ? and sync_id = ? and principal_resource_type_id = ? and principal_resource_id = ? order by id`,
    );
  }
}

const key = (type: string, id: string) => `${type}\u0000${id}`;

/** baton stamps an empty GrantImmutable on every grant expansion derives. */
const IMMUTABLE = annotation(GrantImmutableSchema);
const IMMUTABLE_BYTES = toBinary(AnySchema, IMMUTABLE);

function applyStep(store: ExpansionStore, q: Queries, step: ExpansionStep, dst: DestinationState): { created: number; updated: number } {
  const { syncId, writer } = store;
  if (!q.entitlement.get(step.source, syncId)) return { created: 0, updated: 0 };
  const destination = dst.entitlement;
  const filter = step.resourceTypeIds.length > 0 ? new Set(step.resourceTypeIds) : undefined;
  let created = 0;
  let updated = 0;
  let last = 0;
  for (;;) {
    const rows = q.grantsOf.all(step.source, syncId, last) as Array<{ id: number; data: Buffer }>;
    if (rows.length === 0) break;
    const writes: Array<{ grant: Grant; data?: Uint8Array }> = [];
    for (const row of rows) {
      last = row.id;
      const sourceGrant = fromBinary(GrantSchema, row.data);
      const principal = sourceGrant.principal;
      if (!principal?.id) continue;
      if (filter && !filter.has(principal.id.resourceType)) continue;
      const sources = sourceGrant.sources?.sources ?? {};
      const isDirect = Object.keys(sources).length === 0 || sources[step.source] !== undefined;
      if (step.shallow && !isDirect) continue;
      const k = key(principal.id.resourceType, principal.id.resource);
      let existing = dst.byPrincipal.get(k);
      if (!existing) {
        existing = dst.holders.has(k)
          ? (q.grantsOfPrincipal.all(step.destination, syncId, principal.id.resourceType, principal.id.resource) as Array<{ data: Buffer }>).map((g) =>
              fromBinary(GrantSchema, g.data),
            )
          : [];
        dst.byPrincipal.set(k, existing);
      }
      if (existing.length === 0) {
        const derived = create(GrantSchema, {
          id: `${destination.id}:${principal.id.resourceType}:${principal.id.resource}`,
          entitlement: destination,
          principal,
          annotations: [IMMUTABLE],
          sources: { sources: { [step.source]: { isDirect } } },
        });
        existing.push(derived);
        // Encoded from the stored bytes of the destination and of the source grant's principal.
        const data = encodeGrantParts({
          entitlement: dst.entitlementBytes,
          principal: lengthDelimitedField(row.data, 2)!,
          id: derived.id,
          annotations: [IMMUTABLE_BYTES],
          sources: derived.sources,
        });
        writes.push({ grant: derived, data });
        created++;
        continue;
      }
      for (const grant of existing) {
        const merged = (grant.sources ??= create(GrantSourcesSchema, {}));
        let changed = false;
        if (Object.keys(merged.sources).length === 0) {
          merged.sources[step.destination] = create(GrantSources_GrantSourceSchema, { isDirect: true });
          changed = true;
        }
        const current = merged.sources[step.source];
        if (!current) {
          merged.sources[step.source] = create(GrantSources_GrantSourceSchema, { isDirect });
          changed = true;
        } else if (isDirect && !current.isDirect) {
          current.isDirect = true;
          changed = true;
        }
        if (changed) {
          writes.push({ grant });
          updated++;
        }
      }
    }
    writer.putExpandedGrants(writes);
  }
  return { created, updated };
}
