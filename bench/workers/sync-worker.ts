/**
 * One full sync in a fresh process (bench/scenarios/sync.ts): the connector as `connector sync`
 * builds it, pointed at the parent's simulator, with its default client-side pacing. Reports the
 * wall time, AWS calls after Validate (the call plan's scope), the c1z, and this process's peak RSS.
 * With `changes` (bench/scenarios/incremental.ts) it runs as `connector sync` does in-process: a
 * full sync recording its reads, or `--incremental` continuing the file's latest sync.
 */
import { defaultConfig, type AwsRateSetting, type AwsServiceId } from "../../src/config/config.js";
import { createConnector } from "../../src/connector/build.js";
import type { OperationStats } from "../../src/aws/call-stats.js";
import { limitHeapGrowth } from "../../src/cli/heap.js";
import { createChangeTracking } from "../../src/changes/change-tracking.js";
import { runSync } from "../../src/sync/engine.js";
import { runIncrementalSync, type IncrementalInfo, type IncrementalSyncResult } from "../../src/sync/incremental.js";
import type { Features } from "../lib/org-shape.js";
import { workerMain } from "../lib/worker.js";

export interface SyncWorkerInput {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  target: string;
  stateDir: string;
  features: Features;
  /** Client-side pacing of every service (default: the connector's defaults, AWS's quotas). */
  requestsPerSecond?: number;
  /** Client-side pacing per service (`--aws-rate`); the connector's defaults where absent. */
  rates?: Partial<Record<AwsServiceId, AwsRateSetting>>;
  /** Track changes (CloudTrail): a full sync that records its reads, or an incremental one. */
  changes?: "full" | "incremental";
}

/** One rate-limit bucket at the end of the sync (src/aws/rate-limiter.ts BucketState; no Infinity in JSON). */
export interface PacingBucket {
  bucket: string;
  /** Undefined: not paced. */
  rate?: number;
  limit?: number;
  ceiling?: number;
  sent: number;
  throttled: number;
}

export interface SyncWorkerOutput {
  /** Date.now() when runSync started (to line up the parent's samples with the sync). */
  startedAt: number;
  wallMs: number;
  /** CPU time of the process, every thread (the engine, SQLite's thread, zstd's), during runSync. */
  cpuMs: number;
  /** AWS calls from the end of Validate to the end of the sync, by "service:Operation". */
  calls: Record<string, OperationStats>;
  /** AWS calls Validate made (outside the call plan). */
  validateCalls: Record<string, number>;
  stepDurationsMs: Record<string, number>;
  resources: number;
  entitlements: number;
  grants: number;
  expandedGrants: number;
  warnings: string[];
  fileBytes: number;
  /** Peak resident set size of this process (the whole sync, the loaded code included). */
  peakRssBytes: number;
  /** RSS after loading the code, before the sync: the floor the peak is measured from. */
  startRssBytes: number;
  /** Every rate-limit bucket the sync used, as it ended. */
  pacing: PacingBucket[];
  /** An incremental sync's figures; `fallback`: why it ran a full sync instead. */
  incremental?: IncrementalInfo;
  fallback?: string;
}

function delta(after: Record<string, OperationStats>, before: Record<string, OperationStats>): Record<string, OperationStats> {
  const out: Record<string, OperationStats> = {};
  for (const [op, a] of Object.entries(after)) {
    const b = before[op] ?? { calls: 0, throttled: 0, errors: 0, totalMs: 0 };
    if (a.calls - b.calls > 0) {
      out[op] = { calls: a.calls - b.calls, throttled: a.throttled - b.throttled, errors: a.errors - b.errors, totalMs: Math.round(a.totalMs - b.totalMs) };
    }
  }
  return out;
}

// The heap setting `connector sync` makes (src/cli/heap.ts): measure the sync as it runs there.
limitHeapGrowth();

workerMain<SyncWorkerInput, SyncWorkerOutput>(async (input) => {
  const startRssBytes = process.memoryUsage().rss;
  const config = defaultConfig({
    aws: { region: input.region, ssoRegion: input.region, endpoint: input.endpoint, staticCredentials: { ...input.credentials } },
    features: input.features,
    ...(input.requestsPerSecond
      ? { rateLimits: { requestsPerSecond: { iam: input.requestsPerSecond, sts: input.requestsPerSecond, identitystore: input.requestsPerSecond, sso: input.requestsPerSecond, organizations: input.requestsPerSecond } } }
      : {}),
    pageTokenSecret: "benchmark-page-tokens",
    stateDir: input.stateDir,
    ...(input.rates ? { rateLimits: { requestsPerSecond: input.rates } } : {}),
  });
  const connector = createConnector(config);
  let afterValidate: Record<string, OperationStats> = {};
  const validate = connector.api.connector.validate;
  // The plan covers every call after Validate: remember the counters at that point.
  const api = {
    ...connector.api,
    connector: {
      ...connector.api.connector,
      validate: (async (...args: Parameters<typeof validate>) => {
        const answer = await validate(...args);
        afterValidate = connector.aws.stats.byOperation();
        return answer;
      }) as typeof validate,
    },
  };
  try {
    const startedAt = Date.now();
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const changes = input.changes ? createChangeTracking(connector.config, connector.aws) : undefined;
    const result: IncrementalSyncResult =
      input.changes === "incremental" ? await runIncrementalSync({ target: input.target, api, changes: changes! }) : await runSync({ target: input.target, api, changes });
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const calls = delta(connector.aws.stats.byOperation(), afterValidate);
    return {
      startedAt,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      calls,
      validateCalls: Object.fromEntries(Object.entries(afterValidate).map(([op, s]) => [op, s.calls])),
      stepDurationsMs: result.stats.stepDurationsMs ?? {},
      resources: result.stats.resources,
      entitlements: result.stats.entitlements,
      grants: result.stats.grants,
      expandedGrants: result.expandedGrants,
      warnings: result.warnings,
      fileBytes: result.fileBytes,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      startRssBytes,
      incremental: result.incremental,
      fallback: result.fallback,
      pacing: connector.aws.limiter.states().map((b) => ({
        bucket: b.bucket,
        ...(Number.isFinite(b.rate) ? { rate: b.rate } : {}),
        ...(b.limit !== undefined ? { limit: b.limit } : {}),
        ...(Number.isFinite(b.ceiling) ? { ceiling: b.ceiling } : {}),
        sent: b.sent,
        throttled: b.throttled,
      })),
    };
  } finally {
    await connector.close();
  }
});
