import { availableParallelism } from "node:os";
import type { Database, Statement } from "better-sqlite3";
import { createIndexes, deferIndexes, EXPANSION_INDEXES } from "../c1z/schema.js";
import { computeSyncStats, syncStatsJson, type SyncStats } from "../c1z/stats.js";
import { deleteSyncRun, deleteSyncsZeroed, endSyncRun, insertSyncRun, listSyncRuns, syncsRetentionWillDrop, syncsToDelete, updateSyncToken, type SyncRun } from "../c1z/sync-runs.js";
import { RowEncoder, type EntitlementRows, type GrantRows, type ResourceRows } from "../c1z/rows.js";
import { C1zWriter } from "../c1z/writer.js";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Resource, ResourceType } from "../gen/c1/connector/v2/resource_pb.js";
import type { CheckpointPolicy, SyncToken } from "./checkpoint.js";
import { EarlyExpansion, type GrantsJob } from "./early-expansion.js";
import { Expander } from "./expansion.js";
import { advanceLatestSync, IncrementalSession, type ResourceChange } from "./incremental-store.js";
import { putReadLog, readReadLog, type StoredReadLog } from "./read-log-store.js";
import { discardWorkingDb, dropScratch, lockTarget, openWorkingDb, publishWorkingDb, QUEUE_TABLE, releaseLock, workingPath, WorkingDbBusyError } from "./working-db.js";

/** One entry of the resources phase's listing queue (see resources-phase.ts). */
export interface QueueEntry {
  resourceTypeId: string;
  parentType: string;
  parentId: string;
}

export interface ResourceRow {
  id: number;
  data: Uint8Array;
}

/** Where each resource of a putResources call landed: its row id, and whether the row already existed (an upsert). */
export interface PlacedResources {
  rowIds: number[];
  updated: boolean[];
}

export interface ExpansionStart {
  /** False when no grant of this sync needs expansion: nothing to do. */
  needed: boolean;
  jobs: number;
  missingSources: number;
  /** Grants created by steps that ran during the grants phase (see early-expansion.ts). */
  createdEarly: number;
}

export interface ExpansionRun {
  done: boolean;
  expansion: { round: number; edge: number };
  /** Grants created since the previous call. */
  created: number;
  /** Steps completed since the previous call. */
  steps: number;
  /** Checkpoints committed so far (this call ends with one). */
  checkpoints: number;
}

export interface OpenInit {
  /** A full sync's run, started in a new working database; `keep`: its retention, applied at once. */
  run?: { syncId: string; startedAtMs: number; syncToken: string; keep?: number };
  /** The caller went on as if `run` were started in a new working database: one that exists already is an error. */
  mustCreate?: boolean;
  /** An incremental sync's run: the latest full sync made with this configuration becomes it. */
  advance?: { syncId: string; startedAtMs: number; syncToken: string; fingerprint: string };
}

export interface FinalizeInput {
  endedAtMs: number;
  keep: number;
  token: SyncToken;
  /** Row counts already known (an incremental sync's), instead of counting the rows. */
  counts?: SyncStats;
}

/**
 * The working database and everything done to it, synchronously, on the thread that owns it
 * (store-worker.ts; or inline). The sync engine reaches it only through store.ts, as a stream of
 * operations applied in order: a read sees every write sent before it.
 *
 * The write transaction stays open between checkpoints; `checkpoint()` stores the sync token and
 * commits in one transaction, so the database and its token always agree.
 */
export class StoreCore {
  #db: Database | undefined;
  #lock: Database | undefined;
  #target = "";
  #writer: C1zWriter | undefined;
  #syncId = "";
  #checkpoints = 0;
  #maxResourceRowId: number | undefined;
  #statements = new Map<string, Statement>();
  #expander: Expander | undefined;
  readonly #rows = new RowEncoder();
  #early: EarlyExpansion | undefined;
  #incremental: IncrementalSession | undefined;

  constructor(private readonly emit: (event: StoreEvent) => void = () => undefined) {}

  get db(): Database {
    if (!this.#db) throw new Error("the working database is not open");
    return this.#db;
  }

  get #w(): C1zWriter {
    if (!this.#writer) throw new Error("no sync selected");
    return this.#writer;
  }

  #prepare(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  // --- opening and sync runs ---

  /**
   * Opens the working database, making it from the target if there is none. A new one gets
   * `init.run` started in it and, when `keep` is given, the syncs retention will drop once that run
   * finishes are deleted at once, with the indexes a sync rebuilds anyway already gone (schema.ts).
   * Or, for an incremental sync, `init.advance`: the file's latest full sync becomes that run
   * (incremental-store.ts), while the database is still being made (no journal needed then).
   */
  async open(target: string, init: OpenInit = {}): Promise<{ created: boolean; runs: SyncRun[]; advancedFrom?: SyncRun }> {
    this.lock(target);
    let advancedFrom: SyncRun | undefined;
    const { db, created } = await openWorkingDb(target, {
      create: (fresh) => {
        const run = init.run;
        if (run) {
          insertSyncRun(fresh, { syncId: run.syncId, startedAt: new Date(run.startedAtMs), syncToken: run.syncToken });
          const doomed = run.keep === undefined ? [] : syncsRetentionWillDrop(fresh, run.syncId, run.keep, new Date(run.startedAtMs));
          deferIndexes(fresh, { deleting: doomed.length > 0 });
          deleteSyncsZeroed(fresh, doomed);
        }
        if (init.advance) advancedFrom = advanceLatestSync(fresh, init.advance);
      },
    });
    if (init.mustCreate && !created) {
      db.close();
      throw new WorkingDbBusyError(`another connector sync made ${workingPath(target)} while this one started; run the sync again to resume it`);
    }
    this.#db = db;
    if (advancedFrom && init.advance) {
      this.useSync(init.advance.syncId);
      this.#incremental = new IncrementalSession(db, this.#w, init.advance.syncId);
      this.begin();
    }
    return { created, runs: listSyncRuns(db), advancedFrom };
  }

  /** Takes the file's one-sync lock (working-db.ts), if this store does not hold it yet; `open` takes it too. */
  lock(target: string): void {
    if (this.#lock && this.#target !== target) throw new Error(`the store holds the lock of ${this.#target}, not ${target}`);
    this.#lock ??= lockTarget(target);
    this.#target = target;
  }

  #unlock(): void {
    if (this.#lock) releaseLock(this.#lock, this.#target);
    this.#lock = undefined;
  }

  startRun(run: { syncId: string; startedAtMs: number; syncToken: string; syncType?: string; parentSyncId?: string }): SyncRun[] {
    this.db.transaction(() => insertSyncRun(this.db, { ...run, startedAt: new Date(run.startedAtMs) }))();
    return listSyncRuns(this.db);
  }

  /** Selects the sync every later write belongs to. */
  useSync(syncId: string): void {
    this.#syncId = syncId;
    this.#writer = new C1zWriter(this.db, syncId);
    // Guards early steps a resumed sync may have recorded; expandEarly() starts new ones.
    this.#early = new EarlyExpansion({ db: this.db, writer: this.#writer, syncId }, { active: false });
  }

  /**
   * Grant expansion is on: its steps run as soon as their inputs are final (early-expansion.ts).
   * `grantsDone`: the grants jobs a resumed sync committed before it was interrupted.
   */
  expandEarly(grantsDone: GrantsJob[]): void {
    this.#early = new EarlyExpansion({ db: this.db, writer: this.#w, syncId: this.#syncId }, { active: true, grantsDone });
  }

  /** Indexes cheaper to build once at the end than row by row are dropped until finalize (schema.ts). */
  deferIndexes(): boolean {
    return deferIndexes(this.db);
  }

  /** Rows of the selected sync by kind and resource type (a resumed sync's starting counts). */
  countRows(): SyncStats {
    return computeSyncStats(this.db, this.#syncId);
  }

  begin(): void {
    if (!this.db.inTransaction) this.db.exec("begin immediate");
  }

  /** Stores the token and commits everything written since the last checkpoint, atomically. */
  checkpoint(tokenJson: string): number {
    this.begin();
    updateSyncToken(this.db, this.#syncId, tokenJson);
    this.db.exec("commit");
    this.#checkpoints++;
    this.emit({ kind: "checkpoint", count: this.#checkpoints });
    this.begin();
    return this.#checkpoints;
  }

  /** Drops uncommitted writes (after a failure: the last checkpoint describes the database). */
  rollback(): void {
    if (this.#db?.open && this.#db.inTransaction) this.#db.exec("rollback");
  }

  close(): void {
    this.#closeDb();
    this.#unlock();
  }

  #closeDb(): void {
    if (this.#db?.open) this.#db.close();
  }

  // --- records ---

  putResourceTypes(list: ResourceType[]): void {
    this.#w.putResourceTypes(list);
  }

  // Each operation taking messages has a twin taking them encoded (rows.ts): the thread store
  // encodes on the engine's thread and sends the twin (wireOp, store-protocol.ts).

  putResources(list: Resource[]): void {
    this.writeResources(this.#rows.resources(list));
  }

  writeResources(rows: ResourceRows): void {
    this.#w.writeResources(rows);
  }

  /** putResources, telling where each resource landed (new row, or an upsert of an existing one). */
  placeResources(list: Resource[]): PlacedResources {
    return this.placeResourceRows(this.#rows.resources(list));
  }

  placeResourceRows(rows: ResourceRows): PlacedResources {
    this.#maxResourceRowId ??= (this.#prepare(`select coalesce(max(id), 0) as n from v1_resources`).get() as { n: number }).n;
    const rowIds = this.#w.writeResourcesReturningIds(rows);
    const updated = rowIds.map((id) => {
      if (id > this.#maxResourceRowId!) {
        this.#maxResourceRowId = id;
        return false;
      }
      return true;
    });
    return { rowIds, updated };
  }

  putEntitlements(list: Entitlement[]): void {
    this.writeEntitlements(this.#rows.entitlements(list));
  }

  writeEntitlements(rows: EntitlementRows): void {
    this.#w.writeEntitlements(rows);
  }

  /** A page of the grants `job` lists, encoded (the job is what early expansion checks each grant against). */
  writeGrants(rows: GrantRows, job?: GrantsJob): void {
    if (job) this.#early?.observe(job, rows);
    this.#w.writeGrants(rows);
  }

  /** Every grant `job` lists is written. */
  grantsJobDone(job: GrantsJob): void {
    this.#early?.jobDone(job);
  }

  /** grantsJobDone for each job, in order (the thread store sends consecutive ones as one message). */
  grantsJobsDone(jobs: GrantsJob[]): void {
    for (const job of jobs) this.grantsJobDone(job);
  }

  // --- the resources phase's queue (kept for resume; the engine works from its own copy) ---

  enqueue(entries: QueueEntry[]): void {
    const insert = this.#prepare(
      `insert or ignore into ${QUEUE_TABLE} (sync_id, resource_type_id, parent_resource_type_id, parent_resource_id) values (?, ?, ?, ?)`,
    );
    for (const e of entries) insert.run(this.#syncId, e.resourceTypeId, e.parentType, e.parentId);
  }

  /** This sync's queue, in the order it was written. */
  queue(): QueueEntry[] {
    const rows = this.#prepare(
      `select resource_type_id, parent_resource_type_id, parent_resource_id from ${QUEUE_TABLE} where sync_id = ? order by seq`,
    ).all(this.#syncId) as Array<Record<string, string>>;
    return rows.map((r) => ({ resourceTypeId: String(r.resource_type_id), parentType: String(r.parent_resource_type_id), parentId: String(r.parent_resource_id) }));
  }

  // --- reads ---

  resourceTypes(): Uint8Array[] {
    return (this.#prepare(`select data from v1_resource_types where sync_id = ? order by id`).all(this.#syncId) as Array<{ data: Buffer }>).map((r) => r.data);
  }

  /** Resource rows after `afterRowId`, in row order. */
  resources(afterRowId: number, limit: number): ResourceRow[] {
    return this.#prepare(`select id, data from v1_resources where sync_id = ? and id > ? order by id limit ?`).all(this.#syncId, afterRowId, limit) as ResourceRow[];
  }

  resourceAt(rowId: number): Uint8Array | undefined {
    return (this.#prepare(`select data from v1_resources where id = ? and sync_id = ?`).get(rowId, this.#syncId) as { data: Buffer } | undefined)?.data;
  }

  countResources(afterRowId: number): number {
    return (this.#prepare(`select count(*) as n from v1_resources where sync_id = ? and id > ?`).get(this.#syncId, afterRowId) as { n: number }).n;
  }

  resourcesOfType(typeId: string): Uint8Array[] {
    return (this.#prepare(`select data from v1_resources where sync_id = ? and resource_type_id = ? order by id`).all(this.#syncId, typeId) as Array<{ data: Buffer }>).map(
      (r) => r.data,
    );
  }

  // --- the read log (incremental syncs; read-log.ts) ---

  /** Stores this sync's read log and the responses of its reads (replacing any it had). */
  putReadLog(log: string, responses: Array<[string, string]>): void {
    putReadLog(this.db, this.#syncId, log, responses);
  }

  /** A sync's read log and responses, as putReadLog stored them. */
  readLog(syncId: string): StoredReadLog {
    return readReadLog(this.db, syncId);
  }

  // --- incremental syncs (incremental.ts, incremental-store.ts) ---

  get #inc(): IncrementalSession {
    if (!this.#incremental) throw new Error("no incremental sync in progress");
    return this.#incremental;
  }

  incUpsertResources(rows: ResourceRows): ResourceChange[] {
    return this.#inc.upsertResources(rows);
  }

  incResourceData(type: string, id: string): Uint8Array | undefined {
    return this.#inc.resourceData(type, id);
  }

  incDeleteResource(type: string, id: string): string[] {
    return this.#inc.deleteResource(type, id);
  }

  incReplaceEntitlements(type: string, id: string, rows: EntitlementRows | undefined): string[] {
    return this.#inc.replaceEntitlements(type, id, rows);
  }

  incReplaceGrants(type: string, id: string, rows: GrantRows | undefined): string[] {
    return this.#inc.replaceGrants(type, id, rows);
  }

  incReexpand(seeds: string[]): { destinations: number; created: number } {
    return this.#inc.reexpand(seeds);
  }

  incStats(base: SyncStats): SyncStats {
    return this.#inc.stats(base);
  }

  incGrantsOfPrincipal(type: string, id: string) {
    return this.#inc.grantsOfPrincipal(type, id);
  }

  incGrant(id: string) {
    return this.#inc.grant(id);
  }

  /** Where a sync keeps a resource: its parent (a targeted sync's target named without one). */
  storedParent(syncId: string, externalId: string): { parentType?: string; parentId?: string } | undefined {
    const row = this.#prepare(`select parent_resource_type_id as t, parent_resource_id as r from v1_resources where external_id = ? and sync_id = ?`).get(externalId, syncId) as
      | { t: string | null; r: string | null }
      | undefined;
    return row ? { parentType: row.t ?? undefined, parentId: row.r ?? undefined } : undefined;
  }

  /** Closes the working database and deletes it (an interrupted incremental sync starts over from the .c1z). */
  discard(): void {
    this.#closeDb();
    this.#statements.clear();
    discardWorkingDb(this.#target);
  }

  // --- grant expansion ---

  /**
   * Builds the expansion graph; `jobs` counts the steps still to do. The indexes expansion reads
   * grants by are built first; the rest wait for finalize, so derived grants do not maintain them row by row.
   */
  startExpansion(resumeAt?: { round: number; edge: number }): ExpansionStart {
    const needed = this.#prepare(`select 1 from v1_grants where sync_id = ? and needs_expansion = 1 limit 1`).get(this.#syncId) !== undefined;
    if (!needed) return { needed, jobs: 0, missingSources: 0, createdEarly: 0 };
    createIndexes(this.db, EXPANSION_INDEXES);
    this.#expander = new Expander({ db: this.db, writer: this.#w, syncId: this.#syncId });
    const early = this.#early;
    const { jobs, missingSources, createdEarly } = this.#expander.load(early && ((rounds) => early.reconcile(rounds)));
    return { needed, jobs: jobs - (resumeAt ? this.#expander.stepsBefore(resumeAt) : 0), missingSources, createdEarly };
  }

  /**
   * Expands from the token's position until the checkpoint policy says commit (the commit is part
   * of the call) or the plan is done. The caller calls again until `done`.
   */
  expand(engineToken: SyncToken, policy: CheckpointPolicy): ExpansionRun {
    const expander = this.#expander;
    if (!expander) throw new Error("startExpansion was not called");
    // The token committed with the slice; the engine applies the same progress to its own.
    const token: SyncToken = { ...engineToken };
    const started = Date.now();
    let rows = 0;
    let created = 0;
    let steps = 0;
    const position = token.expansion ?? { round: 0, edge: 0 };
    const end = expander.apply(position, (round, step, written, made) => {
      token.expansion = { round, edge: step + 1 };
      token.expanded_grants += made;
      rows += written;
      created += made;
      steps++;
      return rows >= policy.maxRows || Date.now() - started >= policy.intervalMs;
    });
    // The last slice also moves the token on, so a resumed sync never repeats an empty slice.
    if (end.done) token.phase = "finalize";
    const checkpoints = this.checkpoint(JSON.stringify(token));
    return { done: end.done, expansion: token.expansion ?? position, created, steps, checkpoints };
  }

  // --- sealing and publishing ---

  /** Seals the sync in one transaction: stats, ended_at, retention, indexes, scratch tables dropped. */
  finalize(input: FinalizeInput): SyncStats {
    const db = this.db;
    const { token } = input;
    this.begin();
    dropScratch(db);
    const stats: SyncStats = {
      ...(input.counts ?? computeSyncStats(db, this.#syncId)),
      stepDurationsMs: { ...token.step_durations_ms },
      connectorCallStats: Object.fromEntries(
        Object.entries(token.connector_call_stats).map(([k, v]) => [k, { count: v.count, totalMs: v.total_ms, maxMs: v.max_ms, errors: v.errors }]),
      ),
    };
    endSyncRun(db, this.#syncId, new Date(input.endedAtMs), JSON.stringify(token), syncStatsJson(stats));
    // Syncs past retention go before the indexes are built: their rows need no entries.
    let deleted = 0;
    for (const id of syncsToDelete(listSyncRuns(db), input.keep)) {
      deleteSyncRun(db, id);
      deleted++;
    }
    // Nothing else runs while the sync is sealed: SQLite's sorter may build the indexes on every core.
    db.pragma(`threads = ${Math.min(availableParallelism(), 4)}`);
    createIndexes(db);
    db.pragma("threads = 0");
    db.exec("commit");
    if (deleted > 0) db.exec("vacuum");
    return stats;
  }

  /** Compresses the database into the target, atomically; the working files go. Returns its size. */
  async publish(level: number | undefined): Promise<number> {
    this.#statements.clear();
    this.#expander = undefined;
    const size = await publishWorkingDb(this.db, this.#target, { level });
    this.#unlock();
    return size;
  }
}

/** What the store reports on its own (not in reply to a call). */
export type StoreEvent = { kind: "checkpoint"; count: number } | { kind: "processed"; seq: number };
