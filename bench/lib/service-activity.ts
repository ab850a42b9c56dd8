/**
 * When each AWS service was busy during a run, from the simulator's request counters sampled at a
 * fixed period: a bound that assumes the services work in parallel cannot be reached by a run in
 * which they take turns, and this shows whether they did.
 */
import type { Counters } from "../../src/simulator/index.js";

export interface BusyInterval {
  /** Seconds since the origin given to stop(). */
  from: number;
  to: number;
  requests: number;
}

export interface ServiceActivity {
  requests: number;
  /** Sampling periods in which the service received requests, adjacent ones merged. */
  intervals: BusyInterval[];
  busySeconds: number;
}

export interface ActivitySampler {
  /** Takes a last sample and returns the activity relative to `originEpochMs`. */
  stop(originEpochMs: number): Record<string, ServiceActivity>;
}

export function sampleActivity(counters: Counters, periodMs: number): ActivitySampler {
  const seen = new Map<string, number>();
  const intervals = new Map<string, BusyInterval[]>();
  let previous = Date.now();
  const sample = () => {
    const now = Date.now();
    for (const [service, counts] of Object.entries(counters.snapshot().services)) {
      const delta = counts!.calls - (seen.get(service) ?? 0);
      if (delta <= 0) continue;
      seen.set(service, counts!.calls);
      const list = intervals.get(service) ?? [];
      intervals.set(service, list);
      const last = list.at(-1);
      if (last && last.to === previous) {
        last.to = now;
        last.requests += delta;
      } else {
        list.push({ from: previous, to: now, requests: delta });
      }
    }
    previous = now;
  };
  const timer = setInterval(sample, periodMs);
  return {
    stop(origin) {
      clearInterval(timer);
      sample();
      const out: Record<string, ServiceActivity> = {};
      for (const [service, list] of intervals) {
        // A first period that began before the origin (the worker was starting) is cut at the origin.
        const relative = list.map((i) => ({ from: Math.max(0, (i.from - origin) / 1000), to: (i.to - origin) / 1000, requests: i.requests }));
        out[service] = {
          requests: relative.reduce((sum, i) => sum + i.requests, 0),
          intervals: relative,
          busySeconds: relative.reduce((sum, i) => sum + (i.to - i.from), 0),
        };
      }
      return out;
    },
  };
}

/** "0.3–6.3, 24.0–59.3": the intervals, those less than `gapSeconds` apart shown as one. */
export function describeIntervals(intervals: BusyInterval[], gapSeconds = 2): string {
  const merged: Array<{ from: number; to: number }> = [];
  for (const i of intervals) {
    const last = merged.at(-1);
    if (last && i.from - last.to < gapSeconds) last.to = i.to;
    else merged.push({ from: i.from, to: i.to });
  }
  return merged.map((m) => `${m.from.toFixed(1)}–${m.to.toFixed(1)}`).join(", ");
}

/** Seconds during which both services were busy. */
export function overlapSeconds(a: BusyInterval[], b: BusyInterval[]): number {
  let total = 0;
  for (const x of a) for (const y of b) total += Math.max(0, Math.min(x.to, y.to) - Math.max(x.from, y.from));
  return total;
}
