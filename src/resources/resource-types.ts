import { create } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import type { FeatureConfig } from "../config/config.js";
import { annotation } from "../connector/annotations.js";
import { SkipEntitlementsAndGrantsSchema } from "../gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { V1IdentifierSchema } from "../gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import { CapabilityPermissionsSchema } from "../gen/c1/connector/v2/connector_pb.js";
import { ResourceTypeSchema, ResourceType_Trait, type ResourceType } from "../gen/c1/connector/v2/resource_pb.js";
import { ResourceTypeIds } from "./ids.js";

/**
 * The resource-type descriptors, all in one place because entitlements name each other's types
 * (grantable_to). Ids, display names, traits, V1Identifier and Skip* annotations are baton-aws's;
 * the CapabilityPermissions list the read-only IAM actions *this* connector calls for the type
 * (docs/resources.md has the full policy). Provisioning permissions are documented separately.
 */
export interface ResourceTypes {
  iamUser: ResourceType;
  iamGroup: ResourceType;
  iamRole: ResourceType;
  ssoUser: ResourceType;
  ssoGroup: ResourceType;
  account: ResourceType;
  permissionSet: ResourceType;
  accountIam: ResourceType;
}

/** IAM actions each type needs, given the features (e.g. account discovery without Organizations). */
export function readPermissions(features: Pick<FeatureConfig, "organizations">): Record<keyof ResourceTypes, string[]> {
  const gaad = ["iam:GetAccountAuthorizationDetails"];
  const listAccounts = features.organizations ? ["organizations:ListAccounts"] : [];
  const instance = ["sso:ListInstances"];
  const catalog = ["sso:ListPermissionSets", "sso:DescribePermissionSet"];
  return {
    iamUser: gaad,
    iamGroup: gaad,
    iamRole: gaad,
    ssoUser: [...instance, "identitystore:ListUsers"],
    ssoGroup: [...instance, "identitystore:ListGroups", "identitystore:ListGroupMemberships"],
    account: [
      ...listAccounts,
      ...instance,
      ...catalog,
      "sso:ListPermissionSetsProvisionedToAccount",
      "sso:ListAccountsForProvisionedPermissionSet",
      "sso:ListAccountAssignments",
    ],
    permissionSet: [...instance, ...catalog],
    accountIam: features.organizations
      ? [...listAccounts, "sts:AssumeRole"]
      : [...instance, "sso:ListPermissionSets", "sso:ListAccountsForProvisionedPermissionSet", "sts:AssumeRole"],
  };
}

export function createResourceTypes(features: Pick<FeatureConfig, "organizations">): ResourceTypes {
  const permissions = readPermissions(features);
  const type = (
    key: keyof ResourceTypes,
    id: string,
    displayName: string,
    trait: ResourceType_Trait,
    description: string,
    options: { v1?: boolean; skipEntitlementsAndGrants?: boolean } = {},
  ): ResourceType => {
    const annotations: Any[] = [];
    if (options.skipEntitlementsAndGrants) annotations.push(annotation(SkipEntitlementsAndGrantsSchema));
    if (options.v1 !== false) annotations.push(annotation(V1IdentifierSchema, { id }));
    annotations.push(
      annotation(CapabilityPermissionsSchema, { permissions: permissions[key].map((permission) => ({ permission })) }),
    );
    return create(ResourceTypeSchema, { id, displayName, traits: [trait], annotations, description });
  };
  const T = ResourceType_Trait;
  return {
    iamUser: type("iamUser", ResourceTypeIds.iamUser, "IAM User", T.USER, "IAM users of each synced account.", {
      skipEntitlementsAndGrants: true,
    }),
    iamGroup: type("iamGroup", ResourceTypeIds.iamGroup, "Group", T.GROUP, "IAM groups; the member entitlement lists their users."),
    iamRole: type(
      "iamRole",
      ResourceTypeIds.iamRole,
      "IAM Role",
      T.ROLE,
      "IAM roles; the assignment entitlement lists the IAM users and roles their trust policy lets assume them.",
    ),
    ssoUser: type("ssoUser", ResourceTypeIds.ssoUser, "SSO User", T.USER, "IAM Identity Center (Identity Store) users.", {
      skipEntitlementsAndGrants: true,
    }),
    ssoGroup: type("ssoGroup", ResourceTypeIds.ssoGroup, "SSO Group", T.GROUP, "IAM Identity Center (Identity Store) groups and their members."),
    account: type(
      "account",
      ResourceTypeIds.account,
      "Account",
      T.APP,
      "AWS accounts; one entitlement per permission set, granted by IAM Identity Center account assignments.",
    ),
    permissionSet: type(
      "permissionSet",
      ResourceTypeIds.permissionSet,
      "Permission Set",
      T.ROLE,
      "IAM Identity Center permission sets (assignments appear as account entitlements).",
      { v1: false, skipEntitlementsAndGrants: true },
    ),
    accountIam: type(
      "accountIam",
      ResourceTypeIds.accountIam,
      "Account IAM",
      T.APP,
      "Member accounts whose IAM users, groups and roles are synced through the member-account role.",
      { skipEntitlementsAndGrants: true },
    ),
  };
}
