import cliProgress from "cli-progress";
import type { Logger } from "../log.js";
import type { SyncPhase } from "./checkpoint.js";
import type { RecordKind, SyncObserver } from "./context.js";

export interface AwsTotals {
  calls: number;
  throttled: number;
}

export interface ProgressOptions {
  /** Live display on a terminal; periodic log lines otherwise. */
  tty: boolean;
  log: Logger;
  /** The in-process connector's AWS call counters, when there is one. */
  aws?: () => AwsTotals;
  /** Log-line period when not on a terminal (ms). */
  intervalMs?: number;
  stream?: NodeJS.WriteStream;
}

export interface Progress {
  observer: SyncObserver;
  stop(): void;
}

/** Counts what the engine reports, for the live display, the log lines and the summary. */
class Tally {
  phase: SyncPhase | "starting" = "starting";
  jobsTotal = 0;
  jobsDone = 0;
  retries = 0;
  warnings = 0;
  checkpoints = 0;
  readonly byKind: Record<RecordKind, Map<string, number>> = {
    resources: new Map(),
    entitlements: new Map(),
    grants: new Map(),
    expanded: new Map(),
  };

  total(kind: RecordKind): number {
    let n = 0;
    for (const v of this.byKind[kind].values()) n += v;
    return n;
  }

  describe(kind: RecordKind, maxTypes = 3): string {
    const entries = [...this.byKind[kind]].filter(([t]) => t !== "").sort((a, b) => b[1] - a[1]);
    const shown = entries.slice(0, maxTypes).map(([t, n]) => `${t} ${n}`);
    if (entries.length > maxTypes) shown.push("…");
    return `${kind} ${this.total(kind)}${shown.length ? ` (${shown.join(", ")})` : ""}`;
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

/** Live progress on a terminal (cli-progress), periodic log lines elsewhere. */
export function createProgress(options: ProgressOptions): Progress {
  const tally = new Tally();
  const observer: SyncObserver = {
    phase(phase, info) {
      tally.phase = phase;
      tally.jobsTotal = info.jobs ?? 0;
      tally.jobsDone = 0;
      render(true);
    },
    records(kind, type, n) {
      const map = tally.byKind[kind];
      map.set(type, (map.get(type) ?? 0) + n);
    },
    jobDone() {
      tally.jobsDone++;
    },
    warning(message) {
      tally.warnings++;
      if (!options.tty) options.log.warn({ warning: message }, "sync warning");
    },
    retry(event) {
      tally.retries++;
      options.log.debug({ rpc: event.rpc, code: event.code, waitMs: event.waitMs }, "retrying connector call");
    },
    checkpoint(count) {
      tally.checkpoints = count;
    },
  };

  const aws = () => options.aws?.() ?? { calls: 0, throttled: 0 };
  let render: (force?: boolean) => void;
  let stop: () => void;

  if (options.tty) {
    const bars = new cliProgress.MultiBar(
      {
        format: " {label} [{bar}] {percentage}% {value}/{total} | ETA {eta_formatted}",
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        etaBuffer: 50,
        fps: 5,
        stream: options.stream ?? process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    const main = bars.create(1, 0, { label: "starting" });
    const lines = [bars.create(1, 0, { text: "" }, { format: " {text}" }), bars.create(1, 0, { text: "" }, { format: " {text}" })];
    let lastPhase = "";
    render = () => {
      const label = PHASE_LABELS[tally.phase].padEnd(19);
      if (lastPhase !== tally.phase) {
        main.setTotal(Math.max(tally.jobsTotal, 1));
        main.update(0, { label });
        lastPhase = tally.phase;
      }
      main.setTotal(Math.max(tally.jobsTotal, tally.jobsDone, 1));
      main.update(tally.jobsDone, { label });
      lines[0]!.update(0, { text: [tally.describe("resources"), tally.describe("entitlements"), tally.describe("grants")].join(" · ") });
      const a = aws();
      lines[1]!.update(0, {
        text: `expanded ${tally.total("expanded")} · AWS calls ${a.calls} · throttled ${a.throttled} · retries ${tally.retries} · warnings ${tally.warnings}`,
      });
    };
    const timer = setInterval(render, 200);
    timer.unref();
    stop = () => {
      clearInterval(timer);
      render();
      bars.stop();
    };
  } else {
    render = (force = false) => {
      if (!force) return;
      const a = aws();
      options.log.info(
        {
          phase: tally.phase,
          listingsDone: tally.jobsDone,
          listingsTotal: tally.jobsTotal,
          resources: tally.total("resources"),
          entitlements: tally.total("entitlements"),
          grants: tally.total("grants"),
          expandedGrants: tally.total("expanded"),
          awsCalls: a.calls,
          throttled: a.throttled,
          retries: tally.retries,
        },
        "sync progress",
      );
    };
    const timer = setInterval(() => render(true), options.intervalMs ?? 5000);
    timer.unref();
    stop = () => clearInterval(timer);
  }
  return { observer, stop: () => stop() };
}
