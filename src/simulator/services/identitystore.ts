/**
 * Identity Store (awsJson1_1, `AWSIdentityStore.<Op>`): users, groups and group memberships of
 * the Identity Center instance's store. Only the account that owns the instance may call it.
 */
import { SimError } from "../errors.js";
import {
  addGroup,
  addMembership,
  addUser,
  deleteGroup,
  deleteUser,
  findMembership,
  membershipsOfGroup,
  membershipsOfUser,
  removeMembership,
  replaceUser,
} from "../model/identity-store.js";
import { IDENTITY_STORE_ID, RESOURCE_ID, identityStoreResourceId } from "../model/ids.js";
import { sequenceOf, type Sequence } from "../model/keyed-list.js";
import type { GroupMembership, IdentityStore, IdentityStoreGroup, IdentityStoreUser } from "../model/types.js";
import { cachedJson } from "../protocol/json.js";
import { timestamp } from "../protocol/timestamp.js";
import { optionalArray, optionalObject, optionalString, requiredObject, requiredString } from "../validate.js";
import { page, type Input, type RequestContext, type ServiceDefinition } from "./service.js";

type ResourceType = "GROUP" | "USER" | "IDENTITY_STORE" | "GROUP_MEMBERSHIP";

const ID_RULE = { min: 1, max: 47, pattern: RESOURCE_ID };

function notFound(ctx: RequestContext, type: ResourceType, id: string): SimError {
  const what = { GROUP: "Group", USER: "User", IDENTITY_STORE: "Identity store", GROUP_MEMBERSHIP: "Group membership" }[type];
  return SimError.coded("ResourceNotFoundException", `${what} ${id} does not exist.`, { ResourceType: type, ResourceId: id, RequestId: ctx.requestId });
}

function storeFor(ctx: RequestContext, input: Input): IdentityStore {
  const id = requiredString(input, "IdentityStoreId", { min: 1, max: 36, pattern: IDENTITY_STORE_ID });
  const store = ctx.sim.model.identityStore;
  const owner = ctx.sim.model.ssoInstance?.ownerAccountId;
  if (!store || store.id !== id) throw notFound(ctx, "IDENTITY_STORE", id);
  if (ctx.caller.accountId !== owner) {
    throw SimError.of("accessDenied", `User: ${ctx.caller.arn} is not authorized to perform: identitystore:${ctx.operation} on resource: arn:aws:identitystore::${owner}:identitystore/${id}`);
  }
  return store;
}

const userShape = (store: IdentityStore, u: IdentityStoreUser) => ({
  IdentityStoreId: store.id,
  UserId: u.id,
  UserName: u.userName,
  Name: { Formatted: `${u.givenName} ${u.familyName}`, GivenName: u.givenName, FamilyName: u.familyName },
  DisplayName: u.displayName,
  Emails: u.email ? [{ Value: u.email, Type: "work", Primary: true }] : undefined,
  UserStatus: u.status,
  CreatedAt: timestamp(u.createdAt),
  UpdatedAt: timestamp(u.updatedAt ?? u.createdAt),
});

const groupShape = (store: IdentityStore, g: IdentityStoreGroup) => ({
  IdentityStoreId: store.id,
  GroupId: g.id,
  DisplayName: g.displayName,
  Description: g.description,
  CreatedAt: timestamp(g.createdAt),
  UpdatedAt: timestamp(g.createdAt),
});

const membershipShape = (store: IdentityStore, m: GroupMembership) => ({
  IdentityStoreId: store.id,
  MembershipId: m.id,
  GroupId: m.groupId,
  MemberId: { UserId: m.userId },
  CreatedAt: timestamp(m.createdAt),
});

/** Render functions bound to the (single) store, stable so list items can be cached. */
const renderersByStore = new WeakMap<IdentityStore, ReturnType<typeof createRenderers>>();
const createRenderers = (store: IdentityStore) => ({
  user: (u: IdentityStoreUser) => userShape(store, u),
  group: (g: IdentityStoreGroup) => groupShape(store, g),
  membership: (m: GroupMembership) => membershipShape(store, m),
});
function renderers(store: IdentityStore) {
  let found = renderersByStore.get(store);
  if (!found) {
    found = createRenderers(store);
    renderersByStore.set(store, found);
  }
  return found;
}

/** The deprecated `Filters` (at most one, on UserName / DisplayName): an exact, indexed lookup. */
function filtered<T>(input: Input, attribute: string, all: Sequence<T>, byName: Map<string, T>): { items: Sequence<T>; scope: string } {
  const filters = optionalArray(input, "Filters", { max: 1 });
  const filter = filters?.[0] as Record<string, unknown> | undefined;
  if (!filter) return { items: all, scope: "" };
  const path = requiredString(filter, "AttributePath", { min: 1, max: 255 });
  const value = requiredString(filter, "AttributeValue", { min: 1, max: 1024 });
  if (path !== attribute) {
    throw SimError.of("validation", `Filtering by attribute path ${path} is not supported; only ${attribute} is.`);
  }
  const match = byName.get(value.toLowerCase());
  return { items: sequenceOf(match ? [match] : []), scope: `${path}=${value}` };
}

function findUser(ctx: RequestContext, store: IdentityStore, id: string): IdentityStoreUser {
  const user = store.users.get(id);
  if (!user) throw notFound(ctx, "USER", id);
  return user;
}

function findGroup(ctx: RequestContext, store: IdentityStore, id: string): IdentityStoreGroup {
  const group = store.groups.get(id);
  if (!group) throw notFound(ctx, "GROUP", id);
  return group;
}

const ATTRIBUTE_PATH = { min: 1, max: 255, pattern: /^\p{L}+(?:\.\p{L}+){0,2}$/u };

/**
 * GetUserId / GetGroupId: the AlternateIdentifier union, either a unique attribute (users:
 * userName or emails.value; groups: displayName; matched case-insensitively like the names) or
 * an external id (none exist here, so never found).
 */
function alternateLookup<T>(ctx: RequestContext, input: Input, type: "USER" | "GROUP", byAttribute: Record<string, (value: string) => T | undefined>): T {
  const identifier = requiredObject(input, "AlternateIdentifier");
  const unique = optionalObject(identifier, "UniqueAttribute");
  const external = optionalObject(identifier, "ExternalId");
  if ((unique === undefined) === (external === undefined)) {
    throw SimError.of("validation", "AlternateIdentifier must have exactly one of ExternalId and UniqueAttribute.");
  }
  if (external) {
    const id = requiredString(external, "Id", { min: 1, max: 256 });
    requiredString(external, "Issuer", { min: 1, max: 100 });
    throw notFound(ctx, type, id);
  }
  const path = requiredString(unique!, "AttributePath", ATTRIBUTE_PATH);
  const value = unique!.AttributeValue;
  if (typeof value !== "string" || value === "") throw SimError.of("validation", "AttributeValue must be a non-empty string.");
  const lookup = byAttribute[path.toLowerCase()];
  if (!lookup) throw SimError.of("validation", `${path} is not a unique attribute of a ${type === "USER" ? "user" : "group"}.`);
  const found = lookup(value);
  if (found === undefined) throw notFound(ctx, type, value);
  return found;
}

function memberUserId(input: Input): string {
  return requiredString(requiredObject(input, "MemberId"), "UserId", ID_RULE);
}

const USER_NAME = { min: 1, max: 128, pattern: /^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u };
const TEXT = { min: 1, max: 1024, pattern: /^[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r \u00a0\u3000]+$/u };
const GROUP_DISPLAY_NAME = { min: 1, max: 1024, pattern: /^[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r \u00a0]+$/u };

const conflict = (ctx: RequestContext, message: string) =>
  SimError.coded("ConflictException", message, { Reason: "UNIQUENESS_CONSTRAINT_VIOLATION", RequestId: ctx.requestId });

/** The one e-mail a user may have (Emails has at most one item). */
function emailOf(input: Input): string | undefined {
  const emails = optionalArray(input, "Emails", { max: 1 });
  const first = emails?.[0];
  if (first === undefined) return undefined;
  if (typeof first !== "object" || first === null) throw SimError.of("validation", "Emails must be a list of Email structures.");
  return optionalString(first as Input, "Value", TEXT);
}

/** The attributes UpdateUser can change here (the simulator keeps only these), by lower-cased AttributePath. */
const UPDATABLE: Record<string, (user: IdentityStoreUser, value: unknown) => void> = {
  username: (u, v) => (u.userName = requiredString({ v }, "v", USER_NAME)),
  displayname: (u, v) => (u.displayName = requiredString({ v }, "v", TEXT)),
  "name.givenname": (u, v) => (u.givenName = requiredString({ v }, "v", TEXT)),
  "name.familyname": (u, v) => (u.familyName = requiredString({ v }, "v", TEXT)),
  emails: (u, v) => (u.email = v === null || v === undefined ? undefined : emailOf({ Emails: v })),
};

function createUser(ctx: RequestContext, input: Input) {
  const store = storeFor(ctx, input);
  const userName = optionalString(input, "UserName", USER_NAME);
  if (userName === undefined) throw SimError.of("validation", "userName is a required attribute");
  const name = optionalObject(input, "Name") ?? {};
  const displayName = optionalString(input, "DisplayName", TEXT);
  const givenName = optionalString(name, "GivenName", TEXT);
  const familyName = optionalString(name, "FamilyName", TEXT);
  const missing = [displayName ? undefined : "displayname", givenName ? undefined : "givenname", familyName ? undefined : "familyname"].filter(Boolean);
  if (missing.length) throw SimError.of("validation", missing.map((a) => `${a}: The attribute ${a} is required`).join(", "));
  const user: IdentityStoreUser = {
    id: identityStoreResourceId(ctx.sim.prng("ids"), store.idPrefix),
    userName,
    givenName: givenName!,
    familyName: familyName!,
    displayName: displayName!,
    email: emailOf(input),
    status: "ENABLED",
    createdAt: ctx.now,
  };
  if (!addUser(store, user)) throw conflict(ctx, "Duplicate UserName");
  return { UserId: user.id, IdentityStoreId: store.id };
}

function updateUser(ctx: RequestContext, input: Input) {
  const store = storeFor(ctx, input);
  const current = findUser(ctx, store, requiredString(input, "UserId", ID_RULE));
  const operations = optionalArray(input, "Operations", { max: 100 }) ?? [];
  if (operations.length === 0) throw SimError.of("validation", "1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1");
  const updated: IdentityStoreUser = { ...current, updatedAt: ctx.now };
  for (const raw of operations) {
    const operation = (typeof raw === "object" && raw !== null ? raw : {}) as Input;
    const path = requiredString(operation, "AttributePath", ATTRIBUTE_PATH);
    const apply = UPDATABLE[path.toLowerCase()];
    if (!apply) throw SimError.of("validation", `Updating ${path} is not supported by the simulator (it keeps userName, displayName, name.givenName, name.familyName and emails).`);
    apply(updated, operation.AttributeValue);
  }
  if (!replaceUser(store, updated)) throw conflict(ctx, "Duplicate UserName");
  return {};
}

export const identityStoreService: ServiceDefinition = {
  name: "identitystore",
  protocol: "json",
  writes: new Set(["CreateUser", "UpdateUser", "DeleteUser", "CreateGroup", "DeleteGroup", "CreateGroupMembership", "DeleteGroupMembership"]),
  operations: {
    CreateUser: createUser,
    UpdateUser: updateUser,
    DeleteUser(ctx, input) {
      const store = storeFor(ctx, input);
      deleteUser(store, findUser(ctx, store, requiredString(input, "UserId", ID_RULE)));
      return {};
    },
    CreateGroup(ctx, input) {
      const store = storeFor(ctx, input);
      const displayName = optionalString(input, "DisplayName", GROUP_DISPLAY_NAME);
      if (displayName === undefined) throw SimError.of("validation", "displayName is a required attribute");
      const group = { id: identityStoreResourceId(ctx.sim.prng("ids"), store.idPrefix), displayName, description: optionalString(input, "Description", TEXT), createdAt: ctx.now };
      if (!addGroup(store, group)) throw conflict(ctx, "Duplicate GroupDisplayName");
      return { GroupId: group.id, IdentityStoreId: store.id };
    },
    DeleteGroup(ctx, input) {
      const store = storeFor(ctx, input);
      deleteGroup(store, findGroup(ctx, store, requiredString(input, "GroupId", ID_RULE)));
      return {};
    },
    ListUsers(ctx, input) {
      const store = storeFor(ctx, input);
      const { items, scope } = filtered(input, "UserName", store.users, store.usersByName);
      const result = page(ctx, items, input, scope);
      return { Users: result.items.map((u) => cachedJson(u, renderers(store).user)), NextToken: result.nextToken };
    },
    ListGroups(ctx, input) {
      const store = storeFor(ctx, input);
      const { items, scope } = filtered(input, "DisplayName", store.groups, store.groupsByName);
      const result = page(ctx, items, input, scope);
      return { Groups: result.items.map((g) => cachedJson(g, renderers(store).group)), NextToken: result.nextToken };
    },
    DescribeUser(ctx, input) {
      const store = storeFor(ctx, input);
      return userShape(store, findUser(ctx, store, requiredString(input, "UserId", ID_RULE)));
    },
    GetUserId(ctx, input) {
      const store = storeFor(ctx, input);
      const user = alternateLookup(ctx, input, "USER", {
        username: (v) => store.usersByName.get(v.toLowerCase()),
        "emails.value": (v) => [...store.users].find((u) => u.email?.toLowerCase() === v.toLowerCase()),
      });
      return { UserId: user.id, IdentityStoreId: store.id };
    },
    GetGroupId(ctx, input) {
      const store = storeFor(ctx, input);
      const group = alternateLookup(ctx, input, "GROUP", { displayname: (v) => store.groupsByName.get(v.toLowerCase()) });
      return { GroupId: group.id, IdentityStoreId: store.id };
    },
    DescribeGroup(ctx, input) {
      const store = storeFor(ctx, input);
      return groupShape(store, findGroup(ctx, store, requiredString(input, "GroupId", ID_RULE)));
    },
    ListGroupMemberships(ctx, input) {
      const store = storeFor(ctx, input);
      const group = findGroup(ctx, store, requiredString(input, "GroupId", ID_RULE));
      const result = page(ctx, membershipsOfGroup(store, group.id), input, group.id);
      return { GroupMemberships: result.items.map((m) => cachedJson(m, renderers(store).membership)), NextToken: result.nextToken };
    },
    ListGroupMembershipsForMember(ctx, input) {
      const store = storeFor(ctx, input);
      const user = findUser(ctx, store, memberUserId(input));
      const result = page(ctx, membershipsOfUser(store, user.id), input, user.id);
      return { GroupMemberships: result.items.map((m) => cachedJson(m, renderers(store).membership)), NextToken: result.nextToken };
    },
    GetGroupMembershipId(ctx, input) {
      const store = storeFor(ctx, input);
      const groupId = requiredString(input, "GroupId", ID_RULE);
      const userId = memberUserId(input);
      const membership = findMembership(store, groupId, userId);
      if (!membership) throw notFound(ctx, "GROUP_MEMBERSHIP", `${groupId}/${userId}`);
      return { MembershipId: membership.id, IdentityStoreId: store.id };
    },
    IsMemberInGroups(ctx, input) {
      const store = storeFor(ctx, input);
      const userId = memberUserId(input);
      const groupIds = optionalArray(input, "GroupIds", { max: 100 }) ?? [];
      if (groupIds.length === 0) throw SimError.of("validation", "1 validation error detected: Value '[]' at 'groupIds' failed to satisfy constraint: Member must have length greater than or equal to 1");
      findUser(ctx, store, userId);
      return {
        Results: groupIds.map((raw) => {
          const groupId = requiredString({ GroupId: raw }, "GroupId", ID_RULE);
          return { GroupId: groupId, MemberId: { UserId: userId }, MembershipExists: findMembership(store, groupId, userId) !== undefined };
        }),
      };
    },
    CreateGroupMembership(ctx, input) {
      const store = storeFor(ctx, input);
      const group = findGroup(ctx, store, requiredString(input, "GroupId", ID_RULE));
      const user = findUser(ctx, store, memberUserId(input));
      const membership = { id: identityStoreResourceId(ctx.sim.prng("ids"), store.idPrefix), groupId: group.id, userId: user.id, createdAt: ctx.now };
      if (!addMembership(store, membership)) {
        throw SimError.coded("ConflictException", `Member ${user.id} already exists in group ${group.id}.`, {
          Reason: "UNIQUENESS_CONSTRAINT_VIOLATION",
          RequestId: ctx.requestId,
        });
      }
      return { MembershipId: membership.id, IdentityStoreId: store.id };
    },
    DeleteGroupMembership(ctx, input) {
      const store = storeFor(ctx, input);
      const id = requiredString(input, "MembershipId", ID_RULE);
      if (!removeMembership(store, id)) throw notFound(ctx, "GROUP_MEMBERSHIP", id);
      return {};
    },
  },
};

