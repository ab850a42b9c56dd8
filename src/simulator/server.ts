/**
 * The simulator's single HTTP server. Each AWS request goes through: routing (X-Amz-Target for
 * JSON services; Action/Version, then the credential scope, for IAM vs STS) → caller lookup from
 * the SigV4 access key → quota → fault injection → handler → encoding, and the answer is
 * delayed by the configured latency. Admin routes live under /_sim/.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "../log.js";
import { handleAdmin } from "./admin.js";
import { resolveError, SimError, toSimError, type ServiceName } from "./errors.js";
import { decodeJsonBody, encodeJsonError, encodeJsonResult, JSON_CONTENT_TYPE, parseTarget } from "./protocol/json.js";
import { decodeForm, encodeQueryError, encodeQueryResult } from "./protocol/query-xml.js";
import type { SimRuntime } from "./runtime.js";
import { SERVICES } from "./services/index.js";
import { serve, type RoutedRequest } from "./serve.js";

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const QUERY_VERSIONS: Record<string, ServiceName> = { "2010-05-08": "iam", "2011-06-15": "sts" };
const CREDENTIAL = /Credential=([^/,\s]+)\/[^/]*\/([^/]*)\/([^/]+)\//;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function createSimServer(runtime: SimRuntime, logger: Logger): Server {
  const server = createServer((req, res) => {
    handle(runtime, logger, req, res).catch((error: unknown) => {
      logger.error({ err: error }, "simulator request failed");
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  // Longer than the SDK's idle keep-alive so clients, not the server, close idle sockets.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

async function handle(runtime: SimRuntime, logger: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const url = req.url ?? "/";
  if (url.startsWith("/_sim/")) {
    const admin = handleAdmin(runtime, req.method ?? "GET", url.split("?")[0]!, body, logger);
    return send(res, { status: admin.status, headers: { "content-type": "application/json" }, body: JSON.stringify(admin.body) });
  }
  const requestId = runtime.prng("request-ids").uuid();
  let routed: RoutedRequest;
  try {
    routed = route(req, url, body);
  } catch (error) {
    // Not recognisable as any service's request: answer in the JSON style.
    const resolved = resolveError("sso-admin", toSimError(error));
    return send(res, withStandardHeaders({ status: resolved.status, headers: { "content-type": JSON_CONTENT_TYPE }, body: encodeJsonError(resolved) }, requestId));
  }
  const { service, operation } = routed;
  const { counters, knobs } = runtime;
  counters.call(service, operation, runtime.clock());
  const fault = runtime.faults.decide(service, operation);
  if (fault.failure === "reset") {
    counters.outcome(service, operation, "fault");
    req.socket.destroy();
    return;
  }
  const answer = dispatch(runtime, routed, requestId, fault.failure, logger);
  const latency = knobs.current.latency.perService[service] ?? knobs.current.latency;
  const delay = latency.fixedMs + (latency.jitterMs > 0 ? runtime.prng("latency").next() * latency.jitterMs : 0) + fault.extraDelayMs;
  if (fault.extraDelayMs > 0) counters.outcome(service, operation, "slowed");
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  send(res, withStandardHeaders(answer, requestId));
}

function dispatch(runtime: SimRuntime, request: RoutedRequest, requestId: string, injected: "throttle" | "internal" | undefined, logger: Logger): Answer {
  const { service, operation } = request;
  const outcome = serve(runtime, request, requestId, logger, { injected, quota: true, count: true });
  if (outcome.ok) {
    return SERVICES[service].protocol === "query"
      ? { status: 200, headers: { "content-type": "text/xml" }, body: encodeQueryResult(service, operation, outcome.result, requestId) }
      : { status: 200, headers: { "content-type": JSON_CONTENT_TYPE }, body: encodeJsonResult(outcome.result) };
  }
  const resolved = outcome.error;
  if (SERVICES[service].protocol === "query") {
    return { status: resolved.status, headers: { "content-type": "text/xml", ...resolved.headers }, body: encodeQueryError(service, resolved, requestId) };
  }
  return {
    status: resolved.status,
    headers: { "content-type": JSON_CONTENT_TYPE, "x-amzn-errortype": resolved.code, ...resolved.headers },
    body: encodeJsonError(resolved),
  };
}

function route(req: IncomingMessage, url: string, body: string): RoutedRequest {
  const credential = CREDENTIAL.exec(String(req.headers.authorization ?? ""));
  const accessKeyId = credential?.[1];
  const region = credential?.[2];
  const scopeService = credential?.[3];
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") {
    const parsed = parseTarget(target);
    if (!parsed) throw SimError.of("unknownOperation", `Unknown target ${target}`);
    return { ...parsed, input: decodeJsonBody(body), accessKeyId, region };
  }
  const query = url.includes("?") ? url.slice(url.indexOf("?") + 1) : "";
  const params = decodeForm(body || query);
  const operation = params.Action;
  const service = QUERY_VERSIONS[params.Version ?? ""] ?? (scopeService === "iam" || scopeService === "sts" ? scopeService : undefined);
  if (!operation || !service) throw SimError.of("unknownOperation", "Could not determine the service or operation of this request.");
  return { service, operation, input: params, accessKeyId, region };
}

function withStandardHeaders(answer: Answer, requestId: string): Answer {
  answer.headers["x-amzn-requestid"] = requestId;
  answer.headers.date = httpDate();
  return answer;
}

/** Real time, not the simulator clock: the SDK corrects its clock skew from this header. */
let cachedDate = { second: 0, text: "" };
function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== cachedDate.second) cachedDate = { second, text: new Date(second * 1000).toUTCString() };
  return cachedDate.text;
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.destroyed) return;
  answer.headers["content-length"] = String(Buffer.byteLength(answer.body));
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error("request body too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
