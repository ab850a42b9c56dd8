import { DescribeGroupCommand, ListGroupMembershipsCommand, ListGroupsCommand, type Group } from "@aws-sdk/client-identitystore";
import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { isNotFound, orNotFound } from "../aws/errors.js";
import { annotation } from "../connector/annotations.js";
import type { ResourceSyncer } from "../connector/resource-syncer.js";
import { V1IdentifierSchema } from "../gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { assignmentEntitlement, entitlementRef, epochMs, groupResource, newGrant, principalRef } from "./baton-shapes.js";
import { SSO_PAGE_SIZE } from "./identity-center.js";
import { MEMBER_SLUG, parseIdentityStoreArn, ssoGroupArn, ssoUserArn, v1GrantId, v1MembershipEntitlementId } from "./ids.js";
import type { SyncerDeps } from "./index.js";
import { advancingPage, nextToken, stateToken, tokenPage } from "./paging.js";
import type { ResourceTypes } from "./resource-types.js";

/**
 * `sso_group`: Identity Store groups, streamed one ListGroups page per connector page; one
 * `member` entitlement whose grants stream one ListGroupMemberships page (100) per connector page.
 * Grant ids are the Identity Store MembershipIds, as baton-aws (its revoke deletes by that id).
 */
export function createSsoGroupSyncer({ types, identityCenter, ctx }: SyncerDeps): ResourceSyncer {
  const region = ctx.config.aws.ssoRegion;
  return {
    resourceType: types.ssoGroup,
    async listResources(_parent, state, call) {
      const { identityStoreId } = await identityCenter.instance(call);
      const token = stateToken(state);
      const page = await advancingPage(token, async () => {
        const out = await ctx.aws
          .identityStore()
          .send(new ListGroupsCommand({ IdentityStoreId: identityStoreId, MaxResults: SSO_PAGE_SIZE, NextToken: token }), { abortSignal: call.signal });
        return { items: out.Groups ?? [], next: nextToken(out.NextToken) };
      });
      const groups = page.items.map((group) => ssoGroupResource(types, region, identityStoreId, group));
      return tokenPage(groups, page.next);
    },
    async listEntitlements(resource) {
      return { items: [ssoGroupMemberEntitlement(types, resource)] };
    },
    async listGrants(resource, state, call) {
      const groupArn = resource.id!.resource;
      const parsed = parseIdentityStoreArn(groupArn);
      if (!parsed || parsed.kind !== "group") throw new ConnectError(`not an Identity Store group: ${groupArn}`, Code.InvalidArgument);
      const { identityStoreId } = await identityCenter.instance(call);
      const token = stateToken(state);
      let page;
      try {
        page = await advancingPage(token, async () => {
          const out = await ctx.aws
            .identityStore()
            .send(new ListGroupMembershipsCommand({ IdentityStoreId: identityStoreId, GroupId: parsed.id, MaxResults: SSO_PAGE_SIZE, NextToken: token }), {
              abortSignal: call.signal,
            });
          return { items: out.GroupMemberships ?? [], next: nextToken(out.NextToken) };
        });
      } catch (error) {
        if (!isNotFound(error)) throw error;
        // Deleted since it was listed: it has no members any more.
        ctx.log.warn({ group: groupArn }, "Identity Store group not found; no grants");
        return { items: [] };
      }
      const entitlement = entitlementRef(resource, MEMBER_SLUG);
      const grants = page.items.flatMap((membership) => {
        // Members are users today; any other member kind is not a principal we model.
        const userId = membership.MemberId && "UserId" in membership.MemberId ? membership.MemberId.UserId : undefined;
        if (!userId) return [];
        const userArn = ssoUserArn(region, identityStoreId, userId);
        return [
          newGrant({
            entitlement,
            principal: principalRef(types.ssoUser, userArn),
            ...(membership.MembershipId ? { id: membership.MembershipId } : {}),
            annotations: [annotation(V1IdentifierSchema, { id: v1GrantId(v1MembershipEntitlementId(groupArn), userArn) })],
          }),
        ];
      });
      return tokenPage(grants, page.next);
    },
    async getResource(id, _parent, call) {
      const { identityStoreId } = await identityCenter.instance(call);
      const parsed = parseIdentityStoreArn(id.resource);
      if (!parsed || parsed.kind !== "group" || parsed.identityStoreId !== identityStoreId) return undefined;
      const group = await orNotFound(() =>
        ctx.aws.identityStore().send(new DescribeGroupCommand({ IdentityStoreId: identityStoreId, GroupId: parsed.id }), { abortSignal: call.signal }),
      );
      return group && ssoGroupResource(types, region, identityStoreId, group);
    },
  };
}

export function ssoGroupResource(types: ResourceTypes, ssoRegion: string, identityStoreId: string, group: Group): Resource {
  const groupId = group.GroupId ?? "";
  const arn = ssoGroupArn(ssoRegion, identityStoreId, groupId);
  const profile: JsonObject = {
    aws_group_type: "sso",
    aws_group_name: group.DisplayName ?? "",
    aws_group_id: groupId,
  };
  if (group.ExternalIds && group.ExternalIds.length > 0) {
    profile.external_ids = group.ExternalIds.map((e) => ({ id: e.Id ?? "", issuer: e.Issuer ?? "" }));
  }
  return groupResource({
    type: types.ssoGroup,
    id: arn,
    displayName: group.DisplayName ?? groupId,
    description: group.Description,
    profile,
    createdAt: epochMs(group.CreatedAt),
    annotations: [annotation(V1IdentifierSchema, { id: arn })],
  });
}

export function ssoGroupMemberEntitlement(types: ResourceTypes, group: Resource) {
  return assignmentEntitlement({
    resource: group,
    slug: MEMBER_SLUG,
    displayName: `${group.displayName} Group Member`,
    description: `Is member of the ${group.displayName} SSO group in AWS`,
    grantableTo: [types.ssoUser],
    annotations: [annotation(V1IdentifierSchema, { id: v1MembershipEntitlementId(group.id!.resource) })],
  });
}
