import { IAMClient, ListUsersCommand } from "@aws-sdk/client-iam";
import type { RetryErrorInfo, StandardRetryToken } from "@aws-sdk/types";
import { HttpResponse } from "@smithy/core/protocols";
import { ConfiguredRetryStrategy } from "@smithy/core/retry";
import { describe, expect, it, vi } from "vitest";
import { AwsCallStats } from "../../src/aws/call-stats.js";
import { instrumentClient } from "../../src/aws/middleware.js";
import { AwsRateLimiter } from "../../src/aws/rate-limiter.js";
import { ConnectorRetryStrategy, MAX_BACKOFF_MS, MAX_RETRY_AFTER_MS, THROTTLING_BASE_DELAY_MS } from "../../src/aws/retry-strategy.js";

const throttle = (extra: Partial<RetryErrorInfo> = {}): RetryErrorInfo => ({
  errorType: "THROTTLING",
  error: Object.assign(new Error("Rate exceeded"), { name: "Throttling", $metadata: { httpStatusCode: 400 } }) as never,
  ...extra,
});
const transient = (): RetryErrorInfo => ({
  errorType: "TRANSIENT",
  error: Object.assign(new Error("boom"), { name: "InternalFailure", $metadata: { httpStatusCode: 500 } }) as never,
});
const denied = (): RetryErrorInfo => ({
  errorType: "CLIENT_ERROR",
  error: Object.assign(new Error("no"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }) as never,
});

function strategy(options: Partial<ConstructorParameters<typeof ConnectorRetryStrategy>[0]> = {}) {
  const delays: number[] = [];
  const s = new ConnectorRetryStrategy({
    service: "iam",
    maxAttempts: 8,
    mode: "standard",
    random: () => 0.5,
    sleep: async (ms) => void delays.push(ms),
    ...options,
  });
  return { s, delays };
}

/** Runs one call: `failures` errors, then success (or the final refusal). Returns attempts made. */
async function runCall(s: { acquireInitialRetryToken(x: string): Promise<any>; refreshRetryTokenForRetry(t: any, e: RetryErrorInfo): Promise<any>; recordSuccess(t: any): void }, failures: RetryErrorInfo[]) {
  let token: StandardRetryToken = await s.acquireInitialRetryToken("");
  let attempts = 1;
  for (const failure of failures) {
    try {
      token = await s.refreshRetryTokenForRetry(token, failure);
    } catch {
      return { ok: false, attempts };
    }
    attempts += 1;
  }
  s.recordSuccess(token);
  return { ok: true, attempts };
}

describe("ConnectorRetryStrategy", () => {
  it("retries throttling up to maxAttempts however many throttles came before (no quota to run dry)", async () => {
    const { s } = strategy();
    // A 429 storm: 300 calls in flight, each throttled 6 times before getting through.
    const storm = await Promise.all(Array.from({ length: 300 }, () => runCall(s, Array(6).fill(throttle()))));
    expect(storm.every((r) => r.ok && r.attempts === 7)).toBe(true);
    // Still retrying afterwards, and still bounded by maxAttempts.
    expect(await runCall(s, Array(7).fill(throttle()))).toEqual({ ok: true, attempts: 8 });
    expect((await runCall(s, Array(8).fill(throttle()))).ok).toBe(false);
  });

  it("is why we replaced the SDK's standard strategy: its shared retry quota runs dry in the same storm", async () => {
    // Same quota accounting as StandardRetryStrategy, zero backoff so the test does not wait.
    const sdk = new ConfiguredRetryStrategy(8, 0);
    const storm = await Promise.all(Array.from({ length: 300 }, () => runCall(sdk, Array(6).fill(throttle()))));
    const failed = storm.filter((r) => !r.ok);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((r) => r.attempts < 7)).toBe(true);
  });

  it("limits transient (non-throttling) retries with a quota refunded by successes", async () => {
    const { s } = strategy({ maxAttempts: 3 });
    const outage = await Promise.all(Array.from({ length: 60 }, () => runCall(s, Array(2).fill(transient()))));
    const refused = outage.filter((r) => !r.ok).length;
    expect(refused).toBeGreaterThan(0);
    expect(s.transientCapacity()).toBeLessThan(14);
    // Throttling retries do not draw on that quota.
    expect((await runCall(s, [throttle(), throttle()])).ok).toBe(true);
    for (let i = 0; i < 20; i++) await runCall(s, []);
    expect(s.transientCapacity()).toBeGreaterThanOrEqual(14);
  });

  it("does not retry what retrying cannot fix (access denied, a real quota)", async () => {
    const { s } = strategy();
    expect(await runCall(s, [denied()])).toEqual({ ok: false, attempts: 1 });
    const quota: RetryErrorInfo = {
      errorType: "THROTTLING",
      error: Object.assign(new Error("quota"), { name: "LimitExceededException", $metadata: { httpStatusCode: 400 } }) as never,
    };
    expect(await runCall(s, [quota])).toEqual({ ok: false, attempts: 1 });
  });

  it("AWS_RETRY_MODE=adaptive adds the SDK's client-side send-rate limiter", async () => {
    const { s } = strategy({ mode: "adaptive" });
    expect(s.mode).toBe("adaptive");
    expect(await runCall(s, [])).toEqual({ ok: true, attempts: 1 });
  });

  it("backs off exponentially with full jitter, capped", async () => {
    const { s, delays } = strategy({ random: () => 1 });
    await runCall(s, Array(7).fill(throttle()));
    expect(delays).toEqual([0, 1, 2, 3, 4, 5, 6].map((n) => Math.min(THROTTLING_BASE_DELAY_MS * 2 ** n, MAX_BACKOFF_MS)));
  });

  it("honours Retry-After (capped) and holds the whole service off for as long", async () => {
    const limiter = new AwsRateLimiter({
      iam: { requestsPerSecond: 10, maxConcurrency: 2 },
      sts: { requestsPerSecond: 10, maxConcurrency: 2 },
      identitystore: { requestsPerSecond: 10, maxConcurrency: 2 },
      sso: { requestsPerSecond: 10, maxConcurrency: 2 },
      organizations: { requestsPerSecond: 10, maxConcurrency: 2 },
    });
    const holdOff = vi.spyOn(limiter, "holdOff");
    const { s, delays } = strategy({ random: () => 0, limiter });
    await runCall(s, [throttle({ retryAfterHint: new Date(Date.now() + 4_000) })]);
    expect(delays[0]).toBeGreaterThan(3_900);
    expect(delays[0]).toBeLessThanOrEqual(4_000);
    expect(holdOff).toHaveBeenCalledWith("iam", delays[0]);
    await runCall(s, [throttle({ retryAfterHint: new Date(Date.now() + 3_600_000) })]);
    expect(delays[1]).toBe(MAX_RETRY_AFTER_MS);
  });
});

/** Deterministic PRNG (mulberry32) so the throttling pattern is the same on every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const THROTTLED_XML = `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r-throttled</RequestId></ErrorResponse>`;
const LIST_USERS_XML = `<ListUsersResponse><ListUsersResult><IsTruncated>false</IsTruncated><Users/></ListUsersResult><ResponseMetadata><RequestId>r-ok</RequestId></ResponseMetadata></ListUsersResponse>`;

describe("a real SDK client under sustained throttling", () => {
  it("completes thousands of calls with 30% of attempts throttled; every attempt is paced and counted", async () => {
    const random = prng(42);
    const served = { ok: 0, throttled: 0 };
    const requestHandler = {
      handle: async () => {
        const throttled = random() < 0.3;
        if (throttled) served.throttled += 1;
        else served.ok += 1;
        return {
          response: new HttpResponse({
            statusCode: throttled ? 400 : 200,
            headers: { "content-type": "text/xml", "x-amzn-requestid": "r" },
            body: Buffer.from(throttled ? THROTTLED_XML : LIST_USERS_XML),
          }),
        };
      },
    };
    const limits = { requestsPerSecond: 1_000_000, maxConcurrency: 8 };
    const limiter = new AwsRateLimiter({ iam: limits, sts: limits, identitystore: limits, sso: limits, organizations: limits });
    const stats = new AwsCallStats();
    const retryStrategy = new ConnectorRetryStrategy({ service: "iam", maxAttempts: 8, mode: "standard", limiter, sleep: async () => undefined });
    const iam = instrumentClient(
      new IAMClient({
        region: "us-east-1",
        credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret-example-key" },
        requestHandler,
        maxAttempts: 8,
        retryStrategy,
      }),
      "iam",
      limiter,
      stats,
    );

    const CALLS = 3000;
    let next = 0;
    const failures: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < CALLS) {
          next += 1;
          await iam.send(new ListUsersCommand({})).catch((e: { $metadata?: { attempts?: number } }) => failures.push(e.$metadata?.attempts ?? 0));
        }
      }),
    );
    iam.destroy();
    // A call fails only when all 8 attempts were throttled (p = 0.3^8 ≈ 7e-5 per call): never for want of retry budget.
    expect(failures.every((attempts) => attempts === 8)).toBe(true);
    expect(failures.length).toBeLessThanOrEqual(3);
    expect(served.ok).toBe(CALLS - failures.length);
    expect(served.throttled).toBeGreaterThan(CALLS * 0.3);
    expect(stats.byOperation()["iam:ListUsers"]).toMatchObject({ calls: served.ok + served.throttled, throttled: served.throttled });
  });

  it("makes exactly maxAttempts attempts (AWS_MAX_ATTEMPTS) before giving up", async () => {
    let attempts = 0;
    const iam = new IAMClient({
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret-example-key" },
      requestHandler: {
        handle: async () => {
          attempts += 1;
          return { response: new HttpResponse({ statusCode: 400, headers: { "content-type": "text/xml" }, body: Buffer.from(THROTTLED_XML) }) };
        },
      },
      maxAttempts: 3,
      retryStrategy: new ConnectorRetryStrategy({ service: "iam", maxAttempts: 3, mode: "standard", sleep: async () => undefined }),
    });
    await expect(iam.send(new ListUsersCommand({}))).rejects.toMatchObject({ name: "Throttling", $metadata: { attempts: 3 } });
    expect(attempts).toBe(3);
    iam.destroy();
  });
});

describe("AWS that cannot be reached at all", () => {
  const network = (code: string, message = `${code} 127.0.0.1:9`): RetryErrorInfo => ({
    errorType: "TRANSIENT",
    error: Object.assign(new Error(message), { code, $metadata: {} }) as never,
  });
  const connectTimeout = (): RetryErrorInfo => ({
    errorType: "TRANSIENT",
    error: Object.assign(new Error("@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 5000 ms."), {
      name: "TimeoutError",
      $metadata: {},
    }) as never,
  });

  it.each([
    ["connection refused", network("ECONNREFUSED")],
    ["DNS: unknown host", network("ENOTFOUND", "getaddrinfo ENOTFOUND nowhere.invalid")],
    ["DNS: lookup failed", network("EAI_AGAIN", "getaddrinfo EAI_AGAIN nowhere.invalid")],
    ["no route", network("EHOSTUNREACH")],
    ["TLS: self-signed", network("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate")],
    ["TLS: plain HTTP behind https://", network("ERR_SSL_WRONG_VERSION_NUMBER", "wrong version number")],
    ["no connection within the connect timeout", connectTimeout()],
  ])("%s: one quick retry, then the call fails (however many attempts are allowed)", async (_name, failure) => {
    const { s, delays } = strategy({ maxAttempts: 8 });
    expect(await runCall(s, Array(7).fill(failure))).toEqual({ ok: false, attempts: 2 });
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeLessThan(1000);
  });

  it("a connection dropped after it was made is still transient (retried up to maxAttempts)", async () => {
    const { s } = strategy({ maxAttempts: 4 });
    expect(await runCall(s, Array(3).fill(network("ECONNRESET")))).toEqual({ ok: true, attempts: 4 });
  });
});
