import { describe, expect, test } from "vitest";
import { ListingScheduler } from "../../src/sync/scheduler.js";

interface Job {
  lane: "slow" | "fast";
  n: number;
}

describe("listing scheduler", () => {
  test("pages stuck behind one service's limit cannot take every slot from another lane", async () => {
    const scheduler = new ListingScheduler({ concurrency: 4 });
    let slowInFlight = 0;
    let maxSlowInFlight = 0;
    const release: Array<() => void> = [];
    const fetched: Job[] = [];
    const stream = scheduler.stream<Job, number[]>("grants", {
      lane: (job) => job.lane,
      startToken: () => "",
      isWarning: () => false,
      fetchPage: async (job) => {
        if (job.lane === "slow") {
          maxSlowInFlight = Math.max(maxSlowInFlight, ++slowInFlight);
          await new Promise<void>((resolve) => release.push(resolve));
          slowInFlight--;
        }
        fetched.push(job);
        return { content: [job.n], count: 1, next: "" };
      },
    });
    // Slow jobs first: without a per-lane cap they would hold all four slots.
    for (let n = 0; n < 8; n++) stream.add({ lane: "slow", n });
    for (let n = 0; n < 20; n++) stream.add({ lane: "fast", n });
    stream.end();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Every fast job is fetched while the slow ones still wait; a quarter of the slots is the slow lane's.
    expect(fetched.filter((j) => j.lane === "fast")).toHaveLength(20);
    expect(maxSlowInFlight).toBe(1);
    const committed: number[] = [];
    const committing = stream.commit({ commitPage: (_job, page) => void committed.push(...page.content), finishJob: () => undefined });
    while (committed.length < 28) {
      release.splice(0).forEach((r) => r());
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await committing;
    // Commits stay in job order whatever the fetch order.
    expect(committed).toEqual([...Array.from({ length: 8 }, (_, n) => n), ...Array.from({ length: 20 }, (_, n) => n)]);
    scheduler.close();
  });

  test("reorder sets the commit order of the jobs waiting, keeps what they fetched, and only before commits begin", async () => {
    const scheduler = new ListingScheduler({ concurrency: 4 });
    let fetches = 0;
    const stream = scheduler.stream<Job, number[]>("grants", {
      lane: (job) => job.lane,
      startToken: () => "",
      isWarning: () => false,
      fetchPage: async (job) => {
        fetches++;
        return { content: [job.n], count: 1, next: "" };
      },
    });
    const jobs: Job[] = Array.from({ length: 6 }, (_, n) => ({ lane: "fast", n }));
    for (const job of jobs) stream.add(job);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(() => stream.reorder(jobs.slice(1))).toThrow(/each of its 6 waiting jobs once/);
    expect(() => stream.reorder([...jobs.slice(1), jobs[1]!])).toThrow(/each of its 6 waiting jobs once/);
    stream.reorder([jobs[3]!, jobs[0]!, jobs[5]!, jobs[1]!, jobs[4]!, jobs[2]!]);
    stream.end();
    const committed: number[] = [];
    await stream.commit({ commitPage: (_job, page) => void committed.push(...page.content), finishJob: () => undefined });
    expect(committed).toEqual([3, 0, 5, 1, 4, 2]);
    expect(fetches).toBe(6);
    expect(() => stream.reorder([])).toThrow(/once commits have begun/);
    scheduler.close();
  });
});

