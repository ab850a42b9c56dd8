import { create } from "@bufbuild/protobuf";
import { C1zReader } from "../c1z/reader.js";
import { EntitlementSchema, type Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import { GrantSchema, type Grant } from "../gen/c1/connector/v2/grant_pb.js";
import { ResourceIdSchema, ResourceSchema, type Resource, type ResourceId } from "../gen/c1/connector/v2/resource_pb.js";
import {
  ASSIGNED_SLUG,
  ATTACHED_SLUG,
  MEMBER_SLUG,
  ResourceTypeIds,
  parseAccountEntitlementId,
  parseAccountGrantId,
  parseSlugGrantId,
} from "../resources/ids.js";
import { UserError } from "./fatal.js";
import { readableFile } from "./files.js";
import { splitTypeAndId } from "./resource-spec.js";

/**
 * What `connector grant` / `connector revoke` send, built from ids on the command line — or, like
 * baton's --grant-entitlement/--revoke-grant, looked up in a c1z from a previous sync (--file).
 */

const PRINCIPAL_TYPES: readonly string[] = [
  ResourceTypeIds.iamUser,
  ResourceTypeIds.iamGroup,
  ResourceTypeIds.iamRole,
  ResourceTypeIds.ssoUser,
  ResourceTypeIds.ssoGroup,
  // Refused by the connector with its reason (a permission set's policies are not access provisioning).
  ResourceTypeIds.permissionSet,
  ResourceTypeIds.permissionSetAssignment,
];
/**
 * "<type>:<resource id>:<slug>:<principal type>:<principal id>" grants the syncers emit on
 * provisionable entitlements, with every principal type they emit there (the connector itself
 * answers, with its reason, for the ones it will not change, such as a permission set's policies).
 */
const SLUG_GRANT_TYPES = [
  { type: ResourceTypeIds.iamGroup, slug: MEMBER_SLUG, principals: [ResourceTypeIds.iamUser] },
  { type: ResourceTypeIds.ssoGroup, slug: MEMBER_SLUG, principals: [ResourceTypeIds.ssoUser] },
  {
    type: ResourceTypeIds.iamPolicy,
    slug: ATTACHED_SLUG,
    principals: [ResourceTypeIds.iamUser, ResourceTypeIds.iamGroup, ResourceTypeIds.iamRole, ResourceTypeIds.permissionSet, ResourceTypeIds.permissionSetAssignment],
  },
  { type: ResourceTypeIds.inlinePolicy, slug: ATTACHED_SLUG, principals: [ResourceTypeIds.iamUser, ResourceTypeIds.iamGroup, ResourceTypeIds.iamRole, ResourceTypeIds.permissionSet] },
] as const;
/** "<type>:<resource id>:<slug>" entitlements whose resource id may itself contain ":". */
const SLUG_ENTITLEMENT_TYPES = [
  { type: ResourceTypeIds.iamGroup, slug: MEMBER_SLUG },
  { type: ResourceTypeIds.ssoGroup, slug: MEMBER_SLUG },
  { type: ResourceTypeIds.permissionSetAssignment, slug: ASSIGNED_SLUG },
  { type: ResourceTypeIds.iamPolicy, slug: ATTACHED_SLUG },
  { type: ResourceTypeIds.inlinePolicy, slug: ATTACHED_SLUG },
] as const;

function resourceRef(resourceType: string, resource: string): Resource {
  return create(ResourceSchema, { id: { resourceType, resource } });
}

/**
 * An entitlement from its id: `<accountId>|<permissionSetArn>`, or `<type>:<id>:<slug>` for IAM and
 * Identity Store groups (member), scope bindings (assigned), managed and inline policies (attached).
 */
export function entitlementFromId(id: string): Entitlement {
  const account = parseAccountEntitlementId(id);
  if (account) return create(EntitlementSchema, { id, resource: resourceRef(ResourceTypeIds.account, account.accountId) });
  for (const { type, slug } of SLUG_ENTITLEMENT_TYPES) {
    const prefix = `${type}:`;
    const suffix = `:${slug}`;
    if (id.startsWith(prefix) && id.endsWith(suffix) && id.length > prefix.length + suffix.length) {
      return create(EntitlementSchema, { id, resource: resourceRef(type, id.slice(prefix.length, -suffix.length)) });
    }
  }
  throw new UserError(
    `cannot tell what entitlement "${id}" is: expected group:<arn>:member, sso_group:<arn>:member, <accountId>|<permissionSetArn>, ` +
      `permission_set_assignment:<permissionSetArn>-<accountId>:assigned, iam_policy:<arn>:attached or inline_policy:<ownerArn>::inline::<name>:attached (or pass --file to look it up in a c1z)`,
  );
}

/** A principal from "<resource type>:<resource id>", e.g. "sso_user:arn:aws:identitystore:…/user/…". */
export function principalFromRef(ref: string): Resource {
  const parsed = splitTypeAndId(ref);
  if (!parsed || !PRINCIPAL_TYPES.includes(parsed.type)) {
    throw new UserError(`--principal must be TYPE:ID with TYPE one of ${PRINCIPAL_TYPES.join(", ")} (got "${ref}")`);
  }
  return resourceRef(parsed.type, parsed.id);
}

/**
 * A grant from its id, for every id form that names its entitlement and principal: account
 * assignments (flat and scope-binding), IAM and Identity Store group memberships, managed and
 * inline policies.
 */
export function grantFromId(id: string): Grant {
  const account = parseAccountGrantId(id);
  if (account) {
    return create(GrantSchema, { id, entitlement: entitlementFromId(account.entitlementId), principal: resourceRef(account.principalTypeId, account.principalId) });
  }
  for (const { type, slug, principals } of SLUG_GRANT_TYPES) {
    for (const principal of principals) {
      const parts = parseSlugGrantId(id, type, slug, principal);
      if (parts) {
        return create(GrantSchema, { id, entitlement: entitlementFromId(`${type}:${parts.resourceId}:${slug}`), principal: resourceRef(principal, parts.principalId) });
      }
    }
  }
  throw new UserError(
    `grant id "${id}" does not name its entitlement and principal (Identity Store memberships are identified by their MembershipId): ` +
      `pass --file <c1z> to look it up in a sync, or give --entitlement and --principal instead of --grant`,
  );
}

/** Entitlement (with its resource) and principal as stored in the c1z's latest sync. */
export async function grantInputFromC1z(file: string, entitlementId: string, principal: Resource): Promise<{ entitlement: Entitlement; principal: Resource }> {
  return withReader(file, (reader, syncId) => {
    const entitlement = reader.entitlement(syncId, entitlementId);
    if (!entitlement) throw new UserError(`entitlement "${entitlementId}" is not in ${file}`);
    const stored = findResource(reader, syncId, principal.id!.resourceType, principal.id!.resource);
    if (!stored) throw new UserError(`principal ${principal.id!.resourceType}:${principal.id!.resource} is not in ${file}`);
    return { entitlement: hydrate(reader, syncId, entitlement), principal: stored };
  });
}

/** The grant as stored in the c1z's latest sync, its entitlement's resource filled in. */
export async function grantFromC1z(file: string, grantId: string): Promise<Grant> {
  return withReader(file, (reader, syncId) => {
    const grant = reader.grant(syncId, grantId);
    if (!grant) throw new UserError(`grant "${grantId}" is not in ${file}`);
    // A grant the sync derived (a group member's share of the group's access) has nothing of its own
    // in AWS to remove: revoking it would answer "already revoked" while the access stays.
    const sources = Object.keys(grant.sources?.sources ?? {});
    if (sources.length > 0 && !sources.includes(grant.entitlement?.id ?? "")) {
      throw new UserError(`grant "${grantId}" is held through ${sources.join(", ")}, not directly: revoke the grant that gives it (or remove the principal from the group)`);
    }
    if (grant.entitlement) grant.entitlement = hydrate(reader, syncId, grant.entitlement);
    return grant;
  });
}

async function withReader<T>(file: string, use: (reader: C1zReader, syncId: string) => T): Promise<T> {
  readableFile(file);
  let reader: C1zReader;
  try {
    reader = await C1zReader.open(file);
  } catch (error) {
    throw new UserError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return use(reader, reader.resolveSync().syncId);
  } finally {
    reader.close();
  }
}

function findResource(reader: C1zReader, syncId: string, type: string, id: string): Resource | undefined {
  return reader.resource(syncId, type, id);
}

/** Stored entitlements may carry only their resource's id; the Grant request wants the resource. */
function hydrate(reader: C1zReader, syncId: string, entitlement: Entitlement): Entitlement {
  const id = entitlement.resource?.id;
  if (!id) return entitlement;
  const resource = findResource(reader, syncId, id.resourceType, id.resource);
  return resource ? { ...entitlement, resource } : entitlement;
}

/** "<resource type>:<resource id>" of any resource (delete-resource). */
export function resourceIdFromRef(ref: string, flag: string): ResourceId {
  const parsed = splitTypeAndId(ref);
  if (!parsed) throw new UserError(`${flag} must be TYPE:ID, e.g. iam_user:arn:aws:iam::123456789012:user/alice (got "${ref}")`);
  return create(ResourceIdSchema, { resourceType: parsed.type, resource: parsed.id });
}

/** The resource as stored in the c1z's latest sync (its parent included). */
export async function resourceFromC1z(file: string, id: ResourceId): Promise<Resource> {
  return withReader(file, (reader, syncId) => {
    const stored = findResource(reader, syncId, id.resourceType, id.resource);
    if (!stored) throw new UserError(`resource ${id.resourceType}:${id.resource} is not in ${file}`);
    return stored;
  });
}
