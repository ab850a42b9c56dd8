/**
 * Simulator benchmark: list-call throughput with zero latency, and memory for the `large`
 * profile. Throughput is measured by a raw HTTP/1.1 keep-alive client doing signed-looking
 * requests from a separate process (so client and server do not share one event loop), and
 * also by the real AWS SDK v3 client in this process (a lower bound: they share a CPU).
 *
 *   npx tsx bench/simulator.ts            # full run
 *   npx tsx bench/simulator.ts --quick    # shorter
 */
import { spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { IdentitystoreClient, paginateListUsers } from "@aws-sdk/client-identitystore";
import { buildModel } from "../src/simulator/model/build.js";
import { generateOrgSpec, modelQueries, SIM_CREDENTIALS, startSimulator, type OrgSpec, type Simulator } from "../src/simulator/index.js";

const PROFILE = "large";
const CONNECTIONS = 16;

/** One kind of request the raw client sends; it follows pagination tokens and starts over. */
interface Workload {
  name: string;
  headers: Record<string, string>;
  /** Request body for the first page; `{token}` is replaced by the current token. */
  first: string;
  next: string;
  /** Regex source capturing the next token from a response. */
  tokenPattern: string;
}

function workloads(sim: Simulator): Workload[] {
  const auth = (service: string) =>
    `AWS4-HMAC-SHA256 Credential=${SIM_CREDENTIALS.management.accessKeyId}/20260115/us-east-1/${service}/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${"0".repeat(64)}`;
  const json = (service: string, target: string) => ({
    "content-type": "application/x-amz-json-1.1",
    "x-amz-target": target,
    "x-amz-date": "20260115T120000Z",
    "x-amz-content-sha256": "0".repeat(64),
    authorization: auth(service),
  });
  const store = sim.model.identityStore!.id;
  const sso = sim.model.ssoInstance!;
  const [pair] = [...sso.assignmentsByTarget.entries()].sort((a, b) => b[1].length - a[1].length);
  const [accountId, permissionSetArn] = pair![0].split("|");
  return [
    {
      name: "identitystore.ListUsers MaxResults=100",
      headers: json("identitystore", "AWSIdentityStore.ListUsers"),
      first: JSON.stringify({ IdentityStoreId: store, MaxResults: 100 }),
      next: JSON.stringify({ IdentityStoreId: store, MaxResults: 100, NextToken: "{token}" }),
      tokenPattern: '"NextToken":"([^"]+)"',
    },
    {
      name: "iam.ListUsers MaxItems=100",
      headers: { ...json("iam", ""), "content-type": "application/x-www-form-urlencoded", "x-amz-target": "" },
      first: "Action=ListUsers&Version=2010-05-08&MaxItems=100",
      next: "Action=ListUsers&Version=2010-05-08&MaxItems=100&Marker={token}",
      tokenPattern: "<Marker>([^<]+)</Marker>",
    },
    {
      name: "sso-admin.ListAccountAssignments MaxResults=100",
      headers: json("sso", "SWBExternalService.ListAccountAssignments"),
      first: JSON.stringify({ InstanceArn: sso.arn, AccountId: accountId, PermissionSetArn: permissionSetArn, MaxResults: 100 }),
      next: JSON.stringify({ InstanceArn: sso.arn, AccountId: accountId, PermissionSetArn: permissionSetArn, MaxResults: 100, NextToken: "{token}" }),
      tokenPattern: '"NextToken":"([^"]+)"',
    },
  ];
}

/** The load generator, run by a separate `node` process; prints {requests, errors, seconds}. */
const CLIENT_SCRIPT = `
const http = require("node:http");
const { endpoint, workload, seconds, connections } = JSON.parse(process.argv[1]);
const url = new URL(endpoint);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const pattern = new RegExp(workload.tokenPattern);
const isQuery = workload.first.startsWith("Action=");
const headers = Object.fromEntries(Object.entries(workload.headers).filter(([, v]) => v !== ""));
let requests = 0, errors = 0;
const deadline = Date.now() + seconds * 1000;
function send(body) {
  return new Promise((resolve) => {
    const req = http.request({ host: url.hostname, port: url.port, method: "POST", path: "/", agent,
      headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = ""; res.setEncoding("utf8"); res.on("data", (c) => (text += c));
      res.on("end", () => { requests++; if (res.statusCode !== 200) errors++; resolve(text); });
    });
    req.on("error", () => { errors++; resolve(""); });
    req.end(body);
  });
}
async function worker() {
  let token;
  while (Date.now() < deadline) {
    const body = token === undefined ? workload.first
      : workload.next.replace("{token}", isQuery ? encodeURIComponent(token) : token);
    const match = pattern.exec(await send(body));
    token = match ? match[1] : undefined;
  }
}
const started = Date.now();
Promise.all(Array.from({ length: connections }, worker)).then(() => {
  process.stdout.write(JSON.stringify({ requests, errors, seconds: (Date.now() - started) / 1000 }));
  agent.destroy();
});
`;

async function rawThroughput(endpoint: string, workload: Workload, seconds: number): Promise<{ rps: number; errors: number }> {
  const child = spawn(process.execPath, ["-e", CLIENT_SCRIPT, JSON.stringify({ endpoint, workload, seconds, connections: CONNECTIONS })], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`load client exited with ${code}`);
  const result = JSON.parse(out) as { requests: number; errors: number; seconds: number };
  return { rps: Math.round(result.requests / result.seconds), errors: result.errors };
}

async function sdkThroughput(sim: Simulator, seconds: number, concurrency: number): Promise<number> {
  const client = new IdentitystoreClient(sim.clientConfig());
  const IdentityStoreId = sim.model.identityStore!.id;
  const deadline = Date.now() + seconds * 1000;
  let requests = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        for await (const _page of paginateListUsers({ client, pageSize: 100 }, { IdentityStoreId })) {
          requests++;
          if (Date.now() >= deadline) break;
        }
      }
    }),
  );
  client.destroy();
  return Math.round(requests / ((Date.now() - started) / 1000));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** A real GC handle even without --expose-gc, so heap figures are not noise from garbage. */
function gcHandle(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/** Heap and RSS of the `large` model alone (the spec it is built from is released first). */
function measureMemory(): Record<string, unknown> {
  const gc = gcHandle();
  gc();
  const before = process.memoryUsage();
  let started = performance.now();
  let spec: OrgSpec | undefined = generateOrgSpec({ profile: PROFILE, seed: 1 });
  const generateMs = Math.round(performance.now() - started);
  started = performance.now();
  const model = buildModel(spec);
  const buildMs = Math.round(performance.now() - started);
  spec = undefined;
  gc();
  const after = process.memoryUsage();
  return {
    profile: PROFILE,
    ssoUsers: model.identityStore!.users.length,
    ssoGroups: model.identityStore!.groups.length,
    memberships: model.identityStore!.memberships.size,
    assignments: modelQueries.allAssignments(model).length,
    accounts: model.accounts.length,
    iamRoles: [...model.accounts].reduce((sum, a) => sum + a.iam.roles.length, 0),
    generateMs,
    buildMs,
    modelHeapMB: mb(after.heapUsed - before.heapUsed),
    processRssMB: mb(after.rss),
    processHeapUsedMB: mb(after.heapUsed),
  };
}

export async function runSimulatorBench(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const memory = measureMemory();
  const sim = await startSimulator({ profile: PROFILE, seed: 1 });
  try {
    const seconds = opts.quick ? 1.5 : 4;
    const runs = opts.quick ? 1 : 3;
    const throughput: Record<string, unknown> = {};
    for (const workload of workloads(sim)) {
      const results = [];
      for (let i = 0; i < runs; i++) results.push(await rawThroughput(sim.endpoint, workload, seconds));
      throughput[workload.name] = { medianRps: median(results.map((r) => r.rps)), runsRps: results.map((r) => r.rps), errors: results.reduce((s, r) => s + r.errors, 0) };
    }
    const sdkRuns = [];
    for (let i = 0; i < runs; i++) sdkRuns.push(await sdkThroughput(sim, seconds, 8));
    const afterLoad = process.memoryUsage();
    return {
      // Load average: the figures are only comparable between runs on an otherwise idle machine.
      machine: { nproc: cpus().length, cpu: cpus()[0]?.model, node: process.version, platform: process.platform, loadAverage1m: loadavg()[0] },
      memory: { ...memory, rssAfterLoadMB: mb(afterLoad.rss), heapUsedAfterLoadMB: mb(afterLoad.heapUsed) },
      rawClient: {
        method: `raw HTTP/1.1 keep-alive client in a separate node process, ${CONNECTIONS} connections, signed-looking SigV4 headers, following pagination tokens, zero latency`,
        secondsPerRun: seconds,
        runs,
        operations: throughput,
      },
      sdkClient: {
        method: "AWS SDK v3 IdentitystoreClient + paginateListUsers (pageSize 100), 8 concurrent paginators, in the simulator's own process",
        medianRps: median(sdkRuns),
        runsRps: sdkRuns,
      },
    };
  } finally {
    await sim.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes("--quick");
  runSimulatorBench({ quick }).then(
    (figures) => process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
      process.exit(1);
    },
  );
}
