import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;

function runSim(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, "sim", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const banner = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", () => {
      if (stdout.includes("AWS_SECRET_ACCESS_KEY=")) resolve(stdout);
    });
    child.on("exit", (code) => reject(new Error(`exited early with ${code}: ${stderr}`)));
  });
  return { child, banner, output: () => ({ stdout, stderr }) };
}

describe("connector sim", () => {
  it("prints the endpoint and environment, serves AWS and admin requests, and stops cleanly on SIGTERM", async () => {
    const run = runSim(["--listen", "127.0.0.1:0", "--profile", "demo", "--latency", "1-2", "--log-level", "warn"]);
    const banner = await run.banner;
    const endpoint = /^export AWS_ENDPOINT_URL=(http:\/\/127\.0\.0\.1:\d+)$/m.exec(banner)![1]!;
    expect(banner).toMatch(/^export AWS_REGION=us-east-1$/m);
    expect(banner).toMatch(/^export AWS_ACCESS_KEY_ID=AKIASIMMGMTADMIN0001$/m);
    expect(banner).toMatch(/^# member account user: AKIASIMMEMBERUSER001 /m);
    const knobs = (await (await fetch(`${endpoint}/_sim/knobs`)).json()) as { latency: { fixedMs: number; jitterMs: number } };
    expect(knobs.latency).toMatchObject({ fixedMs: 1, jitterMs: 1 });
    const response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIASIMMGMTADMIN0001/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0",
      },
      body: "Action=GetCallerIdentity&Version=2011-06-15",
    });
    expect(await response.text()).toContain(":user/sim-admin</Arn>");
    run.child.kill("SIGTERM");
    const [code] = await once(run.child, "exit");
    expect(code).toBe(0);
  });

  it("rejects a bad organisation file with a message naming the problem", async () => {
    const run = runSim(["--listen", "127.0.0.1:0", "--org", "/nonexistent/org.json"]);
    await expect(run.banner).rejects.toThrow(/exited early with 2: connector: invalid organisation: \(file\): cannot read \/nonexistent\/org\.json/);
  });
});
