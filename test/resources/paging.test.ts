import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { advancingPage, drainPages, iamNextMarker, newDrainProgress, offsetPage, stateToken } from "../../src/resources/paging.js";

describe("paging helpers", () => {
  test("drainPages reads to the last page and resumes at the failed page", async () => {
    const pages: Record<string, { items: number[]; next?: string }> = { "": { items: [1, 2], next: "b" }, b: { items: [3], next: "c" }, c: { items: [4] } };
    const asked: string[] = [];
    let failOnce = true;
    const fetch = async (token: string | undefined) => {
      asked.push(token ?? "");
      if (token === "c" && failOnce) {
        failOnce = false;
        throw new Error("5xx");
      }
      return pages[token ?? ""]!;
    };
    const progress = newDrainProgress<number>();
    await expect(drainPages(fetch, progress)).rejects.toThrow("5xx");
    expect(await drainPages(fetch, progress)).toEqual([1, 2, 3, 4]);
    expect(asked).toEqual(["", "b", "c", "c"]);
  });

  test("an echoed token is an error, not an endless loop", async () => {
    await expect(drainPages(async (token) => ({ items: [1], next: token ?? "same" }))).rejects.toThrow(/refusing to loop/);
  });

  test("a streamed page that is empty and echoes its token is asked for again, three times at most", async () => {
    const answers = [{ items: [], next: "t1" }, { items: [], next: "t1" }, { items: [7], next: "t1" }];
    let asked = 0;
    expect(await advancingPage("t1", async () => answers[asked++]!)).toEqual({ items: [7], next: "t1" });
    expect(asked).toBe(3);
    // An empty page with a new token, or the last page, is an answer.
    expect(await advancingPage("t1", async () => ({ items: [], next: "t2" }))).toEqual({ items: [], next: "t2" });
    expect(await advancingPage("t1", async () => ({ items: [] }))).toEqual({ items: [] });
    await expect(advancingPage("t1", async () => ({ items: [], next: "t1" }))).rejects.toThrow(/refusing to loop/);
  });

  test("IAM: a marker means more; IsTruncated without one is an error", () => {
    expect(iamNextMarker({ IsTruncated: true, Marker: "m" }, "Op")).toBe("m");
    expect(iamNextMarker({ IsTruncated: false }, "Op")).toBeUndefined();
    expect(() => iamNextMarker({ IsTruncated: true }, "Op")).toThrow(/IsTruncated without a Marker/);
  });

  test("offset pages over a list, and bad states are InvalidArgument", () => {
    const items = [1, 2, 3, 4, 5];
    expect(offsetPage(items, undefined, 2, String)).toEqual({ items: ["1", "2"], next: { o: 2 } });
    expect(offsetPage(items, { o: 4 }, 2, String)).toEqual({ items: ["5"] });
    expect(offsetPage([], undefined, 2, String)).toEqual({ items: [] });
    for (const bad of [{ o: -1 }, { o: 1.5 }, { o: "2" }, { o: 9 }]) {
      const error = (() => {
        try {
          offsetPage(items, bad as never, 2, String);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    }
    expect(() => stateToken({ t: 5 } as never)).toThrow(ConnectError);
  });
});
