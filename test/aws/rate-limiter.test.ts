import { afterEach, describe, expect, it, vi } from "vitest";
import { urgently } from "../../src/aws/call-urgency.js";
import { AwsRateLimiter } from "../../src/aws/rate-limiter.js";

const limits = { requestsPerSecond: 1000, maxConcurrency: 4 };
const limiter = () => new AwsRateLimiter({ iam: limits, sts: limits, identitystore: limits, sso: limits, organizations: limits });

afterEach(() => vi.useRealTimers());

describe("AwsRateLimiter.holdOff (Retry-After)", () => {
  it("holds every new request to that service, not the others, until the wait is over", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const l = limiter();
    l.release(await l.acquire("iam"), "ok");
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

describe("AwsRateLimiter: the order waiting calls are served in", () => {
  it("listing calls go oldest listing first among themselves; any other call keeps its place in line", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const wide = { requestsPerSecond: 1000, maxConcurrency: 100 };
    const l = new AwsRateLimiter({ iam: wide, sts: wide, identitystore: wide, sso: wide, organizations: wide });
    l.holdOff("sso", 1_000);
    const served: string[] = [];
    // label → when its listing started (none: not part of a listing), queued in this order.
    const calls: Array<[string, number | undefined]> = [
      ["first", undefined],
      ["listing-200", 200],
      ["listing-100", 100],
      ["other", undefined],
      ["listing-50", 50],
      ["listing-10", 10],
    ];
    const waiting = calls.map(([label, startedAt]) => l.acquire("sso", undefined, startedAt).then(() => served.push(label)));
    await vi.advanceTimersByTimeAsync(1_100);
    await Promise.all(waiting);
    expect(served).toEqual(["first", "listing-100", "listing-200", "other", "listing-10", "listing-50"]);
  });

  it("urgent calls (the resources phase's) go ahead of every other waiting call, first come first served among themselves", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const wide = { requestsPerSecond: 1000, maxConcurrency: 100 };
    const l = new AwsRateLimiter({ iam: wide, sts: wide, identitystore: wide, sso: wide, organizations: wide });
    l.holdOff("sso", 1_000);
    const served: string[] = [];
    const queue = (label: string, startedAt?: number) => l.acquire("sso", undefined, startedAt).then(() => served.push(label));
    const waiting = [
      queue("first"),
      queue("listing-10", 10),
      // Urgency follows the async context: a call made inside urgently() after an await (it queues last).
      urgently(() => Promise.resolve().then(() => queue("urgent-late"))),
      queue("other"),
      urgently(() => queue("urgent", 5)),
    ];
    const controller = new AbortController();
    const aborted = urgently(() => l.acquire("sso", controller.signal));
    controller.abort(new Error("cancelled"));
    await expect(aborted).rejects.toThrow("cancelled");
    await vi.advanceTimersByTimeAsync(1_100);
    await Promise.all(waiting);
    expect(served).toEqual(["urgent", "urgent-late", "first", "listing-10", "other"]);
  });
});
