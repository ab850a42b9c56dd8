import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CompletionEstimator, nextPollAt, POLL_TUNING } from "../../src/provisioning/poll-schedule.js";

/** Poll times until one lands at or after `completesAt`, for a fixed expectation. */
function pollsUntil(completesAt: number, expectedMs: number): number[] {
  const times: number[] = [];
  let t = 0;
  do {
    t = nextPollAt(t, expectedMs);
    times.push(t);
  } while (t < completesAt);
  return times;
}

describe("nextPollAt", () => {
  it("polls first after 250 ms", () => {
    expect(nextPollAt(0, 3_000)).toBe(250);
    expect(nextPollAt(0, 60_000)).toBe(250);
  });

  it("always moves forward, never by less than 250 ms nor more than the 5 s cap", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600_000 }), fc.integer({ min: 250, max: 300_000 }), (elapsed, expected) => {
        const next = nextPollAt(elapsed, expected);
        expect(next).toBeGreaterThan(elapsed);
        if (elapsed >= POLL_TUNING.firstMs) {
          expect(next - elapsed).toBeGreaterThanOrEqual(Math.min(POLL_TUNING.fineMs, expected - elapsed));
          expect(next - elapsed).toBeLessThanOrEqual(POLL_TUNING.capMs);
        }
      }),
    );
  });

  it("sees a completion at the expected time within 250 ms", () => {
    for (const expected of [1_000, 3_000, 10_000, 45_000]) {
      const times = pollsUntil(expected, expected);
      expect(times.at(-1)! - expected).toBeLessThanOrEqual(250);
    }
  });

  it("needs at most 8 polls for a 10 s operation once 10 s is expected, and 6 for a 3 s one", () => {
    expect(pollsUntil(10_000, 10_000).length).toBeLessThanOrEqual(8);
    expect(pollsUntil(3_000, 3_000).length).toBeLessThanOrEqual(6);
  });

  it("backs off to the cap long after the expected completion", () => {
    expect(nextPollAt(100_000, 3_000) - 100_000).toBe(POLL_TUNING.capMs);
  });
});

describe("CompletionEstimator", () => {
  it("starts from AWS's observed ~3 s and follows the median of recent completions", () => {
    const estimator = new CompletionEstimator();
    expect(estimator.expectedMs()).toBe(3_000);
    for (const [lo, hi] of [[9_750, 10_000], [9_500, 10_250], [40_000, 60_000]] as const) estimator.record(lo, hi);
    expect(estimator.expectedMs()).toBe(9_875);
  });

  it("forgets completions older than its memory", () => {
    const estimator = new CompletionEstimator();
    for (let i = 0; i < POLL_TUNING.memory; i++) estimator.record(20_000, 20_000);
    for (let i = 0; i < POLL_TUNING.memory; i++) estimator.record(1_000, 1_000);
    expect(estimator.expectedMs()).toBe(1_000);
  });
});
