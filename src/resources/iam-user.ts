import { annotation } from "../connector/annotations.js";
import type { ResourceSyncer } from "../connector/resource-syncer.js";
import { V1IdentifierSchema } from "../gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import type { Resource, ResourceId } from "../gen/c1/connector/v2/resource_pb.js";
import { userResource } from "./baton-shapes.js";
import { iamAccountOf, type IamUserEntry } from "./iam-snapshot.js";
import type { SyncerDeps } from "./index.js";
import { MEMORY_PAGE_SIZE, offsetPage } from "./paging.js";
import type { ResourceTypes } from "./resource-types.js";

/**
 * `iam_user`: the IAM users of the connector's account (top level) and of each reachable member
 * account (under its `account_iam`), from the account's IAM snapshot. No entitlements or grants
 * of their own: users are principals (of group membership and role trust).
 */
export function createIamUserSyncer({ types, snapshots }: SyncerDeps): ResourceSyncer {
  const type = types.iamUser;
  return {
    resourceType: type,
    async listResources(parent, state, call) {
      const snapshot = await snapshots.forAccount(iamAccountOf(parent, type.id), call);
      return offsetPage(snapshot.users, state, MEMORY_PAGE_SIZE, (user) => iamUserResource(types, user, parent));
    },
    listEntitlements: async () => ({ items: [] }),
    listGrants: async () => ({ items: [] }),
  };
}

export function iamUserResource(types: ResourceTypes, user: IamUserEntry, parent: ResourceId | undefined): Resource {
  return userResource(
    {
      type: types.iamUser,
      id: user.arn,
      displayName: user.name,
      parent,
      profile: {
        aws_arn: user.arn,
        aws_path: user.path,
        aws_user_type: "iam",
        aws_tags: user.tags,
        aws_user_id: user.id,
      },
      createdAt: user.createdAt,
      annotations: [annotation(V1IdentifierSchema, { id: user.arn })],
    },
    { emails: iamUserEmails(user), login: user.name },
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
