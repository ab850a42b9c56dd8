import { fromBinary } from "@bufbuild/protobuf";
import type { Database, Statement } from "better-sqlite3";
import { compareGoStrings } from "../c1z/proto-bytes.js";
import { createIndexes, EXPANSION_INDEXES } from "../c1z/schema.js";
import { grantIdAt, rowCount, textAt, type GrantRows } from "../c1z/rows.js";
import type { ExpandedGrantRow } from "../c1z/writer.js";
import { GrantExpandableSchema } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import { mergeSpec, type EdgeSpec, type ExpansionStep } from "./expansion-graph.js";
import { applySteps, SourceCache, type ExpansionStore } from "./expansion.js";

/**
 * Grant expansion begun during the grants phase, so that its writes overlap the listings instead
 * of following them (at AWS's quotas the listings leave the database idle most of the time).
 *
 * A step src → dst gives the same result early as in the final pass when nothing it reads can
 * change any more: every grant of src and of dst is written, src has no edge into it (it is a
 * root, so it is in no cycle and needs no earlier round) and the step's spec is final (every edge
 * into dst is known). Grants are listed per resource, each resource's listing returning the grants
 * of its own entitlements; so a resource's entitlements are complete once its grants job is
 * committed. That is a convention, not a rule of the protocol, so it is checked on every grant:
 *
 * - A grant written for another resource's entitlement (a connector that does not follow it)
 *   undoes every early step at once, from the before-images kept of each row early expansion
 *   touched, and early expansion stops; the final pass then does all the work.
 * - When the final pass builds its plan, each early step must be in its first round with the
 *   same spec (a cycle found later could merge specs); otherwise everything early is undone too.
 *
 * Early steps run at fixed points of the commit order (when a grants job is committed), so the
 * rows, row ids included, still do not depend on timing. Their record and the before-images are
 * scratch tables committed with the checkpoints; a resumed sync rebuilds the rest of the state
 * from the database and its grants cursor, and goes on exactly as an uninterrupted one would.
 */
export const EARLY_STEPS_TABLE = "connector_early_expansion_steps";
export const EARLY_UNDO_TABLE = "connector_early_expansion_undo";
export const EARLY_CREATED_TABLE = "connector_early_expansion_created";
export const EARLY_STATE_TABLE = "connector_early_expansion_state";

interface Edge {
  source: string;
  destination: string;
  spec: EdgeSpec;
  destinationResource: string;
  /** The principal's resource: the source entitlement must belong to it. */
  principalResource: string;
}

export interface GrantsJob {
  typeId: string;
  resourceId: string;
}

const resourceKey = (type: string, id: string) => `${type}\u0000${id}`;

/** One edge per source entitlement of a stored GrantExpandable. */
function edgesOf(expansion: Uint8Array, destination: string, destinationResource: string, principalResource: string): Edge[] {
  const annotation = fromBinary(GrantExpandableSchema, expansion);
  const spec: EdgeSpec = { shallow: annotation.shallow, resourceTypeIds: annotation.resourceTypeIds };
  return annotation.entitlementIds.filter((source) => source.trim() !== "").map((source) => ({ source, destination, spec, destinationResource, principalResource }));
}
const pairKey = (source: string, destination: string) => `${source}\u0000${destination}`;

export function createEarlyExpansionTables(db: Database): void {
  db.exec(`create table if not exists ${EARLY_STEPS_TABLE} (
    seq integer primary key,
    source text not null,
    destination text not null,
    shallow integer not null,
    resource_type_ids text not null,
    created integer not null
  )`);
  db.exec(`create table if not exists ${EARLY_UNDO_TABLE} (grant_row_id integer primary key, data blob)`);
  // Rows early steps created, as id ranges: a step's new rows take consecutive ids.
  db.exec(`create table if not exists ${EARLY_CREATED_TABLE} (from_id integer not null, to_id integer not null)`);
  db.exec(`create table if not exists ${EARLY_STATE_TABLE} (abandoned integer not null)`);
}

export class EarlyExpansion {
  /** Starts new steps (a fresh sync with expansion on); otherwise only guards the ones recorded. */
  #active: boolean;
  /** The edges of each expandable grant as currently stored (one per source entitlement), by grant id. */
  readonly #edges = new Map<string, Edge[]>();
  /** Grant ids of the edges touching each resource (as destination's or source's resource). */
  readonly #byResource = new Map<string, Set<string>>();
  /** Edges into each entitlement: an entitlement with any is not a root. */
  readonly #incoming = new Map<string, number>();
  readonly #complete = new Set<string>();
  readonly #applied = new Set<string>();
  /** Grants of the sources early steps read: final once a step may run, and read again by every step from that source. */
  readonly #sources = new SourceCache();
  /** Row ids early steps created, as ascending runs (mirrors EARLY_CREATED_TABLE). */
  readonly #created: Array<{ from: number; to: number }> = [];
  #hasApplied: boolean;
  readonly #q: {
    entitlementResource: Statement;
    recordStep: Statement;
    rowIdOf: Statement;
    keepBefore: Statement;
    keepCreated: Statement;
  };

  /**
   * `grantsDone`: when active, the grants jobs already committed — those resources have all their
   * grants written (none for a fresh sync; a resumed one rebuilds its state from the database).
   */
  constructor(
    private readonly store: ExpansionStore,
    options: { active: boolean; grantsDone?: readonly GrantsJob[] },
  ) {
    const { db } = store;
    createEarlyExpansionTables(db);
    const abandoned = db.prepare(`select 1 from ${EARLY_STATE_TABLE} limit 1`).get() !== undefined;
    this.#active = options.active && !abandoned;
    this.#hasApplied = db.prepare(`select 1 from ${EARLY_STEPS_TABLE} limit 1`).get() !== undefined;
    this.#q = {
      entitlementResource: db.prepare(`select resource_type_id as t, resource_id as r from v1_entitlements where external_id = ? and sync_id = ?`),
      recordStep: db.prepare(`insert into ${EARLY_STEPS_TABLE} (source, destination, shallow, resource_type_ids, created) values (?, ?, ?, ?, ?)`),
      rowIdOf: db.prepare(`select id from v1_grants where external_id = ? and sync_id = ?`).pluck(),
      // Only a row's first image counts (it is the one to restore).
      keepBefore: db.prepare(`insert or ignore into ${EARLY_UNDO_TABLE} (grant_row_id, data) select id, data from v1_grants where id = ?`),
      keepCreated: db.prepare(`insert into ${EARLY_CREATED_TABLE} (from_id, to_id) values (?, ?)`),
    };
    for (const r of db.prepare(`select from_id, to_id from ${EARLY_CREATED_TABLE} order by from_id`).all() as Array<{ from_id: number; to_id: number }>) {
      this.#created.push({ from: r.from_id, to: r.to_id });
    }
    if (this.#active && (options.grantsDone?.length ?? 0) > 0) this.#restore(options.grantsDone!);
  }

  /** A resumed sync's state, as the interrupted run had it at its last checkpoint. */
  #restore(grantsDone: readonly GrantsJob[]): void {
    const { db, syncId } = this.store;
    for (const job of grantsDone) this.#complete.add(resourceKey(job.typeId, job.resourceId));
    const expandable = db
      .prepare(
        `select external_id as id, entitlement_id as e, resource_type_id as t, resource_id as r, principal_resource_type_id as pt, principal_resource_id as pr, expansion
         from v1_grants where sync_id = ? and expansion is not null order by id`,
      )
      .all(syncId) as Array<{ id: string; e: string; t: string; r: string; pt: string; pr: string; expansion: Buffer }>;
    for (const g of expandable) this.#remember(g.id, edgesOf(g.expansion, g.e, resourceKey(g.t, g.r), resourceKey(g.pt, g.pr)));
    const applied = db.prepare(`select source, destination from ${EARLY_STEPS_TABLE}`).all() as Array<{ source: string; destination: string }>;
    for (const a of applied) this.#applied.add(pairKey(a.source, a.destination));
  }

  /** Before a page of `job`'s grants is written: checks the convention, and notes the expandable grants. */
  observe(job: GrantsJob, grants: GrantRows): void {
    if (!this.#active && !this.#hasApplied) return;
    const { resourceTypeIds: types, resourceIds: resources } = grants;
    // Shared columns (rows.ts) are checked once.
    for (let i = 0; i < rowCount(grants); i++) {
      if (textAt(types, i) !== job.typeId || textAt(resources, i) !== job.resourceId) {
        this.#abandon();
        return;
      }
      if (typeof types === "string" && typeof resources === "string") break;
    }
    if (!this.#active) return;
    // Nothing remembered and nothing expandable here: no edge to note or replace.
    if (this.#edges.size === 0 && !grants.expansions) return;
    const own = resourceKey(job.typeId, job.resourceId);
    for (let i = 0; i < rowCount(grants); i++) {
      const id = grantIdAt(grants, i);
      this.#forget(id);
      const expansion = grants.expansions?.[i];
      if (!expansion) continue;
      this.#remember(id, edgesOf(expansion, textAt(grants.entitlementIds, i), own, resourceKey(textAt(grants.principalTypeIds, i), grants.principalIds[i]!)));
    }
  }

  /** `job`'s grants are all written: the steps it completes run now. */
  jobDone(job: GrantsJob): void {
    if (!this.#active) return;
    const key = resourceKey(job.typeId, job.resourceId);
    this.#complete.add(key);
    const ready = new Map<string, ExpansionStep>();
    for (const id of this.#byResource.get(key) ?? []) {
      for (const edge of this.#edges.get(id)!) {
        const pair = pairKey(edge.source, edge.destination);
        if (ready.has(pair) || this.#applied.has(pair) || !this.#isReady(edge)) continue;
        ready.set(pair, { source: edge.source, destination: edge.destination, ...this.#mergedSpec(edge) });
      }
    }
    if (ready.size === 0) return;
    // The final pass's order within a round: by destination, then source.
    const steps = [...ready.values()].sort((a, b) => compareGoStrings(a.destination, b.destination) || compareGoStrings(a.source, b.source));
    createIndexes(this.store.db, EXPANSION_INDEXES);
    const { writer, syncId } = this.store;
    // New rows are noted as runs of consecutive ids (a step's new rows take consecutive ids); a row
    // that existed before early expansion keeps its first image before it is updated.
    const created = this.#created;
    // This call's runs are new rows of the table (a run never spans two calls).
    const runsBefore = created.length;
    const write = (rows: ExpandedGrantRow[]) => {
      const createdIds = writer.addExpandedGrants(rows);
      for (const [i, row] of rows.entries()) {
        const id = createdIds[i];
        if (id === undefined) {
          const existing = this.#q.rowIdOf.get(row.id, syncId) as number;
          if (!this.#isCreated(existing)) this.#q.keepBefore.run(existing);
          writer.putExpandedGrants([row]);
          continue;
        }
        const last = created.length > runsBefore ? created[created.length - 1] : undefined;
        if (last && id === last.to + 1) last.to = id;
        else created.push({ from: id, to: id });
      }
    };
    applySteps({ ...this.store, write, sourceCache: this.#sources }, steps, (step, created) => {
      this.#applied.add(pairKey(step.source, step.destination));
      this.#q.recordStep.run(step.source, step.destination, step.shallow ? 1 : 0, JSON.stringify(step.resourceTypeIds), created);
    });
    for (const r of created.slice(runsBefore)) this.#q.keepCreated.run(r.from, r.to);
    this.#hasApplied = true;
  }

  /** Whether an early step created row `id` (its undo is a delete, not a before-image). */
  #isCreated(id: number): boolean {
    const runs = this.#created;
    let lo = 0;
    let hi = runs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = runs[mid]!;
      if (id < r.from) hi = mid - 1;
      else if (id > r.to) lo = mid + 1;
      else return true;
    }
    return false;
  }

  #isReady(edge: Edge): boolean {
    if (!this.#complete.has(edge.destinationResource) || (this.#incoming.get(edge.source) ?? 0) > 0) return false;
    const source = this.#q.entitlementResource.get(edge.source, this.store.syncId) as { t: string; r: string } | undefined;
    // A missing or mismatched source is the final pass's to report.
    if (!source || resourceKey(source.t, source.r) !== edge.principalResource) return false;
    return this.#complete.has(edge.principalResource);
  }

  /** Every edge source → destination merged, as the graph merges duplicate edges. */
  #mergedSpec(edge: Edge): EdgeSpec {
    let spec: EdgeSpec | undefined;
    for (const id of this.#byResource.get(edge.destinationResource) ?? []) {
      for (const other of this.#edges.get(id)!) {
        if (other.source === edge.source && other.destination === edge.destination) spec = mergeSpec(spec, other.spec);
      }
    }
    return { shallow: spec!.shallow, resourceTypeIds: [...spec!.resourceTypeIds].sort(compareGoStrings) };
  }

  #remember(grantId: string, edges: Edge[]): void {
    if (edges.length === 0) return;
    this.#edges.set(grantId, edges);
    for (const edge of edges) {
      for (const key of [edge.destinationResource, edge.principalResource]) {
        let ids = this.#byResource.get(key);
        if (!ids) this.#byResource.set(key, (ids = new Set()));
        ids.add(grantId);
      }
      this.#incoming.set(edge.destination, (this.#incoming.get(edge.destination) ?? 0) + 1);
    }
  }

  /** An upserted grant replaces its edges. */
  #forget(grantId: string): void {
    const edges = this.#edges.get(grantId);
    if (!edges) return;
    this.#edges.delete(grantId);
    for (const edge of edges) {
      for (const key of [edge.destinationResource, edge.principalResource]) this.#byResource.get(key)?.delete(grantId);
      this.#incoming.set(edge.destination, this.#incoming.get(edge.destination)! - 1);
    }
  }

  /**
   * The plan of the final pass, less the early steps — or, when an early step is not in its first
   * round with the same spec, the whole plan after undoing every early step. Returns the grants
   * early steps created that stand.
   */
  reconcile(rounds: ExpansionStep[][]): { rounds: ExpansionStep[][]; created: number } {
    this.#active = false;
    const db = this.store.db;
    const early = db.prepare(`select source, destination, shallow, resource_type_ids, created from ${EARLY_STEPS_TABLE}`).all() as Array<{
      source: string;
      destination: string;
      shallow: number;
      resource_type_ids: string;
      created: number;
    }>;
    if (early.length === 0) return { rounds, created: 0 };
    const first = new Map((rounds[0] ?? []).map((s) => [pairKey(s.source, s.destination), s]));
    const same = early.every((e) => {
      const step = first.get(pairKey(e.source, e.destination));
      return !!step && step.shallow === (e.shallow === 1) && JSON.stringify(step.resourceTypeIds) === e.resource_type_ids;
    });
    if (!same) {
      this.#abandon();
      return { rounds, created: 0 };
    }
    const done = new Set(early.map((e) => pairKey(e.source, e.destination)));
    const rest = rounds.map((steps, i) => (i === 0 ? steps.filter((s) => !done.has(pairKey(s.source, s.destination))) : steps));
    return { rounds: rest, created: early.reduce((n, e) => n + e.created, 0) };
  }

  /** Restores every row early expansion touched and stops it: the final pass does everything. */
  #abandon(): void {
    if (this.#active) this.store.db.exec(`insert into ${EARLY_STATE_TABLE} (abandoned) values (1)`);
    this.#active = false;
    if (this.#hasApplied) {
      const db = this.store.db;
      const deleteRange = db.prepare(`delete from v1_grants where id between ? and ?`);
      for (const r of this.#created) deleteRange.run(r.from, r.to);
      db.exec(
        `update v1_grants set data = (select u.data from ${EARLY_UNDO_TABLE} u where u.grant_row_id = v1_grants.id)
         where id in (select grant_row_id from ${EARLY_UNDO_TABLE} where data is not null)`,
      );
      db.exec(`delete from ${EARLY_UNDO_TABLE}`);
      db.exec(`delete from ${EARLY_CREATED_TABLE}`);
      db.exec(`delete from ${EARLY_STEPS_TABLE}`);
    }
    this.#hasApplied = false;
    this.#created.length = 0;
    this.#sources.clear();
    this.#applied.clear();
    this.#edges.clear();
    this.#byResource.clear();
    this.#incoming.clear();
  }
}
