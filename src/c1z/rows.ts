import { toBinary } from "@bufbuild/protobuf";
import { anyIs, anyUnpack } from "@bufbuild/protobuf/wkt";
import { GrantExpandableSchema, type GrantExpandable } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import { EntitlementSchema, type Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Grant } from "../gen/c1/connector/v2/grant_pb.js";
import { ResourceSchema, type Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { GrantEncoder } from "./grant-bytes.js";
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

/** Grants without their GrantExpandable annotations, which move to `expansions` (baton's columns). */
export interface GrantRows extends Blobs {
  /** The entitlement's resource. */
  resourceTypeIds: string[];
  resourceIds: string[];
  entitlementIds: string[];
  principalTypeIds: string[];
  principalIds: string[];
  ids: string[];
  /** The serialized GrantExpandable of each row (null: none); absent when no row has one. */
  expansions?: Array<Uint8Array | null>;
}

export function rowCount(rows: Blobs): number {
  return rows.ends.length;
}

export function blobAt(rows: Blobs, i: number): Uint8Array {
  return rows.data.subarray(i === 0 ? 0 : rows.ends[i - 1], rows.ends[i]);
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
    const rows: ResourceRows = { resourceTypeIds: [], externalIds: [], parentTypeIds: [], parentIds: [], ...pack(list, (r) => deterministicBinary(ResourceSchema, r)) };
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
    const expansions: Array<Uint8Array | null> = [];
    let expandable = false;
    const rows: GrantRows = {
      resourceTypeIds: [],
      resourceIds: [],
      entitlementIds: [],
      principalTypeIds: [],
      principalIds: [],
      ids: [],
      ...pack(list, (grant) => {
        // Most grants carry no annotation at all: nothing to split.
        const split = grant.annotations.length > 0 ? splitExpansion(grant) : undefined;
        expansions.push(split?.expansion ?? null);
        if (split?.expansion) expandable = true;
        return this.#grants.encode(split?.stored ?? grant);
      }),
    };
    if (expandable) rows.expansions = expansions;
    for (const grant of list) {
      const resource = grant.entitlement!.resource!.id!;
      const principal = grant.principal!.id!;
      rows.resourceTypeIds.push(resource.resourceType);
      rows.resourceIds.push(resource.resource);
      rows.entitlementIds.push(grant.entitlement!.id);
      rows.principalTypeIds.push(principal.resourceType);
      rows.principalIds.push(principal.resource);
      rows.ids.push(grant.id);
    }
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
