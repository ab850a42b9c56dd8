import type { JsonValue } from "@bufbuild/protobuf";
import type { Any, Timestamp } from "@bufbuild/protobuf/wkt";
import { ResourceSchema, type Resource, type ResourceId } from "../gen/c1/connector/v2/resource_pb.js";
import { varintSize, writeVarint } from "./grant-bytes.js";
import { compareGoStrings, deterministicBinary } from "./proto-bytes.js";

/**
 * Fast deterministic encoding of c1.connector.v2.Resource, byte-identical to
 * deterministicBinary(ResourceSchema, resource) (a test compares them on many random resources):
 * fields in number order, proto3 zero values left out, the Struct profile's keys in Go's order.
 *
 * protobuf-es's toBinary allocates and grows a buffer per call and converts the JSON profile into
 * Struct messages before writing them; a sync writes one row per resource, so those costs add up
 * on the engine's thread. Shapes this encoder does not write (unknown fields, the deprecated
 * external id, an icon, integer-like profile keys — see proto-bytes.ts — or values outside JSON)
 * take the reflective path.
 */
export function encodeResources(list: readonly Resource[]): { data: Uint8Array; ends: Uint32Array } {
  const writer = new ResourceWriter();
  const ends = new Uint32Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const r = list[i]!;
    const start = writer.pos;
    if (!writer.resource(r)) {
      writer.pos = start;
      writer.raw(deterministicBinary(ResourceSchema, r));
    }
    ends[i] = writer.pos;
  }
  return { data: writer.finish(), ends };
}

/** Not written here: the caller falls back to the reflective encoder. */
class Unsupported extends Error {}

const INTEGER_KEY = /^(0|[1-9]\d*)$/;

class ResourceWriter {
  buf = Buffer.allocUnsafe(16 * 1024);
  pos = 0;

  finish(): Uint8Array {
    const out = new Uint8Array(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    return out;
  }

  /** Writes `r`; false (leaving partial bytes) when it has a shape this encoder leaves to the reflective one. */
  resource(r: Resource): boolean {
    if (r.$unknown?.length || r.externalId !== undefined || r.icon !== undefined) return false;
    try {
      if (r.id) this.message(0x0a, () => this.resourceId(r.id!));
      if (r.parentResourceId) this.message(0x12, () => this.resourceId(r.parentResourceId!));
      this.string(0x1a, r.displayName);
      for (const a of r.annotations) this.message(0x22, () => this.any(a));
      this.string(0x2a, r.description);
      if (r.batonResource) this.bool(0x30);
      if (r.creationSource !== 0) this.enumValue(0x40, r.creationSource);
      if (r.profile !== undefined) this.message(0x4a, () => this.struct(r.profile!));
      if (r.status) {
        const status = r.status;
        if (status.$unknown?.length) throw new Unsupported();
        this.message(0x5a, () => {
          if (status.status !== 0) this.enumValue(0x08, status.status);
          this.string(0x12, status.details);
        });
      }
      if (r.createdAt) this.message(0x62, () => this.timestamp(r.createdAt!));
      return true;
    } catch (error) {
      if (error instanceof Unsupported) return false;
      throw error;
    }
  }

  resourceId(id: ResourceId): void {
    if (id.$unknown?.length) throw new Unsupported();
    this.string(0x0a, id.resourceType);
    this.string(0x12, id.resource);
    if (id.batonResource) this.bool(0x18);
  }

  any(a: Any): void {
    if (a.$unknown?.length) throw new Unsupported();
    this.string(0x0a, a.typeUrl);
    if (a.value.length > 0) {
      this.tag(0x12);
      this.varint(a.value.length);
      this.raw(a.value);
    }
  }

  timestamp(t: Timestamp): void {
    if (t.$unknown?.length || t.seconds < 0n || t.seconds > BigInt(Number.MAX_SAFE_INTEGER) || t.nanos < 0) throw new Unsupported();
    if (t.seconds !== 0n) {
      this.tag(0x08);
      this.varint(Number(t.seconds));
    }
    if (t.nanos !== 0) {
      this.tag(0x10);
      this.varint(t.nanos);
    }
  }

  /** google.protobuf.Struct from its JSON form: map<string, Value> fields = 1, entries in Go's key order. */
  struct(object: { [key: string]: JsonValue }): void {
    if (typeof object !== "object" || object === null || Array.isArray(object)) throw new Unsupported();
    const keys = Object.keys(object);
    for (const key of keys) if (INTEGER_KEY.test(key)) throw new Unsupported();
    if (keys.length > 1) keys.sort(compareGoStrings);
    for (const key of keys) {
      this.message(0x0a, () => {
        // Map entries carry their key and value even when empty.
        this.tag(0x0a);
        this.stringValue(key);
        this.message(0x12, () => this.value(object[key]!));
      });
    }
  }

  /** google.protobuf.Value: one of null 1, number 2, string 3, bool 4, struct 5, list 6 (always written). */
  value(value: JsonValue): void {
    switch (typeof value) {
      case "number":
        if (!Number.isFinite(value)) throw new Unsupported();
        this.tag(0x11);
        this.ensure(8);
        this.buf.writeDoubleLE(value, this.pos);
        this.pos += 8;
        return;
      case "string":
        this.tag(0x1a);
        this.stringValue(value);
        return;
      case "boolean":
        this.tag(0x20);
        this.varint(value ? 1 : 0);
        return;
      case "object":
        if (value === null) {
          this.tag(0x08);
          this.varint(0);
        } else if (Array.isArray(value)) {
          this.message(0x32, () => {
            for (const item of value) this.message(0x0a, () => this.value(item));
          });
        } else this.message(0x2a, () => this.struct(value));
        return;
      default:
        throw new Unsupported();
    }
  }

  /** A length-delimited field: the length is reserved as one byte and widened if the payload needs more. */
  message(tag: number, write: () => void): void {
    this.tag(tag);
    this.ensure(1);
    const lengthAt = this.pos++;
    write();
    const len = this.pos - lengthAt - 1;
    const size = varintSize(len);
    if (size > 1) {
      this.ensure(size - 1);
      this.buf.copyWithin(lengthAt + size, lengthAt + 1, this.pos);
      this.pos += size - 1;
    }
    writeVarint(this.buf, lengthAt, len);
  }

  /** A proto3 string field, left out when empty. */
  string(tag: number, s: string): void {
    if (s.length === 0) return;
    this.tag(tag);
    this.stringValue(s);
  }

  /** Length and UTF-8 bytes (ASCII byte by byte, anything else through Buffer.write, which also replaces lone surrogates). */
  stringValue(s: string): void {
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    const len = ascii ? s.length : Buffer.byteLength(s, "utf8");
    this.varint(len);
    this.ensure(len);
    if (ascii) for (let i = 0; i < len; i++) this.buf[this.pos + i] = s.charCodeAt(i);
    else this.buf.write(s, this.pos, len, "utf8");
    this.pos += len;
  }

  bool(tag: number): void {
    this.tag(tag);
    this.varint(1);
  }

  enumValue(tag: number, value: number): void {
    if (value < 0) throw new Unsupported();
    this.tag(tag);
    this.varint(value);
  }

  tag(tag: number): void {
    this.ensure(1);
    this.buf[this.pos++] = tag;
  }

  varint(n: number): void {
    this.ensure(10);
    this.pos = writeVarint(this.buf, this.pos, n);
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}
