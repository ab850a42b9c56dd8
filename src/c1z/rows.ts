import { toBinary } from "@bufbuild/protobuf";
import { anyIs, anyUnpack } from "@bufbuild/protobuf/wkt";
import { GrantExpandableSchema, type GrantExpandable } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import { EntitlementSchema, type Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Grant } from "../gen/c1/connector/v2/grant_pb.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { GrantEncoder } from "./grant-bytes.js";
import { encodeResources } from "./resource-bytes.js";
import { deterministicBinary } from "./proto-bytes.js";

/**
 * Records as the c1z tables hold them: their column values and deterministic `data` bytes,
 * column by column. Encoding happens where the records are (the sync engine's thread), writing
 * where the database is (C1zWriter, on the store's thread). A batch is a few flat arrays and one
 * buffer, so it crosses between threads as a cheap structured clone; protobuf messages are graphs
 * of small objects, which cost more to clone than to encode.
 */
export interface Blobs {
  /** Every row's bytes, back to back: row i spans [ends[i - 1] ?? 0, ends[i]). */
  data: Uint8Array;
  ends: Uint32Array;
}

export interface ResourceRows extends Blobs {
  resourceTypeIds: string[];
  externalIds: string[];
  parentTypeIds: Array<string | null>;
  parentIds: Array<string | null>;
}

export interface EntitlementRows extends Blobs {
  resourceTypeIds: string[];
  resourceIds: string[];
  ids: string[];
}

/**
 * A text column of a batch: one value per row, or — a plain string — the one value every row has
 * (the grants of one listing nearly always share their entitlement and principal type), which
 * crosses to the store's thread once and is bound to SQLite once per statement.
 */
export type TextColumn = string | string[];

export function textAt(column: TextColumn, i: number): string {
  return typeof column === "string" ? column : column[i]!;
}

/** Grants without their GrantExpandable annotations, which move to `expansions` (baton's columns). */
export interface GrantRows extends Blobs {
  /** The entitlement's resource. */
  resourceTypeIds: TextColumn;
  resourceIds: TextColumn;
  entitlementIds: TextColumn;
  principalTypeIds: TextColumn;
  principalIds: string[];
  /** The grants' ids; absent when every one is baton's conventional id (conventionalGrantId). */
  ids?: string[];
  /** The serialized GrantExpandable of each row (null: none); absent when no row has one. */
  expansions?: Array<Uint8Array | null>;
}

/** baton's convention for a grant's id: "<entitlement id>:<principal type>:<principal id>". */
export function conventionalGrantId(entitlementId: string, principalTypeId: string, principalId: string): string {
  return `${entitlementId}:${principalTypeId}:${principalId}`;
}

export function grantIdAt(rows: GrantRows, i: number): string {
  return rows.ids ? rows.ids[i]! : conventionalGrantId(textAt(rows.entitlementIds, i), textAt(rows.principalTypeIds, i), rows.principalIds[i]!);
}

/** Whether `id` is conventionalGrantId(entitlementId, principalTypeId, principalId), without building that string. */
function isConventionalGrantId(id: string, entitlementId: string, principalTypeId: string, principalId: string): boolean {
  const typeAt = entitlementId.length + 1;
  const principalAt = typeAt + principalTypeId.length + 1;
  return (
    id.length === principalAt + principalId.length &&
    id.charCodeAt(typeAt - 1) === 58 &&
    id.charCodeAt(principalAt - 1) === 58 &&
    id.startsWith(entitlementId) &&
    id.startsWith(principalTypeId, typeAt) &&
    id.endsWith(principalId)
  );
}

/** Builds a TextColumn: stays one shared value until a row differs. */
class TextColumnBuilder {
  #values: string[] | undefined;
  #count = 0;
  constructor(private readonly shared: string) {}

  add(value: string): void {
    if (this.#values) this.#values.push(value);
    else if (value !== this.shared) {
      this.#values = new Array<string>(this.#count).fill(this.shared);
      this.#values.push(value);
    }
    this.#count++;
  }

  get column(): TextColumn {
    return this.#values ?? this.shared;
  }
}

export function rowCount(rows: Blobs): number {
  return rows.ends.length;
}

export function blobAt(rows: Blobs, i: number): Uint8Array {
  return rows.data.subarray(i === 0 ? 0 : rows.ends[i - 1], rows.ends[i]);
}

/** The rows at `indices` (in that order), as a batch of their own. */
export function pickGrantRows(rows: GrantRows, indices: readonly number[]): GrantRows {
  const pick = <T>(column: T[]) => indices.map((i) => column[i]!);
  const text = (column: TextColumn): TextColumn => (typeof column === "string" ? column : pick(column));
  const out: GrantRows = {
    ...pack(indices, (i) => blobAt(rows, i)),
    resourceTypeIds: text(rows.resourceTypeIds),
    resourceIds: text(rows.resourceIds),
    entitlementIds: text(rows.entitlementIds),
    principalTypeIds: text(rows.principalTypeIds),
    principalIds: pick(rows.principalIds),
  };
  if (rows.ids) out.ids = pick(rows.ids);
  if (rows.expansions) out.expansions = pick(rows.expansions);
  return out;
}

/** The rows at `indices` (in that order), as a batch of their own. */
export function pickEntitlementRows(rows: EntitlementRows, indices: readonly number[]): EntitlementRows {
  const pick = <T>(column: T[]) => indices.map((i) => column[i]!);
  return { ...pack(indices, (i) => blobAt(rows, i)), resourceTypeIds: pick(rows.resourceTypeIds), resourceIds: pick(rows.resourceIds), ids: pick(rows.ids) };
}

export function resourceExternalId(resourceType: string, resource: string): string {
  return `${resourceType}:${resource}`;
}

/**
 * baton stores a grant without its GrantExpandable annotation(s); the first one goes, serialized,
 * into the `expansion` column — only when it names at least one non-blank entitlement id.
 */
export function splitExpansion(grant: Grant): { stored: Grant; expansion?: Uint8Array } {
  const annotations = grant.annotations;
  const first = annotations.find((a) => anyIs(a, GrantExpandableSchema));
  if (!first) return { stored: grant };
  const stored: Grant = { ...grant, annotations: annotations.filter((a) => !anyIs(a, GrantExpandableSchema)) };
  let annotation: GrantExpandable | undefined;
  try {
    annotation = anyUnpack(first, GrantExpandableSchema);
  } catch {
    return { stored };
  }
  if (!annotation || !annotation.entitlementIds.some((id) => id.trim() !== "")) return { stored };
  return { stored, expansion: toBinary(GrantExpandableSchema, annotation) };
}

/** Encodes records into rows; keeps the sub-message bytes grants share (see GrantEncoder). */
export class RowEncoder {
  readonly #grants = new GrantEncoder();

  resources(list: readonly Resource[]): ResourceRows {
    const rows: ResourceRows = { resourceTypeIds: [], externalIds: [], parentTypeIds: [], parentIds: [], ...encodeResources(list) };
    for (const r of list) {
      const id = r.id!;
      const parent = r.parentResourceId;
      rows.resourceTypeIds.push(id.resourceType);
      rows.externalIds.push(resourceExternalId(id.resourceType, id.resource));
      rows.parentTypeIds.push(parent ? parent.resourceType : null);
      rows.parentIds.push(parent ? parent.resource : null);
    }
    return rows;
  }

  entitlements(list: readonly Entitlement[]): EntitlementRows {
    const rows: EntitlementRows = { resourceTypeIds: [], resourceIds: [], ids: [], ...pack(list, (e) => deterministicBinary(EntitlementSchema, e)) };
    for (const e of list) {
      const rid = e.resource!.id!;
      rows.resourceTypeIds.push(rid.resourceType);
      rows.resourceIds.push(rid.resource);
      rows.ids.push(e.id);
    }
    return rows;
  }

  grants(list: readonly Grant[]): GrantRows {
    // Most grants carry no annotation at all: nothing to split.
    let stored: readonly Grant[] = list;
    let expansions: Array<Uint8Array | null> | undefined;
    for (let i = 0; i < list.length; i++) {
      if (list[i]!.annotations.length === 0) continue;
      const split = splitExpansion(list[i]!);
      if (split.stored === list[i]) continue;
      if (stored === list) stored = [...list];
      (stored as Grant[])[i] = split.stored;
      if (split.expansion) (expansions ??= new Array<Uint8Array | null>(list.length).fill(null))[i] = split.expansion;
    }
    const first = list[0];
    const firstResource = first?.entitlement?.resource?.id;
    const resourceTypeIds = new TextColumnBuilder(firstResource?.resourceType ?? "");
    const resourceIds = new TextColumnBuilder(firstResource?.resource ?? "");
    const entitlementIds = new TextColumnBuilder(first?.entitlement?.id ?? "");
    const principalTypeIds = new TextColumnBuilder(first?.principal?.id?.resourceType ?? "");
    const principalIds: string[] = [];
    let ids: string[] | undefined;
    // Which ids are conventional: the encoder writes those from their parts rather than reading them again.
    const conventional = new Uint8Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const grant = list[i]!;
      const resource = grant.entitlement!.resource!.id!;
      const principal = grant.principal!.id!;
      resourceTypeIds.add(resource.resourceType);
      resourceIds.add(resource.resource);
      entitlementIds.add(grant.entitlement!.id);
      principalTypeIds.add(principal.resourceType);
      principalIds.push(principal.resource);
      const isConventional = isConventionalGrantId(grant.id, grant.entitlement!.id, principal.resourceType, principal.resource);
      conventional[i] = isConventional ? 1 : 0;
      if (ids) ids.push(grant.id);
      else if (!isConventional) ids = list.slice(0, i + 1).map((g) => g.id);
    }
    const rows: GrantRows = {
      ...this.#grants.encodeAll(stored, conventional),
      resourceTypeIds: resourceTypeIds.column,
      resourceIds: resourceIds.column,
      entitlementIds: entitlementIds.column,
      principalTypeIds: principalTypeIds.column,
      principalIds,
    };
    if (ids) rows.ids = ids;
    if (expansions) rows.expansions = expansions;
    return rows;
  }
}

/** Encodes each item and packs the bytes into one buffer of its own (so it can be transferred). */
function pack<T>(list: readonly T[], encode: (item: T) => Uint8Array): Blobs {
  const parts = list.map(encode);
  const ends = new Uint32Array(parts.length);
  let size = 0;
  parts.forEach((part, i) => (ends[i] = size += part.length));
  const data = new Uint8Array(size);
  parts.forEach((part, i) => data.set(part, i === 0 ? 0 : ends[i - 1]));
  return { data, ends };
}
