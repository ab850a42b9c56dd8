import type { JsonObject } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { annotation } from "../connector/annotations.js";
import type { ResourceSyncer } from "../connector/resource-syncer.js";
import { GrantExpandableSchema } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import { NonHumanIdentityTrait_NhiType } from "../gen/c1/connector/v2/annotation_trait_pb.js";
import { V1IdentifierSchema } from "../gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { assignmentEntitlement, entitlementRef, grantMetadata, newGrant, principalRef, roleResource, type ResourceRef } from "./baton-shapes.js";
import { iamEntityLookup } from "./iam-lookup.js";
import { hasInlinePolicies } from "./inline-policy.js";
import { iamAccountOf, type IamRoleEntry } from "./iam-snapshot.js";
import { ASSIGNMENT_SLUG, ResourceTypeIds, accountIdFromArn, entitlementId, v1MembershipEntitlementId } from "./ids.js";
import type { SyncerDeps } from "./index.js";
import { MEMORY_PAGE_SIZE, offsetPage } from "./paging.js";
import type { ResourceTypes } from "./resource-types.js";
import type { TrustedAssumer } from "./trust-policy.js";

/**
 * `role` (IAM): roles from the account's IAM snapshot, with baton-aws's non-human-identity
 * classification; one `assignment` entitlement whose grants are the IAM users and roles the trust
 * policy lets call sts:AssumeRole (trust-policy.ts has the rules). A role principal's grant is
 * expandable: whoever may assume that role may, through it, assume this one.
 */
export function createIamRoleSyncer(deps: SyncerDeps): ResourceSyncer {
  const { types, snapshots, ctx } = deps;
  const type = types.iamRole;
  const lookup = iamEntityLookup(deps, (snapshot) => snapshot.rolesByArn);
  return {
    resourceType: type,
    async listResources(parent, state, call) {
      const snapshot = await snapshots.forAccount(iamAccountOf(parent, type.id), call);
      return offsetPage(snapshot.roles, state, MEMORY_PAGE_SIZE, (role) => iamRoleResource(types, role, parent));
    },
    async listEntitlements(resource) {
      return { items: [iamRoleAssignmentEntitlement(types, resource)] };
    },
    async listGrants(resource, _state, call) {
      const arn = resource.id!.resource;
      const snapshot = await snapshots.forAccount(accountIdFromArn(arn), call);
      const role = snapshot.rolesByArn.get(arn);
      if (!role) {
        ctx.log.warn({ role: arn }, "IAM role not found in its account's snapshot; no grants");
        return { items: [] };
      }
      if (role.trust.error) ctx.log.warn({ role: arn, error: role.trust.error }, "unreadable trust policy; no grants for this role");
      const entitlement = entitlementRef(resource, ASSIGNMENT_SLUG);
      // A trust policy is at most a few KB, so its grants always fit one page.
      return {
        items: role.trust.assumers.map((assumer) =>
          newGrant({
            entitlement,
            principal: principalRef(assumer.kind === "user" ? types.iamUser : types.iamRole, assumer.arn),
            annotations: trustGrantAnnotations(assumer),
          }),
        ),
      };
    },
    async getResource(id, _parent, call) {
      const found = await lookup(id.resource, call);
      return found && iamRoleResource(types, found.entry, found.parent);
    },
  };
}

function trustGrantAnnotations(assumer: TrustedAssumer): Any[] {
  const annotations: Any[] = [];
  if (assumer.kind === "role") {
    annotations.push(
      annotation(GrantExpandableSchema, { entitlementIds: [entitlementId(ResourceTypeIds.iamRole, assumer.arn, ASSIGNMENT_SLUG)] }),
    );
  }
  if (assumer.conditions.length > 0 || assumer.conditionalDenies.length > 0) {
    const metadata: JsonObject = {};
    if (assumer.conditions.length > 0) metadata.conditions = assumer.conditions;
    if (assumer.conditionalDenies.length > 0) metadata.conditional_denies = assumer.conditionalDenies;
    annotations.push(grantMetadata(metadata));
  }
  return annotations;
}

export function iamRoleResource(types: ResourceTypes, role: IamRoleEntry, parent: ResourceRef | undefined): Resource {
  const profile: JsonObject = {
    aws_arn: role.arn,
    aws_path: role.path,
    aws_tags: role.tags,
    aws_role_name: role.name,
    aws_role_description: role.description ?? "",
    aws_role_id: role.id,
  };
  if (role.maxSessionDuration !== undefined) profile.aws_max_session_duration_seconds = role.maxSessionDuration;
  if (role.lastUsedAt !== undefined) profile.aws_role_last_used_at = new Date(role.lastUsedAt).toISOString();
  if (role.lastUsedRegion) profile.aws_role_last_used_region = role.lastUsedRegion;
  // What the trust policy trusts besides named users and roles: visible to reviewers, never a grant.
  const trust = role.trust;
  if (trust.services.length > 0) profile.aws_trusted_services = trust.services;
  if (trust.federated.length > 0) profile.aws_trusted_federated = trust.federated;
  if (trust.trustedAccounts.length > 0) profile.aws_trusted_accounts = trust.trustedAccounts;
  if (trust.trustsAnyone) profile.aws_trusts_any_principal = true;
  if (trust.unresolvedPrincipals.length > 0) profile.aws_trust_unresolved_principals = trust.unresolvedPrincipals;
  if (trust.error) profile.aws_trust_policy_error = trust.error;
  return roleResource(
    {
      type: types.iamRole,
      id: role.arn,
      displayName: role.name,
      parent,
      profile,
      createdAt: role.createdAt,
      description: role.description ?? "",
      annotations: [annotation(V1IdentifierSchema, { id: role.arn }), hasInlinePolicies()],
    },
    {
      type: trust.nhi.managed ? NonHumanIdentityTrait_NhiType.MANAGED_IDENTITY : NonHumanIdentityTrait_NhiType.ASSUMABLE_ROLE,
      detail: trust.nhi.detail,
    },
  );
}

export function iamRoleAssignmentEntitlement(types: ResourceTypes, role: Resource) {
  return assignmentEntitlement({
    resource: role,
    slug: ASSIGNMENT_SLUG,
    displayName: `${role.displayName} Role`,
    description: `Can assume the ${role.displayName} role in AWS`,
    grantableTo: [types.iamUser, types.iamRole, types.iamGroup, types.ssoUser],
    annotations: [annotation(V1IdentifierSchema, { id: v1MembershipEntitlementId(role.id!.resource) })],
  });
}
