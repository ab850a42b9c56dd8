import { create } from "@bufbuild/protobuf";
import { annotation } from "../connector/annotations.js";
import { GrantExpandableSchema } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import { V1IdentifierSchema } from "../gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema, type Grant } from "../gen/c1/connector/v2/grant_pb.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import {
  MEMBER_SLUG,
  ResourceTypeIds,
  accountGrantId,
  entitlementId,
  grantId,
  v1GrantId,
  v1MembershipEntitlementId,
} from "../resources/ids.js";
import type { AssignmentTarget, IamMembershipTarget, SsoMembershipTarget } from "./targets.js";

/**
 * The grants a successful Grant answers with, shaped exactly as the syncers emit them for the same
 * access (same ids and annotations), so a platform can match the answer to its next sync.
 */

export function iamMembershipGrant(entitlement: Entitlement, principal: Resource, target: IamMembershipTarget): Grant {
  return create(GrantSchema, {
    id: grantId(entitlement.id, ResourceTypeIds.iamUser, target.userArn),
    entitlement,
    principal,
    annotations: [annotation(V1IdentifierSchema, { id: v1GrantId(v1MembershipEntitlementId(target.groupArn), target.userArn) })],
  });
}

/** Identity Store memberships are identified by their MembershipId (what Revoke needs), as baton-aws does. */
export function ssoMembershipGrant(
  entitlement: Entitlement,
  principal: Resource,
  target: SsoMembershipTarget,
  membershipId: string,
): Grant {
  return create(GrantSchema, {
    id: membershipId,
    entitlement,
    principal,
    annotations: [annotation(V1IdentifierSchema, { id: v1GrantId(v1MembershipEntitlementId(target.groupArn), target.userArn) })],
  });
}

export function assignmentGrant(entitlement: Entitlement, principal: Resource, target: AssignmentTarget): Grant {
  const annotations = [annotation(V1IdentifierSchema, { id: v1GrantId(entitlement.id, target.principalArn) })];
  if (target.principalType === "GROUP") {
    // Members of the group hold the assignment too; baton expands it through the group's member entitlement.
    annotations.push(
      annotation(GrantExpandableSchema, {
        entitlementIds: [entitlementId(ResourceTypeIds.ssoGroup, target.principalArn, MEMBER_SLUG)],
      }),
    );
  }
  return create(GrantSchema, {
    id: accountGrantId(target.principalTypeId, target.principalArn, entitlement.id),
    entitlement,
    principal,
    annotations,
  });
}
