/**
 * Benchmark work that must run in its own process — a fresh process per run, so peak RSS belongs
 * to that run alone and the simulator (in the parent) does not share its event loop. The parent
 * forks the worker and talks to it over the IPC channel:
 *
 *   parent                                 child (workerMain)
 *   startWorker(script, input) ── input ──▶ handler(input, io)
 *   handle.next() ◀── io.send(message) ───  (e.g. "ready, port 1234")
 *   handle.send(message) ─────────────────▶ io.next()
 *   handle.result ◀── result | error ─────  handler returns / throws; the child exits
 */
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Workers run the connector as `connector` runs it: JavaScript compiled by tsc (tsconfig.bench.json,
 * the compiler options of the package build), not TypeScript through tsx — whose esbuild transform
 * wraps every function expression in a naming helper, a cost the shipped code does not pay.
 */
const REPO = fileURLToPath(new URL("../../", import.meta.url));
const BUILD_DIR = join(REPO, ".bench-build");

/** Compiles the workers and the sources they import into .bench-build/ (before any worker starts). */
export function buildWorkers(): void {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", join(REPO, "tsconfig.bench.json")], { stdio: "pipe" });
  } catch (error) {
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? "";
    throw new Error(`compiling the benchmark workers failed (tsc -p tsconfig.bench.json):\n${output}`);
  }
}

/** The compiled counterpart of a worker's TypeScript source (bench/workers/x.ts → .bench-build/bench/workers/x.js). */
function compiled(script: string): string {
  const path = join(BUILD_DIR, relative(REPO, script)).replace(/\.ts$/, ".js");
  if (!existsSync(path)) throw new Error(`${path} is missing: buildWorkers() compiles the workers first`);
  return path;
}

type Envelope = { kind: "input" | "message" | "result"; payload: unknown } | { kind: "error"; message: string };

export interface WorkerOptions {
  /** Write a V8 CPU profile of the worker into this directory (`node --cpu-prof`). */
  cpuProfDir?: string;
  /** Extra node flags, e.g. --max-old-space-size. */
  nodeFlags?: string[];
  /** Kill the worker and fail after this long (default 30 min). */
  timeoutMs?: number;
}

export interface WorkerHandle<O> {
  readonly pid: number;
  send(message: unknown): void;
  /** The next message the worker sends before its result. */
  next(): Promise<unknown>;
  result: Promise<O>;
  /** Ends the worker at once unless it has already answered (after a failure on the parent's side). */
  kill(): void;
}

/** A mailbox: messages are queued until someone asks for them. */
function mailbox() {
  const queued: unknown[] = [];
  const waiting: Array<(message: unknown) => void> = [];
  return {
    put(message: unknown) {
      const waiter = waiting.shift();
      if (waiter) waiter(message);
      else queued.push(message);
    },
    take(): Promise<unknown> {
      if (queued.length > 0) return Promise.resolve(queued.shift());
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

export function startWorker<O>(script: string | URL, input: unknown, options: WorkerOptions = {}): WorkerHandle<O> {
  const path = compiled(script instanceof URL ? fileURLToPath(script) : script);
  const execArgv = [...(options.nodeFlags ?? [])];
  if (options.cpuProfDir) execArgv.push("--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`);
  const child: ChildProcess = fork(path, [], {
    execArgv,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  const inbox = mailbox();
  let settled = false;
  const result = new Promise<O>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      settle(() => reject(new Error(`worker ${path} timed out`)));
    }, options.timeoutMs ?? 30 * 60_000);
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    child.on("message", (envelope: Envelope) => {
      if (envelope.kind === "message") inbox.put(envelope.payload);
      else if (envelope.kind === "result") settle(() => resolve(envelope.payload as O));
      else if (envelope.kind === "error") settle(() => reject(new Error(`worker ${path} failed: ${envelope.message}`)));
    });
    child.on("error", (error) => settle(() => reject(error)));
    child.on("exit", (code, signal) => settle(() => reject(new Error(`worker ${path} exited (${signal ?? code}) without a result`))));
  });
  child.send({ kind: "input", payload: input } satisfies Envelope);
  return {
    pid: child.pid ?? -1,
    send: (message) => child.send({ kind: "message", payload: message } satisfies Envelope),
    next: () => inbox.take(),
    result,
    kill: () => {
      // After its result the worker exits by itself (and may still be writing a CPU profile).
      if (!settled && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

export const runWorker = <O>(script: string | URL, input: unknown, options?: WorkerOptions): Promise<O> => startWorker<O>(script, input, options).result;

export interface WorkerIo {
  send(message: unknown): void;
  next(): Promise<unknown>;
}

/** The child side: runs `handler` on the parent's input, sends back its result (or error), exits. */
export function workerMain<I, O>(handler: (input: I, io: WorkerIo) => Promise<O>): void {
  if (!process.send) throw new Error("a benchmark worker must be started by startWorker()");
  const send = (envelope: Envelope) =>
    new Promise<void>((resolve) => process.send!(envelope, undefined, undefined, () => resolve()));
  const inbox = mailbox();
  let started = false;
  // The parent went away (interrupted benchmark): nobody will read our result.
  process.once("disconnect", () => process.exit(1));
  process.on("message", (envelope: Envelope) => {
    if (envelope.kind === "input" && !started) {
      started = true;
      handler(envelope.payload as I, { send: (m) => void send({ kind: "message", payload: m }), next: () => inbox.take() }).then(
        async (result) => {
          await send({ kind: "result", payload: result });
          process.exit(0);
        },
        async (error: unknown) => {
          await send({ kind: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
          process.exit(1);
        },
      );
    } else if (envelope.kind === "message") {
      inbox.put(envelope.payload);
    }
  });
}
