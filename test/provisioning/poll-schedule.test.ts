import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CompletionEstimator, nextPollAt, POLL_TUNING } from "../../src/provisioning/poll-schedule.js";

/** Poll times until one lands at or after `completesAt`, for a fixed expectation. */
function pollsUntil(completesAt: number, expectedMs: number, phase: number): number[] {
  const times: number[] = [];
  let t = 0;
  do {
    t = nextPollAt(t, expectedMs, phase);
    times.push(t);
  } while (t < completesAt);
  return times;
}

const PHASES = [0, 0.25, 0.5, 0.75, 0.999];

describe("nextPollAt", () => {
  it("polls first after 250 ms", () => {
    for (const phase of PHASES) {
      expect(nextPollAt(0, 3_000, phase)).toBe(250);
      expect(nextPollAt(0, 60_000, phase)).toBe(250);
    }
  });

  it("always moves forward, by at most the 5 s cap and at least 250 ms, unless landing on the window's first poll", () => {
    // Half the samples fall within 2 s of the expected completion, where the window is.
    const when = fc.oneof(fc.record({ at: fc.integer({ min: 0, max: 600_000 }) }), fc.record({ fromExpected: fc.integer({ min: -2_000, max: 2_000 }) }));
    fc.assert(
      fc.property(fc.integer({ min: 250, max: 300_000 }), when, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (expected, w, phase) => {
        const elapsed = "at" in w ? w.at : Math.max(0, expected + w.fromExpected);
        const next = nextPollAt(elapsed, expected, phase);
        expect(next).toBeGreaterThan(elapsed);
        if (elapsed >= POLL_TUNING.firstMs) {
          if (next - elapsed < POLL_TUNING.fineMs) expect(next).toBe(expected - (1 - phase) * POLL_TUNING.fineMs);
          expect(next - elapsed).toBeLessThanOrEqual(POLL_TUNING.capMs);
        }
      }),
    );
  });

  it("sees a completion at the expected time within 250 ms, whatever the phase", () => {
    for (const expected of [1_000, 3_000, 10_000, 45_000]) {
      for (const phase of PHASES) {
        const times = pollsUntil(expected, expected, phase);
        expect(times.at(-1)! - expected).toBeLessThanOrEqual(250);
      }
    }
  });

  it("needs at most 6 polls for a 10 s operation once 10 s is expected, and 5 for a 3 s one, whatever the phase", () => {
    for (const phase of PHASES) {
      expect(pollsUntil(10_000, 10_000, phase).length).toBeLessThanOrEqual(6);
      expect(pollsUntil(3_000, 3_000, phase).length).toBeLessThanOrEqual(5);
    }
  });

  it("places the window's grid by the phase: first fine poll at expected − (1 − phase) × 250 ms", () => {
    expect(nextPollAt(6_750, 10_000, 0)).toBe(9_750);
    expect(nextPollAt(6_750, 10_000, 0.5)).toBe(9_875);
    expect(nextPollAt(6_750, 10_000, 0.9)).toBe(9_975);
  });

  it("backs off to the cap long after the expected completion", () => {
    expect(nextPollAt(100_000, 3_000, 0) - 100_000).toBe(POLL_TUNING.capMs);
  });
});

describe("CompletionEstimator", () => {
  /**
   * Sequential operations that all take `completesAt`, each polled with the estimator's
   * expectation and phase as wait-for-assignment does; the median delay in seeing them once warm.
   */
  function medianDelay(completesAt: number): { delayMs: number; polls: number } {
    const estimator = new CompletionEstimator();
    const delays: number[] = [];
    let polls = 0;
    for (let op = 0; op < 16; op++) {
      const phase = estimator.nextPhase();
      const expected = estimator.expectedMs();
      let t = 0;
      let lastInProgress = 0;
      let n = 0;
      for (;;) {
        t = nextPollAt(t, expected, phase);
        n++;
        if (t >= completesAt) break;
        lastInProgress = t;
      }
      estimator.record(lastInProgress, t);
      if (op > 0) {
        delays.push(t - completesAt);
        polls += n;
      }
    }
    return { delayMs: [...delays].sort((a, b) => a - b)[Math.floor(delays.length / 2)]!, polls: polls / delays.length };
  }

  it("does not lock onto its own poll grid: every completion time is seen about half a step late, not up to a whole one", () => {
    // With one fixed grid, some completion times are seen most of a second late on every operation.
    for (let completesAt = 9_800; completesAt <= 10_200; completesAt += 7) {
      const { delayMs, polls } = medianDelay(completesAt);
      expect(delayMs, `completion at ${completesAt} ms`).toBeLessThanOrEqual(200);
      expect(polls).toBeLessThanOrEqual(7);
    }
  });

  it("spreads the phases of successive operations over [0, 1)", () => {
    const estimator = new CompletionEstimator();
    const phases = Array.from({ length: 8 }, () => estimator.nextPhase()).sort((a, b) => a - b);
    expect(phases[0]).toBe(0);
    for (let i = 1; i < phases.length; i++) expect(phases[i]! - phases[i - 1]!).toBeGreaterThan(0.05);
    expect(phases.at(-1)!).toBeLessThan(1);
  });

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
