import { compareGoStrings } from "../c1z/proto-bytes.js";

/**
 * The entitlement graph of grant expansion, with baton's semantics (pkg/sync/expand):
 *
 * - An edge src → dst says: whoever holds `src` also gets `dst` (from a GrantExpandable on a grant
 *   of `dst` whose principal is the resource of `src`).
 * - Duplicate edges merge: deep wins over shallow, unfiltered wins over resource-type filters,
 *   filters union.
 * - Cycles (strongly connected components, self-loops included) collapse into one node holding all
 *   their entitlements; edges inside the component disappear, edges in and out merge per neighbour.
 * - Expansion runs in rounds: a node's outgoing edges run once every node with an edge into it is
 *   done. More than MAX_DEPTH rounds fails the sync, as in baton.
 */
export const MAX_DEPTH = 20;

export interface EdgeSpec {
  shallow: boolean;
  /** Principal resource types that count; empty = all. */
  resourceTypeIds: string[];
}

export interface ExpansionStep extends EdgeSpec {
  source: string;
  destination: string;
}

export class MaxDepthExceededError extends Error {
  constructor(readonly rounds: number) {
    super(`grant expansion needs ${rounds} rounds, more than the maximum depth of ${MAX_DEPTH} (entitlement chains are too long)`);
    this.name = "MaxDepthExceededError";
  }
}

/** Duplicate edges merge: deep wins over shallow, unfiltered over filtered, filters union. */
export function mergeSpec(into: EdgeSpec | undefined, spec: EdgeSpec): EdgeSpec {
  if (!into) return { shallow: spec.shallow, resourceTypeIds: [...new Set(spec.resourceTypeIds)] };
  const unfiltered = into.resourceTypeIds.length === 0 || spec.resourceTypeIds.length === 0;
  return {
    shallow: into.shallow && spec.shallow,
    resourceTypeIds: unfiltered ? [] : [...new Set([...into.resourceTypeIds, ...spec.resourceTypeIds])],
  };
}

export class EntitlementGraph {
  /** node id → entitlement ids */
  readonly #nodes = new Map<number, string[]>();
  readonly #nodeOf = new Map<string, number>();
  /** source node → destination node → spec */
  readonly #out = new Map<number, Map<number, EdgeSpec>>();
  #nextId = 0;

  #node(entitlementId: string): number {
    let id = this.#nodeOf.get(entitlementId);
    if (id === undefined) {
      id = ++this.#nextId;
      this.#nodes.set(id, [entitlementId]);
      this.#nodeOf.set(entitlementId, id);
    }
    return id;
  }

  addEdge(source: string, destination: string, spec: EdgeSpec): void {
    const s = this.#node(source);
    const d = this.#node(destination);
    let row = this.#out.get(s);
    if (!row) this.#out.set(s, (row = new Map()));
    row.set(d, mergeSpec(row.get(d), spec));
  }

  get edgeCount(): number {
    let n = 0;
    for (const row of this.#out.values()) n += row.size;
    return n;
  }

  /** Entitlement ids that ended up sharing a node because they form a cycle. */
  cycles(): string[][] {
    return [...this.#nodes.values()].filter((ids) => ids.length > 1).map((ids) => [...ids].sort(compareGoStrings));
  }

  /** Collapses every strongly connected component with a cycle into a single node. */
  collapseCycles(): void {
    for (const component of this.#cyclicComponents()) {
      const members = new Set(component);
      const incoming = new Map<number, EdgeSpec>();
      const outgoing = new Map<number, EdgeSpec>();
      for (const [src, row] of this.#out) {
        for (const [dst, spec] of row) {
          if (members.has(src) && !members.has(dst)) outgoing.set(dst, mergeSpec(outgoing.get(dst), spec));
          if (!members.has(src) && members.has(dst)) incoming.set(src, mergeSpec(incoming.get(src), spec));
        }
      }
      const id = ++this.#nextId;
      const entitlements = component.flatMap((m) => this.#nodes.get(m) ?? []);
      this.#nodes.set(id, entitlements);
      for (const e of entitlements) this.#nodeOf.set(e, id);
      for (const m of component) {
        this.#nodes.delete(m);
        this.#out.delete(m);
      }
      for (const row of this.#out.values()) for (const m of component) row.delete(m);
      if (outgoing.size > 0) this.#out.set(id, outgoing);
      for (const [src, spec] of incoming) this.#out.get(src)!.set(id, spec);
    }
  }

  /**
   * The expansion plan: rounds of steps. A step per (source entitlement, destination entitlement)
   * of each edge; rounds follow the edges' topological depth; order within a round is by
   * destination, then source (it does not change the result: a round's sources are complete).
   */
  rounds(): ExpansionStep[][] {
    const parents = new Map<number, number[]>();
    for (const [src, row] of this.#out) for (const dst of row.keys()) (parents.get(dst) ?? parents.set(dst, []).get(dst)!).push(src);
    const level = new Map<number, number>();
    const levelOf = (node: number, stack = new Set<number>()): number => {
      const known = level.get(node);
      if (known !== undefined) return known;
      if (stack.has(node)) throw new Error("entitlement graph still has a cycle");
      stack.add(node);
      let l = 1;
      for (const p of parents.get(node) ?? []) l = Math.max(l, levelOf(p, stack) + 1);
      stack.delete(node);
      level.set(node, l);
      return l;
    };
    const rounds: ExpansionStep[][] = [];
    for (const [src, row] of this.#out) {
      if (row.size === 0) continue;
      const r = levelOf(src);
      const steps = (rounds[r - 1] ??= []);
      for (const [dst, spec] of row) {
        for (const source of this.#nodes.get(src)!) {
          for (const destination of this.#nodes.get(dst)!) steps.push({ source, destination, ...spec });
        }
      }
    }
    const filled = Array.from(rounds, (steps) => steps ?? []);
    for (const steps of filled) {
      // By destination first: the expander reuses what it loaded about a destination across its steps.
      steps.sort((a, b) => compareGoStrings(a.destination, b.destination) || compareGoStrings(a.source, b.source));
      for (const step of steps) step.resourceTypeIds.sort(compareGoStrings);
    }
    if (filled.length > MAX_DEPTH) throw new MaxDepthExceededError(filled.length);
    return filled;
  }

  /** Tarjan's algorithm (iterative), components with more than one node or a self-loop. */
  #cyclicComponents(): number[][] {
    const index = new Map<number, number>();
    const low = new Map<number, number>();
    const onStack = new Set<number>();
    const stack: number[] = [];
    const result: number[][] = [];
    let counter = 0;
    const nodes = [...this.#nodes.keys()].sort((a, b) => a - b);
    for (const start of nodes) {
      if (index.has(start)) continue;
      const work: Array<{ node: number; children: number[]; i: number }> = [];
      const visit = (node: number) => {
        index.set(node, counter);
        low.set(node, counter);
        counter++;
        stack.push(node);
        onStack.add(node);
        work.push({ node, children: [...(this.#out.get(node)?.keys() ?? [])], i: 0 });
      };
      visit(start);
      while (work.length > 0) {
        const frame = work[work.length - 1]!;
        if (frame.i < frame.children.length) {
          const child = frame.children[frame.i++]!;
          if (!index.has(child)) visit(child);
          else if (onStack.has(child)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
          continue;
        }
        work.pop();
        const parent = work[work.length - 1];
        if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
        if (low.get(frame.node) === index.get(frame.node)) {
          const component: number[] = [];
          let member: number;
          do {
            member = stack.pop()!;
            onStack.delete(member);
            component.push(member);
          } while (member !== frame.node);
          const selfLoop = component.length === 1 && (this.#out.get(component[0]!)?.has(component[0]!) ?? false);
          if (component.length > 1 || selfLoop) result.push(component.sort((a, b) => a - b));
        }
      }
    }
    return result;
  }
}
