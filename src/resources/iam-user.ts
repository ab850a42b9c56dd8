import type { JsonObject } from "@bufbuild/protobuf";
import { annotation } from "../connector/annotations.js";
import type { CallContext, ResourceSyncer } from "../connector/resource-syncer.js";
import { V1IdentifierSchema } from "../gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { userResource, type ResourceRef } from "./baton-shapes.js";
import { iamAccountOf, type IamUserEntry } from "./iam-snapshot.js";
import type { SyncerDeps } from "./index.js";
import { iamEntityLookup } from "./iam-lookup.js";
import { hasInlinePolicies } from "./inline-policy.js";
import { MEMORY_PAGE_SIZE, offsetPage } from "./paging.js";
import type { ResourceTypes } from "./resource-types.js";

/**
 * `iam_user`: the IAM users of the connector's account (top level) and of each reachable member
 * account (under its `account_iam`), from the account's IAM snapshot, each naming `inline_policy`
 * as its child type. Last login is the later of the password's last use (ListUsers) and, with
 * `sync-secrets`, the access keys' last use. Principals only: no entitlements or grants of their
 * own (their managed policies are granted on the policies' `attached` entitlements).
 */
export function createIamUserSyncer(deps: SyncerDeps): ResourceSyncer {
  const { types, snapshots, accessKeys, members } = deps;
  const lookup = iamEntityLookup(deps, (snapshot) => snapshot.usersByArn);

  async function lastLogins(accountId: string | undefined, call: CallContext): Promise<Map<string, number> | undefined> {
    return accessKeys ? accessKeys.lastUseByUser(accountId ?? (await members.ownAccountId()), call) : undefined;
  }

  return {
    resourceType: types.iamUser,
    async listResources(parent, state, call) {
      const accountId = iamAccountOf(parent, types.iamUser.id);
      const [snapshot, keyUse] = await Promise.all([snapshots.forAccount(accountId, call), lastLogins(accountId, call)]);
      return offsetPage(snapshot.users, state, MEMORY_PAGE_SIZE, (user) => iamUserResource(types, user, parent, keyUse?.get(user.arn)));
    },
    listEntitlements: async () => ({ items: [] }),
    listGrants: async () => ({ items: [] }),
    async getResource(id, _parent, call) {
      const found = await lookup(id.resource, call);
      if (!found) return undefined;
      const keyUse = await lastLogins(found.accountId, call);
      return iamUserResource(types, found.entry, found.parent, keyUse?.get(found.entry.arn));
    },
  };
}

export function iamUserResource(types: ResourceTypes, user: IamUserEntry, parent: ResourceRef | undefined, keyLastUsed?: number): Resource {
  const emails = iamUserEmails(user);
  const profile: JsonObject = {
    aws_arn: user.arn,
    aws_path: user.path,
    aws_user_type: "iam",
    aws_tags: user.tags,
    aws_user_id: user.id,
    // The keys baton's reader and exports look for.
    user_id: user.id,
    login: user.name,
  };
  if (emails[0]) profile.email = emails[0].address;
  if (user.passwordLastUsed !== undefined) profile.aws_password_last_used = new Date(user.passwordLastUsed).toISOString();
  if (keyLastUsed !== undefined) profile.aws_access_key_last_used = new Date(keyLastUsed).toISOString();
  const lastLogin = Math.max(user.passwordLastUsed ?? -Infinity, keyLastUsed ?? -Infinity);
  return userResource(
    {
      type: types.iamUser,
      id: user.arn,
      displayName: user.name,
      parent,
      profile,
      createdAt: user.createdAt,
      annotations: [annotation(V1IdentifierSchema, { id: user.arn }), hasInlinePolicies()],
    },
    { emails, login: user.name, lastLogin: Number.isFinite(lastLogin) ? lastLogin : undefined },
  );
}

/** baton-aws's rule: the user name when it is an e-mail address, then every `email` tag; the first is primary. */
export function iamUserEmails(user: Pick<IamUserEntry, "name" | "tags">): Array<{ address: string; primary: boolean }> {
  const addresses: string[] = [];
  if (user.name.includes("@")) addresses.push(user.name);
  const tagged = user.tags.email;
  if (tagged !== undefined && tagged !== "" && !addresses.includes(tagged)) addresses.push(tagged);
  return addresses.map((address, i) => ({ address, primary: i === 0 }));
}
