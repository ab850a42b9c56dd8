import { fromBinary } from "@bufbuild/protobuf";
import type { Database, Statement } from "better-sqlite3";
import { GrantExpandableSchema } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import { grantHasAnnotation, grantPrincipalAndSources, withoutSources } from "../c1z/grant-bytes.js";
import { blobAt, grantIdAt, pickEntitlementRows, pickGrantRows, rowCount, textAt, type EntitlementRows, type GrantRows, type ResourceRows } from "../c1z/rows.js";
import { RECORD_TABLES } from "../c1z/schema.js";
import type { SyncStats } from "../c1z/stats.js";
import { defaultSync, insertSyncRun, listSyncRuns, type SyncRun } from "../c1z/sync-runs.js";
import { parseToken } from "./checkpoint.js";
import type { C1zWriter, ExpandedGrantRow } from "../c1z/writer.js";
import { applySteps, loadExpansionGraph } from "./expansion.js";

/**
 * The working-database side of an incremental sync (incremental.ts): the previous sync becomes
 * the new one in place, then only what changed is replaced in it, and grant expansion is redone
 * for the entitlements the changes reach. Row counts are kept as deltas on the previous sync's
 * stats, so sealing the sync never scans the (possibly gigabytes of) rows again.
 *
 * Why in place: a complete sync of the c1z format is a copy of every row under its own sync id.
 * Copying a previous sync's rows costs as much as writing them in the first place (and the file
 * then holds both until retention deletes one). Relabelling the previous sync's rows moves them to
 * the new sync in one pass, and the previous sync is superseded: the file keeps as many syncs as
 * before, the newest complete and current.
 */
const IMMUTABLE = "type.googleapis.com/c1.connector.v2.GrantImmutable";
/** The derived grants a re-expansion has not made again (yet): see reexpand. */
const REEXPANDED_TABLE = "temp.connector_reexpanded_grants";

export type ResourceChange = "new" | "changed" | "same";

/** What grant expansion reads from a listed grant: its principal (derived grants embed it), the edges it declares, and its sources. */
interface ExpansionInput {
  principal: Uint8Array | undefined;
  expansion: Uint8Array | null;
  ownSources: boolean;
}

/** Do an entitlement's listed grants give expansion the same inputs as before (principals, edges)? */
function sameExpansionInputs(before: Map<string, ExpansionInput> | undefined, now: Map<string, ExpansionInput> | undefined): boolean {
  if ((before?.size ?? 0) !== (now?.size ?? 0)) return false;
  for (const [id, a] of before ?? []) {
    const b = now!.get(id);
    if (!b || a.ownSources || b.ownSources || !sameBytes(a.principal, b.principal) || !sameBytes(a.expansion ?? undefined, b.expansion ?? undefined)) return false;
  }
  return true;
}

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined) => (a === undefined || b === undefined ? a === b : Buffer.compare(a, b) === 0);

/** A stored listed grant is the one listed now: the same expansion, and the same bytes but for the sources expansion merged into it. */
function sameListedGrant(row: { expansion: Buffer | null; data: Buffer }, rows: GrantRows, i: number): boolean {
  const expansion = rows.expansions?.[i] ?? null;
  if ((row.expansion === null) !== (expansion === null) || (expansion && row.expansion && Buffer.compare(row.expansion, expansion) !== 0)) return false;
  const data = blobAt(rows, i);
  if (Buffer.compare(row.data, data) === 0) return true;
  // A grant listed with sources of its own is compared as it is (merged ones would hide a change in them).
  return grantPrincipalAndSources(data).sources === undefined && Buffer.compare(withoutSources(row.data), data) === 0;
}

export class IncrementalSession {
  readonly #statements = new Map<string, Statement>();
  readonly #delta = { resources: new Map<string, number>(), entitlements: new Map<string, number>(), grants: new Map<string, number>() };
  /**
   * Changed entitlements whose change reaches the destinations they are a source of: new or gone,
   * or their listed grants' principals or declared edges changed. The others (only bytes that
   * their own rows embed changed, e.g. the entitlement's description) are re-expanded themselves.
   */
  readonly #propagating = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly writer: C1zWriter,
    private readonly syncId: string,
  ) {}

  #prepare(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  #count(kind: "resources" | "entitlements" | "grants", type: string, n: number): void {
    if (n !== 0) this.#delta[kind].set(type, (this.#delta[kind].get(type) ?? 0) + n);
  }

  /** Writes resources, telling for each whether it is new, changed, or the same bytes as before. */
  upsertResources(rows: ResourceRows): ResourceChange[] {
    const current = this.#prepare(`select data from v1_resources where external_id = ? and sync_id = ?`);
    const out: ResourceChange[] = [];
    for (let i = 0; i < rowCount(rows); i++) {
      const before = current.get(rows.externalIds[i], this.syncId) as { data: Buffer } | undefined;
      const data = blobAt(rows, i);
      out.push(!before ? "new" : Buffer.compare(before.data, data) === 0 ? "same" : "changed");
      if (!before) this.#count("resources", rows.resourceTypeIds[i]!, 1);
    }
    this.writer.writeResources(rows);
    // An upsert keeps the row's columns: a resource that moved (an account to another OU) gets its new parent.
    const parent = this.#prepare(`update v1_resources set parent_resource_type_id = ?, parent_resource_id = ? where external_id = ? and sync_id = ?`);
    out.forEach((change, i) => {
      if (change === "changed") parent.run(rows.parentTypeIds[i], rows.parentIds[i], rows.externalIds[i], this.syncId);
    });
    return out;
  }

  resourceData(type: string, id: string): Uint8Array | undefined {
    return (this.#prepare(`select data from v1_resources where external_id = ? and sync_id = ?`).get(`${type}:${id}`, this.syncId) as { data: Buffer } | undefined)?.data;
  }

  /** Deletes a resource with its entitlements and the grants of those; returns the entitlement ids it had. */
  deleteResource(type: string, id: string): string[] {
    const removed = this.#prepare(`delete from v1_resources where external_id = ? and sync_id = ?`).run(`${type}:${id}`, this.syncId).changes;
    this.#count("resources", type, -removed);
    const entitlements = this.replaceEntitlements(type, id, undefined);
    this.replaceGrants(type, id, undefined);
    return entitlements;
  }

  /**
   * Replaces a resource's entitlements with those listed now; returns the ids of those that are
   * new, gone or changed (expansion starts from them). Rows whose bytes did not change stay as they are.
   */
  replaceEntitlements(type: string, id: string, rows: EntitlementRows | undefined): string[] {
    const stored = this.#prepare(`select id, external_id, data from v1_entitlements where resource_type_id = ? and resource_id = ? and sync_id = ?`).all(type, id, this.syncId) as Array<{
      id: number;
      external_id: string;
      data: Buffer;
    }>;
    const listed = new Map<string, number>();
    for (let i = 0; i < (rows ? rowCount(rows) : 0); i++) listed.set(rows!.ids[i]!, i);
    const changed = new Set<string>();
    const remove = this.#prepare(`delete from v1_entitlements where id = ?`);
    for (const row of stored) {
      const i = listed.get(row.external_id);
      if (i !== undefined && Buffer.compare(row.data, blobAt(rows!, i)) === 0) {
        listed.delete(row.external_id);
        continue;
      }
      changed.add(row.external_id);
      // Gone: the destinations it was a source of lose what it gave. Changed bytes only matter to its own derived grants.
      if (i === undefined) this.#propagating.add(row.external_id);
      remove.run(row.id);
      this.#count("entitlements", type, -1);
    }
    if (listed.size > 0) {
      const written = pickEntitlementRows(rows!, [...listed.values()]);
      this.writer.writeEntitlements(written);
      for (let i = 0; i < rowCount(written); i++) {
        if (!changed.has(written.ids[i]!)) this.#propagating.add(written.ids[i]!);
        changed.add(written.ids[i]!);
        this.#count("entitlements", written.resourceTypeIds[i]!, 1);
      }
    }
    return [...changed];
  }

  /**
   * Replaces the grants on a resource's entitlements with those listed now, entitlement by
   * entitlement: where the listed grants are what they were (bytes, expansion), the rows stay as
   * they are — with what expansion derived and merged into them; elsewhere every grant on the
   * entitlement goes, listed and derived (reexpand derives them again), and the listed ones are
   * written. Returns the entitlement ids whose grants changed.
   */
  replaceGrants(type: string, id: string, rows: GrantRows | undefined): string[] {
    // Streamed: most rows are derived grants (KiBs each), only looked at once.
    const rowsOnResource = this.#prepare(`select id, entitlement_id, external_id, expansion, data from v1_grants where resource_type_id = ? and resource_id = ? and sync_id = ?`).iterate(
      type,
      id,
      this.syncId,
    ) as Iterable<{ id: number; entitlement_id: string; external_id: string; expansion: Buffer | null; data: Buffer }>;
    const stored: Array<{ id: number; entitlement_id: string }> = [];
    // The grants listed now, by id (a repeated id is one row, the last one: the upsert's rule).
    const listed = new Map<string, number>();
    for (let i = 0; i < (rows ? rowCount(rows) : 0); i++) listed.set(grantIdAt(rows!, i), i);
    const changed = new Set<string>();
    const kept = new Set<string>();
    // What expansion takes from the listed grants of each entitlement, before and now (see #propagating).
    const before = new Map<string, Map<string, ExpansionInput>>();
    const now = new Map<string, Map<string, ExpansionInput>>();
    const inputs = (map: Map<string, Map<string, ExpansionInput>>, entitlement: string) => map.get(entitlement) ?? map.set(entitlement, new Map()).get(entitlement)!;
    for (const row of rowsOnResource) {
      stored.push({ id: row.id, entitlement_id: row.entitlement_id });
      const derived = grantHasAnnotation(row.data, IMMUTABLE);
      if (!derived) inputs(before, row.entitlement_id).set(row.external_id, { principal: grantPrincipalAndSources(row.data).principal, expansion: row.expansion, ownSources: false });
      const i = listed.get(row.external_id);
      if (i === undefined) {
        if (!derived) changed.add(row.entitlement_id);
      } else if (derived || textAt(rows!.entitlementIds, i) !== row.entitlement_id || !sameListedGrant(row, rows!, i)) {
        changed.add(row.entitlement_id);
      } else {
        kept.add(row.external_id);
      }
    }
    const write: number[] = [];
    for (const [grantId, i] of listed) {
      const entitlement = textAt(rows!.entitlementIds, i);
      if (!kept.has(grantId)) changed.add(entitlement);
      const parts = grantPrincipalAndSources(blobAt(rows!, i));
      inputs(now, entitlement).set(grantId, { principal: parts.principal, expansion: rows!.expansions?.[i] ?? null, ownSources: parts.sources !== undefined });
    }
    for (const entitlement of changed) if (!sameExpansionInputs(before.get(entitlement), now.get(entitlement))) this.#propagating.add(entitlement);
    for (const i of listed.values()) if (changed.has(textAt(rows!.entitlementIds, i))) write.push(i);
    const remove = this.#prepare(`delete from v1_grants where id = ?`);
    for (const row of stored) {
      if (!changed.has(row.entitlement_id)) continue;
      remove.run(row.id);
      this.#count("grants", type, -1);
    }
    if (write.length > 0) {
      const written = pickGrantRows(rows!, write);
      this.writer.writeGrants(written);
      for (let i = 0; i < rowCount(written); i++) this.#count("grants", textAt(written.resourceTypeIds, i), 1);
    }
    return [...changed];
  }

  /**
   * Grant expansion for what changed: every destination among `seeds` (entitlements whose grants
   * or own bytes changed) or reachable from one whose change propagates (#propagating) loses what
   * expansion gave it — grants it derived, sources it merged into listed grants — and gets it
   * again from all its sources, in the plan's order.
   *
   * Its derived grants are not deleted and written again: most of them come out the same (a
   * thousand changes reach most policies, each through a few of its holders). They are hidden
   * from expansion instead (REEXPANDED_TABLE); a grant expansion makes again is kept when its
   * bytes are the same, rewritten in place when not, and shown again either way; the ones still
   * hidden at the end are no longer derived and go.
   */
  reexpand(seeds: readonly string[]): { destinations: number; created: number } {
    if (seeds.length === 0) return { destinations: 0, created: 0 };
    const store = { db: this.db, writer: this.writer, syncId: this.syncId };
    const { graph } = loadExpansionGraph(store);
    const steps = graph.rounds().flat();
    // Destinations reachable from a seed — along every edge a grant declares, also those whose
    // source is gone (the plan drops them; what they gave must go too).
    const edges = this.#declaredEdges();
    // A seed whose change stays in its own rows is re-expanded itself; its destinations only if reached otherwise.
    const reached = new Set(seeds);
    const queue = seeds.filter((seed) => this.#propagating.has(seed));
    const followed = new Set(queue);
    while (queue.length > 0) {
      for (const destination of edges.get(queue.pop()!) ?? []) {
        reached.add(destination);
        if (followed.has(destination)) continue;
        followed.add(destination);
        queue.push(destination);
      }
    }
    const declared = new Set([...edges.values()].flatMap((out) => [...out]));
    const destinations = new Set([...reached].filter((e) => declared.has(e)));
    this.db.exec(`create temp table if not exists ${REEXPANDED_TABLE} (id integer primary key)`);
    this.db.exec(`delete from ${REEXPANDED_TABLE}`);
    for (const destination of destinations) this.#resetExpansion(destination);
    const q = {
      existing: this.#prepare(`select id, data from v1_grants where external_id = ? and sync_id = ? and id in (select id from ${REEXPANDED_TABLE})`),
      show: this.#prepare(`delete from ${REEXPANDED_TABLE} where id = ?`),
      rewrite: this.#prepare(`update v1_grants set data = ? where id = ?`),
    };
    const write = (rows: ExpandedGrantRow[]) => {
      const rest: ExpandedGrantRow[] = [];
      for (const row of rows) {
        const hidden = q.existing.get(row.id, this.syncId) as { id: number; data: Buffer } | undefined;
        if (!hidden) {
          rest.push(row);
          continue;
        }
        if (Buffer.compare(hidden.data, row.data) !== 0) q.rewrite.run(row.data, hidden.id);
        q.show.run(hidden.id);
      }
      if (rest.length > 0) this.writer.putExpandedGrants(rest);
    };
    let created = 0;
    applySteps(
      { ...store, write, hiddenRowsTable: REEXPANDED_TABLE },
      steps.filter((s) => destinations.has(s.destination)),
      (_step, made) => (created += made),
    );
    this.db.exec(`delete from v1_grants where id in (select id from ${REEXPANDED_TABLE})`);
    this.db.exec(`delete from ${REEXPANDED_TABLE}`);
    this.#countDerived(destinations);
    return { destinations: destinations.size, created };
  }

  /** Source entitlement → destinations, as the grants needing expansion declare them. */
  #declaredEdges(): Map<string, Set<string>> {
    const edges = new Map<string, Set<string>>();
    const rows = this.#prepare(`select entitlement_id, expansion from v1_grants where sync_id = ? and needs_expansion = 1 and expansion is not null`).iterate(this.syncId) as Iterable<{
      entitlement_id: string;
      expansion: Buffer;
    }>;
    for (const row of rows) {
      for (const source of fromBinary(GrantExpandableSchema, row.expansion).entitlementIds) {
        let out = edges.get(source);
        if (!out) edges.set(source, (out = new Set()));
        out.add(row.entitlement_id);
      }
    }
    return edges;
  }

  /** Derived grants on a destination are hidden (counted as gone until made again); listed grants lose the sources expansion merged into them. */
  #resetExpansion(entitlementId: string): void {
    const rows = this.#prepare(`select id, resource_type_id, data from v1_grants where entitlement_id = ? and sync_id = ?`).all(entitlementId, this.syncId) as Array<{
      id: number;
      resource_type_id: string;
      data: Buffer;
    }>;
    const hide = this.#prepare(`insert into ${REEXPANDED_TABLE} (id) values (?)`);
    const update = this.#prepare(`update v1_grants set data = ? where id = ?`);
    for (const row of rows) {
      if (grantHasAnnotation(row.data, IMMUTABLE)) {
        hide.run(row.id);
        this.#count("grants", row.resource_type_id, -1);
      } else {
        const plain = withoutSources(row.data);
        if (plain.length !== row.data.length) update.run(plain, row.id);
      }
    }
  }

  /** Derived grants written by reexpand, counted by their destination's resource type. */
  #countDerived(destinations: Set<string>): void {
    const derived = this.#prepare(`select resource_type_id, data from v1_grants where entitlement_id = ? and sync_id = ?`);
    for (const destination of destinations) {
      for (const row of derived.all(destination, this.syncId) as Array<{ resource_type_id: string; data: Buffer }>) {
        if (grantHasAnnotation(row.data, IMMUTABLE)) this.#count("grants", row.resource_type_id, 1);
      }
    }
  }

  /** The previous sync's stats with this sync's changes applied. */
  stats(base: SyncStats): SyncStats {
    const apply = (counts: Record<string, number>, delta: Map<string, number>) => {
      const out = { ...counts };
      for (const [type, n] of delta) out[type] = (out[type] ?? 0) + n;
      for (const [type, n] of Object.entries(out)) if (n === 0 && !(type in counts)) delete out[type];
      return out;
    };
    const resourcesByResourceType = apply(base.resourcesByResourceType, this.#delta.resources);
    const entitlementsByResourceType = apply(base.entitlementsByResourceType, this.#delta.entitlements);
    const grantsByResourceType = apply(base.grantsByResourceType, this.#delta.grants);
    for (const map of [entitlementsByResourceType, grantsByResourceType]) for (const [type, n] of Object.entries(map)) if (n === 0) delete map[type];
    const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
    return {
      ...base,
      resources: sum(resourcesByResourceType),
      entitlements: sum(entitlementsByResourceType),
      grants: sum(grantsByResourceType),
      resourcesByResourceType,
      entitlementsByResourceType,
      grantsByResourceType,
    };
  }

  // --- what mapping changes asks of the previous sync (changes.ts Baseline) ---

  grantsOfPrincipal(type: string, id: string): Array<{ id: string; entitlementId: string; resourceType: string; resourceId: string; derived: boolean }> {
    return (
      this.#prepare(
        `select external_id, entitlement_id, resource_type_id, resource_id, data from v1_grants where principal_resource_type_id = ? and principal_resource_id = ? and sync_id = ?`,
      ).all(type, id, this.syncId) as Array<Record<string, string> & { data: Buffer }>
    ).map((r) => ({
      id: r.external_id!,
      entitlementId: r.entitlement_id!,
      resourceType: r.resource_type_id!,
      resourceId: r.resource_id!,
      derived: grantHasAnnotation(r.data, IMMUTABLE),
    }));
  }

  grant(id: string): { entitlementId: string; resourceType: string; resourceId: string; principalType: string; principalId: string } | undefined {
    const row = this.#prepare(
      `select entitlement_id, resource_type_id, resource_id, principal_resource_type_id, principal_resource_id from v1_grants where external_id = ? and sync_id = ?`,
    ).get(id, this.syncId) as Record<string, string> | undefined;
    return row
      ? { entitlementId: row.entitlement_id!, resourceType: row.resource_type_id!, resourceId: row.resource_id!, principalType: row.principal_resource_type_id!, principalId: row.principal_resource_id! }
      : undefined;
  }
}

/**
 * The file's latest full sync, if it carries a read log made with this configuration (`fingerprint`),
 * becomes the new sync (advanceSync); returns it. Runs while the working database is made.
 */
export function advanceLatestSync(db: Database, run: { syncId: string; startedAtMs: number; syncToken: string; fingerprint: string }): SyncRun | undefined {
  const base = defaultSync(listSyncRuns(db));
  if (!base?.endedAt || base.syncType !== "full" || parseToken(base.syncToken)?.changes?.fingerprint !== run.fingerprint) return undefined;
  advanceSync(db, base.syncId, run);
  return base;
}

/**
 * The previous sync's rows become the new sync's, in one pass per table; the previous sync's run
 * row goes and the new one (unfinished) takes its place. Call inside a transaction.
 */
export function advanceSync(db: Database, fromSyncId: string, run: { syncId: string; startedAtMs: number; syncToken: string }): void {
  for (const table of RECORD_TABLES) db.prepare(`update ${table} set sync_id = ? where sync_id = ?`).run(run.syncId, fromSyncId);
  db.prepare(`delete from v1_sync_runs where sync_id = ?`).run(fromSyncId);
  insertSyncRun(db, { syncId: run.syncId, startedAt: new Date(run.startedAtMs), syncToken: run.syncToken });
}
