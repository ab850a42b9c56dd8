import type { Database } from "better-sqlite3";
import { updateSyncToken } from "../c1z/sync-runs.js";

/** Phases in the order a sync runs them (baton's order). */
export const PHASES = ["resource-types", "resources", "static-entitlements", "entitlements", "grants", "expansion", "finalize", "done"] as const;
export type SyncPhase = (typeof PHASES)[number];

/** Where a per-resource phase stands: every resource row ≤ afterRowId is done; head is mid-listing. */
export interface ResourceCursor {
  afterRowId: number;
  headRowId?: number;
  headToken?: string;
}

/** Where the resources phase stands in its work queue (see working-db.ts). */
export interface QueueCursor {
  afterSeq: number;
  headSeq?: number;
  headToken?: string;
}

/** Per-RPC call counts, in baton's sync-token shape. */
export interface CallStatJson {
  count: number;
  total_ms: number;
  max_ms: number;
  errors: number;
}

/**
 * The checkpoint, stored as JSON in v1_sync_runs.sync_token of the unfinished sync — like baton's
 * token, though not byte-compatible with it. It is written in the same SQLite transaction as the
 * rows it describes, so after a crash the database and its token always agree.
 */
export interface SyncToken {
  version: 1;
  writer: "aws-access-connector";
  phase: SyncPhase;
  /** ListResourceTypes page token (resource-types phase). */
  typesToken?: string;
  queue?: QueueCursor;
  staticEntitlements?: { typeIndex: number; token: string };
  resources?: ResourceCursor;
  expansion?: { round: number; edge: number };
  needs_expansion: boolean;
  completed_actions: number;
  warnings: string[];
  warning_count: number;
  dropped: { resources: number; entitlements: number; grants: number };
  retries: number;
  /** Grants created by grant expansion so far. */
  expanded_grants: number;
  step_durations_ms: Record<string, number>;
  connector_call_stats: Record<string, CallStatJson>;
}

const MAX_KEPT_WARNINGS = 50;

export function newToken(): SyncToken {
  return {
    version: 1,
    writer: "aws-access-connector",
    phase: "resource-types",
    needs_expansion: false,
    completed_actions: 0,
    warnings: [],
    warning_count: 0,
    dropped: { resources: 0, entitlements: 0, grants: 0 },
    retries: 0,
    expanded_grants: 0,
    step_durations_ms: {},
    connector_call_stats: {},
  };
}

/** Parses a token we wrote; undefined for baton's tokens or anything else (not resumable by us). */
export function parseToken(text: string): SyncToken | undefined {
  if (!text) return undefined;
  try {
    const token = JSON.parse(text) as Partial<SyncToken>;
    if (token.writer !== "aws-access-connector" || token.version !== 1 || !PHASES.includes(token.phase as SyncPhase)) return undefined;
    return { ...newToken(), ...token } as SyncToken;
  } catch {
    return undefined;
  }
}

export function addWarning(token: SyncToken, message: string): void {
  token.warning_count++;
  if (token.warnings.length < MAX_KEPT_WARNINGS) token.warnings.push(message);
}

export interface CheckpointPolicy {
  /** Commit and checkpoint at least this often while writing (ms). */
  intervalMs: number;
  /** …or after this many rows, whichever comes first. Large transactions keep writes fast. */
  maxRows: number;
}

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { intervalMs: 2000, maxRows: 100_000 };

/**
 * Owns the write transaction of the working database. Phases write rows and move their cursor in
 * the token; `maybe()` commits rows and token together when the policy says so.
 */
export class Checkpointer {
  #rows = 0;
  #last = Date.now();
  #count = 0;

  constructor(
    private readonly db: Database,
    private readonly syncId: string,
    readonly token: SyncToken,
    private readonly policy: CheckpointPolicy,
    private readonly onCheckpoint?: (count: number, token: SyncToken) => void,
  ) {}

  /** Opens the write transaction if none is open. */
  begin(): void {
    if (!this.db.inTransaction) this.db.exec("begin immediate");
  }

  rows(n: number): void {
    this.#rows += n;
  }

  maybe(): void {
    if (this.#rows >= this.policy.maxRows || Date.now() - this.#last >= this.policy.intervalMs) this.flush();
  }

  /** Writes the token, commits, and starts the next transaction. */
  flush(): void {
    this.begin();
    updateSyncToken(this.db, this.syncId, JSON.stringify(this.token));
    this.db.exec("commit");
    this.#rows = 0;
    this.#last = Date.now();
    this.#count++;
    this.onCheckpoint?.(this.#count, this.token);
    this.begin();
  }

  /** Drops uncommitted writes (on failure paths where the token cannot describe them). */
  rollback(): void {
    if (this.db.inTransaction) this.db.exec("rollback");
  }

  get count(): number {
    return this.#count;
  }
}
