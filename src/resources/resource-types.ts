import { create } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import type { FeatureConfig } from "../config/config.js";
import { annotation, withoutAnnotation } from "../connector/annotations.js";
import {
  ChildResourceTypeSchema,
  SkipEntitlementsAndGrantsSchema,
  SkipEntitlementsSchema,
} from "../gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { V1IdentifierSchema } from "../gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import { CapabilityPermissionsSchema, OptInRequiredSchema } from "../gen/c1/connector/v2/connector_pb.js";
import { ResourceTypeSchema, ResourceType_Trait, type ResourceType } from "../gen/c1/connector/v2/resource_pb.js";
import { ResourceTypeIds } from "./ids.js";

/**
 * The resource-type descriptors, all in one place because entitlements name each other's types
 * (grantable_to). Ids, display names, traits and the V1Identifier, Skip*, OptInRequired and
 * ChildResourceType annotations are baton-aws v0.4.9's; the CapabilityPermissions list the
 * read-only IAM actions *this* connector calls for the type (docs/resources.md has the full
 * policy). Provisioning permissions are documented separately.
 */
export interface ResourceTypes {
  iamUser: ResourceType;
  iamGroup: ResourceType;
  iamRole: ResourceType;
  iamPolicy: ResourceType;
  inlinePolicy: ResourceType;
  ssoUser: ResourceType;
  ssoGroup: ResourceType;
  account: ResourceType;
  permissionSet: ResourceType;
  permissionSetAssignment: ResourceType;
  accountIam: ResourceType;
  organization: ResourceType;
  organizationalUnit: ResourceType;
  accessKey: ResourceType;
}

export type PermissionFeatures = Pick<FeatureConfig, "organizations" | "syncSecrets" | "organizationTree" | "managedPolicies">;

/** IAM actions each type needs, given the features (e.g. account discovery without Organizations). */
export function readPermissions(features: PermissionFeatures): Record<keyof ResourceTypes, string[]> {
  const gaad = ["iam:GetAccountAuthorizationDetails"];
  const listAccounts = features.organizations ? ["organizations:ListAccounts"] : [];
  const instance = ["sso:ListInstances"];
  const catalog = ["sso:ListPermissionSets", "sso:DescribePermissionSet"];
  const pairs = ["sso:ListPermissionSetsProvisionedToAccount", "sso:ListAccountsForProvisionedPermissionSet"];
  const keys = ["iam:ListAccessKeys", "iam:GetAccessKeyLastUsed"];
  const psPolicies = ["sso:ListManagedPoliciesInPermissionSet", "sso:ListCustomerManagedPolicyReferencesInPermissionSet"];
  const tree = ["organizations:ListRoots", "organizations:ListOrganizationalUnitsForParent"];
  return {
    iamUser: [...gaad, "iam:ListUsers", ...(features.syncSecrets ? keys : [])],
    iamGroup: gaad,
    iamRole: [...gaad, "iam:ListRoles"],
    iamPolicy: [
      ...gaad,
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      ...(features.managedPolicies === "all" ? ["iam:ListPolicies"] : []),
      ...instance,
      ...catalog,
      ...pairs,
      ...psPolicies,
    ],
    inlinePolicy: [...gaad, ...instance, "sso:GetInlinePolicyForPermissionSet"],
    ssoUser: [...instance, "identitystore:ListUsers", "identitystore:DescribeUser"],
    ssoGroup: [...instance, "identitystore:ListGroups", "identitystore:ListGroupMemberships", "identitystore:DescribeGroup"],
    account: [
      ...listAccounts,
      ...(features.organizationTree ? [...tree, "organizations:ListChildren"] : []),
      ...instance,
      ...catalog,
      ...pairs,
      "sso:ListAccountAssignments",
    ],
    permissionSet: [...instance, ...catalog],
    permissionSetAssignment: [...listAccounts, ...instance, ...catalog, ...pairs, "sso:ListAccountAssignments"],
    accountIam: features.organizations ? [...listAccounts, "sts:AssumeRole"] : [...instance, "sso:ListPermissionSets", "sso:ListAccountsForProvisionedPermissionSet", "sts:AssumeRole"],
    organization: ["organizations:ListRoots"],
    organizationalUnit: ["organizations:ListOrganizationalUnitsForParent", "organizations:DescribeOrganizationalUnit", "organizations:ListParents"],
    accessKey: [...gaad, ...keys],
  };
}

interface TypeOptions {
  /** Annotations before V1Identifier (Skip*, OptInRequired), in baton-aws's order. */
  leading?: Any[];
  /** V1Identifier{id: <type id>} (default true). */
  v1?: boolean;
  /** ChildResourceType annotations, after V1Identifier. */
  children?: string[];
}

export function createResourceTypes(features: PermissionFeatures): ResourceTypes {
  const permissions = readPermissions(features);
  const type = (key: keyof ResourceTypes, displayName: string, traits: ResourceType_Trait[], description: string, options: TypeOptions = {}): ResourceType => {
    const id = ResourceTypeIds[key];
    const annotations: Any[] = [...(options.leading ?? [])];
    if (options.v1 !== false) annotations.push(annotation(V1IdentifierSchema, { id }));
    for (const child of options.children ?? []) annotations.push(annotation(ChildResourceTypeSchema, { resourceTypeId: child }));
    annotations.push(annotation(CapabilityPermissionsSchema, { permissions: permissions[key].map((permission) => ({ permission })) }));
    return create(ResourceTypeSchema, { id, displayName, traits, annotations, description });
  };
  const T = ResourceType_Trait;
  const skipAll = () => annotation(SkipEntitlementsAndGrantsSchema);
  const skipEntitlements = () => annotation(SkipEntitlementsSchema);
  const optIn = () => annotation(OptInRequiredSchema);
  return {
    iamUser: type("iamUser", "IAM User", [T.USER], "IAM users of each synced account.", { leading: [skipEntitlements()] }),
    iamGroup: type("iamGroup", "Group", [T.GROUP], "IAM groups; the member entitlement lists their users."),
    iamRole: type(
      "iamRole",
      "IAM Role",
      [T.ROLE],
      "IAM roles; the assignment entitlement lists the IAM users and roles their trust policy lets assume them.",
    ),
    iamPolicy: type(
      "iamPolicy",
      "IAM Managed Policy",
      [T.ROLE],
      "Managed policies; the attached entitlement lists the users, groups, roles, permission sets and permission-set assignments that have them.",
    ),
    inlinePolicy: type("inlinePolicy", "Inline Policy", [T.ROLE], "Inline policies of IAM users, groups, roles and permission sets; granted to their owner."),
    ssoUser: type("ssoUser", "SSO User", [T.USER], "IAM Identity Center (Identity Store) users.", { leading: [skipAll()] }),
    ssoGroup: type("ssoGroup", "SSO Group", [T.GROUP], "IAM Identity Center (Identity Store) groups and their members."),
    account: type(
      "account",
      "Account",
      [T.APP],
      "AWS accounts; one entitlement per permission set, granted by IAM Identity Center account assignments.",
      { children: [ResourceTypeIds.permissionSetAssignment] },
    ),
    permissionSet: type("permissionSet", "Permission Set", [T.ROLE], "IAM Identity Center permission sets.", {
      leading: [skipEntitlements(), optIn()],
      v1: false,
    }),
    permissionSetAssignment: type(
      "permissionSetAssignment",
      "Permission Set Assignment",
      [T.SCOPE_BINDING],
      "A permission set provisioned to an account; the assigned entitlement lists the users and groups assigned it there.",
      { leading: [optIn()], v1: false },
    ),
    accountIam: type(
      "accountIam",
      "Account IAM",
      [T.APP],
      "Member accounts whose IAM users, groups, roles and policies are synced through the member-account role.",
      { leading: [skipAll()] },
    ),
    organization: type("organization", "Organization Root", [], "The AWS Organizations root.", {
      leading: [skipAll(), optIn()],
      v1: false,
      children: [ResourceTypeIds.organizationalUnit],
    }),
    organizationalUnit: type("organizationalUnit", "Organizational Unit", [], "AWS Organizations organizational units; accounts sit under theirs.", {
      leading: [skipAll(), optIn()],
      v1: false,
      children: [ResourceTypeIds.organizationalUnit],
    }),
    accessKey: type("accessKey", "Access Key", [T.SECRET], "IAM users' access keys (never the secret).", { leading: [skipAll()], v1: false }),
  };
}

const grantableForms = new WeakMap<ResourceType, ResourceType>();

/**
 * A type as an entitlement's grantable_to names it: baton-aws's descriptor (id, display name,
 * traits, its annotations), without the description and CapabilityPermissions that
 * ListResourceTypes adds. Every derived grant embeds its entitlement, so these bytes repeat in
 * each of them (hundreds of thousands of copies on a medium organisation).
 */
export function grantableForm(type: ResourceType): ResourceType {
  let form = grantableForms.get(type);
  if (!form) {
    form = create(ResourceTypeSchema, {
      id: type.id,
      displayName: type.displayName,
      traits: type.traits,
      annotations: withoutAnnotation(type.annotations, CapabilityPermissionsSchema),
    });
    grantableForms.set(type, form);
  }
  return form;
}
