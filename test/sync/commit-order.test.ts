import { describe, expect, test } from "vitest";
import { commitOrder, type AccessJob } from "../../src/sync/access-phase.js";

const job = (rowId: number, typeId: string, resourceId: string, parent?: [string, string]): AccessJob => ({
  rowId,
  typeId,
  resourceId,
  resource: undefined,
  listEntitlements: false,
  listGrants: true,
  fetching: 0,
  parent: parent ? `${parent[0]}\u0000${parent[1]}` : undefined,
});
const names = (jobs: AccessJob[]) => jobs.map((j) => `${j.typeId}:${j.resourceId}`);

describe("the grants' commit order", () => {
  test("depth first: each resource's children right after it, in row order; roots in row order", () => {
    const rows = [
      job(1, "user", "u1"),
      job(2, "account", "a1", ["organization", "o"]),
      job(3, "account", "a2", ["organization", "o"]),
      job(4, "organization", "o"),
      job(5, "binding", "a1-p1", ["account", "a1"]),
      job(6, "binding", "a2-p1", ["account", "a2"]),
      job(7, "binding", "a1-p2", ["account", "a1"]),
      job(8, "user", "u2"),
      // A parent that is not a resource of this sync makes a root.
      job(9, "role", "r1", ["account_iam", "elsewhere"]),
    ];
    expect(names(commitOrder(rows))).toEqual([
      "user:u1",
      "organization:o",
      "account:a1",
      "binding:a1-p1",
      "binding:a1-p2",
      "account:a2",
      "binding:a2-p1",
      "user:u2",
      "role:r1",
    ]);
  });

  test("every job once, whatever the parents: a cycle of parents comes last, in row order", () => {
    const rows = [job(1, "ou", "x", ["ou", "y"]), job(2, "user", "u"), job(3, "ou", "y", ["ou", "x"]), job(4, "ou", "z", ["ou", "z"]), job(5, "account", "a", ["ou", "x"])];
    const order = commitOrder(rows);
    expect(new Set(order).size).toBe(rows.length);
    expect(names(order)).toEqual(["user:u", "ou:z", "ou:x", "ou:y", "account:a"]);
  });

  test("depends only on the rows: the same order from any copy of them", () => {
    const rows = Array.from({ length: 200 }, (_, i) => job(i + 1, i % 3 === 0 ? "account" : "binding", `r${i}`, i % 3 === 0 ? undefined : ["account", `r${i - (i % 3)}`]));
    const copy = rows.map((r) => ({ ...r }));
    expect(names(commitOrder(rows))).toEqual(names(commitOrder(copy)));
  });
});
