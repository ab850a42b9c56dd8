import type { WorkingStore } from "./store.js";

/**
 * Phases in the order a sync runs them (baton's order). "incremental" marks an incremental sync
 * in progress (incremental.ts): never resumed, only discarded.
 */
export const PHASES = ["resource-types", "resources", "static-entitlements", "entitlements", "grants", "expansion", "finalize", "done", "incremental"] as const;
export type SyncPhase = (typeof PHASES)[number];

/** The listing of one resource's records in progress: the job of row `headRowId` resumes at `headToken`. */
export interface HeadCursor {
  headRowId?: number;
  headToken?: string;
}

/** Where a per-resource listing stands: every resource row ≤ afterRowId is done; head is mid-listing. */
export interface ResourceCursor extends HeadCursor {
  afterRowId: number;
}

/**
 * Where the grant listings stand: the first `done` jobs of their commit order (access-phase.ts
 * `commitOrder`) are done; head is mid-listing. `resourcesThrough`: the last resource row of the
 * resources phase, set when it ends (rows past it came from InsertResourceGrants, in row order).
 */
export interface GrantsCursor extends HeadCursor {
  done: number;
  resourcesThrough?: number;
}

/** Where the resources phase stands in its listing queue: `done` entries are committed; the next one is at `headToken`. */
export interface QueueCursor {
  done: number;
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
  version: 3;
  writer: "aws-access-connector";
  phase: SyncPhase;
  /** ListResourceTypes page token (resource-types phase). */
  typesToken?: string;
  queue?: QueueCursor;
  staticEntitlements?: { typeIndex: number; token: string };
  /** ListEntitlements (committed in resource row order) and ListGrants (in commitOrder), entitlements first, as baton. */
  access?: { entitlements: ResourceCursor; grants: GrantsCursor };
  expansion?: { round: number; edge: number };
  completed_actions: number;
  warnings: string[];
  warning_count: number;
  dropped: { resources: number; entitlements: number; grants: number };
  retries: number;
  /** Grants created by grant expansion so far. */
  expanded_grants: number;
  step_durations_ms: Record<string, number>;
  connector_call_stats: Record<string, CallStatJson>;
  /**
   * Set on a finished sync whose listings' AWS reads were recorded (its read log is in the file):
   * an incremental sync can start from it. `cursor` is where reading changes resumes (opaque to
   * the engine), `fingerprint` the connector configuration it was made with.
   */
  changes?: { fingerprint: string; cursor: unknown; via: "full" | "incremental" };
}

const MAX_KEPT_WARNINGS = 50;

export function newToken(): SyncToken {
  return {
    version: 3,
    writer: "aws-access-connector",
    phase: "resource-types",
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
    // Earlier versions' tokens (other cursors) are not resumable: that sync starts over.
    if (token.writer !== "aws-access-connector" || token.version !== 3 || !PHASES.includes(token.phase as SyncPhase)) return undefined;
    return { ...newToken(), ...token } as SyncToken;
  } catch {
    return undefined;
  }
}

/** An incremental sync that was interrupted: what it left in the working database is thrown away. */
export function isInterruptedIncremental(run: { endedAt: string | null; syncToken: string }): boolean {
  return run.endedAt === null && parseToken(run.syncToken)?.phase === "incremental";
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

/** Writes issued and not yet applied by the store, above which the engine waits for it. */
const MAX_PENDING_WRITES = 256;

/**
 * Decides when to checkpoint: phases count the rows they write and move their cursor in the
 * token; `maybe()` stores the token with everything written before it, atomically (StoreCore
 * commits rows and token in one transaction), when the policy says so.
 *
 * Checkpoints are issued, not awaited: the store commits them in order while the engine carries
 * on. With `exact` (the fault hook of crash tests), each one is awaited and the hook runs before
 * anything else is written — so "crash after checkpoint n" means exactly that database state.
 */
export class Checkpointer {
  #rows = 0;
  #last = Date.now();
  #issued = 0;

  constructor(
    private readonly store: WorkingStore,
    readonly token: SyncToken,
    private readonly policy: CheckpointPolicy,
    private readonly exactHook?: (count: number) => void,
  ) {}

  rows(n: number): void {
    this.#rows += n;
  }

  /**
   * Checkpoints when due; also makes the engine wait when the store falls behind. Returns a promise
   * only when there is something to wait for (commit loops run hundreds of thousands of times).
   */
  maybe(): Promise<void> | undefined {
    this.store.throwIfFailed();
    if (this.#rows >= this.policy.maxRows || Date.now() - this.#last >= this.policy.intervalMs) return this.flush();
    if (this.store.pending > MAX_PENDING_WRITES) return this.store.drain(MAX_PENDING_WRITES / 2);
    return undefined;
  }

  /** Stores the token with everything written so far. */
  async flush(): Promise<void> {
    this.store.throwIfFailed();
    this.#rows = 0;
    this.#last = Date.now();
    this.#issued++;
    const json = JSON.stringify(this.token);
    if (this.exactHook) {
      const count = await this.store.call("checkpoint", json);
      this.exactHook(count);
    } else {
      this.store.send("checkpoint", json);
      if (this.store.pending > MAX_PENDING_WRITES) await this.store.drain(MAX_PENDING_WRITES / 2);
    }
  }

  /** Checkpoints committed inside a store operation (grant expansion commits its own). */
  committedElsewhere(count: number): void {
    this.#issued = count;
    this.#rows = 0;
    this.#last = Date.now();
    this.exactHook?.(count);
  }

  get count(): number {
    return this.#issued;
  }
}
