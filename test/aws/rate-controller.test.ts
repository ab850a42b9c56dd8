import { describe, expect, it } from "vitest";
import { CUBIC, RateController } from "../../src/aws/rate-controller.js";

const settings = { start: 20, ceiling: Number.POSITIVE_INFINITY, floor: 0.5 };

/** `n` requests sent and accepted at `rate` per second from `from` (ms), all of them having waited for the rate. */
function acceptAt(c: RateController, from: number, n: number, rate: number, waited = true): number {
  let now = from;
  for (let i = 0; i < n; i++) {
    now = from + (i * 1000) / rate;
    c.sent(now);
    c.accepted(now, waited);
  }
  return now;
}

describe("RateController", () => {
  it("starts at the start rate, and grows (slow start) only while callers wait for it", () => {
    const c = new RateController(settings, 0);
    expect(c.rate).toBe(20);
    acceptAt(c, 0, 40, 20, false);
    expect(c.rate).toBe(20);
    acceptAt(c, 2_000, 40, 20, true);
    expect(c.rate).toBeGreaterThan(20);
    // About ×3 per second of waiting callers, and never past twice what is being sent.
    expect(c.rate).toBeLessThanOrEqual(2 * 20 + 1);
  });

  it("cuts once per congestion event: throttles of requests sent before the cut are the same event", () => {
    const c = new RateController(settings, 0);
    const end = acceptAt(c, 0, 20, 20, false);
    expect(c.throttled(end + 50, end)).toBe(true);
    const afterFirst = c.rate;
    expect(c.limit).toBeGreaterThan(15);
    expect(c.limit).toBeLessThanOrEqual(20);
    expect(afterFirst).toBeCloseTo(CUBIC.beta * c.limit!, 5);
    // Sent before the cut: same event, no second cut.
    expect(c.throttled(end + 60, end + 10)).toBe(false);
    expect(c.rate).toBe(afterFirst);
    // Sent after it: a new event.
    expect(c.throttled(end + 200, end + 100)).toBe(true);
    expect(c.rate).toBeLessThan(afterFirst);
  });

  it("what AWS refused is the rate really sent, not the bucket's refill rate", () => {
    const c = new RateController({ ...settings, start: 100 }, 0);
    // Only 10 requests in the last second although the bucket allows 100.
    const end = acceptAt(c, 0, 10, 10, false);
    c.throttled(end + 10, end);
    expect(c.limit).toBeCloseTo(10, 5);
    expect(c.rate).toBeCloseTo(CUBIC.beta * 10, 5);
  });

  it("after a cut, climbs back to the refused rate along the cubic curve, then probes past it", () => {
    const c = new RateController(settings, 0);
    acceptAt(c, 0, 20, 20);
    c.throttled(1_000, 990);
    const k = CUBIC.recoverySeconds + CUBIC.recoveryCalls / 20;
    // Halfway to the recovery time: between the cut and the refused rate.
    acceptAt(c, 1_000 + (k * 1000) / 2, 20, 20);
    expect(c.rate).toBeGreaterThan(CUBIC.beta * 20);
    expect(c.rate).toBeLessThan(20);
    // Well after it: past the refused rate.
    acceptAt(c, 1_000 + k * 2000, 40, 20);
    expect(c.rate).toBeGreaterThan(20);
  });

  it("never leaves [floor, ceiling]", () => {
    const c = new RateController({ start: 20, ceiling: 25, floor: 2 }, 0);
    acceptAt(c, 0, 500, 25);
    expect(c.rate).toBe(25);
    let now = 100_000;
    for (let i = 0; i < 50; i++) {
      now += 1_000;
      c.sent(now);
      c.throttled(now, now);
    }
    expect(c.rate).toBe(2);
  });

  it("resumes from a learned rate on the curve's plateau, and from a learned rate without a limit in slow start", () => {
    const learned = new RateController(settings, 0, { rate: 57, limit: 60 });
    expect(learned.rate).toBe(57);
    expect(learned.limit).toBe(60);
    // On the plateau: a little waiting does not jump it anywhere.
    acceptAt(learned, 0, 10, 57);
    expect(learned.rate).toBeGreaterThan(55);
    expect(learned.rate).toBeLessThan(62);

    const grown = new RateController(settings, 0, { rate: 300 });
    expect(grown.rate).toBe(300);
    expect(grown.limit).toBeUndefined();

    const capped = new RateController({ start: 10, ceiling: 10, floor: 0.5 }, 0, { rate: 300, limit: 400 });
    expect(capped.rate).toBe(10);
  });
});
