import cliProgress from "cli-progress";
import type { LogOutput, Logger } from "../log.js";
import type { SyncPhase } from "./checkpoint.js";
import type { RecordKind, ResumeInfo, SyncObserver } from "./context.js";

export interface AwsTotals {
  calls: number;
  throttled: number;
}

/**
 * How a sync shows its progress:
 *  - "bar": a live display on a terminal (cli-progress); log lines are printed above it;
 *  - "log": a "sync progress" log line at each phase and every intervalMs (CI logs, files);
 *  - "off": nothing (`--no-progress`). Warnings are logged in every mode: they are not progress.
 */
export type ProgressMode = "bar" | "log" | "off";

export interface ProgressOptions {
  mode: ProgressMode;
  log: Logger;
  /** The in-process connector's AWS call counters, when there is one. */
  aws?: () => AwsTotals;
  /** Log-line period in "log" mode (ms). */
  intervalMs?: number;
  /** The terminal of the "bar" mode (default stderr). */
  stream?: NodeJS.WriteStream;
  /** The process log's output: while the bar is shown, its lines are printed above the bar. */
  logOutput?: LogOutput;
  /** Clock (ms), for tests. */
  now?: () => number;
}

export interface Progress {
  observer: SyncObserver;
  stop(): void;
}

/** Counts what the engine reports, for the live display and the log lines. */
export class Tally {
  phase: SyncPhase | "starting" = "starting";
  phaseStartedAt: number;
  readonly startedAt: number;
  jobsTotal = 0;
  jobsDone = 0;
  retries = 0;
  warnings = 0;
  checkpoints = 0;
  resumed = false;
  /** Grants expansion added in this run (also counted in the grants total). */
  expandedNew = 0;
  /** Grants expansion added before a resume (already in the resumed grant counts). */
  expandedBefore = 0;
  readonly byKind: Record<Exclude<RecordKind, "expanded">, Map<string, number>> = {
    resources: new Map(),
    entitlements: new Map(),
    grants: new Map(),
  };

  constructor(private readonly now: () => number) {
    this.startedAt = now();
    this.phaseStartedAt = this.startedAt;
  }

  observer(onPhase: () => void, onWarning: (message: string) => void, onRetry: SyncObserver["retry"]): SyncObserver {
    return {
      phase: (phase, info) => {
        this.phase = phase;
        this.phaseStartedAt = this.now();
        this.jobsTotal = info.jobs ?? 0;
        this.jobsDone = 0;
        onPhase();
      },
      records: (kind, type, n) => {
        if (kind === "expanded") {
          this.expandedNew += n;
          return;
        }
        const map = this.byKind[kind];
        map.set(type, (map.get(type) ?? 0) + n);
      },
      jobDone: () => {
        this.jobsDone++;
      },
      warning: (message) => {
        this.warnings++;
        onWarning(message);
      },
      retry: (event) => {
        this.retries++;
        onRetry?.(event);
      },
      checkpoint: (count) => {
        this.checkpoints = count;
      },
      resumed: (info) => this.seed(info),
    };
  }

  /** A resumed sync starts from what the interrupted run had stored. */
  seed(info: ResumeInfo): void {
    this.resumed = true;
    const seedKind = (kind: Exclude<RecordKind, "expanded">, counts: Record<string, number>) => {
      for (const [type, n] of Object.entries(counts)) this.byKind[kind].set(type, (this.byKind[kind].get(type) ?? 0) + n);
    };
    seedKind("resources", info.stats.resourcesByResourceType);
    seedKind("entitlements", info.stats.entitlementsByResourceType);
    seedKind("grants", info.stats.grantsByResourceType);
    this.expandedBefore = info.expandedGrants;
    this.warnings += info.warnings;
    this.retries += info.retries;
  }

  total(kind: Exclude<RecordKind, "expanded">): number {
    let n = 0;
    for (const v of this.byKind[kind].values()) n += v;
    return kind === "grants" ? n + this.expandedNew : n;
  }

  expanded(): number {
    return this.expandedBefore + this.expandedNew;
  }

  /** "grants 1234 (sso_group 900, account 300, …)" with at most `maxTypes` types named. */
  describe(kind: Exclude<RecordKind, "expanded">, maxTypes: number): string {
    const entries = [...this.byKind[kind]].filter(([t, n]) => t !== "" && n > 0).sort((a, b) => b[1] - a[1]);
    const shown = entries.slice(0, maxTypes).map(([t, n]) => `${t} ${n}`);
    if (entries.length > maxTypes && maxTypes > 0) shown.push("…");
    return `${kind} ${this.total(kind)}${shown.length ? ` (${shown.join(", ")})` : ""}`;
  }

  /**
   * Seconds left in this phase, from the phase's average pace so far (not a short window, which
   * jumps whenever one listing is slower than the last few). Undefined until there is a pace.
   */
  etaSeconds(): number | undefined {
    const elapsed = this.now() - this.phaseStartedAt;
    const total = Math.max(this.jobsTotal, this.jobsDone);
    if (total === 0 || this.jobsDone === 0 || elapsed < 2000 || this.jobsDone < total * 0.02) return undefined;
    return Math.ceil(((total - this.jobsDone) * elapsed) / this.jobsDone / 1000);
  }
}

const PHASE_LABELS: Record<SyncPhase | "starting", string> = {
  starting: "starting",
  "resource-types": "resource types",
  resources: "resources",
  "static-entitlements": "static entitlements",
  entitlements: "entitlements",
  grants: "grants",
  expansion: "grant expansion",
  finalize: "writing file",
  done: "done",
  incremental: "changes",
};
const LABEL_WIDTH = Math.max(...Object.values(PHASE_LABELS).map((l) => l.length));
const BAR_SIZE = 24;

/** Live progress on a terminal, log lines elsewhere, or nothing. */
export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const tally = new Tally(now);
  let render = () => undefined as void;
  const observer = tally.observer(
    () => render(),
    (message) => options.log.warn({ warning: message }, "sync warning"),
    (event) => options.log.debug({ rpc: event.rpc, code: event.code, waitMs: event.waitMs }, "retrying connector call"),
  );
  const aws = () => options.aws?.() ?? { calls: 0, throttled: 0 };

  if (options.mode === "off") return { observer, stop: () => undefined };

  if (options.mode === "log") {
    const line = () => {
      const a = aws();
      options.log.info(
        {
          phase: tally.phase,
          listingsDone: tally.jobsDone,
          listingsTotal: tally.jobsTotal,
          resources: tally.total("resources"),
          entitlements: tally.total("entitlements"),
          grants: tally.total("grants"),
          expandedGrants: tally.expanded(),
          awsCalls: a.calls,
          throttled: a.throttled,
          retries: tally.retries,
          ...(tally.resumed ? { resumed: true } : {}),
        },
        "sync progress",
      );
    };
    render = line;
    const timer = setInterval(line, options.intervalMs ?? 5000);
    timer.unref();
    return { observer, stop: () => clearInterval(timer) };
  }

  const stream = options.stream ?? process.stderr;
  const bars = new cliProgress.MultiBar({ hideCursor: true, clearOnComplete: false, stopOnComplete: false, fps: 5, stream, autopadding: false });
  // Every line is composed here and fitted to the terminal's width (cli-progress draws, moves
  // the cursor and prints log lines above the bars).
  const lineBar = (compose: (width: number) => string) =>
    bars.create(1, 0, {}, { format: (_options: unknown, params: { maxWidth: number }) => compose(params.maxWidth) });
  lineBar((width) => mainLine(tally, now, width));
  lineBar((width) => fit([tally.describe("resources", 3), tally.describe("entitlements", 3)], width, (n) => [tally.describe("resources", n), tally.describe("entitlements", n)]));
  lineBar((width) => fit([tally.describe("grants", 3), `${tally.expanded()} by expansion`], width, (n) => [tally.describe("grants", n), `${tally.expanded()} by expansion`]));
  lineBar((width) => {
    const a = aws();
    return fit([`AWS calls ${a.calls}`, `throttled ${a.throttled}`, `retries ${tally.retries}`, `warnings ${tally.warnings}`], width);
  });
  const restoreLog = options.logOutput?.divert((line) => bars.log(line));
  return {
    observer,
    stop: () => {
      restoreLog?.();
      bars.update(); // prints log lines still waiting, with the final state
      bars.stop();
    },
  };
}

/** " grants              [█████░░░░░] 52% 2741/5263 listings | 12s | ETA 11s", fitted to `width`. */
export function mainLine(tally: Tally, now: () => number, width: number): string {
  const label = PHASE_LABELS[tally.phase] + (tally.resumed && tally.phase !== "done" ? " (resumed)" : "");
  const elapsed = formatSeconds((now() - tally.startedAt) / 1000);
  const total = Math.max(tally.jobsTotal, tally.jobsDone);
  if (tally.phase === "done") return fit([`${label.padEnd(LABEL_WIDTH)} [${bar(1)}] 100%`, elapsed], width, undefined, " | ");
  // Phases without listings to count show what is happening and for how long, no made-up fraction.
  if (total === 0) return fit([`${label.padEnd(LABEL_WIDTH)} …`, elapsed], width, undefined, " | ");
  const ratio = tally.jobsDone / total;
  const eta = tally.etaSeconds();
  return fit(
    [`${label.padEnd(LABEL_WIDTH)} [${bar(ratio)}] ${Math.floor(ratio * 100)}% ${tally.jobsDone}/${total} listings`, elapsed, `ETA ${eta === undefined ? "…" : formatSeconds(eta)}`],
    width,
    undefined,
    " | ",
  );
}

function bar(ratio: number): string {
  const full = Math.round(Math.min(Math.max(ratio, 0), 1) * BAR_SIZE);
  return "\u2588".repeat(full) + "\u2591".repeat(BAR_SIZE - full);
}

/**
 * Joins parts into one line no wider than `width` (the terminal cuts longer lines): with fewer
 * details when `shorter(n)` offers them (n = types named per count, 2, 1, 0), then without the
 * trailing parts, and only as a last resort cut with "…".
 */
export function fit(parts: string[], width: number, shorter?: (detail: number) => string[], separator = " · "): string {
  const max = Math.max(width - 2, 10);
  const join = (p: string[]) => ` ${p.join(separator)}`;
  let line = join(parts);
  for (let detail = 2; line.length > max && shorter && detail >= 0; detail--) line = join(shorter(detail));
  const kept = line.length > max && shorter ? shorter(0) : line.length > max ? [...parts] : undefined;
  if (kept) {
    while (kept.length > 1 && join(kept).length > max) kept.pop();
    line = join(kept);
  }
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
