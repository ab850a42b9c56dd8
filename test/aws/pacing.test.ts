/**
 * The rate limiter against a model of AWS's quota (the simulator's token bucket, AWS-like latency),
 * in virtual time: every worker of a sync asks for the same service, throttled attempts are
 * retried with the SDK's backoff. Deterministic (seeded), so the figures are exact.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PacingMemory } from "../../src/aws/pacing-memory.js";
import { AwsRateLimiter, serviceLimits, type ServiceLimit } from "../../src/aws/rate-limiter.js";
import { defaultConfig, type AwsServiceId } from "../../src/config/config.js";
import { createPrng } from "../../src/simulator/index.js";
import { TokenBucket } from "../../src/simulator/quota.js";

beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "performance"] }));
afterEach(() => vi.useRealTimers());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const unpaced: ServiceLimit = { requestsPerSecond: 1, maxConcurrency: 1, paced: false };

function limiterWith(service: AwsServiceId, limit: ServiceLimit, memory?: PacingMemory): AwsRateLimiter {
  const limits = { iam: unpaced, sts: unpaced, identitystore: unpaced, sso: unpaced, organizations: unpaced, [service]: limit };
  return new AwsRateLimiter(limits, { memory });
}

interface Load {
  /** AWS's quota (requests per second; burst one second's worth). */
  quota: number;
  /** Calls to complete. */
  calls: number;
  /** Callers asking at once. */
  workers?: number;
  account?: (worker: number) => string | undefined;
  seed?: number;
}

/** Runs `calls` calls through the limiter against a token-bucket AWS; returns what AWS saw. */
async function drive(limiter: AwsRateLimiter, service: AwsServiceId, load: Load) {
  const stream = createPrng(load.seed ?? 1);
  const random = () => stream.next();
  const aws = new Map<string, TokenBucket>();
  const sends: number[] = [];
  const started = performance.now();
  let next = 0;
  let attempts = 0;
  let throttled = 0;
  const worker = async (id: number) => {
    const account = load.account?.(id);
    while (next < load.calls) {
      next += 1;
      for (let retry = 0; ; retry++) {
        const permit = await limiter.acquire(service, undefined, undefined, account);
        attempts += 1;
        const now = performance.now();
        sends.push(now);
        const key = account ?? "own";
        if (!aws.has(key)) aws.set(key, new TokenBucket(load.quota, load.quota, now));
        const accepted = aws.get(key)!.take(now) === 0;
        await sleep(30 + random() * 50);
        limiter.release(permit, accepted ? "ok" : "throttled");
        if (accepted) break;
        throttled += 1;
        await sleep(random() * Math.min(1000 * 2 ** retry, 20_000));
      }
    }
  };
  let done = false;
  const all = Promise.all(Array.from({ length: load.workers ?? 32 }, (_, i) => worker(i))).then(() => (done = true));
  while (!done) await vi.advanceTimersByTimeAsync(20);
  await all;
  return { seconds: (performance.now() - started) / 1000, attempts, throttled, sends };
}

/** Most sends in any window of `ms`. */
function peakIn(sends: number[], ms: number): number {
  let peak = 0;
  let first = 0;
  for (let last = 0; last < sends.length; last++) {
    while (sends[last]! - sends[first]! >= ms) first++;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}

describe("adaptive pacing against a token-bucket quota it is not told", () => {
  for (const quota of [3, 40, 150]) {
    it(`finds a quota of ${quota}/s from a start of 20/s: near the bound, few throttles, settles near the quota`, async () => {
      const limiter = limiterWith("identitystore", { requestsPerSecond: Number.POSITIVE_INFINITY, startRate: 20, maxConcurrency: 8 });
      const calls = quota * 60;
      const run = await drive(limiter, "identitystore", { quota, calls });
      const bound = calls / quota;
      expect(run.seconds / bound).toBeLessThan(1.15);
      expect(run.throttled / run.attempts).toBeLessThan(0.03);
      const state = limiter.states().find((b) => b.bucket === "identitystore")!;
      expect(state.limit).toBeGreaterThan(0.8 * quota);
      expect(state.limit).toBeLessThan(1.3 * quota);
    });
  }

  it("starts the next run where this one ended (pacing memory): no rediscovery, hardly a throttle", async () => {
    const memory = PacingMemory.inProcess();
    const limit = { requestsPerSecond: Number.POSITIVE_INFINITY, startRate: 20, maxConcurrency: 8 };
    const first = limiterWith("sso", limit, memory);
    await drive(first, "sso", { quota: 60, calls: 600 });
    first.save();
    const second = limiterWith("sso", limit, memory);
    expect(second.currentRate("sso")).toBeGreaterThan(40);
    const run = await drive(second, "sso", { quota: 60, calls: 600, seed: 2 });
    expect(run.seconds / 10).toBeLessThan(1.1);
    expect(run.throttled / run.attempts).toBeLessThan(0.01);
  });

  it("paces each account of a per-account service on its own", async () => {
    const limiter = limiterWith("iam", { requestsPerSecond: Number.POSITIVE_INFINITY, startRate: 20, maxConcurrency: 8, perAccount: true });
    // Half the workers call account A, half account B; each account's quota is 10/s.
    const run = await drive(limiter, "iam", { quota: 10, calls: 400, account: (w) => (w % 2 === 0 ? "111111111111" : "222222222222") });
    // Both accounts in parallel: about 20 s, not the 40 s one shared bucket would take.
    expect(run.seconds).toBeLessThan(25);
    expect(limiter.states().map((b) => b.bucket)).toEqual(["iam:111111111111", "iam:222222222222"]);
  });

  it("an account reached after another met the service's quota starts from that lesson, not the table's rate", async () => {
    const limiter = limiterWith("iam", { requestsPerSecond: Number.POSITIVE_INFINITY, startRate: 20, maxConcurrency: 8, perAccount: true });
    const first = await drive(limiter, "iam", { quota: 2, calls: 30, workers: 8, account: () => "111111111111" });
    const learned = limiter.states().find((b) => b.bucket === "iam:111111111111")!;
    expect(learned.limit).toBeDefined();
    // A new account starts where the first one ended up…
    expect(limiter.currentRate("iam", "222222222222")).toBeLessThan(2 * 2);
    // …and meets far fewer throttles than the first did finding the quota.
    const second = await drive(limiter, "iam", { quota: 2, calls: 30, workers: 8, account: () => "333333333333", seed: 2 });
    expect(first.throttled).toBeGreaterThan(3);
    expect(second.throttled).toBeLessThanOrEqual(first.throttled / 3);
    // Accounts never throttled learn nothing to pass on: a fresh limiter's new account starts at the table's rate.
    const fresh = limiterWith("iam", { requestsPerSecond: Number.POSITIVE_INFINITY, startRate: 20, maxConcurrency: 8, perAccount: true });
    expect(fresh.currentRate("iam", "222222222222")).toBe(20);
  });

  it("the connector's own account's lesson serves the member accounts (one quota, AWS's per account)", async () => {
    const iam: ServiceLimit = { requestsPerSecond: Number.POSITIVE_INFINITY, startRate: 20, maxConcurrency: 8, perAccount: true };
    const members = Array.from({ length: 16 }, (_, i) => String(100_000_000_000 + i));
    // The own account (no account: bucket "iam") meets the quota first, as in a sync.
    const limiter = limiterWith("iam", iam);
    const own = await drive(limiter, "iam", { quota: 2, calls: 40, workers: 8 });
    expect(own.throttled).toBeGreaterThan(0);
    expect(limiter.currentRate("iam", members[0])).toBeLessThan(2 * 2);
    const after = await drive(limiter, "iam", { quota: 2, calls: 16 * 14, workers: 16 * 6, account: (w) => members[w % 16], seed: 3 });
    // Without the lesson each member account finds the quota on its own.
    const alone = await drive(limiterWith("iam", iam), "iam", { quota: 2, calls: 16 * 14, workers: 16 * 6, account: (w) => members[w % 16], seed: 3 });
    expect(alone.throttled).toBeGreaterThanOrEqual(16);
    expect(after.throttled).toBe(0);
    // …and it costs them little time: they start below the quota, not at a guess ten times above it.
    expect(after.seconds).toBeLessThan(alone.seconds * 1.25);
  });

  it("accounts paced at once share the quota the first of them meets", async () => {
    const iam: ServiceLimit = { requestsPerSecond: Number.POSITIVE_INFINITY, startRate: 20, maxConcurrency: 8, perAccount: true };
    const accounts = ["111111111111", "222222222222", "333333333333", "444444444444", "555555555555", "666666666666"];
    const alone = await drive(limiterWith("iam", iam), "iam", { quota: 2, calls: 20, workers: 2, account: () => accounts[0] });
    const limiter = limiterWith("iam", iam);
    // Every account's bucket exists before any throttle: the lesson reaches them as it is learned.
    for (const account of accounts) limiter.currentRate("iam", account);
    const together = await drive(limiter, "iam", { quota: 2, calls: 20 * accounts.length, workers: 2 * accounts.length, account: (w) => accounts[w % accounts.length] });
    expect(together.throttled).toBeLessThan((accounts.length / 2) * alone.throttled);
  });

  it("a published quota: never a throttle, never more than its rate plus one second's saved-up burst", async () => {
    const limiter = limiterWith("sso", serviceLimits(defaultConfig().rateLimits).sso);
    const run = await drive(limiter, "sso", { quota: 20, calls: 400 });
    expect(run.throttled).toBe(0);
    expect(peakIn(run.sends, 10_000)).toBeLessThanOrEqual(20 * 10 + 20);
    expect(run.seconds).toBeLessThan(400 / 20 + 2);
  });

  it("never sends more than an operator's cap in any second, however much AWS would accept", async () => {
    const limiter = limiterWith("sso", { requestsPerSecond: 5, maxConcurrency: 8, operatorCap: true });
    const run = await drive(limiter, "sso", { quota: 1_000, calls: 100 });
    expect(run.throttled).toBe(0);
    // An operator's cap holds with room to spare for the network's jitter.
    expect(peakIn(run.sends, 1_040)).toBe(5);
    // …and it does use its allowance.
    expect(run.seconds).toBeLessThan(100 / 5 + 2);
  });

  it("off: no rate limit, only the cap on requests in flight", async () => {
    const limiter = limiterWith("sso", { requestsPerSecond: Number.POSITIVE_INFINITY, maxConcurrency: 4, paced: false });
    const run = await drive(limiter, "sso", { quota: 1_000_000, calls: 400 });
    // 4 in flight, 55 ms on average each: about 73/s.
    expect(run.seconds).toBeGreaterThan(4);
    expect(run.seconds).toBeLessThan(7);
    expect(limiter.currentRate("sso")).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("serviceLimits (--aws-rate)", () => {
  const limits = (requestsPerSecond: Record<string, unknown>) =>
    serviceLimits(defaultConfig({ rateLimits: { requestsPerSecond: requestsPerSecond as never } }).rateLimits);

  it("auto: from the quota table's rate, a published quota as the ceiling; per account for IAM and STS", () => {
    const l = limits({});
    expect(l.sso).toMatchObject({ requestsPerSecond: 20, startRate: 20, perAccount: false });
    expect(l.identitystore).toMatchObject({ requestsPerSecond: Number.POSITIVE_INFINITY, startRate: 20 });
    expect(l.iam.perAccount).toBe(true);
    expect(l.sts.perAccount).toBe(true);
  });

  it("a cap is the ceiling and the start; unlimited lifts a published ceiling; off does not pace", () => {
    const l = limits({ sso: "unlimited", identitystore: 5, organizations: "off" });
    expect(l.sso).toMatchObject({ requestsPerSecond: Number.POSITIVE_INFINITY, startRate: 20 });
    expect(l.identitystore.requestsPerSecond).toBe(5);
    expect(l.identitystore.startRate).toBeUndefined();
    expect(l.organizations.paced).toBe(false);
  });
});
