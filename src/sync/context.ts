import { Code, ConnectError } from "@connectrpc/connect";
import { decodedSizeWarning } from "../c1z/container.js";
import type { SyncStats } from "../c1z/stats.js";
import type { ConnectorApi } from "../connector/direct-client.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { addWarning, type CallStatJson, type Checkpointer, type SyncPhase, type SyncToken } from "./checkpoint.js";
import { retryAfterFailure, type RetryEvent, type RetryPolicy } from "./retry.js";
import { hasIdentity, missingTrait, sendsActiveSyncId, type TypeFlags } from "./rules.js";
import type { ListingRef, ReadRecorder } from "./read-log.js";
import type { ListingScheduler } from "./scheduler.js";
import type { WorkingStore } from "./store.js";

/** A sync failure whose message is fit for a user as is (the CLI prints it on one line). */
export class SyncError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SyncError";
  }
}

export type RecordKind = "resources" | "entitlements" | "grants" | "expanded";

/** What a resumed sync had already stored when it was interrupted. */
export interface ResumeInfo {
  phase: SyncPhase;
  /** Rows of this sync in the working database (expanded grants included in the grant counts). */
  stats: SyncStats;
  expandedGrants: number;
  warnings: number;
  retries: number;
}

/** What a sync reports while it runs (progress display, logs, tests). All optional. */
export interface SyncObserver {
  phase?(phase: SyncPhase, info: { jobs?: number }): void;
  /** `n` records of `kind` for resource type `resourceTypeId` were written. */
  records?(kind: RecordKind, resourceTypeId: string, n: number): void;
  /** A listing (one resource's entitlements, one type's resources…) completed. */
  jobDone?(phase: SyncPhase): void;
  warning?(message: string): void;
  retry?(event: RetryEvent & { rpc: string }): void;
  checkpoint?(count: number): void;
  /** Told once, before anything else, when this run resumes an interrupted sync (progress counts start there). */
  resumed?(info: ResumeInfo): void;
}

/** Everything a phase needs. One per sync run. */
export interface SyncContext {
  api: ConnectorApi;
  /** The working database (on its own thread); writes are sent in commit order. */
  store: WorkingStore;
  /** Runs every listing of the resources, entitlements and grants phases. */
  scheduler: ListingScheduler;
  syncId: string;
  /** What we send as active_sync_id ("" for connectors older than baton SDK 0.4.3). */
  activeSyncId: string;
  checkpoint: Checkpointer;
  token: SyncToken;
  workers: number;
  retry: RetryPolicy;
  observer: SyncObserver;
  signal?: AbortSignal;
  /** Resource types of this sync (filled after the resource-types phase), in listing order. */
  types: Map<string, TypeFlags>;
  /** Records each listing's AWS reads (for incremental syncs), when the connector can tell them. */
  reads?: ReadRecorder;
}

/**
 * The context of one run (full, incremental or targeted): `active_sync_id` follows the connector's
 * SDK version, the resource types are filled by the run's resource-types phase.
 */
export function newSyncContext(init: Omit<SyncContext, "activeSyncId" | "types"> & { sdkVersion: string }): SyncContext {
  const { sdkVersion, ...context } = init;
  return { ...context, activeSyncId: sendsActiveSyncId(sdkVersion) ? init.syncId : "", types: new Map() };
}

/** A listing's next page token; a connector answering the token it was given would loop forever. */
export function nextPageToken(given: string, answered: string, listing: string): string {
  if (answered !== "" && answered === given) throw new SyncError(`${listing} returned the same page token again (it would loop forever)`);
  return answered;
}

/**
 * baton's rules for a listed resource, in every kind of run: one without an identity is dropped
 * (and counted), one lacking the trait its type declares fails the sync.
 */
export function acceptedResource(ctx: SyncContext, resource: Resource): resource is Resource & { id: NonNullable<Resource["id"]> } {
  if (!hasIdentity(resource)) {
    ctx.token.dropped.resources++;
    return false;
  }
  const missing = missingTrait(resource, ctx.types.get(resource.id.resourceType));
  if (missing) throw new SyncError(`resource ${resource.id.resourceType}:${resource.id.resource} lacks the ${missing} annotation its resource type declares`);
  return true;
}

/** Runs one listing call, noting its AWS reads (and, for resources, what it produced) when they are recorded. */
export function recorded<T>(ctx: SyncContext, ref: ListingRef, call: () => Promise<T>, produced?: (value: T) => Iterable<string>): Promise<T> {
  return ctx.reads ? ctx.reads.listing(ref, call, produced) : call();
}

/**
 * Calls the connector with baton's retry rules and records per-RPC call stats in the token
 * (they end up in the sync's stats as connector_call_stats). The first attempt runs inline: the
 * retry machinery is built only when it is needed.
 */
export async function callConnector<T>(ctx: SyncContext, rpc: string, call: (signal: AbortSignal | undefined) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const stats = (ctx.token.connector_call_stats[rpc] ??= { count: 0, total_ms: 0, max_ms: 0, errors: 0 });
  const callSignal = signal ?? ctx.signal;
  try {
    return await counted(stats, call, callSignal);
  } catch (error) {
    return retryAfterFailure(error, () => counted(stats, call, callSignal), {
      policy: ctx.retry,
      signal: callSignal,
      onRetry: (event) => {
        ctx.token.retries++;
        ctx.observer.retry?.({ ...event, rpc });
      },
    });
  }
}

/** One attempt, counted in the RPC's stats whether it succeeds or fails. */
async function counted<T>(stats: CallStatJson, call: (signal: AbortSignal | undefined) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  const started = performance.now();
  let failed = false;
  try {
    return await call(signal);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    const ms = Math.round(performance.now() - started);
    stats.count++;
    stats.total_ms += ms;
    if (ms > stats.max_ms) stats.max_ms = ms;
    if (failed) stats.errors++;
  }
}

/** NotFound on a listing is a warning (the action is skipped), as in baton's syncer. */
export function isWarningError(error: unknown): boolean {
  return error instanceof ConnectError && error.code === Code.NotFound;
}

/**
 * Records a skipped action. Like baton, too many warnings abort the sync: more than 10, and more
 * than 10 % of the actions completed so far (`limit: false` for a warning that is not a skipped action).
 */
export function warn(ctx: SyncContext, message: string, options: { limit?: boolean } = {}): void {
  addWarning(ctx.token, message);
  ctx.observer.warning?.(message);
  if (options.limit === false) return;
  const { warning_count: count, completed_actions: done } = ctx.token;
  if (count > 10 && done > 0 && count / done > 0.1) {
    throw new SyncError(`too many warnings (${count} in ${done} completed listings); last: ${message}`);
  }
}

/** After publishing: warns when baton's reader will not open the file with its default cap. */
export async function warnIfTooLargeForBaton(ctx: SyncContext, c1zPath: string): Promise<void> {
  const warning = await decodedSizeWarning(c1zPath);
  if (warning) warn(ctx, warning, { limit: false });
}

export function describeError(error: unknown): string {
  return error instanceof ConnectError ? `${Code[error.code]}: ${error.rawMessage}` : error instanceof Error ? error.message : String(error);
}

/** Measures a phase's wall time into the token's step_durations_ms. */
export async function timed<T>(ctx: SyncContext, step: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    ctx.token.step_durations_ms[step] = (ctx.token.step_durations_ms[step] ?? 0) + Math.round(performance.now() - started);
  }
}
