import { create, isFieldSet, toBinary } from "@bufbuild/protobuf";
import { AnySchema, type Any } from "@bufbuild/protobuf/wkt";
import { EntitlementSchema, type Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema, GrantSourcesSchema, type Grant, type GrantSources } from "../gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, type Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { deterministicBinary } from "./proto-bytes.js";

/**
 * Fast deterministic encoding of c1.connector.v2.Grant, byte-identical to
 * deterministicBinary(GrantSchema, grant) (fields in number order: entitlement 1, principal 2,
 * id 3, annotations 4, sources 5, then unknown fields).
 *
 * A grant embeds its whole entitlement (with its resource) and its principal resource, and those
 * repeat across many grants; encoding them once per object instead of once per grant is what
 * makes writing millions of grants cheap. Grant expansion goes further and reuses the stored
 * bytes of the entitlement row and of the source grant's principal as they are.
 */
export interface GrantParts {
  entitlement: Uint8Array;
  principal: Uint8Array;
  id: string;
  /** Encoded google.protobuf.Any annotations. */
  annotations: Uint8Array[];
  sources?: GrantSources;
}

export function encodeGrantParts(parts: GrantParts): Uint8Array {
  const id = Buffer.from(parts.id, "utf8");
  // A set sources message is written even when empty, as protobuf-es and Go do.
  const sources = parts.sources ? deterministicBinary(GrantSourcesSchema, parts.sources) : undefined;
  const fields: Array<[number, Uint8Array]> = [];
  fields.push([0x0a, parts.entitlement], [0x12, parts.principal]);
  if (id.length > 0) fields.push([0x1a, id]);
  for (const a of parts.annotations) fields.push([0x22, a]);
  if (sources) fields.push([0x2a, sources]);
  let size = 0;
  for (const [, bytes] of fields) size += 1 + varintSize(bytes.length) + bytes.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const [tag, bytes] of fields) {
    out[at++] = tag;
    at = writeVarint(out, at, bytes.length);
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

/**
 * Caches sub-message bytes by object identity (the same entitlement object in many grants), and
 * principals that are bare ids (the usual shape) by id.
 */
export class GrantEncoder {
  readonly #bytes = new WeakMap<object, Uint8Array>();
  readonly #stubs = new Map<string, Uint8Array>();

  encode(grant: Grant): Uint8Array {
    // Rare shapes take the general path: a missing entitlement/principal, unknown fields.
    if (!grant.entitlement || !grant.principal || grant.$unknown?.length) return deterministicBinary(GrantSchema, grant);
    const principal = grant.principal;
    return encodeGrantParts({
      entitlement: this.#cached(grant.entitlement, () => deterministicBinary(EntitlementSchema, grant.entitlement as Entitlement)),
      principal: isIdOnly(principal) ? this.#stub(principal.id!) : this.#cached(principal, () => deterministicBinary(ResourceSchema, principal)),
      id: grant.id,
      annotations: grant.annotations.map((a) => this.#cached(a, () => toBinary(AnySchema, a as Any))),
      sources: grant.sources,
    });
  }

  /** Resource{id: ResourceId{resource_type = 1, resource = 2, baton_resource = 3}} */
  #stub(id: NonNullable<Resource["id"]>): Uint8Array {
    const key = `${id.resourceType}\u0000${id.resource}\u0000${id.batonResource ? 1 : 0}`;
    let bytes = this.#stubs.get(key);
    if (!bytes) {
      bytes = deterministicBinary(ResourceSchema, create(ResourceSchema, { id }));
      if (this.#stubs.size >= 500_000) this.#stubs.clear();
      this.#stubs.set(key, bytes);
    }
    return bytes;
  }

  #cached(key: object, encode: () => Uint8Array): Uint8Array {
    let bytes = this.#bytes.get(key);
    if (!bytes) {
      bytes = encode();
      this.#bytes.set(key, bytes);
    }
    return bytes;
  }
}

const NON_ID_FIELDS = ResourceSchema.fields.filter((f) => f.localName !== "id");

/** A Resource that carries nothing but its id (how most connectors name a grant's principal). */
function isIdOnly(r: Resource): boolean {
  if (r.id === undefined || r.id.$unknown?.length || r.$unknown?.length) return false;
  for (const field of NON_ID_FIELDS) if (isFieldSet(r, field)) return false;
  return true;
}

/**
 * The raw bytes of a length-delimited field of an encoded message (its last occurrence, as a
 * parser would merge it), or undefined when absent.
 */
export function lengthDelimitedField(message: Uint8Array, field: number): Uint8Array | undefined {
  let at = 0;
  let found: Uint8Array | undefined;
  while (at < message.length) {
    const [key, next] = readVarint(message, at);
    at = next;
    const wireType = key & 7;
    const number = Math.floor(key / 8);
    switch (wireType) {
      case 0:
        at = readVarint(message, at)[1];
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const [len, start] = readVarint(message, at);
        if (number === field) found = message.subarray(start, start + len);
        at = start + len;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        return undefined; // groups: not used by these messages
    }
  }
  return found;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}

function readVarint(buf: Uint8Array, at: number): [number, number] {
  let result = 0;
  let multiplier = 1;
  for (;;) {
    const byte = buf[at++]!;
    result += (byte & 0x7f) * multiplier;
    if (byte < 0x80) return [result, at];
    multiplier *= 128;
  }
}
