import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { EntitlementSchema, type Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema, GrantSourcesSchema, type Grant, type GrantSources } from "../gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, type Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { compareGoStrings, deterministicBinary } from "./proto-bytes.js";

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
  /** The sources message already encoded (deterministically); wins over `sources`. */
  sourcesBytes?: Uint8Array;
}

export function encodeGrantParts(parts: GrantParts): Uint8Array {
  const id = Buffer.from(parts.id, "utf8");
  // A set sources message is written even when empty, as protobuf-es and Go do.
  const sources = parts.sourcesBytes ?? (parts.sources ? deterministicBinary(GrantSourcesSchema, parts.sources) : undefined);
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
 * writes principals that are bare ids (the usual shape) straight into the grant's bytes.
 */
export class GrantEncoder {
  readonly #bytes = new WeakMap<object, Uint8Array>();
  // Scratch for encodeAll, kept between calls: per grant, its general encoding (rare shapes) or
  // the parts of the fast path; `lengths` holds the fast path's UTF-8 lengths (type, resource, id).
  #general: Array<Uint8Array | undefined> = [];
  #entitlements: Uint8Array[] = [];
  #annotations: Uint8Array[][] = [];
  /** Per grant with a conventional id: its entitlement id's UTF-8 bytes, the id's first part. */
  #idPrefixes: Array<Uint8Array | undefined> = [];
  #lengths = new Uint32Array(3 * 256);
  /** The entitlement id bytes of the last entitlement seen (a page's grants nearly always share it). */
  #lastEntitlement: object | undefined;
  #lastEntitlementId = new Uint8Array(0);

  encode(grant: Grant): Uint8Array {
    return this.encodeAll([grant]).data;
  }

  /**
   * Encodes `grants` back to back into one new buffer (grant i spans [ends[i - 1] ?? 0, ends[i])):
   * sizes first, then every grant written in place — no buffer per grant, no copy into the batch.
   */
  encodeAll(grants: readonly Grant[], conventionalIds?: Uint8Array): { data: Uint8Array; ends: Uint32Array } {
    const n = grants.length;
    if (this.#lengths.length < 3 * n) this.#lengths = new Uint32Array(3 * n);
    const lengths = this.#lengths;
    const general = this.#general;
    const entitlements = this.#entitlements;
    const annotationsOf = this.#annotations;
    const idPrefixes = this.#idPrefixes;
    const ends = new Uint32Array(n);
    let size = 0;
    for (let i = 0; i < n; i++) {
      const grant = grants[i]!;
      const principal = grant.principal;
      // Rare shapes take the general path: a missing entitlement/principal, unknown fields, sources, a full principal.
      if (!grant.entitlement || !principal || grant.$unknown?.length || grant.sources || !isIdOnly(principal)) {
        const bytes = this.#general1(grant);
        general[i] = bytes;
        ends[i] = size += bytes.length;
        continue;
      }
      general[i] = undefined;
      const entitlement = this.#bytes.get(grant.entitlement) ?? this.#keep(grant.entitlement, deterministicBinary(EntitlementSchema, grant.entitlement));
      const annotations = grant.annotations.length === 0 ? NONE : grant.annotations.map((a) => this.#bytes.get(a) ?? this.#keep(a, toBinary(AnySchema, a)));
      entitlements[i] = entitlement;
      annotationsOf[i] = annotations;
      const id = principal.id!;
      const typeLen = (lengths[3 * i] = utf8Length(id.resourceType));
      const resLen = (lengths[3 * i + 1] = utf8Length(id.resource));
      // A conventional id is written from its parts (conventionalIds, from isConventionalGrantId): the
      // entitlement id's bytes, then the principal's type and resource bytes already in the grant.
      let idLen: number;
      if (conventionalIds?.[i]) {
        const prefix = (idPrefixes[i] = this.#entitlementIdBytes(grant.entitlement));
        idLen = lengths[3 * i + 2] = prefix.length + 1 + typeLen + 1 + resLen;
      } else {
        idPrefixes[i] = undefined;
        idLen = lengths[3 * i + 2] = utf8Length(grant.id);
      }
      ends[i] = size += idOnlyPrincipalGrantSize(entitlement.length, typeLen, resLen, !!id.batonResource, idLen, annotations);
    }
    const out = Buffer.allocUnsafeSlow(size);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const bytes = general[i];
      if (bytes) {
        out.set(bytes, at);
        general[i] = undefined;
      } else {
        const grant = grants[i]!;
        writeIdOnlyPrincipalGrant(out, at, entitlements[i]!, grant.principal!.id!, grant.id, idPrefixes[i], annotationsOf[i]!, lengths[3 * i]!, lengths[3 * i + 1]!, lengths[3 * i + 2]!);
      }
      at = ends[i]!;
    }
    entitlements.length = 0;
    annotationsOf.length = 0;
    idPrefixes.length = 0;
    return { data: out, ends };
  }

  #entitlementIdBytes(entitlement: Entitlement): Uint8Array {
    if (entitlement !== this.#lastEntitlement) {
      this.#lastEntitlement = entitlement;
      this.#lastEntitlementId = Buffer.from(entitlement.id, "utf8");
    }
    return this.#lastEntitlementId;
  }

  #general1(grant: Grant): Uint8Array {
    if (!grant.entitlement || !grant.principal || grant.$unknown?.length) return deterministicBinary(GrantSchema, grant);
    const principal = grant.principal;
    return encodeGrantParts({
      entitlement: this.#bytes.get(grant.entitlement) ?? this.#keep(grant.entitlement, deterministicBinary(EntitlementSchema, grant.entitlement)),
      principal: isIdOnly(principal) ? idOnlyResourceBytes(principal.id!) : (this.#bytes.get(principal) ?? this.#keep(principal, deterministicBinary(ResourceSchema, principal))),
      id: grant.id,
      annotations: grant.annotations.length === 0 ? NONE : grant.annotations.map((a) => this.#bytes.get(a) ?? this.#keep(a, toBinary(AnySchema, a))),
      sources: grant.sources,
    });
  }

  #keep(key: object, bytes: Uint8Array): Uint8Array {
    this.#bytes.set(key, bytes);
    return bytes;
  }
}

const NONE: Uint8Array[] = [];

/** The size of Grant{entitlement, principal: Resource{id}, id, annotations} (see writeIdOnlyPrincipalGrant). */
function idOnlyPrincipalGrantSize(entitlementLen: number, typeLen: number, resLen: number, batonResource: boolean, idLen: number, annotations: Uint8Array[]): number {
  const resourceIdLen = fieldSize(typeLen, typeLen > 0) + fieldSize(resLen, resLen > 0) + (batonResource ? 2 : 0);
  let size = fieldSize(entitlementLen, true) + fieldSize(fieldSize(resourceIdLen, true), true) + fieldSize(idLen, idLen > 0);
  for (const a of annotations) size += fieldSize(a.length, true);
  return size;
}

/**
 * Grant{entitlement, principal: Resource{id}, id, annotations} written in one pass at `at` — the
 * shape of nearly every grant a connector lists, so the one worth a fast path. Byte-identical to
 * deterministicBinary (tested against it). The lengths are the strings' UTF-8 lengths (utf8Length).
 */
function writeIdOnlyPrincipalGrant(
  out: Buffer,
  at: number,
  entitlement: Uint8Array,
  id: NonNullable<Resource["id"]>,
  grantId: string,
  idPrefix: Uint8Array | undefined,
  annotations: Uint8Array[],
  typeLen: number,
  resLen: number,
  idLen: number,
): void {
  const resourceIdLen = fieldSize(typeLen, typeLen > 0) + fieldSize(resLen, resLen > 0) + (id.batonResource ? 2 : 0);
  const principalLen = fieldSize(resourceIdLen, true);
  out[at++] = 0x0a;
  at = writeVarint(out, at, entitlement.length);
  out.set(entitlement, at);
  at += entitlement.length;
  out[at++] = 0x12;
  at = writeVarint(out, at, principalLen);
  out[at++] = 0x0a;
  at = writeVarint(out, at, resourceIdLen);
  let typeAt = at;
  if (typeLen > 0) {
    out[at++] = 0x0a;
    at = writeVarint(out, at, typeLen);
    typeAt = at;
    at = writeUtf8(out, at, id.resourceType, typeLen);
  }
  let resourceAt = at;
  if (resLen > 0) {
    out[at++] = 0x12;
    at = writeVarint(out, at, resLen);
    resourceAt = at;
    at = writeUtf8(out, at, id.resource, resLen);
  }
  if (id.batonResource) {
    out[at++] = 0x18;
    out[at++] = 1;
  }
  if (idLen > 0) {
    out[at++] = 0x1a;
    at = writeVarint(out, at, idLen);
    if (idPrefix) {
      // "<entitlement id>:<type>:<resource>": UTF-8 of the parts joined (":" never splits a character).
      for (let k = 0; k < idPrefix.length; k++) out[at++] = idPrefix[k]!;
      out[at++] = 0x3a;
      for (let k = 0; k < typeLen; k++) out[at++] = out[typeAt + k]!;
      out[at++] = 0x3a;
      for (let k = 0; k < resLen; k++) out[at++] = out[resourceAt + k]!;
    } else at = writeUtf8(out, at, grantId, idLen);
  }
  for (const a of annotations) {
    out[at++] = 0x22;
    at = writeVarint(out, at, a.length);
    out.set(a, at);
    at += a.length;
  }
}

/** UTF-8 length of `s`. Ids are nearly always ASCII, which a loop measures faster than a call into Buffer.byteLength. */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, "utf8");
  return s.length;
}

/** Writes `s` (`len` bytes, from utf8Length) at `at`: ASCII byte by byte, anything else through Buffer.write. */
function writeUtf8(out: Buffer, at: number, s: string, len: number): number {
  if (len !== s.length) return at + out.write(s, at, "utf8");
  for (let i = 0; i < len; i++) out[at + i] = s.charCodeAt(i);
  return at + len;
}

/** Resource{id: ResourceId{resource_type = 1, resource = 2, baton_resource = 3}} */
function idOnlyResourceBytes(id: NonNullable<Resource["id"]>): Uint8Array {
  return deterministicBinary(ResourceSchema, create(ResourceSchema, { id }));
}

/** Bytes of a length-delimited field with a one-byte tag, or 0 when proto3 omits it. */
function fieldSize(len: number, present: boolean): number {
  return present ? 1 + varintSize(len) + len : 0;
}

/** Resource's fields, as isIdOnly checks them (a test holds this list to the generated schema). */
export const RESOURCE_FIELDS_CHECKED = [
  "id",
  "parentResourceId",
  "displayName",
  "annotations",
  "description",
  "batonResource",
  "externalId",
  "creationSource",
  "profile",
  "icon",
  "status",
  "createdAt",
];

/**
 * A Resource that carries nothing but its id (how most connectors name a grant's principal).
 * Checked for every grant, so field by field rather than through reflection.
 */
function isIdOnly(r: Resource): boolean {
  return (
    r.id !== undefined &&
    r.parentResourceId === undefined &&
    r.displayName === "" &&
    r.annotations.length === 0 &&
    r.description === "" &&
    !r.batonResource &&
    r.externalId === undefined &&
    r.creationSource === 0 &&
    r.profile === undefined &&
    r.icon === undefined &&
    r.status === undefined &&
    r.createdAt === undefined &&
    !r.$unknown?.length &&
    !r.id.$unknown?.length
  );
}

/**
 * The raw bytes of a length-delimited field of an encoded message (its last occurrence, as a
 * parser would merge it), or undefined when absent.
 */
export function lengthDelimitedField(message: Uint8Array, field: number): Uint8Array | undefined {
  let found: Uint8Array | undefined;
  forEachField(message, (number, start, end) => {
    if (number === field) found = message.subarray(start, end);
  });
  return found;
}

/** A stored grant's principal (field 2) and sources (field 5) bytes, in one pass. */
export function grantPrincipalAndSources(grant: Uint8Array): { principal?: Uint8Array; sources?: Uint8Array } {
  const out: { principal?: Uint8Array; sources?: Uint8Array } = {};
  forEachField(grant, (number, start, end) => {
    if (number === 2) out.principal = grant.subarray(start, end);
    else if (number === 5) out.sources = grant.subarray(start, end);
  });
  return out;
}

/** Whether an encoded GrantSources has no entries, and whether it has an entry keyed `key` (UTF-8). */
export function sourcesInfo(sources: Uint8Array | undefined, key: Uint8Array): { empty: boolean; has: boolean } {
  let empty = true;
  let has = false;
  if (!sources) return { empty, has };
  forEachField(sources, (number, start, end) => {
    if (number !== 1) return;
    empty = false;
    // A map entry: key = 1 (absent means ""), value = 2.
    let entryKey: Uint8Array = new Uint8Array(0);
    forEachField(sources.subarray(start, end), (n, s, e) => {
      if (n === 1) entryKey = sources.subarray(start + s, start + e);
    });
    if (Buffer.compare(entryKey, key) === 0) has = true;
  });
  return { empty, has };
}

/**
 * deterministicBinary(GrantSourcesSchema, sources), byte for byte, without reflection: entries in
 * Go's key order, each `{1: key, 2: {1: is_direct}}` (key and value always written, a false
 * is_direct left out). Grant expansion encodes one per derived grant, most with many entries.
 * Unknown fields (none in grants this connector writes) take the general path.
 */
export function encodeGrantSources(sources: GrantSources): Uint8Array {
  if (sources.$unknown?.length) return deterministicBinary(GrantSourcesSchema, sources);
  const keys = Object.keys(sources.sources);
  // UTF-16 order (sort's default) is Go's byte order for keys without surrogates, and much cheaper.
  keys.sort(keys.some((k) => SURROGATE.test(k)) ? compareGoStrings : undefined);
  const encodedKeys: Buffer[] = [];
  let size = 0;
  for (const k of keys) {
    const value = sources.sources[k]!;
    if (value.$unknown?.length) return deterministicBinary(GrantSourcesSchema, sources);
    const key = Buffer.from(k, "utf8");
    encodedKeys.push(key);
    const entry = entrySize(key.length, value.isDirect);
    size += 1 + varintSize(entry) + entry;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = encodedKeys[i]!;
    const isDirect = sources.sources[keys[i]!]!.isDirect;
    out[at++] = 0x0a;
    at = writeVarint(out, at, entrySize(key.length, isDirect));
    out[at++] = 0x0a;
    at = writeVarint(out, at, key.length);
    out.set(key, at);
    at += key.length;
    out[at++] = 0x12;
    if (isDirect) {
      out[at++] = 2;
      out[at++] = 0x08;
      out[at++] = 1;
    } else out[at++] = 0;
  }
  return out;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** A GrantSources map entry's size: its key field and its GrantSource value field. */
function entrySize(keyLength: number, isDirect: boolean): number {
  return 1 + varintSize(keyLength) + keyLength + (isDirect ? 4 : 2);
}

/**
 * A deterministically encoded grant with its sources (field 5) replaced: fields before 5 as they
 * are, the new sources, then what follows (unknown fields). Equal to re-encoding the decoded grant
 * with the new sources, without re-encoding its entitlement.
 */
export function withSources(grant: Uint8Array, sources: Uint8Array): Uint8Array {
  const before: Array<[number, number]> = [];
  const after: Array<[number, number]> = [];
  forEachField(grant, (number, _start, _end, fieldStart, fieldEnd) => {
    if (number < 5) before.push([fieldStart, fieldEnd]);
    else if (number > 5) after.push([fieldStart, fieldEnd]);
  });
  const size = [...before, ...after].reduce((n, [a, b]) => n + b - a, 0) + 1 + varintSize(sources.length) + sources.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  const copy = ([a, b]: [number, number]) => {
    out.set(grant.subarray(a, b), at);
    at += b - a;
  };
  before.forEach(copy);
  out[at++] = 0x2a;
  at = writeVarint(out, at, sources.length);
  out.set(sources, at);
  at += sources.length;
  after.forEach(copy);
  return out;
}

/** A deterministically encoded grant without its sources (field 5): as it was before expansion merged any. */
export function withoutSources(grant: Uint8Array): Uint8Array {
  const keep: Array<[number, number]> = [];
  forEachField(grant, (number, _start, _end, fieldStart, fieldEnd) => {
    if (number !== 5) keep.push([fieldStart, fieldEnd]);
  });
  const out = Buffer.allocUnsafe(keep.reduce((n, [a, b]) => n + b - a, 0));
  let at = 0;
  for (const [a, b] of keep) {
    out.set(grant.subarray(a, b), at);
    at += b - a;
  }
  return out;
}

/** Whether an encoded grant carries an annotation (field 4, an Any) of this type URL. */
export function grantHasAnnotation(grant: Uint8Array, typeUrl: string): boolean {
  const wanted = Buffer.from(typeUrl, "utf8");
  let found = false;
  forEachField(grant, (number, start, end) => {
    if (found || number !== 4) return;
    const annotation = grant.subarray(start, end);
    forEachField(annotation, (n, s, e) => {
      if (n === 1 && Buffer.compare(annotation.subarray(s, e), wanted) === 0) found = true;
    });
  });
  return found;
}

/**
 * Calls `visit` for each field of an encoded message: its number, its value's bounds (the payload
 * of a length-delimited field; the varint/fixed bytes otherwise), and the whole field's bounds.
 */
function forEachField(
  message: Uint8Array,
  visit: (number: number, start: number, end: number, fieldStart: number, fieldEnd: number) => void,
): void {
  let at = 0;
  while (at < message.length) {
    const fieldStart = at;
    const [key, next] = readVarint(message, at);
    at = next;
    const number = Math.floor(key / 8);
    let start = at;
    switch (key & 7) {
      case 0:
        at = readVarint(message, at)[1];
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const [len, payload] = readVarint(message, at);
        start = payload;
        at = payload + len;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        throw new Error("unsupported protobuf wire type (groups are not used by these messages)");
    }
    if (at > message.length) throw new Error("truncated protobuf message");
    visit(number, start, at, fieldStart, at);
  }
}

export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

export function writeVarint(buf: Uint8Array, at: number, n: number): number {
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
