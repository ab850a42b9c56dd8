import { describe, expect, test } from "vitest";
import { LoadAhead } from "../../src/resources/load-ahead.js";

/** Loads that finish when the test says so. */
function loads() {
  const started: number[] = [];
  const finish = new Map<number, (value: string) => void>();
  const fail = new Map<number, (error: Error) => void>();
  const load = (i: number) =>
    new Promise<string>((resolve, reject) => {
      started.push(i);
      finish.set(i, resolve);
      fail.set(i, reject);
    });
  return { started, finish, fail, load };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("LoadAhead", () => {
  test("keeps `atOnce` loads running ahead of the one awaited, in order, each once", async () => {
    const { started, finish, load } = loads();
    const ahead = new LoadAhead(10, 3, load, 2);
    expect(started).toEqual([2, 3, 4]);
    // A later one finishing first makes room for the next.
    finish.get(4)!("d");
    await flush();
    expect(started).toEqual([2, 3, 4, 5]);
    const first = ahead.get(2);
    finish.get(2)!("a");
    expect(await first).toBe("a");
    await flush();
    expect(started).toEqual([2, 3, 4, 5, 6]);
    // Asking for one the window has not reached starts it; asking again does not start it twice.
    void ahead.get(9);
    void ahead.get(9);
    expect(started).toEqual([2, 3, 4, 5, 6, 9]);
  });

  test("settle: nothing new starts, and it waits for the started loads, failed ones included", async () => {
    const { started, finish, fail, load } = loads();
    const ahead = new LoadAhead(10, 2, load);
    let settled = false;
    const settling = ahead.settle().then(() => (settled = true));
    fail.get(0)!(new Error("throttled"));
    await flush();
    expect(started).toEqual([0, 1]);
    expect(settled).toBe(false);
    finish.get(1)!("b");
    await settling;
    expect(started).toEqual([0, 1]);
    await expect(ahead.get(0)).rejects.toThrow("throttled");
  });
});
