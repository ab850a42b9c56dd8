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
import { columnNames, TABLES } from "./schema.js";
import { computeSyncStats, parseSyncStats, type SyncStats } from "./stats.js";
import { defaultSync, listSyncRuns, type SyncRun } from "./sync-runs.js";

export interface ListOptions {
  /** Only records of this resource type (for grants: of the entitlement's resource type). */
  resourceTypeId?: string;
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
      await readC1zToDb(path, dbPath);
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
    return options.resourceTypeId
      ? this.decodeAll(ResourceSchema, `select data from v1_resources where sync_id = ? and resource_type_id = ? order by id`, [syncId, options.resourceTypeId])
      : this.decodeAll(ResourceSchema, `select data from v1_resources where sync_id = ? order by id`, [syncId]);
  }

  entitlements(syncId: string, options: ListOptions = {}): Entitlement[] {
    return options.resourceTypeId
      ? this.decodeAll(EntitlementSchema, `select data from v1_entitlements where sync_id = ? and resource_type_id = ? order by id`, [syncId, options.resourceTypeId])
      : this.decodeAll(EntitlementSchema, `select data from v1_entitlements where sync_id = ? order by id`, [syncId]);
  }

  /** Grants as stored, with their GrantExpandable re-attached from the expansion column. */
  *grants(syncId: string, options: ListOptions = {}): Generator<Grant> {
    const expansion = this.hasExpansion ? "expansion" : "null as expansion";
    const sql = options.resourceTypeId
      ? `select data, ${expansion} from v1_grants where sync_id = ? and resource_type_id = ? order by id`
      : `select data, ${expansion} from v1_grants where sync_id = ? order by id`;
    const params = options.resourceTypeId ? [syncId, options.resourceTypeId] : [syncId];
    const rows = this.guard(() => this.db.prepare(sql).iterate(...params)) as IterableIterator<{ data: Buffer; expansion: Buffer | null }>;
    for (const row of rows) {
      const grant = this.decode(GrantSchema, row.data);
      if (row.expansion && row.expansion.length > 0) {
        grant.annotations.push(anyPack(GrantExpandableSchema, this.decode(GrantExpandableSchema, row.expansion)));
      }
      yield grant;
    }
  }

  /**
   * Grant ids with their expansion sources, without decoding whole grants (cheap on large files).
   */
  *grantSources(syncId: string): Generator<{ id: string; sources?: GrantSources }> {
    const rows = this.guard(() => this.db.prepare(`select external_id, data from v1_grants where sync_id = ? order by id`).iterate(syncId)) as IterableIterator<{
      external_id: string;
      data: Buffer;
    }>;
    for (const row of rows) {
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
    const rows = this.guard(() => this.db.prepare(sql).all(...params)) as Array<{ data: Buffer }>;
    return rows.map((r) => this.decode(schema, r.data));
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
