import { DescribeUserCommand, ListUsersCommand, type User } from "@aws-sdk/client-identitystore";
import { orNotFound } from "../aws/errors.js";
import type { JsonObject } from "@bufbuild/protobuf";
import { annotation } from "../connector/annotations.js";
import type { ResourceSyncer } from "../connector/resource-syncer.js";
import { V1IdentifierSchema } from "../gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { Status_ResourceStatus, UserTrait_Status_Status, epochMs, userResource, type UserTraitInit } from "./baton-shapes.js";
import { SSO_PAGE_SIZE } from "./identity-center.js";
import { parseIdentityStoreArn, ssoUserArn } from "./ids.js";
import type { SyncerDeps } from "./index.js";
import { advancingPage, nextToken, stateToken, tokenPage } from "./paging.js";
import type { ResourceTypes } from "./resource-types.js";

/**
 * `sso_user`: Identity Store users, streamed — one ListUsers page (100) per connector page, the
 * AWS token riding in our page state; nothing is cached, so a 100,000-user store costs 1,000 calls
 * and bounded memory. Principals only: no entitlements or grants of their own.
 */
export function createSsoUserSyncer({ types, identityCenter, ctx }: SyncerDeps): ResourceSyncer {
  return {
    resourceType: types.ssoUser,
    async listResources(_parent, state, call) {
      const { identityStoreId } = await identityCenter.instance(call);
      const token = stateToken(state);
      const page = await advancingPage(token, async () => {
        const out = await ctx.aws
          .identityStore()
          .send(new ListUsersCommand({ IdentityStoreId: identityStoreId, MaxResults: SSO_PAGE_SIZE, NextToken: token }), { abortSignal: call.signal });
        return { items: out.Users ?? [], next: nextToken(out.NextToken) };
      });
      const users = page.items.map((user) => ssoUserResource(types, ctx.config.aws.ssoRegion, identityStoreId, user));
      return tokenPage(users, page.next);
    },
    listEntitlements: async () => ({ items: [] }),
    listGrants: async () => ({ items: [] }),
    async getResource(id, _parent, call) {
      const { identityStoreId } = await identityCenter.instance(call);
      const parsed = parseIdentityStoreArn(id.resource);
      if (!parsed || parsed.kind !== "user" || parsed.identityStoreId !== identityStoreId) return undefined;
      const user = await orNotFound(() =>
        ctx.aws.identityStore().send(new DescribeUserCommand({ IdentityStoreId: identityStoreId, UserId: parsed.id }), { abortSignal: call.signal }),
      );
      return user && ssoUserResource(types, ctx.config.aws.ssoRegion, identityStoreId, user);
    },
  };
}

export function ssoUserResource(types: ResourceTypes, ssoRegion: string, identityStoreId: string, user: User): Resource {
  const userId = user.UserId ?? "";
  const arn = ssoUserArn(ssoRegion, identityStoreId, userId);
  const emails = ssoUserEmails(user);
  const profile: JsonObject = {
    aws_user_type: "sso",
    aws_user_name: user.DisplayName ?? "",
    aws_user_id: userId,
    // The keys baton's reader and exports look for.
    user_id: userId,
    login: user.UserName ?? "",
    first_name: user.Name?.GivenName ?? "",
    last_name: user.Name?.FamilyName ?? "",
  };
  if (emails[0]) profile.email = emails[0].address;
  if (user.UserStatus) profile.aws_user_status = user.UserStatus;
  if (user.ExternalIds && user.ExternalIds.length > 0) {
    profile.external_ids = user.ExternalIds.map((e) => ({ id: e.Id ?? "", issuer: e.Issuer ?? "" }));
  }
  const trait: UserTraitInit = { emails, login: user.UserName ?? "" };
  let status: { status: Status_ResourceStatus } | undefined;
  if (user.UserStatus === "ENABLED" || user.UserStatus === "DISABLED") {
    const enabled = user.UserStatus === "ENABLED";
    trait.status = { status: enabled ? UserTrait_Status_Status.ENABLED : UserTrait_Status_Status.DISABLED };
    status = { status: enabled ? Status_ResourceStatus.ENABLED : Status_ResourceStatus.DISABLED };
  } else {
    // No status from AWS: the resource says so; the trait keeps baton-sdk's enabled default (as baton-aws).
    status = { status: Status_ResourceStatus.UNSPECIFIED };
  }
  if (user.Name?.GivenName || user.Name?.FamilyName) {
    trait.structuredName = { givenName: user.Name.GivenName ?? "", familyName: user.Name.FamilyName ?? "" };
  }
  return userResource(
    {
      type: types.ssoUser,
      id: arn,
      displayName: user.UserName ?? userId,
      profile,
      status,
      createdAt: epochMs(user.CreatedAt),
      annotations: [annotation(V1IdentifierSchema, { id: arn })],
    },
    trait,
  );
}

/**
 * The user name when it is an e-mail address (baton-aws's primary), then the Identity Store
 * e-mails, those AWS marks primary first; the first address is the primary one.
 */
export function ssoUserEmails(user: Pick<User, "UserName" | "Emails">): Array<{ address: string; primary: boolean }> {
  const addresses: string[] = [];
  if (user.UserName?.includes("@")) addresses.push(user.UserName);
  const emails = [...(user.Emails ?? [])].sort((a, b) => Number(b.Primary === true) - Number(a.Primary === true));
  for (const email of emails) {
    if (email.Value && !addresses.includes(email.Value)) addresses.push(email.Value);
  }
  return addresses.map((address, i) => ({ address, primary: i === 0 }));
}
