import { describe, expect, test } from "vitest";
import { SyncCache } from "../../src/connector/sync-cache.js";

describe("SyncCache", () => {
  test("loads once per (sync, key); concurrent callers share the load", async () => {
    const cache = new SyncCache();
    let loads = 0;
    const load = async () => ++loads;
    const [a, b] = await Promise.all([cache.getOrLoad("s", "k", load), cache.getOrLoad("s", "k", load)]);
    expect([a, b, await cache.getOrLoad("s", "k", load)]).toEqual([1, 1, 1]);
    expect(await cache.getOrLoad("s", "other", load)).toBe(2);
    expect(await cache.getOrLoad("t", "k", load)).toBe(3);
  });

  test("a failed load is forgotten so the retry reaches AWS again", async () => {
    const cache = new SyncCache();
    let attempt = 0;
    const load = async () => {
      if (++attempt === 1) throw new Error("throttled");
      return attempt;
    };
    await expect(cache.getOrLoad("s", "k", load)).rejects.toThrow("throttled");
    expect(await cache.getOrLoad("s", "k", load)).toBe(2);
  });

  test("progress records survive failed loads and are dropped on request", () => {
    const cache = new SyncCache();
    const first = cache.progress("s", "k", () => ({ pages: [] as number[] }));
    first.pages.push(1);
    expect(cache.progress("s", "k", () => ({ pages: [] as number[] })).pages).toEqual([1]);
    cache.forgetProgress("s", "k");
    expect(cache.progress("s", "k", () => ({ pages: [] as number[] })).pages).toEqual([]);
  });

  test("no sync id, no caching", async () => {
    const cache = new SyncCache();
    let loads = 0;
    await cache.getOrLoad("", "k", async () => ++loads);
    await cache.getOrLoad("", "k", async () => ++loads);
    expect(loads).toBe(2);
    expect(cache.syncIds()).toEqual([]);
    expect(cache.progress("", "k", () => ({ n: 1 }))).not.toBe(cache.progress("", "k", () => ({ n: 1 })));
  });

  test("bounded: the least recently used sync is evicted; Cleanup (drop) empties a sync", async () => {
    const cache = new SyncCache(2);
    await cache.getOrLoad("a", "k", async () => 1);
    await cache.getOrLoad("b", "k", async () => 1);
    await cache.getOrLoad("a", "k2", async () => 1); // a is now the most recently used
    await cache.getOrLoad("c", "k", async () => 1);
    expect(cache.syncIds()).toEqual(["a", "c"]);
    expect(cache.size("a")).toBe(2);
    cache.drop("a");
    expect(cache.size("a")).toBe(0);
    expect(cache.syncIds()).toEqual(["c"]);
  });
});
