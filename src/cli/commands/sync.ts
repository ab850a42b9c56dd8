import { Code, ConnectError } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Command, Option } from "commander";
import { existsSync } from "node:fs";
import { createConnector, type Connector } from "../../connector/build.js";
import { createRemoteConnectorApi, type ConnectorApi } from "../../connector/direct-client.js";
import { processLogOutput, type Logger } from "../../log.js";
import { PROFILES } from "../../simulator/index.js";
import { startDemoConnector } from "../../sync/demo.js";
import { createChangeTracking } from "../../changes/change-tracking.js";
import { DEFAULT_WORKERS, runSync, type SyncResult } from "../../sync/engine.js";
import { runIncrementalSync } from "../../sync/incremental.js";
import { runTargetedSync } from "../../sync/targeted.js";
import { parseResourceSpec } from "../resource-spec.js";
import { createProgress } from "../../sync/progress.js";
import { buildSummary, renderSummary } from "../../sync/summary.js";
import { workingPath } from "../../sync/working-db.js";
import { addConnectorOptions, createCommandLogger, loadConnectorSettings } from "../connector-options.js";
import { describeFailure } from "../failure.js";
import { EXIT, InterruptedError, UserError } from "../fatal.js";
import { syncTarget } from "../files.js";
import { limitHeapGrowth } from "../heap.js";
import { outputOption, writeOut, type OutputFormat } from "../output.js";
import { interruptSignal, onInterrupt } from "../runner.js";

/** Test hook: SIGKILL this process right after checkpoint N is committed (crash-resume tests). */
export const CRASH_HOOK_ENV = "CONNECTOR_SYNC_CRASH_AFTER_CHECKPOINT";

interface SyncFlags {
  file: string;
  demo?: boolean;
  demoProfile: string;
  connectorAddress?: string;
  workers: string;
  keepSyncs: string;
  expandGrants: boolean;
  output: OutputFormat;
  progress: boolean;
  incremental?: boolean;
  syncResources?: string | string[];
}

/** `connector sync`: a full sync into a baton c1z (v1) file; resumes an interrupted one. */
export function syncCommand(): Command {
  const command = new Command("sync")
    .description("Sync AWS (or --demo: the built-in simulator) into a baton .c1z file; an interrupted sync resumes where it stopped")
    .option("-f, --file <path>", "the .c1z file to write (replaced atomically when the sync completes; a symbolic link is followed)", "sync.c1z")
    .option("--demo", "sync the in-process simulator's demo organisation instead of AWS (no account, no network)")
    .addOption(new Option("--demo-profile <name>", "simulator organisation for --demo").choices(Object.keys(PROFILES)).default("demo"))
    .option("--connector-address <host:port>", "sync a baton connector served over plaintext gRPC (h2c) at this address instead")
    .option("--workers <n>", "concurrent listings (entitlements, grants, child resources), a quarter of them per resource type", String(DEFAULT_WORKERS))
    .option("--keep-syncs <n>", "finished full syncs kept in the file, this one included", "2")
    .option("--no-expand-grants", "skip grant expansion (store only what the connector returned)")
    .option("--incremental", "read only what changed since the file's last sync (CloudTrail) and write a new complete sync; falls back to a full sync, saying why, when it cannot")
    .option("--sync-resources <ids>", "targeted sync: re-read just these resources (TYPE:ID or baton ids bid:r:…, comma-separated or repeated), written as a partial sync", collect)
    .addOption(outputOption("summary format"))
    .option("--no-progress", "no progress display and no progress log lines");
  return addConnectorOptions(command).action(async (flags: SyncFlags & Record<string, unknown>) => {
    const settings = loadConnectorSettings(flags);
    const log = createCommandLogger(settings.log);
    const workers = positiveInt(flags.workers, "--workers");
    const keepSyncs = positiveInt(flags.keepSyncs, "--keep-syncs");
    const target = syncTarget(flags.file);
    const targets = (Array.isArray(flags.syncResources) ? flags.syncResources : flags.syncResources ? [flags.syncResources] : []).flatMap(splitList).map(parseResourceSpec);
    if (flags.incremental && targets.length > 0) throw new UserError("--incremental and --sync-resources cannot be combined", EXIT.usage);
    if (flags.incremental && flags.connectorAddress) throw new UserError("--incremental needs the connector in-process (it reads CloudTrail): drop --connector-address", EXIT.usage);

    // Ctrl-C / SIGTERM: stop at the next page, keep what is checkpointed, say how to resume — in
    // one line: the calls cancelled on the way out are expected, so the log goes quiet first.
    const interrupt = interruptSignal();
    onInterrupt(() => (log.level = "silent"));

    const source = await openSource(flags, settings.config, log);
    const progress = createProgress({
      mode: !flags.progress ? "off" : process.stderr.isTTY ? "bar" : "log",
      log,
      logOutput: processLogOutput,
      aws: source.connector ? () => source.connector!.aws.stats.totals() : undefined,
    });
    const crashAt = Number(process.env[CRASH_HOOK_ENV] ?? 0);
    let result: SyncResult;
    limitHeapGrowth();
    // In-process, a full sync records its listings' AWS reads, so that later incremental syncs can start from it.
    const changes = source.connector ? createChangeTracking(source.connector.config, source.connector.aws) : undefined;
    try {
      const common = {
        target,
        api: source.api,
        workers,
        keepSyncs,
        expandGrants: flags.expandGrants,
        observer: progress.observer,
        log,
        signal: interrupt,
        onCheckpoint: crashAt > 0 ? (n: number) => n === crashAt && process.kill(process.pid, "SIGKILL") : undefined,
      };
      result = flags.incremental
        ? await runIncrementalSync({ ...common, changes: changes! })
        : targets.length > 0
          ? await runTargetedSync({ ...common, resources: targets })
          : await runSync({ ...common, changes });
    } catch (error) {
      throw failedSync(interrupt.aborted ? interrupt.reason : error, target);
    } finally {
      progress.stop();
      await source.close();
    }
    const summary = buildSummary(result, {
      awsCalls: source.connector?.aws.stats.byService(),
      problems: source.connector?.problems.list(result.syncId),
    });
    await writeOut(flags.output === "json" ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(summary));
  });
}

interface Source {
  api: ConnectorApi;
  connector?: Connector;
  close(): Promise<void>;
}

async function openSource(flags: SyncFlags, config: Parameters<typeof createConnector>[0], log: Logger): Promise<Source> {
  if (flags.demo && flags.connectorAddress) throw new UserError("--demo and --connector-address cannot be combined");
  if (flags.connectorAddress) {
    const transport = createGrpcTransport({ baseUrl: `http://${flags.connectorAddress}` });
    return { api: createRemoteConnectorApi(transport), close: async () => undefined };
  }
  if (flags.demo) {
    const demo = await startDemoConnector(config, { profile: flags.demoProfile, log });
    log.info({ endpoint: demo.simulator.endpoint, profile: flags.demoProfile }, "syncing the simulator's demo organisation");
    return { api: demo.connector.api, connector: demo.connector, close: () => demo.close() };
  }
  const connector = createConnector(config, { log });
  return { api: connector.api, connector, close: () => connector.close() };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const splitList = (value: string) => value.split(",").map((v) => v.trim()).filter(Boolean);

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} must be a positive integer, not "${value}"`);
  return n;
}

/**
 * One line for a sync that did not finish. When its working database is left (everything
 * checkpointed so far), the line says so: the same command resumes, deleting the file starts over.
 */
export function failedSync(error: unknown, target: string): unknown {
  const working = workingPath(target);
  const kept = existsSync(working) ? ` (${working} keeps the progress: run the same command again to resume, or delete it to start over)` : "";
  if (error instanceof InterruptedError) {
    return new InterruptedError(`sync ${error.message}; run the same command again to resume${kept ? ` — ${working} keeps the progress (delete it to start over)` : ""}`);
  }
  const failure = describeFailure(error);
  if (failure.bug) return error;
  const code = failure.exitCode === EXIT.usage ? EXIT.usage : EXIT.failed;
  // The working database itself is damaged: resuming from it cannot work.
  if (failure.line.includes(working)) {
    return new UserError(failure.line.includes("delete") ? failure.line : `${failure.line} — delete ${working} to start over`, code);
  }
  // The connector refused (AWS access denied, validation, …): its message says what to fix.
  const line = error instanceof ConnectError ? `sync stopped: ${Code[error.code]}: ${error.rawMessage}` : failure.line;
  return new UserError(`${line}${kept}`, code);
}
