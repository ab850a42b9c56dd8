import type { JsonObject } from "@bufbuild/protobuf";
import { annotation } from "../connector/annotations.js";
import type { Page, ResourceSyncer } from "../connector/resource-syncer.js";
import { V1IdentifierSchema } from "../gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import type { AccessKeyEntry } from "./access-keys.js";
import { SecretTrait_CredentialType, Status_ResourceStatus, secretResource } from "./baton-shapes.js";
import { ResourceTypeIds } from "./ids.js";
import type { SyncerDeps } from "./index.js";
import { MEMORY_PAGE_SIZE, badState, stateOffset } from "./paging.js";
import { LoadAhead } from "./load-ahead.js";
import type { ResourceTypes } from "./resource-types.js";

/**
 * Accounts whose keys load at once. Each account's IAM quota is its own, so every account more
 * adds its quota to the listing's pace; an account keeps at most the configured concurrency in
 * flight, so 16 accounts bound the requests in flight (and the sockets) even when AWS sets no
 * limit, and still read 100 member accounts' keys (about ten calls each) within a minute at an
 * IAM quota of 2 requests/s. The keys themselves are small; the snapshots they need are kept for
 * the whole sync anyway (every account's policies are read from them).
 */
const ACCOUNTS_AT_ONCE = 16;

/**
 * `access-key` (`sync-secrets`): the access keys of every synced account's IAM users, at the top
 * level (as baton-aws), with their status, creation and last use; never the secret. Pages walk
 * the synced accounts in order (`a`: account index, `o`: offset in its keys).
 */
export function createAccessKeySyncer({ types, accessKeys, iamAccounts }: SyncerDeps): ResourceSyncer {
  return {
    resourceType: types.accessKey,
    async listResources(parent, state, call) {
      if (parent || !accessKeys) return { items: [] };
      const accounts = await iamAccounts.ids(call);
      let index = stateOffset(state, "a");
      let offset = stateOffset(state);
      if (index > accounts.length) throw badState("account index past the end");
      const items: Resource[] = [];
      // Each account's IAM has its own quota: the accounts after this one load meanwhile.
      const ahead = new LoadAhead(accounts.length, ACCOUNTS_AT_ONCE, (i) => accessKeys.forAccount(accounts[i]!, call), index);
      try {
        while (index < accounts.length && items.length < MEMORY_PAGE_SIZE) {
          const keys = await ahead.get(index);
          if (offset > keys.length) throw badState("offset past the end of the account's keys");
          const take = keys.slice(offset, offset + MEMORY_PAGE_SIZE - items.length);
          items.push(...take.map((key) => accessKeyResource(types, key)));
          offset += take.length;
          if (offset >= keys.length) {
            index++;
            offset = 0;
          }
        }
      } finally {
        await ahead.settle();
      }
      const page: Page<Resource> = { items };
      if (index < accounts.length) page.next = { a: index, o: offset };
      return page;
    },
    listEntitlements: async () => ({ items: [] }),
    listGrants: async () => ({ items: [] }),
    async getResource(id, _parent, call) {
      if (!accessKeys) return undefined;
      for (const account of await iamAccounts.ids(call)) {
        const key = (await accessKeys.forAccount(account, call)).find((k) => k.id === id.resource);
        if (key) return accessKeyResource(types, key);
      }
      return undefined;
    },
  };
}

export function accessKeyResource(types: ResourceTypes, key: AccessKeyEntry): Resource {
  const profile: JsonObject = {
    aws_access_key_id: key.id,
    aws_user_name: key.user.name,
    aws_user_arn: key.user.arn,
    aws_user_id: key.user.id,
  };
  if (key.status) profile.aws_access_key_status = key.status;
  if (key.lastUsedAt !== undefined) profile.aws_last_used_at = new Date(key.lastUsedAt).toISOString();
  if (key.lastUsedService) profile.aws_last_used_service = key.lastUsedService;
  if (key.lastUsedRegion) profile.aws_last_used_region = key.lastUsedRegion;
  const user = { resourceType: ResourceTypeIds.iamUser, resource: key.user.arn };
  return secretResource(
    {
      type: types.accessKey,
      id: key.id,
      displayName: `${key.user.name}|${key.id}`,
      profile,
      status:
        key.status === "Active"
          ? { status: Status_ResourceStatus.ENABLED }
          : key.status === "Inactive"
            ? { status: Status_ResourceStatus.DISABLED, details: "access key is Inactive" }
            : undefined,
      createdAt: key.createdAt,
      // baton-aws's legacy id for a key: its user's ARN.
      annotations: [annotation(V1IdentifierSchema, { id: key.user.arn })],
    },
    {
      credentialType: SecretTrait_CredentialType.STATIC_SECRET,
      credentialDetail: "aws.access_key",
      // The user's resource id (baton-aws names the IAM UserId, which no resource has).
      identity: user,
      createdBy: user,
      lastUsedAt: key.lastUsedAt,
    },
  );
}
