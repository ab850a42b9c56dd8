import { fromBinary } from "@bufbuild/protobuf";
import type { Database, Statement } from "better-sqlite3";
import { compareGoStrings } from "../c1z/proto-bytes.js";
import { createIndexes, EXPANSION_INDEXES } from "../c1z/schema.js";
import { grantIdAt, rowCount, textAt, type GrantRows } from "../c1z/rows.js";
import type { ExpandedGrantRow } from "../c1z/writer.js";
import { GrantExpandableSchema } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import { mergeSpec, type EdgeSpec, type ExpansionStep } from "./expansion-graph.js";
import { applySteps, cacheSourceGrants, SourceCache, type ExpansionStore } from "./expansion.js";
import { resourceKey } from "./resource-key.js";

/**
 * Grant expansion begun during the grants phase, so that its writes overlap the listings instead
 * of following them (at AWS's quotas the listings leave the database idle most of the time).
 *
 * A step src → dst gives the same result early as in the final pass when nothing it reads can
 * change any more: every grant of src and of dst is written, every edge into src has already run
 * early (src is a root, or everything it receives has reached it; a src in a cycle never gets
 * there) and the step's spec is final (every edge into dst is known). Grants are listed per
 * resource, each resource's listing returning the grants of its own entitlements; so a
 * resource's entitlements, and the edges into them, are complete once its grants job is
 * committed. A step that runs makes the steps out of its destination candidates in turn, so a
 * chain (group → permission-set binding → policy) runs as soon as its last link is written.
 * That is a convention, not a rule of the protocol, so it is checked on every grant:
 *
 * - A grant written for another resource's entitlement (a connector that does not follow it)
 *   undoes every early step at once, from the before-images kept of each row early expansion
 *   touched, and early expansion stops; the final pass then does all the work.
 * - When the final pass builds its plan, each early step must be in it with the same spec (a
 *   cycle found later could merge specs) and every step into its source must be early too;
 *   otherwise everything early is undone.
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

/** One edge per source entitlement of a stored GrantExpandable. */
function edgesOf(expansion: Uint8Array, destination: string, destinationResource: string, principalResource: string): Edge[] {
  const annotation = fromBinary(GrantExpandableSchema, expansion);
  const spec: EdgeSpec = { shallow: annotation.shallow, resourceTypeIds: annotation.resourceTypeIds };
  return annotation.entitlementIds.filter((source) => source.trim() !== "").map((source) => ({ source, destination, spec, destinationResource, principalResource }));
}
const pairKey = (source: string, destination: string) => `${source}\u0000${destination}`;

/** The edges of one pair merged, as the graph merges duplicate edges (filters in Go string order, as the plan has them). */
function mergedSpec(edges: readonly Edge[]): EdgeSpec {
  let spec: EdgeSpec | undefined;
  for (const edge of edges) spec = mergeSpec(spec, edge.spec);
  return { shallow: spec!.shallow, resourceTypeIds: [...spec!.resourceTypeIds].sort(compareGoStrings) };
}

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
  /** Edges into each entitlement, by source entitlement (one per grant carrying the pair). */
  readonly #incoming = new Map<string, Map<string, Edge[]>>();
  /** Per destination, the source whose step was last found not ready (checked first next time). */
  readonly #blocker = new Map<string, string>();
  /** The resource of each source entitlement found in the database (entitlements are written before grants). */
  readonly #sourceResource = new Map<string, string>();
  /** Grant ids of the edges out of each source entitlement: candidates once everything into it has run. */
  readonly #bySource = new Map<string, Set<string>>();
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

  /** `job`'s grants are all written: the steps it completes run now, then the steps those complete. */
  jobDone(job: GrantsJob): void {
    if (!this.#active) return;
    const key = resourceKey(job.typeId, job.resourceId);
    this.#complete.add(key);
    let candidates = this.#byResource.get(key);
    while (candidates && candidates.size > 0) {
      const steps = this.#readySteps(candidates);
      if (steps.length === 0) return;
      this.#run(steps);
      // What reaches these destinations is now complete wherever every edge into them has run.
      const destinations = new Set(steps.map((s) => s.destination));
      candidates = new Set<string>();
      for (const d of destinations) for (const id of this.#bySource.get(d) ?? []) candidates.add(id);
      this.#cacheFinalSources(destinations);
    }
  }

  /**
   * The steps of these grants' edges that may run now, in the final pass's order within a round
   * (destination, source). A step from a root runs as soon as it is ready. Steps from other
   * sources (a permission-set binding, whose holders come partly from expansion) run only with
   * every other step into their destination, once all are ready: a destination reached through k
   * such sources one at a time would have each of its grants rewritten k times, its sources
   * growing by one each time (a policy reached through the bindings of many accounts).
   */
  #readySteps(grantIds: Iterable<string>): ExpansionStep[] {
    const ready = new Map<string, ExpansionStep>();
    const groupsSeen = new Set<string>();
    for (const id of grantIds) {
      for (const edge of this.#edges.get(id)!) {
        const pair = pairKey(edge.source, edge.destination);
        if (ready.has(pair) || this.#applied.has(pair) || !this.#isReady(edge)) continue;
        if (!this.#incoming.has(edge.source)) {
          ready.set(pair, { source: edge.source, destination: edge.destination, ...mergedSpec(this.#incoming.get(edge.destination)!.get(edge.source)!) });
          continue;
        }
        if (groupsSeen.has(edge.destination)) continue;
        groupsSeen.add(edge.destination);
        const into = this.#incoming.get(edge.destination)!;
        if (!this.#allReady(edge.destination, into)) continue;
        for (const [source, edges] of into) {
          const key = pairKey(source, edge.destination);
          if (!this.#applied.has(key)) ready.set(key, { source, destination: edge.destination, ...mergedSpec(edges) });
        }
      }
    }
    // None of these steps reads another's destination: a step's source had every edge into it run before.
    return [...ready.values()].sort((a, b) => compareGoStrings(a.destination, b.destination) || compareGoStrings(a.source, b.source));
  }

  /** Whether every step into `destination` not yet run may run now (the one found blocking last time is asked first). */
  #allReady(destination: string, into: Map<string, Edge[]>): boolean {
    const blocker = this.#blocker.get(destination);
    const order = blocker !== undefined && into.has(blocker) ? [blocker, ...into.keys()] : into.keys();
    for (const source of order) {
      if (this.#applied.has(pairKey(source, destination)) || this.#isReady(into.get(source)![0]!)) continue;
      this.#blocker.set(destination, source);
      return false;
    }
    this.#blocker.delete(destination);
    return true;
  }

  /**
   * Destinations now final with steps out of them still to run (a binding's, to its policies,
   * waiting for the policy's other bindings): their grants are read now, while the database has
   * time, instead of with those steps, which mostly run after AWS's last answer.
   */
  #cacheFinalSources(destinations: Set<string>): void {
    for (const d of destinations) {
      if (!this.#reached(d)) continue;
      const waiting = [...(this.#bySource.get(d) ?? [])].some((id) => this.#edges.get(id)!.some((e) => e.source === d && !this.#applied.has(pairKey(d, e.destination))));
      if (waiting) cacheSourceGrants({ ...this.store, sourceCache: this.#sources }, d);
    }
  }

  /** Whether every edge into `entitlement` has run early (a root: it has none). */
  #reached(entitlement: string): boolean {
    for (const source of this.#incoming.get(entitlement)?.keys() ?? []) if (!this.#applied.has(pairKey(source, entitlement))) return false;
    return true;
  }

  #run(steps: ExpansionStep[]): void {
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

  /** Both ends' grants are written and everything reaching the source has reached it. */
  #isReady(edge: Edge): boolean {
    if (!this.#complete.has(edge.destinationResource)) return false;
    if (!this.#reached(edge.source)) return false;
    let source = this.#sourceResource.get(edge.source);
    if (source === undefined) {
      const row = this.#q.entitlementResource.get(edge.source, this.store.syncId) as { t: string; r: string } | undefined;
      // A missing source is the final pass's to report (and may still be written: not remembered).
      if (!row) return false;
      this.#sourceResource.set(edge.source, (source = resourceKey(row.t, row.r)));
    }
    // A mismatched source is the final pass's to report.
    return source === edge.principalResource && this.#complete.has(edge.principalResource);
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
      let into = this.#incoming.get(edge.destination);
      if (!into) this.#incoming.set(edge.destination, (into = new Map()));
      const pair = into.get(edge.source);
      if (pair) pair.push(edge);
      else into.set(edge.source, [edge]);
      let out = this.#bySource.get(edge.source);
      if (!out) this.#bySource.set(edge.source, (out = new Set()));
      out.add(grantId);
    }
  }

  /** An upserted grant replaces its edges. */
  #forget(grantId: string): void {
    const edges = this.#edges.get(grantId);
    if (!edges) return;
    this.#edges.delete(grantId);
    for (const edge of edges) {
      for (const key of [edge.destinationResource, edge.principalResource]) this.#byResource.get(key)?.delete(grantId);
      this.#bySource.get(edge.source)?.delete(grantId);
      const into = this.#incoming.get(edge.destination)!;
      const left = into.get(edge.source)!.filter((e) => e !== edge);
      if (left.length > 0) into.set(edge.source, left);
      else into.delete(edge.source);
      if (into.size === 0) this.#incoming.delete(edge.destination);
    }
  }

  /**
   * The plan of the final pass, less the early steps — or, when an early step is not in the plan
   * with the same spec or a step into its source is not early, the whole plan after undoing every
   * early step. Returns the grants early steps created that stand.
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
    const planned = new Map(rounds.flat().map((s) => [pairKey(s.source, s.destination), s]));
    const done = new Set(early.map((e) => pairKey(e.source, e.destination)));
    const earlySources = new Set(early.map((e) => e.source));
    const same = early.every((e) => {
      const step = planned.get(pairKey(e.source, e.destination));
      return !!step && step.shallow === (e.shallow === 1) && JSON.stringify(step.resourceTypeIds) === e.resource_type_ids;
    });
    // An early step read its source as complete: nothing may still reach that source in the final pass.
    const sourcesFinal = [...planned.values()].every((s) => !earlySources.has(s.destination) || done.has(pairKey(s.source, s.destination)));
    if (!same || !sourcesFinal) {
      this.#abandon();
      return { rounds, created: 0 };
    }
    const rest = rounds.map((steps) => steps.filter((s) => !done.has(pairKey(s.source, s.destination))));
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
    this.#bySource.clear();
    this.#incoming.clear();
    this.#blocker.clear();
    this.#sourceResource.clear();
  }
}
