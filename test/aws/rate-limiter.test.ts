import { afterEach, describe, expect, it, vi } from "vitest";
import { AwsRateLimiter } from "../../src/aws/rate-limiter.js";

const limits = { requestsPerSecond: 1000, maxConcurrency: 4 };
const limiter = () => new AwsRateLimiter({ iam: limits, sts: limits, identitystore: limits, sso: limits, organizations: limits });

afterEach(() => vi.useRealTimers());

describe("AwsRateLimiter.holdOff (Retry-After)", () => {
  it("holds every new request to that service, not the others, until the wait is over", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const l = limiter();
    await l.acquire("iam");
    l.release("iam", "ok");
    l.holdOff("iam", 2_000);
    let granted = false;
    const waiting = l.acquire("iam").then(() => (granted = true));
    await l.acquire("sso"); // other services are not held
    await vi.advanceTimersByTimeAsync(1_900);
    expect(granted).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    await waiting;
    expect(granted).toBe(true);
  });

  it("a waiting request can still be aborted", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const l = limiter();
    l.holdOff("sts", 10_000);
    const controller = new AbortController();
    const waiting = l.acquire("sts", controller.signal);
    controller.abort(new Error("cancelled"));
    await expect(waiting).rejects.toThrow("cancelled");
  });
});
