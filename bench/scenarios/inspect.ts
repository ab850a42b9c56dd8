/**
 * Scenario — `connector inspect` on big files: the large-bench organisation's c1z (about 1.5
 * million grant rows) next to the medium one's (about 290 thousand), read by the real CLI process
 * (the tsc-compiled build) with its output drained through a pipe as `| cat` would. Memory must
 * stay flat whatever the file's size: peak RSS against a fixed ceiling and against the smaller file.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PROFILES, startSimulator, type ProfileSizes } from "../../src/simulator/index.js";
import { int, mib, ratio, seconds } from "../lib/format.js";
import { ALL_FEATURES } from "../lib/org-shape.js";
import { atMost, type Check, type Scenario, type ScenarioOutput } from "../lib/result.js";
import { runWorker } from "../lib/worker.js";
import type { SyncWorkerInput, SyncWorkerOutput } from "../workers/sync-worker.js";
import { LARGE_BENCH } from "./sync.js";

const SYNC_WORKER = new URL("../workers/sync-worker.ts", import.meta.url);
const CLI = fileURLToPath(new URL("../../.bench-build/src/cli/main.js", import.meta.url));
/** A ceiling that leaves the code and SQLite's page cache room, and no room for holding rows. */
const RSS_CEILING_BYTES = 256 * 1024 * 1024;
/** "Flat": the big file may cost at most this much more than one a fifth its size. */
const FLAT_RATIO = 1.3;

interface View {
  name: string;
  args: (principal: string) => string[];
}

const VIEWS: View[] = [
  { name: "grants (table, names looked up)", args: () => ["inspect", "grants"] },
  { name: "grants -o json", args: () => ["inspect", "grants", "-o", "json"] },
  { name: "grants -p <one user>", args: (principal) => ["inspect", "grants", "-p", principal] },
];

interface ViewRun {
  profile: string;
  view: string;
  wallMs: number;
  peakRssBytes: number;
  stdoutBytes: number;
  rows: number;
  exitCode: number | null;
}

interface FileFigures {
  profile: string;
  grants: number;
  fileBytes: number;
  syncWallMs: number;
}

export const inspectScenario: Scenario = {
  name: "inspect",
  title: "connector inspect on the large-bench file: streamed in bounded memory",
  async run(options): Promise<ScenarioOutput> {
    const profiles: Array<[string, ProfileSizes]> = options.quick ? [["small", PROFILES.small]] : [["medium", PROFILES.medium], ["large-bench", LARGE_BENCH]];
    const scratch = mkdtempSync(join(tmpdir(), "bench-inspect-"));
    // Reports the CLI process's own peak RSS when it exits (however it exits).
    const preload = join(scratch, "report-max-rss.mjs");
    writeFileSync(preload, `import { writeFileSync } from "node:fs";\nprocess.on("exit", () => writeFileSync(process.env.BENCH_MAX_RSS_FILE, String(process.resourceUsage().maxRSS * 1024)));\n`);
    const files: FileFigures[] = [];
    const runs: ViewRun[] = [];
    try {
      for (const [profile, sizes] of profiles) {
        const sim = await startSimulator({ profile: sizes, seed: 1 });
        const file = join(scratch, `${profile}.c1z`);
        const store = sim.model.identityStore!;
        const principal = `sso_user:arn:aws:identitystore:${sim.model.region}::${store.id}/user/${[...store.users][0]!.id}`;
        try {
          const input: SyncWorkerInput = {
            endpoint: sim.endpoint,
            region: sim.region,
            credentials: { accessKeyId: sim.credentials.accessKeyId, secretAccessKey: sim.credentials.secretAccessKey },
            target: file,
            stateDir: join(scratch, "state"),
            features: ALL_FEATURES,
            // The file is the subject here, not AWS's pace: the simulator answers as fast as it can.
            requestsPerSecond: 1000,
          };
          const sync = await runWorker<SyncWorkerOutput>(SYNC_WORKER, input, { cpuProfDir: options.cpuProfDir });
          files.push({ profile, grants: sync.grants, fileBytes: sync.fileBytes, syncWallMs: sync.wallMs });
          options.log(`  ${profile}: ${int(sync.grants)} grants, ${mib(sync.fileBytes)} c1z (synced in ${seconds(sync.wallMs / 1000)})`);
        } finally {
          await sim.stop();
        }
        for (const view of VIEWS) {
          const run = await runCli([...view.args(principal), "--file", file], preload, join(scratch, "max-rss"));
          runs.push({ profile, view: view.name, ...run });
          options.log(`  ${profile} ${view.name}: ${seconds(run.wallMs / 1000)}, ${int(run.rows)} lines, ${mib(run.stdoutBytes)} out, peak RSS ${mib(run.peakRssBytes)}, exit ${run.exitCode}`);
          if (run.exitCode !== 0) throw new Error(`connector ${view.args(principal).join(" ")} exited ${run.exitCode}`);
        }
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }

    const biggest = files.at(-1)!;
    const smaller = files.length > 1 ? files[0] : undefined;
    const checks: Check[] = [];
    for (const view of VIEWS) {
      const big = runs.find((r) => r.profile === biggest.profile && r.view === view.name)!;
      checks.push(atMost(`peak RSS, ${view.name}, ${biggest.profile}`, big.peakRssBytes / 1024 / 1024, RSS_CEILING_BYTES / 1024 / 1024, "MiB", "≤ 256 MiB"));
      if (smaller) {
        const small = runs.find((r) => r.profile === smaller.profile && r.view === view.name)!;
        const grown = big.peakRssBytes / small.peakRssBytes;
        checks.push(atMost(`peak RSS growth, ${view.name}, ${biggest.profile} ÷ ${smaller.profile}`, grown, FLAT_RATIO, "×", `≤ ${FLAT_RATIO}× for ${ratio(biggest.grants / smaller.grants)} the grants`));
      }
    }
    return {
      settings: { profiles: profiles.map(([p]) => p), views: VIEWS.map((v) => v.name), rssCeilingMiB: RSS_CEILING_BYTES / 1024 / 1024, flatRatio: FLAT_RATIO },
      checks,
      tables: [
        {
          title: "Files",
          columns: ["profile", "grants", "c1z"],
          rows: files.map((f) => [f.profile, int(f.grants), mib(f.fileBytes)]),
        },
        {
          title: "inspect runs (one each; output drained through a pipe)",
          columns: ["profile", "view", "wall", "lines out", "bytes out", "peak RSS"],
          rows: runs.map((r) => [r.profile, r.view, seconds(r.wallMs / 1000), int(r.rows), mib(r.stdoutBytes), mib(r.peakRssBytes)]),
        },
      ],
      notes: [
        "The c1z files are written by a full sync of the simulator's organisation (the sync scenario's profiles, every feature on, client-side pacing lifted: the file is the subject here).",
        "Each view runs the real CLI (`node .bench-build/src/cli/main.js inspect …`, the tsc-compiled build) in a fresh process whose stdout is a pipe this process reads as fast as it can; peak RSS is that process's maxRSS, the loaded code included.",
        "Wall time includes decompressing the c1z to a temporary SQLite file (the disk holds the rows, not the memory).",
      ],
      data: { files, runs },
    };
  },
};

/** Runs the CLI with its stdout piped into this process; counts bytes and lines; reads its peak RSS. */
function runCli(args: string[], preload: string, rssFile: string): Promise<Omit<ViewRun, "profile" | "view">> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", pathToFileURL(preload).href, CLI, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, BENCH_MAX_RSS_FILE: rssFile },
    });
    let stdoutBytes = 0;
    let rows = 0;
    child.stdout.on("data", (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) rows++;
    });
    child.on("error", reject);
    child.on("close", (exitCode) => {
      const wallMs = performance.now() - started;
      resolve({ wallMs, peakRssBytes: Number(readFileSync(rssFile, "utf8")), stdoutBytes, rows, exitCode });
    });
  });
}
