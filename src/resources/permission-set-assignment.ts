import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { isNotFound } from "../aws/errors.js";
import type { CallContext, ResourceSyncer } from "../connector/resource-syncer.js";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Resource, ResourceId } from "../gen/c1/connector/v2/resource_pb.js";
import { assignmentGrant } from "./account.js";
import { assignmentEntitlement, scopeBindingResource } from "./baton-shapes.js";
import type { PermissionSetInfo } from "./identity-center.js";
import { ASSIGNED_SLUG, ResourceTypeIds, parsePermissionSetAssignmentId, permissionSetAssignmentId } from "./ids.js";
import type { SyncerDeps } from "./index.js";
import { MEMORY_PAGE_SIZE, offsetPage, stateToken, tokenPage } from "./paging.js";
import type { ResourceTypes } from "./resource-types.js";

/**
 * `permission_set_assignment` (a scope binding): one per provisioned (permission set, account)
 * pair, listed under its account, id `<permissionSetArn>-<accountId>` and a ScopeBindingTrait
 * naming the `permission_set` (role) and the `account` (scope), as baton-aws. Its `assigned`
 * entitlement (the slug ConductorOne's just-in-time flow asks for) is granted to the users and
 * groups assigned the set on the account — groups expandable to their members. The pair's
 * assignments are read once for this listing and the account's flat entitlements together
 * (assignment-pages.ts). Its policies are granted on the policies' own `attached` entitlements
 * (iam-policy.ts), expandable through `assigned`.
 */
export function createPermissionSetAssignmentSyncer({ types, identityCenter, accounts, assignmentPages, ctx }: SyncerDeps): ResourceSyncer {
  const region = ctx.config.aws.ssoRegion;

  /** The binding's permission set when the sync knows the pair (account listed, set provisioned to it). */
  async function known(id: ResourceId, call: CallContext): Promise<{ accountId: string; ps: PermissionSetInfo }> {
    const pair = parsePermissionSetAssignmentId(id.resource);
    if (pair && (await accounts.find(pair.accountId, call))) {
      const [catalog, pairs] = await Promise.all([identityCenter.permissionSets(call), accounts.provisionedPairs(call)]);
      const ps = catalog.byArn.get(pair.permissionSetArn);
      if (ps && pairs.byAccount.get(pair.accountId)?.includes(ps.arn)) return { accountId: pair.accountId, ps };
    }
    throw new ConnectError(`${ResourceTypeIds.permissionSetAssignment} ${id.resource} is not a permission set provisioned to a synced account`, Code.NotFound);
  }

  return {
    resourceType: types.permissionSetAssignment,
    async listResources(parent, state, call) {
      // Bindings exist only under their account.
      if (!parent) return { items: [] };
      if (parent.resourceType !== ResourceTypeIds.account) {
        throw new ConnectError(`${ResourceTypeIds.permissionSetAssignment} resources are listed under an account, not ${parent.resourceType}`, Code.InvalidArgument);
      }
      if (!(await accounts.find(parent.resource, call))) throw new ConnectError(`account ${parent.resource} is not in this sync`, Code.NotFound);
      const [catalog, pairs] = await Promise.all([identityCenter.permissionSets(call), accounts.provisionedPairs(call)]);
      const sets = (pairs.byAccount.get(parent.resource) ?? []).flatMap((arn) => catalog.byArn.get(arn) ?? []);
      return offsetPage(sets, state, MEMORY_PAGE_SIZE, (ps) => permissionSetAssignmentResource(types, ps, parent.resource));
    },
    async listEntitlements(resource, _state, call) {
      await known(resource.id!, call);
      return { items: [permissionSetAssignmentEntitlement(types, resource)] };
    },
    async listGrants(resource, state, call) {
      const { accountId, ps } = await known(resource.id!, call);
      const { identityStoreId } = await identityCenter.instance(call);
      let page;
      try {
        page = await assignmentPages.page("binding", { accountId, permissionSetArn: ps.arn }, stateToken(state), call);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        // The permission set was deleted mid-sync: its assignments are gone with it.
        ctx.log.warn({ accountId, permissionSetArn: ps.arn }, "permission set not found while listing assignments; skipped");
        return { items: [] };
      }
      const entitlement = permissionSetAssignmentEntitlement(types, resource);
      const grants = page.assignments.flatMap((a) => assignmentGrant(types, region, identityStoreId, entitlement, a) ?? []);
      return tokenPage(grants, page.next);
    },
    async getResource(id, _parent, call) {
      try {
        const { accountId, ps } = await known(id, call);
        return permissionSetAssignmentResource(types, ps, accountId);
      } catch (error) {
        if (error instanceof ConnectError && error.code === Code.NotFound) return undefined;
        throw error;
      }
    },
  };
}

export function permissionSetAssignmentResource(types: ResourceTypes, ps: PermissionSetInfo, accountId: string): Resource {
  const profile: JsonObject = { aws_permission_set_arn: ps.arn, aws_permission_set_name: ps.name, aws_account_id: accountId };
  return scopeBindingResource(
    {
      type: types.permissionSetAssignment,
      id: permissionSetAssignmentId(ps.arn, accountId),
      displayName: `${ps.name} on ${accountId}`,
      parent: { resourceType: ResourceTypeIds.account, resource: accountId },
      profile,
    },
    {
      role: { resourceType: ResourceTypeIds.permissionSet, resource: ps.arn },
      scope: { resourceType: ResourceTypeIds.account, resource: accountId },
    },
  );
}

/** baton-sdk's assignment entitlement as baton-aws makes it: display name and slug both "assigned". */
export function permissionSetAssignmentEntitlement(types: ResourceTypes, binding: Resource): Entitlement {
  return assignmentEntitlement({
    resource: binding,
    slug: ASSIGNED_SLUG,
    displayName: ASSIGNED_SLUG,
    description: "",
    grantableTo: [types.ssoUser, types.ssoGroup],
  });
}
