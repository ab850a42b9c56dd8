import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs, type Any } from "@bufbuild/protobuf/wkt";
import { annotation } from "../connector/annotations.js";
import { GrantMetadataSchema } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import {
  AppTraitSchema,
  AppTrait_AppFlag,
  GroupTraitSchema,
  NonHumanIdentityTraitSchema,
  RoleTraitSchema,
  ScopeBindingTraitSchema,
  SecretTraitSchema,
  SecretTrait_CredentialType,
  UserTraitSchema,
  UserTrait_AccountType,
  UserTrait_Status_Status,
  type NonHumanIdentityTrait_NhiType,
} from "../gen/c1/connector/v2/annotation_trait_pb.js";
import { EntitlementSchema, Entitlement_PurposeValue, type Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Grant } from "../gen/c1/connector/v2/grant_pb.js";
import {
  ResourceSchema,
  Status_ResourceStatus,
  type Resource,
  type ResourceType,
} from "../gen/c1/connector/v2/resource_pb.js";
import { entitlementId, grantId } from "./ids.js";
import { grantableForm } from "./resource-types.js";

/**
 * Builders for baton messages, filling what baton-sdk's Go helpers (pkg/types/resource,
 * entitlement, grant) fill: the trait annotation a USER/GROUP/ROLE/APP type requires, the
 * profile/status/created_at on the Resource (fields 9–12) *and* on the deprecated trait fields
 * that older readers still look at, user traits defaulting to enabled human accounts, and the
 * conventional entitlement and grant ids.
 */

export { Status_ResourceStatus, UserTrait_Status_Status, AppTrait_AppFlag, SecretTrait_CredentialType };

export interface ResourceStatus {
  status: Status_ResourceStatus;
  details?: string;
}

export interface ResourceInit {
  type: ResourceType;
  id: string;
  displayName: string;
  parent?: ResourceRef;
  description?: string;
  profile?: JsonObject;
  status?: ResourceStatus;
  /** Epoch milliseconds. */
  createdAt?: number;
  /** Annotations besides the trait (V1Identifier, ChildResourceType, …), in order. */
  annotations?: Any[];
}

function baseResource(init: ResourceInit, trait: Any[]): Resource {
  return create(ResourceSchema, {
    id: { resourceType: init.type.id, resource: init.id },
    parentResourceId: init.parent ? { resourceType: init.parent.resourceType, resource: init.parent.resource } : undefined,
    displayName: init.displayName,
    description: init.description ?? "",
    annotations: [...(init.annotations ?? []), ...trait],
    profile: init.profile,
    status: init.status ? { status: init.status.status, details: init.status.details ?? "" } : undefined,
    createdAt: init.createdAt === undefined ? undefined : timestampFromMs(init.createdAt),
  });
}

export interface UserTraitInit {
  emails: Array<{ address: string; primary: boolean }>;
  login?: string;
  /** Default: enabled (as baton-sdk's NewUserTrait). */
  status?: { status: UserTrait_Status_Status; details?: string };
  accountType?: UserTrait_AccountType;
  structuredName?: { givenName: string; familyName: string };
  /** Epoch milliseconds. */
  lastLogin?: number;
}

export function userResource(init: ResourceInit, trait: UserTraitInit): Resource {
  const status = trait.status ?? { status: UserTrait_Status_Status.ENABLED };
  const userTrait = annotation(UserTraitSchema, {
    emails: trait.emails.filter((e) => e.address !== "").map((e) => ({ address: e.address, isPrimary: e.primary })),
    status: { status: status.status, details: status.details ?? "" },
    profile: init.profile,
    accountType: trait.accountType ?? UserTrait_AccountType.HUMAN,
    login: trait.login ?? "",
    createdAt: init.createdAt === undefined ? undefined : timestampFromMs(init.createdAt),
    structuredName: trait.structuredName,
    lastLogin: trait.lastLogin === undefined ? undefined : timestampFromMs(trait.lastLogin),
  });
  // The trait's status is copied up unless the resource has its own (baton-sdk does the same).
  const resourceStatus = init.status ?? { status: status.status as number as Status_ResourceStatus, details: status.details };
  return baseResource({ ...init, status: resourceStatus }, [userTrait]);
}

export function groupResource(init: ResourceInit): Resource {
  return baseResource(init, [annotation(GroupTraitSchema, { profile: init.profile })]);
}

export function roleResource(init: ResourceInit, nhi?: { type: NonHumanIdentityTrait_NhiType; detail: string }): Resource {
  const extra = nhi ? [annotation(NonHumanIdentityTraitSchema, { nhiType: nhi.type, nhiDetail: nhi.detail })] : [];
  return baseResource({ ...init, annotations: [...(init.annotations ?? []), ...extra] }, [
    annotation(RoleTraitSchema, { profile: init.profile }),
  ]);
}

export function appResource(init: ResourceInit, flags: AppTrait_AppFlag[] = []): Resource {
  return baseResource(init, [annotation(AppTraitSchema, { profile: init.profile, flags })]);
}

/** A resource with no trait (baton-sdk's NewResource), e.g. an organisation root. */
export function plainResource(init: ResourceInit): Resource {
  return baseResource(init, []);
}

/** A role in a scope: `role` names the role resource, `scope` what it applies to. */
export function scopeBindingResource(init: ResourceInit, binding: { role: ResourceRef; scope: ResourceRef }): Resource {
  const trait = annotation(ScopeBindingTraitSchema, {
    roleId: { resourceType: binding.role.resourceType, resource: binding.role.resource },
    scopeResourceId: { resourceType: binding.scope.resourceType, resource: binding.scope.resource },
  });
  return baseResource(init, [trait]);
}

export interface SecretTraitInit {
  credentialType: SecretTrait_CredentialType;
  credentialDetail: string;
  /** The identity the secret authenticates as (and, for AWS access keys, who created it). */
  identity?: ResourceRef;
  createdBy?: ResourceRef;
  /** Epoch milliseconds. */
  lastUsedAt?: number;
}

/** A credential's metadata (never the credential itself). */
export function secretResource(init: ResourceInit, trait: SecretTraitInit): Resource {
  const ref = (id: ResourceRef | undefined) => (id ? { resourceType: id.resourceType, resource: id.resource } : undefined);
  return baseResource(init, [
    annotation(SecretTraitSchema, {
      credentialType: trait.credentialType,
      credentialDetail: trait.credentialDetail,
      identityId: ref(trait.identity),
      createdById: ref(trait.createdBy),
      lastUsedAt: trait.lastUsedAt === undefined ? undefined : timestampFromMs(trait.lastUsedAt),
    }),
  ]);
}

export interface EntitlementInit {
  resource: Resource;
  slug: string;
  /** Default: the conventional "<type>:<resource>:<slug>". */
  id?: string;
  displayName: string;
  description: string;
  grantableTo: ResourceType[];
  annotations?: Any[];
}

export function assignmentEntitlement(init: EntitlementInit): Entitlement {
  const resourceId = init.resource.id!;
  return create(EntitlementSchema, {
    resource: init.resource,
    id: init.id ?? entitlementId(resourceId.resourceType, resourceId.resource, init.slug),
    displayName: init.displayName,
    description: init.description,
    grantableTo: init.grantableTo.map(grantableForm),
    annotations: init.annotations ?? [],
    purpose: Entitlement_PurposeValue.ASSIGNMENT,
    slug: init.slug,
  });
}

/** The entitlement as grants reference it when the Go helpers build them: id and resource only. */
export function entitlementRef(resource: Resource, slug: string): Entitlement {
  const resourceId = resource.id!;
  return create(EntitlementSchema, { resource, id: entitlementId(resourceId.resourceType, resourceId.resource, slug) });
}

/** A resource as grants and traits name it: resource type id and resource id. */
export interface ResourceRef {
  resourceType: string;
  resource: string;
}

export type PrincipalRef = ResourceRef;

export interface GrantInit {
  entitlement: Entitlement;
  principal: PrincipalRef;
  /** Default: the conventional "<entitlement id>:<principal type>:<principal id>". */
  id?: string;
  annotations?: Any[];
}

/**
 * Equal to create(GrantSchema, {entitlement, principal: {id}, id, annotations}) (a test holds it
 * to that), written as literals: connectors build one per grant, millions per sync, and create()
 * walks every field of Grant, Resource and ResourceId by name for each.
 */
export function newGrant(init: GrantInit): Grant {
  const { entitlement, principal } = init;
  return {
    $typeName: "c1.connector.v2.Grant",
    entitlement,
    principal: idOnlyResource(principal.resourceType, principal.resource),
    id: init.id ?? grantId(entitlement.id, principal.resourceType, principal.resource),
    annotations: init.annotations ?? [],
  };
}

/** create(ResourceSchema, {id: {resourceType, resource}}), as a literal (see newGrant). */
function idOnlyResource(resourceType: string, resource: string): Resource {
  return {
    $typeName: "c1.connector.v2.Resource",
    id: { $typeName: "c1.connector.v2.ResourceId", resourceType, resource, batonResource: false },
    displayName: "",
    annotations: [],
    description: "",
    batonResource: false,
    creationSource: 0,
  };
}

export function grantMetadata(metadata: JsonObject): Any {
  return annotation(GrantMetadataSchema, { metadata });
}

export const principalRef = (type: ResourceType, resource: string): PrincipalRef => ({ resourceType: type.id, resource });

/** AWS SDK dates → epoch milliseconds (undefined stays undefined). */
export const epochMs = (date: Date | undefined): number | undefined => (date === undefined ? undefined : date.getTime());
