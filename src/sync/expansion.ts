import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import type { Database, Statement } from "better-sqlite3";
import { annotation } from "../connector/annotations.js";
import { GrantExpandableSchema, GrantImmutableSchema } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import { EntitlementSchema } from "../gen/c1/connector/v2/entitlement_pb.js";
import { GrantSourcesSchema, GrantSources_GrantSourceSchema, type GrantSources } from "../gen/c1/connector/v2/grant_pb.js";
import { encodeGrantParts, encodeGrantSources, grantPrincipalAndSources, sourcesInfo, withSources } from "../c1z/grant-bytes.js";
import type { C1zWriter, ExpandedGrantRow } from "../c1z/writer.js";
import { SyncError } from "./context.js";
import { EntitlementGraph, type ExpansionStep } from "./expansion-graph.js";
import { resourceKey } from "./resource-key.js";

/**
 * Grant expansion as baton does it (pkg/sync/expand, SQLite path), over this sync's rows:
 * every principal holding an edge's source entitlement (directly, for shallow edges; of the listed
 * resource types, when filtered) receives the destination entitlement — a new grant with id
 * "<dst>:<principalType>:<principalId>", GrantImmutable{} and sources {src: {is_direct}}, or, when it
 * already holds the destination, src merged into that grant's sources.
 *
 * It runs where the database is (the store's thread) and works on stored bytes and columns:
 * a source grant is never decoded (its principal and sources are read from its bytes), and a
 * derived grant is assembled from the stored bytes of its entitlement and principal.
 */
export interface ExpansionStore {
  db: Database;
  writer: C1zWriter;
  syncId: string;
  /** How derived and merged grants are written (default: the writer). */
  write?: (rows: ExpandedGrantRow[]) => void;
  /**
   * A table of grant row ids (column `id`) expansion treats as absent: an incremental sync's
   * re-expansion hides the derived grants it is about to make again (incremental-store.ts).
   */
  hiddenRowsTable?: string;
  /**
   * Source grants kept between steps: only for sources whose grants can no longer change. A group
   * is the source of one early step per account it is assigned to; a permission set's binding, of
   * one final step per policy the set carries.
   */
  sourceCache?: SourceCache;
}

/**
 * Source grants by source entitlement. A principal's grants mostly carry the same principal bytes,
 * so one SourceGrant stands for all those with equal bytes and directness: a cached grant costs a
 * reference. Past `limit` grants, sources are read again instead of kept.
 */
export class SourceCache {
  readonly #bySource = new Map<string, SourceGrant[]>();
  readonly #byPrincipal = new Map<string, SourceGrant[]>();
  #size = 0;

  constructor(private readonly limit = 4_000_000) {}

  get(source: string): SourceGrant[] | undefined {
    return this.#bySource.get(source);
  }

  /** False when the cache is full (the grants are not kept). */
  set(source: string, grants: SourceGrant[]): boolean {
    if (this.#size + grants.length > this.limit) return false;
    this.#size += grants.length - (this.#bySource.get(source)?.length ?? 0);
    this.#bySource.set(source, grants);
    return true;
  }

  delete(source: string): void {
    this.#size -= this.#bySource.get(source)?.length ?? 0;
    this.#bySource.delete(source);
  }

  clear(): void {
    this.#bySource.clear();
    this.#byPrincipal.clear();
    this.#size = 0;
  }

  /** The shared SourceGrant for these values; `principal` is copied when first seen (out of its row's buffer). */
  intern(t: string, r: string, principal: Uint8Array, isDirect: boolean): SourceGrant {
    const k = resourceKey(t, r);
    let variants = this.#byPrincipal.get(k);
    if (!variants) this.#byPrincipal.set(k, (variants = []));
    for (const v of variants) if (v.isDirect === isDirect && Buffer.compare(v.principal, principal) === 0) return v;
    const grant = { t, r, principal: new Uint8Array(principal), isDirect };
    variants.push(grant);
    return grant;
  }
}

/** A grant of a step's source entitlement, as expansion uses it. */
export interface SourceGrant {
  t: string;
  r: string;
  principal: Uint8Array;
  /** Direct on its entitlement (no sources, or a source entry for that entitlement itself). */
  isDirect: boolean;
}

/** Called after each step with its position; returning true stops the run there, or after the destination's last step (to checkpoint). */
export type AfterStep = (round: number, step: number, grantsWritten: number, grantsCreated: number) => boolean | void;

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

export interface ExpansionTotals {
  created: number;
  updated: number;
  missingDestinations: number;
  /** False when afterStep stopped the run before the end. */
  done: boolean;
}

/** The plan of one sync's expansion, loaded once and applied in slices (see StoreCore.expand). */
export class Expander {
  #rounds: ExpansionStep[][] = [];
  /** A round's sources are complete: their grants are read once, not once per destination. */
  readonly #sources = new SourceCache();

  constructor(private readonly store: ExpansionStore) {}

  /** `adjust` may take steps out of the plan (done early, see early-expansion.ts); `created` counts their grants. */
  load(adjust?: (rounds: ExpansionStep[][]) => { rounds: ExpansionStep[][]; created: number }): { jobs: number; missingSources: number; createdEarly: number } {
    const { graph, missingSources } = loadExpansionGraph(this.store);
    const adjusted = adjust ? adjust(graph.rounds()) : { rounds: graph.rounds(), created: 0 };
    this.#rounds = adjusted.rounds;
    return { jobs: this.#rounds.reduce((n, r) => n + r.length, 0), missingSources, createdEarly: adjusted.created };
  }

  /** Steps before `position` (a checkpointed one): already done. */
  stepsBefore(position: { round: number; edge: number }): number {
    return this.#rounds.slice(0, position.round).reduce((n, r) => n + r.length, 0) + position.edge;
  }

  apply(start: { round: number; edge: number }, afterStep: AfterStep): ExpansionTotals {
    return applyExpansion({ ...this.store, sourceCache: this.#sources }, this.#rounds, start, afterStep);
  }
}

/** Runs the plan from (round, step) on, until the end or until afterStep asks to stop. */
export function applyExpansion(store: ExpansionStore, rounds: ExpansionStep[][], start: { round: number; edge: number }, afterStep: AfterStep): ExpansionTotals {
  const runner = new StepRunner(store);
  const totals: ExpansionTotals = { created: 0, updated: 0, missingDestinations: 0, done: false };
  // Steps left per source: a cached source goes once its last step has run.
  const uses = new Map<string, number>();
  if (store.sourceCache) {
    for (let r = start.round; r < rounds.length; r++) {
      for (const step of rounds[r]!.slice(r === start.round ? start.edge : 0)) uses.set(step.source, (uses.get(step.source) ?? 0) + 1);
    }
  }
  for (let r = start.round; r < rounds.length; r++) {
    const steps = rounds[r]!;
    for (let s = r === start.round ? start.edge : 0; s < steps.length; s++) {
      const result = runner.run(steps[s]!);
      const left = (uses.get(steps[s]!.source) ?? 0) - 1;
      if (left <= 0) store.sourceCache?.delete(steps[s]!.source);
      else uses.set(steps[s]!.source, left);
      totals.created += result.created;
      totals.updated += result.updated;
      if (result.missingDestination) totals.missingDestinations++;
      const last = r === rounds.length - 1 && s === steps.length - 1;
      // A destination's grants are written once, with all their sources: a stop inside its steps
      // would write them, then read them back, decode and rewrite them after the checkpoint.
      const within = s + 1 < steps.length && steps[s + 1]!.destination === steps[s]!.destination;
      if (afterStep(r, s, result.created + result.updated, result.created) === true && !last && !within) {
        runner.flush();
        return totals;
      }
    }
    // The next round's sources are this round's destinations: they must be in the database.
    runner.flush();
  }
  totals.done = true;
  return totals;
}

/**
 * Reads a source's grants into the store's cache now, when they can no longer change, so that
 * steps from it that must wait for other sources find them there instead of reading them then.
 */
export function cacheSourceGrants(store: ExpansionStore & { sourceCache: SourceCache }, source: string): void {
  if (store.sourceCache.get(source)) return;
  for (const _page of sourceGrantPages(store, new Queries(store.db, store.hiddenRowsTable), source));
}

/** Runs `steps` in order, telling `after` what each created. */
export function applySteps(store: ExpansionStore, steps: readonly ExpansionStep[], after: (step: ExpansionStep, created: number) => void): void {
  const runner = new StepRunner(store);
  for (const step of steps) after(step, runner.run(step).created);
  runner.flush();
}

/**
 * Applies steps one after another; steps ordered by destination share what is known about it.
 * A destination's new and merged grants are written when the runner moves on to another
 * destination (or flush() is called), each grant once with all the sources its steps gave it:
 * written after every step instead, a grant reached through k sources (a policy attached to a
 * permission set on k accounts, for one person) was rewritten k times, its sources growing by one
 * each time — quadratic bytes (about 24 GB for the 724k policy grants of large-bench).
 */
class StepRunner {
  readonly #q: Queries;
  #destination: DestinationState | undefined;

  constructor(private readonly store: ExpansionStore) {
    this.#q = new Queries(store.db, store.hiddenRowsTable);
  }

  run(step: ExpansionStep): { created: number; updated: number; missingDestination: boolean } {
    if (this.#destination?.id !== step.destination) {
      this.flush();
      this.#destination = loadDestination(this.store, this.#q, step.destination);
    }
    if (!this.#destination) return { created: 0, updated: 0, missingDestination: true };
    return { ...applyStep(this.store, this.#q, step, this.#destination), missingDestination: false };
  }

  /** Writes the current destination's pending grants. */
  flush(): void {
    if (this.#destination) writePending(this.store, this.#destination);
  }
}

/** A grant on the destination that expansion may merge sources into. */
interface Holding {
  /** Its current bytes (stored ones), or how to make them (derived ones). */
  stored?: Uint8Array;
  principalBytes?: Uint8Array;
  row: Omit<ExpandedGrantRow, "data">;
  /** Decoded when a later step merges into it; a derived grant most often never meets one. */
  sources: GrantSources | (() => GrantSources);
  /** A new grant's encoded sources, while no step has merged into them. */
  createdSourcesBytes?: Uint8Array;
  /** A stored grant without sources (a direct one), until a step merges into it. */
  noSources?: boolean;
  /** In its destination's pending list, to be written. */
  pending?: boolean;
}

function sourcesNow(holding: Holding): GrantSources {
  if (typeof holding.sources === "function") holding.sources = holding.sources();
  return holding.sources;
}

/** A destination entitlement, who holds it, and their grants on it (loaded on demand). */
interface DestinationState {
  id: string;
  resourceTypeId: string;
  resourceId: string;
  /** The entitlement as stored: derived grants embed exactly these bytes. */
  entitlementBytes: Uint8Array;
  /** Principals holding it in the database, once loaded (see mayHold). */
  holders?: Set<string>;
  /** Principals looked up one by one so far. */
  lookups: number;
  byPrincipal: Map<string, Holding[]>;
  /** Grants created or changed since the last write, in the order they first were. */
  pending: Holding[];
}

function loadDestination(store: ExpansionStore, q: Queries, id: string): DestinationState | undefined {
  const row = q.entitlement.get(id, store.syncId) as { data: Buffer } | undefined;
  if (!row) return undefined;
  const resourceId = fromBinary(EntitlementSchema, row.data).resource?.id;
  return { id, resourceTypeId: resourceId?.resourceType ?? "", resourceId: resourceId?.resource ?? "", entitlementBytes: row.data, lookups: 0, byPrincipal: new Map(), pending: [] };
}

/** Principals looked up one query each before a destination's holders are all loaded in one. */
const SINGLE_LOOKUPS = 64;

/**
 * Whether the principal may hold the destination in the database (false: it surely does not).
 * An early step often adds a few principals to a destination that has thousands (a role, to an
 * AWS-managed policy): loading them all for each such step read the same rows again and again.
 */
function mayHold(store: ExpansionStore, q: Queries, dst: DestinationState, principalKey: string): boolean {
  if (!dst.holders && ++dst.lookups > SINGLE_LOOKUPS) {
    dst.holders = new Set((q.principalsOf.all(dst.id, store.syncId) as Array<{ t: string; r: string }>).map((p) => resourceKey(p.t, p.r)));
  }
  return dst.holders?.has(principalKey) ?? true;
}

class Queries {
  readonly entitlement: Statement;
  readonly principalsOf: Statement;
  readonly grantsOf: Statement;
  readonly grantsOfPrincipal: Statement;

  constructor(db: Database, hiddenRowsTable?: string) {
    const visible = hiddenRowsTable ? `and id not in (select id from ${hiddenRowsTable})` : "";
    this.entitlement = db.prepare(`select data from v1_entitlements where external_id = ? and sync_id = ?`);
    this.principalsOf = db.prepare(
      `select distinct principal_resource_type_id as t, principal_resource_id as r from v1_grants where entitlement_id = ? and sync_id = ? ${visible}`,
    );
    this.grantsOf = db.prepare(
      `select id, principal_resource_type_id as t, principal_resource_id as r, data from v1_grants
       where entitlement_id = ? and sync_id = ? and id > ? ${visible} order by id limit 2000`,
    );
    this.grantsOfPrincipal = db.prepare(
      `select external_id, data from v1_grants where entitlement_id = ? and sync_id = ? and principal_resource_type_id = ? and principal_resource_id = ? ${visible} order by id`,
    );
  }
}

/** baton stamps an empty GrantImmutable on every grant expansion derives. */
const IMMUTABLE_BYTES = toBinary(AnySchema, annotation(GrantImmutableSchema));

function sourcesOf(entries: Record<string, boolean>): GrantSources {
  const sources = create(GrantSourcesSchema, {});
  for (const [id, isDirect] of Object.entries(entries)) sources.sources[id] = create(GrantSources_GrantSourceSchema, { isDirect });
  return sources;
}

/** Derived grants written at a time: a batch of ~2 KiB rows small enough to die young (V8's young generation). */
const WRITE_BATCH = 128;

/** Marks the holding to be written with its destination's next write. */
function markPending(dst: DestinationState, holding: Holding): void {
  if (holding.pending) return;
  holding.pending = true;
  dst.pending.push(holding);
}

/** Writes the destination's pending grants, a batch at a time; new ones in the order they were made (so row ids do not change). */
function writePending(store: ExpansionStore, dst: DestinationState): void {
  const write = store.write ?? ((rows: ExpandedGrantRow[]) => store.writer.putExpandedGrants(rows));
  const pending = dst.pending;
  for (let i = 0; i < pending.length; i += WRITE_BATCH) {
    const batch = pending.slice(i, i + WRITE_BATCH);
    write(batch.map((holding) => ({ ...holding.row, data: holdingBytes(dst, holding) })));
    for (const holding of batch) holding.pending = false;
  }
  dst.pending = [];
}

function applyStep(store: ExpansionStore, q: Queries, step: ExpansionStep, dst: DestinationState): { created: number; updated: number } {
  const { syncId } = store;
  if (!q.entitlement.get(step.source, syncId)) return { created: 0, updated: 0 };
  const filter = step.resourceTypeIds.length > 0 ? new Set(step.resourceTypeIds) : undefined;
  // Every grant this step creates has one of two sources fields: encode each once.
  const createdSources = [false, true].map((isDirect) => encodeGrantSources(sourcesOf({ [step.source]: isDirect })));
  let created = 0;
  let updated = 0;
  for (const rows of sourceGrantPages(store, q, step.source)) {
    for (const row of rows) {
      if (filter && !filter.has(row.t)) continue;
      const { principal, isDirect } = row;
      if (step.shallow && !isDirect) continue;
      const k = resourceKey(row.t, row.r);
      let existing = dst.byPrincipal.get(k);
      if (!existing) {
        existing = mayHold(store, q, dst, k) ? storedHoldings(q, dst, syncId, row.t, row.r) : [];
        dst.byPrincipal.set(k, existing);
      }
      if (existing.length === 0) {
        const id = `${dst.id}:${row.t}:${row.r}`;
        const holding: Holding = {
          principalBytes: principal,
          row: { resourceTypeId: dst.resourceTypeId, resourceId: dst.resourceId, entitlementId: dst.id, principalTypeId: row.t, principalId: row.r, id },
          sources: () => sourcesOf({ [step.source]: isDirect }),
          createdSourcesBytes: createdSources[isDirect ? 1 : 0],
        };
        existing.push(holding);
        markPending(dst, holding);
        created++;
        continue;
      }
      for (const holding of existing) {
        const merged = sourcesNow(holding).sources;
        let changed = false;
        if (holding.noSources) {
          merged[step.destination] = create(GrantSources_GrantSourceSchema, { isDirect: true });
          holding.noSources = false;
          changed = true;
        }
        const current = merged[step.source];
        if (!current) {
          merged[step.source] = create(GrantSources_GrantSourceSchema, { isDirect });
          changed = true;
        } else if (isDirect && !current.isDirect) {
          current.isDirect = true;
          changed = true;
        }
        if (changed) {
          holding.createdSourcesBytes = undefined;
          markPending(dst, holding);
          updated++;
        }
      }
    }
  }
  return { created, updated };
}

/** The source entitlement's grants in row order, a page at a time (from the cache when it has them). */
function* sourceGrantPages(store: ExpansionStore, q: Queries, source: string): Generator<SourceGrant[]> {
  const cache = store.sourceCache;
  const cached = cache?.get(source);
  if (cached) {
    yield cached;
    return;
  }
  const sourceKey = Buffer.from(source, "utf8");
  const all: SourceGrant[] | undefined = cache ? [] : undefined;
  let last = 0;
  for (;;) {
    const rows = q.grantsOf.all(source, store.syncId, last) as Array<{ id: number; t: string; r: string; data: Buffer }>;
    if (rows.length === 0) break;
    const page: SourceGrant[] = [];
    for (const row of rows) {
      last = row.id;
      const { principal, sources } = grantPrincipalAndSources(row.data);
      if (!principal) continue;
      const info = sourcesInfo(sources, sourceKey);
      const isDirect = info.empty || info.has;
      page.push(cache ? cache.intern(row.t, row.r, principal, isDirect) : { t: row.t, r: row.r, principal, isDirect });
    }
    all?.push(...page);
    yield page;
  }
  if (all) cache!.set(source, all);
}

/** The destination's stored grants for one principal, with their sources decoded for merging. */
function storedHoldings(q: Queries, dst: DestinationState, syncId: string, type: string, id: string): Holding[] {
  const rows = q.grantsOfPrincipal.all(dst.id, syncId, type, id) as Array<{ external_id: string; data: Buffer }>;
  return rows.map((g) => {
    const encoded = grantPrincipalAndSources(g.data).sources;
    const sources = encoded ? fromBinary(GrantSourcesSchema, encoded) : create(GrantSourcesSchema, {});
    return {
      stored: g.data,
      // Only data is updated on conflict; the other columns of an existing row stay as they are.
      row: { resourceTypeId: dst.resourceTypeId, resourceId: dst.resourceId, entitlementId: dst.id, principalTypeId: type, principalId: id, id: g.external_id },
      sources,
      noSources: Object.keys(sources.sources).length === 0,
    };
  });
}

/** The holding's grant with its current sources, encoded as deterministicBinary would. */
function holdingBytes(dst: DestinationState, holding: Holding): Uint8Array {
  const sourcesBytes = holding.createdSourcesBytes ?? encodeGrantSources(sourcesNow(holding));
  if (holding.stored) return withSources(holding.stored, sourcesBytes);
  return encodeGrantParts({ entitlement: dst.entitlementBytes, principal: holding.principalBytes!, id: holding.row.id, annotations: [IMMUTABLE_BYTES], sourcesBytes });
}
