import { toBinary, type DescField, type DescMessage, type MessageShape } from "@bufbuild/protobuf";

/**
 * Deterministic protobuf bytes, as Go's `proto.MarshalOptions{Deterministic: true}` writes them:
 * baton stores these in c1z `data` columns and its diffs compare bytes.
 *
 * protobuf-es already writes known fields in field-number order and unknown fields last, like Go.
 * What differs is maps: protobuf-es writes entries in JS object order, Go sorts them by key. So
 * before encoding we rebuild every reachable map (and google.protobuf.Struct, which protobuf-es
 * represents as a plain JSON object) with its keys in Go's order.
 *
 * Known gap: a JS object always iterates integer-like keys ("0", "17") first, so a map mixing
 * such keys with others cannot be reordered; c1z maps (GrantSources, profiles) do not have them.
 */
export function deterministicBinary<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  sortMaps(schema, message as unknown as Record<string, unknown>);
  return toBinary(schema, message);
}

/** Go compares map keys bytewise (UTF-8); for strings that is code-point order. */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca < cb ? -1 : 1;
    if (ca > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

type Walk = Array<{ field: DescField; kind: "map" | "message" | "list" | "struct" }>;
const plans = new WeakMap<DescMessage, Walk>();

/** The fields of `desc` through which a map can be reached (memoised per message type). */
function planFor(desc: DescMessage, visiting = new Set<DescMessage>()): Walk {
  const cached = plans.get(desc);
  if (cached) return cached;
  if (visiting.has(desc)) return [];
  visiting.add(desc);
  const walk: Walk = [];
  for (const field of desc.fields) {
    if (field.fieldKind === "map") {
      walk.push({ field, kind: "map" });
    } else if (field.fieldKind === "message") {
      if (field.message.typeName === "google.protobuf.Struct") walk.push({ field, kind: "struct" });
      else if (field.message.typeName !== "google.protobuf.Any" && planFor(field.message, visiting).length > 0) {
        walk.push({ field, kind: "message" });
      }
    } else if (field.fieldKind === "list" && field.listKind === "message") {
      if (field.message.typeName !== "google.protobuf.Any" && planFor(field.message, visiting).length > 0) {
        walk.push({ field, kind: "list" });
      }
    }
  }
  visiting.delete(desc);
  plans.set(desc, walk);
  return walk;
}

function sortMaps(desc: DescMessage, message: Record<string, unknown>): void {
  for (const { field, kind } of planFor(desc)) {
    const owner = field.oneof ? (message[field.oneof.localName] as Record<string, unknown> | undefined) : message;
    if (!owner) continue;
    if (field.oneof && owner.case !== field.localName) continue;
    const key = field.oneof ? "value" : field.localName;
    const value = owner[key];
    if (value === undefined || value === null) continue;
    switch (kind) {
      case "struct":
        owner[key] = sortedJson(value);
        break;
      case "message":
        sortMaps(field.message!, value as Record<string, unknown>);
        break;
      case "list":
        for (const item of value as Array<Record<string, unknown>>) sortMaps(field.message!, item);
        break;
      case "map": {
        const map = value as Record<string, unknown>;
        if (field.fieldKind === "map" && field.mapKind === "message") {
          for (const item of Object.values(map)) sortMaps(field.message, item as Record<string, unknown>);
        }
        owner[key] = sortedObject(map, field.fieldKind === "map" ? field.mapKey : undefined);
        break;
      }
    }
  }
}

function sortedObject(map: Record<string, unknown>, keyType: number | undefined): Record<string, unknown> {
  const keys = Object.keys(map);
  if (keys.length < 2) return map;
  const sorted = [...keys].sort(keyComparator(keyType));
  if (sorted.every((k, i) => k === keys[i])) return map;
  const out: Record<string, unknown> = {};
  for (const k of sorted) out[k] = map[k];
  return out;
}

// ScalarType numbers from descriptor.proto: BOOL=8, STRING=9; the rest of map key types are integers.
function keyComparator(keyType: number | undefined): (a: string, b: string) => number {
  if (keyType === 9 || keyType === undefined) return compareGoStrings;
  if (keyType === 8) return (a, b) => (a === b ? 0 : a === "false" ? -1 : 1);
  return (a, b) => {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

function sortedJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedJson);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort(compareGoStrings)) out[k] = sortedJson(obj[k]);
  return out;
}
