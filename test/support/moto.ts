/**
 * moto (an AWS emulator nobody here wrote) as a server process for tests, and the rule for when it
 * is missing: outside CI such suites skip with the reason; in CI they must run.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** The Python with moto installed: CI sets MOTO_PYTHON to its venv. */
export const MOTO_PYTHON = process.env.MOTO_PYTHON ?? process.env.PYTHON ?? "python3";
export const motoInstalled = spawnSync(MOTO_PYTHON, ["-c", "import moto.server, flask, flask_cors"], { stdio: "ignore" }).status === 0;
export const MOTO_MISSING = `moto is not installed for ${MOTO_PYTHON} (install it with: pip install "moto[server]")`;

export interface MotoServer {
  endpoint: string;
  stop(): void;
}

/**
 * Starts `python -m moto.server` on a free loopback port and waits until it answers. `env` adds
 * moto settings (e.g. MOTO_IAM_LOAD_MANAGED_POLICIES=true for AWS's managed policies).
 */
export async function startMoto(options: { env?: Record<string, string>; deadlineMs?: number } = {}): Promise<MotoServer> {
  const deadlineMs = options.deadlineMs ?? 30_000;
  const port = await freePort();
  const process: ChildProcess = spawn(MOTO_PYTHON, ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: "ignore",
    env: { ...globalThis.process.env, ...options.env },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch {
      if (Date.now() > deadline) {
        process.kill("SIGTERM");
        throw new Error(`moto did not answer at ${endpoint} within ${deadlineMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { endpoint, stop: () => process.kill("SIGTERM") };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
