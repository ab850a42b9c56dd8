import { fromBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GrantExpandableSchema } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import { EntitlementSchema, type Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema, GrantSourcesSchema, type Grant, type GrantSources } from "../gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, ResourceTypeSchema, type Resource, type ResourceType } from "../gen/c1/connector/v2/resource_pb.js";
import { C1zFormatError, readC1zToDb } from "./container.js";
import { lengthDelimitedField } from "./grant-bytes.js";
import { resourceExternalId } from "./rows.js";
import { columnNames, TABLES } from "./schema.js";
import { computeSyncStats, parseSyncStats, type SyncStats } from "./stats.js";
import { defaultSync, listSyncRuns, type SyncRun } from "./sync-runs.js";

export interface ListOptions {
  /** Only records of this resource type (for grants: of the entitlement's resource type). */
  resourceTypeId?: string;
  /** With resourceTypeId: only this resource (its entitlements; grants on it). */
  resourceId?: string;
  /** Only this entitlement (entitlements), or grants of it (grants). */
  entitlementId?: string;
  /** Grants only: held by this principal. */
  principal?: { resourceTypeId: string; resourceId: string };
}

export interface GrantRow {
  id: string;
  entitlementId: string;
  principal: { resourceTypeId: string; resourceId: string };
  /** Entitlements the grant was expanded from (GrantSources), if any. */
  sourceEntitlementIds: string[];
}

/** SQL conditions for a listing's filters, beside `sync_id = ?`. */
function conditions(table: "resources" | "entitlements" | "grants", options: ListOptions): { where: string; params: string[] } {
  const clauses = ["sync_id = ?"];
  const params: string[] = [];
  const add = (clause: string, ...values: string[]) => {
    clauses.push(clause);
    params.push(...values);
  };
  if (table === "resources") {
    if (options.resourceTypeId && options.resourceId !== undefined) add("external_id = ?", resourceExternalId(options.resourceTypeId, options.resourceId));
    else if (options.resourceTypeId) add("resource_type_id = ?", options.resourceTypeId);
  } else {
    if (options.resourceTypeId) add("resource_type_id = ?", options.resourceTypeId);
    if (options.resourceId !== undefined) add("resource_id = ?", options.resourceId);
    if (options.entitlementId !== undefined) add(table === "entitlements" ? "external_id = ?" : "entitlement_id = ?", options.entitlementId);
    if (table === "grants" && options.principal) add("principal_resource_type_id = ? and principal_resource_id = ?", options.principal.resourceTypeId, options.principal.resourceId);
  }
  return { where: clauses.join(" and "), params };
}

/**
 * Reads any c1z v1 file — ours or baton's, including files with the original minimal schema
 * (no expansion columns, 7-column v1_sync_runs). The database is decompressed to a private
 * temporary directory and opened read-only; close() removes it.
 */
export class C1zReader {
  private constructor(
    readonly path: string,
    private readonly db: Database,
    private readonly tempDir: string | undefined,
    private readonly hasExpansion: boolean,
  ) {}

  /** Opens a .c1z file. Anything unreadable becomes a C1zFormatError with a one-line message. */
  static async open(path: string, options: { tmpDir?: string } = {}): Promise<C1zReader> {
    const tempDir = mkdtempSync(join(options.tmpDir ?? tmpdir(), "c1z-read-"));
    const dbPath = join(tempDir, "db");
    try {
      // A temporary copy, deleted when the reader closes: nothing to make durable.
      await readC1zToDb(path, dbPath, { durable: false });
      return C1zReader.openDatabase(path, dbPath, tempDir);
    } catch (error) {
      rmSync(tempDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Opens an already-decompressed c1z database (e.g. a sync's working database). */
  static openDatabase(label: string, dbPath: string, tempDir?: string): C1zReader {
    let db: Database | undefined;
    try {
      db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
      const tables = new Set(
        (db.prepare(`select name from sqlite_master where type = 'table'`).all() as Array<{ name: string }>).map((r) => r.name),
      );
      for (const required of [TABLES.syncRuns, TABLES.resourceTypes, TABLES.resources, TABLES.entitlements, TABLES.grants]) {
        if (!tables.has(required)) throw new C1zFormatError(`${label} is not a baton c1z v1 database (table ${required} is missing)`);
      }
      const hasExpansion = columnNames(db, TABLES.grants).has("expansion");
      return new C1zReader(label, db, tempDir, hasExpansion);
    } catch (error) {
      db?.close();
      throw asFormatError(error, label);
    }
  }

  close(): void {
    this.db.close();
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
  }

  syncs(): SyncRun[] {
    return this.guard(() => listSyncRuns(this.db));
  }

  /** The requested sync, or the default one (latest finished full, else latest unfinished). */
  resolveSync(syncId?: string): SyncRun {
    const runs = this.syncs();
    if (syncId) {
      const found = runs.find((r) => r.syncId === syncId);
      if (!found) throw new C1zFormatError(`${this.path} has no sync with id ${syncId}`);
      return found;
    }
    const chosen = defaultSync(runs);
    if (!chosen) throw new C1zFormatError(`${this.path} contains no sync`);
    return chosen;
  }

  resourceTypes(syncId: string): ResourceType[] {
    return this.decodeAll(ResourceTypeSchema, `select data from v1_resource_types where sync_id = ? order by id`, [syncId]);
  }

  resources(syncId: string, options: ListOptions = {}): Resource[] {
    return [...this.eachResource(syncId, options)];
  }

  entitlements(syncId: string, options: ListOptions = {}): Entitlement[] {
    return [...this.eachEntitlement(syncId, options)];
  }

  /** Resources one at a time (constant memory, whatever the file's size). */
  eachResource(syncId: string, options: ListOptions = {}): Generator<Resource> {
    const { where, params } = conditions("resources", options);
    return this.decodeEach(ResourceSchema, `select data from v1_resources where ${where} order by id`, [syncId, ...params]);
  }

  /** Entitlements one at a time (constant memory, whatever the file's size). */
  eachEntitlement(syncId: string, options: ListOptions = {}): Generator<Entitlement> {
    const { where, params } = conditions("entitlements", options);
    return this.decodeEach(EntitlementSchema, `select data from v1_entitlements where ${where} order by id`, [syncId, ...params]);
  }

  /** Grants as stored, one at a time, with their GrantExpandable re-attached from the expansion column. */
  *grants(syncId: string, options: ListOptions = {}): Generator<Grant> {
    const expansion = this.hasExpansion ? "expansion" : "null as expansion";
    const { where, params } = conditions("grants", options);
    const sql = `select data, ${expansion} from v1_grants where ${where} order by id`;
    for (const row of this.rows<{ data: Buffer; expansion: Buffer | null }>(sql, [syncId, ...params])) yield this.grantOf(row);
  }

  /**
   * Grants as rows — ids from the table's columns, only the sources decoded — for listings that
   * show who holds what: many times cheaper than decoding every grant.
   */
  *grantRows(syncId: string, options: ListOptions = {}): Generator<GrantRow> {
    const { where, params } = conditions("grants", options);
    const sql = `select external_id, entitlement_id, principal_resource_type_id, principal_resource_id, data from v1_grants where ${where} order by id`;
    type Row = { external_id: string; entitlement_id: string; principal_resource_type_id: string; principal_resource_id: string; data: Buffer };
    for (const row of this.rows<Row>(sql, [syncId, ...params])) {
      const bytes = lengthDelimitedField(row.data, 5);
      yield {
        id: row.external_id,
        entitlementId: row.entitlement_id,
        principal: { resourceTypeId: row.principal_resource_type_id, resourceId: row.principal_resource_id },
        sourceEntitlementIds: bytes ? Object.keys(this.decode(GrantSourcesSchema, bytes).sources) : [],
      };
    }
  }

  /** One resource by type and id (indexed), if the sync has it. */
  resource(syncId: string, resourceTypeId: string, resourceId: string): Resource | undefined {
    const row = this.guard(() => this.db.prepare(`select data from v1_resources where external_id = ? and sync_id = ?`).get(resourceExternalId(resourceTypeId, resourceId), syncId)) as
      | { data: Buffer }
      | undefined;
    return row ? this.decode(ResourceSchema, row.data) : undefined;
  }

  /** One entitlement by id (indexed), if the sync has it. */
  entitlement(syncId: string, entitlementId: string): Entitlement | undefined {
    const row = this.guard(() => this.db.prepare(`select data from v1_entitlements where external_id = ? and sync_id = ?`).get(entitlementId, syncId)) as { data: Buffer } | undefined;
    return row ? this.decode(EntitlementSchema, row.data) : undefined;
  }

  /** One grant by id (indexed), if the sync has it. */
  grant(syncId: string, grantId: string): Grant | undefined {
    const expansion = this.hasExpansion ? "expansion" : "null as expansion";
    const row = this.guard(() => this.db.prepare(`select data, ${expansion} from v1_grants where external_id = ? and sync_id = ?`).get(grantId, syncId)) as
      | { data: Buffer; expansion: Buffer | null }
      | undefined;
    return row ? this.grantOf(row) : undefined;
  }

  private grantOf(row: { data: Buffer; expansion: Buffer | null }): Grant {
    const grant = this.decode(GrantSchema, row.data);
    if (row.expansion && row.expansion.length > 0) {
      grant.annotations.push(anyPack(GrantExpandableSchema, this.decode(GrantExpandableSchema, row.expansion)));
    }
    return grant;
  }

  /**
   * Grant ids with their expansion sources, without decoding whole grants (cheap on large files).
   */
  *grantSources(syncId: string): Generator<{ id: string; sources?: GrantSources }> {
    for (const row of this.rows<{ external_id: string; data: Buffer }>(`select external_id, data from v1_grants where sync_id = ? order by id`, [syncId])) {
      const bytes = lengthDelimitedField(row.data, 5);
      yield { id: row.external_id, sources: bytes ? this.decode(GrantSourcesSchema, bytes) : undefined };
    }
  }

  /** The stats baton would show: the cached stats column when it has counts, else counted now. */
  stats(syncId: string): SyncStats {
    const run = this.resolveSync(syncId);
    const cached = parseSyncStats(run.stats);
    if (cached && cached.resourceTypes > 0) return cached;
    return this.guard(() => computeSyncStats(this.db, syncId));
  }

  /** Raw access for tests and diagnostics. */
  get database(): Database {
    return this.db;
  }

  private decodeAll<Desc extends DescMessage>(schema: Desc, sql: string, params: unknown[]): MessageShape<Desc>[] {
    return [...this.decodeEach(schema, sql, params)];
  }

  private *decodeEach<Desc extends DescMessage>(schema: Desc, sql: string, params: unknown[]): Generator<MessageShape<Desc>> {
    for (const row of this.rows<{ data: Buffer }>(sql, params)) yield this.decode(schema, row.data);
  }

  /** Rows one at a time; a damaged page met halfway is a C1zFormatError like one met at the start. */
  private *rows<Row>(sql: string, params: unknown[]): Generator<Row> {
    const rows = this.guard(() => this.db.prepare(sql).iterate(...params)) as IterableIterator<Row>;
    for (;;) {
      const next = this.guard(() => rows.next());
      if (next.done) return;
      yield next.value;
    }
  }

  private decode<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array): MessageShape<Desc> {
    try {
      return fromBinary(schema, bytes);
    } catch (error) {
      throw new C1zFormatError(`${this.path} holds an undecodable ${schema.typeName}: ${(error as Error).message}`);
    }
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw asFormatError(error, this.path);
    }
  }
}

/** SQLite's own corruption errors, rephrased for a user; anything else passes through. */
export function asFormatError(error: unknown, label: string): Error {
  if (error instanceof C1zFormatError) return error;
  const code = (error as { code?: string }).code ?? "";
  if (code.startsWith("SQLITE_NOTADB") || code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_CANTOPEN")) {
    return new C1zFormatError(`${label} is corrupted: ${(error as Error).message}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}
