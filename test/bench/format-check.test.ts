import { describe, expect, it } from "vitest";
import { formatCheck } from "../../bench/lib/markdown.js";
import { atLeast, atMost } from "../../bench/lib/result.js";

describe("benchmark checks as printed", () => {
  it("a miss that would round onto its limit gets the digits that show it", () => {
    const miss = atMost("wall", 108.21, 107.8, "s", "≤ 1.10 × bound (107.8 s)", 98);
    expect(miss.met).toBe(false);
    expect(formatCheck(miss)).toEqual({ value: "108.2 s (limit 107.8)", ratio: "1.104×" });
    const rate = atLeast("rate", 99_999.6, 100_000, "grants/s", "≥ 100,000");
    expect(formatCheck(rate).ratio).toBe("1.000×");
    expect(formatCheck(rate).value).toBe("99999.6 grants/s (limit 100000.0)");
  });

  it("other figures keep the usual rounding", () => {
    expect(formatCheck(atMost("wall", 42.09, 43.4, "s", "", 39.5))).toEqual({ value: "42.1 s", ratio: "1.07×" });
    expect(formatCheck(atMost("wall", 120, 107.8, "s", "", 98))).toEqual({ value: "120 s", ratio: "1.22×" });
  });
});
