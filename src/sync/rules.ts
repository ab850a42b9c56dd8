import type { DescMessage } from "@bufbuild/protobuf";
import { anyIs, type Any } from "@bufbuild/protobuf/wkt";
import {
  ChildResourceTypeSchema,
  SkipEntitlementsAndGrantsSchema,
  SkipEntitlementsSchema,
  SkipGrantsSchema,
} from "../gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { AppTraitSchema, GroupTraitSchema, RoleTraitSchema, UserTraitSchema } from "../gen/c1/connector/v2/annotation_trait_pb.js";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Grant } from "../gen/c1/connector/v2/grant_pb.js";
import { ResourceType_Trait, type Resource, type ResourceType } from "../gen/c1/connector/v2/resource_pb.js";
import { findAnnotation } from "../connector/annotations.js";

/** The sync rules baton's syncer applies to what a connector returns (pkg/sync, v0.25.0). */

const has = (annotations: readonly Any[], schema: DescMessage) => annotations.some((a) => anyIs(a, schema));

export interface TypeFlags {
  skipEntitlementsAndGrants: boolean;
  skipEntitlements: boolean;
  skipGrants: boolean;
  traits: ResourceType_Trait[];
}

export function typeFlags(rt: ResourceType): TypeFlags {
  return {
    skipEntitlementsAndGrants: has(rt.annotations, SkipEntitlementsAndGrantsSchema),
    skipEntitlements: has(rt.annotations, SkipEntitlementsSchema),
    skipGrants: has(rt.annotations, SkipGrantsSchema),
    traits: rt.traits,
  };
}

/** SkipEntitlements / SkipEntitlementsAndGrants, on the resource or on its type. */
export function skipsEntitlements(resource: Resource, type: TypeFlags | undefined): boolean {
  const a = resource.annotations;
  return (
    has(a, SkipEntitlementsAndGrantsSchema) ||
    has(a, SkipEntitlementsSchema) ||
    (type?.skipEntitlementsAndGrants ?? false) ||
    (type?.skipEntitlements ?? false)
  );
}

/**
 * SkipGrants / SkipEntitlementsAndGrants, on the resource or on its type. (baton v0.25.0 ignores a
 * SkipGrants on the *type*; we honour it, as the annotation's documentation says.)
 */
export function skipsGrants(resource: Resource, type: TypeFlags | undefined): boolean {
  const a = resource.annotations;
  return has(a, SkipEntitlementsAndGrantsSchema) || has(a, SkipGrantsSchema) || (type?.skipEntitlementsAndGrants ?? false) || (type?.skipGrants ?? false);
}

/** ChildResourceType annotations of a resource, in order. */
export function childTypeIds(resource: Resource): string[] {
  const out: string[] = [];
  for (const any of resource.annotations) {
    if (anyIs(any, ChildResourceTypeSchema)) {
      const child = findAnnotation([any], ChildResourceTypeSchema);
      if (child && child.resourceTypeId !== "") out.push(child.resourceTypeId);
    }
  }
  return out;
}

const TRAIT_ANNOTATIONS: Partial<Record<ResourceType_Trait, DescMessage>> = {
  [ResourceType_Trait.USER]: UserTraitSchema,
  [ResourceType_Trait.GROUP]: GroupTraitSchema,
  [ResourceType_Trait.ROLE]: RoleTraitSchema,
  [ResourceType_Trait.APP]: AppTraitSchema,
};
const SECRET_TRAIT = "c1.connector.v2.SecretTrait";

/** A resource must carry the trait annotation its type declares; returns the missing one, if any. */
export function missingTrait(resource: Resource, type: TypeFlags | undefined): string | undefined {
  for (const trait of type?.traits ?? []) {
    if (trait === ResourceType_Trait.SECRET) {
      if (!resource.annotations.some((a) => a.typeUrl.endsWith(`/${SECRET_TRAIT}`))) return "SecretTrait";
      continue;
    }
    const schema = TRAIT_ANNOTATIONS[trait];
    if (schema && !has(resource.annotations, schema)) return schema.name;
  }
  return undefined;
}

/** baton hosts send active_sync_id only to connectors reporting sdk_version ≥ 0.4.3. */
export function sendsActiveSyncId(sdkVersion: string): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(sdkVersion.trim());
  if (!m) return false;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (major !== 0) return major > 0;
  if (minor !== 4) return minor > 4;
  return patch >= 3;
}

/** The resource-level identity a baton syncer requires; records without it are dropped. */
export function hasIdentity(resource: Resource | undefined): resource is Resource & { id: NonNullable<Resource["id"]> } {
  return !!resource?.id && resource.id.resourceType !== "" && resource.id.resource !== "";
}

/** baton keeps entitlements with an id and a resource of a type this sync has. */
export function keptEntitlements(types: ReadonlyMap<string, TypeFlags>, items: readonly Entitlement[]): Entitlement[] {
  return items.filter((e) => e.id !== "" && hasIdentity(e.resource) && types.has(e.resource.id.resourceType));
}

/**
 * baton keeps grants with an id, an entitlement with a resource and a principal, both of resource
 * types this sync has (its fresh-ingest filter).
 */
export function keptGrants(types: ReadonlyMap<string, TypeFlags>, items: readonly Grant[]): Grant[] {
  return items.filter(
    (g) =>
      g.id !== "" &&
      !!g.entitlement &&
      g.entitlement.id !== "" &&
      hasIdentity(g.entitlement.resource) &&
      hasIdentity(g.principal) &&
      types.has(g.entitlement.resource.id.resourceType) &&
      types.has(g.principal.id.resourceType),
  );
}
