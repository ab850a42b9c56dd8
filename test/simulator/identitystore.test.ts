import {
  AccessDeniedException,
  ConflictException,
  CreateGroupMembershipCommand,
  DeleteGroupMembershipCommand,
  DescribeGroupCommand,
  DescribeUserCommand,
  GetGroupIdCommand,
  GetGroupMembershipIdCommand,
  GetUserIdCommand,
  IsMemberInGroupsCommand,
  ListGroupMembershipsCommand,
  ListUsersCommand,
  ResourceNotFoundException,
  ValidationException,
  paginateListGroupMemberships,
  paginateListGroupMembershipsForMember,
  paginateListGroups,
  paginateListUsers,
} from "@aws-sdk/client-identitystore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelQueries, type IdentityStore, type Simulator } from "../../src/simulator/index.js";
import { clientsFor, collect, pageSizes, rejectionOf, withSimulator, type Clients } from "./helpers.js";

let sim: Simulator;
let clients: Clients;
let store: IdentityStore;
let IdentityStoreId: string;

beforeAll(async () => {
  ({ sim, clients } = await withSimulator({ profile: "small", seed: 3 }));
  store = sim.model.identityStore!;
  IdentityStoreId = store.id;
});
afterAll(() => sim.stop());

const pagesFor = (total: number, size: number) => Math.max(1, Math.ceil(total / size));

describe("Identity Store listings paginate to the end at every page size", () => {
  for (const size of pageSizes(100)) {
    it(`ListUsers and ListGroups with MaxResults=${size}`, async () => {
      const client = clients.identitystore;
      const users = await collect(paginateListUsers({ client, pageSize: size }, { IdentityStoreId }), (p) => p.Users);
      expect(users.items.map((u) => u.UserId)).toEqual([...store.users].map((u) => u.id));
      expect(users.pages).toBe(pagesFor(store.users.length, size));
      const groups = await collect(paginateListGroups({ client, pageSize: size }, { IdentityStoreId }), (p) => p.Groups);
      expect(groups.items.map((g) => g.DisplayName)).toEqual([...store.groups].map((g) => g.displayName));
      expect(groups.pages).toBe(pagesFor(store.groups.length, size));
    });

    it(`ListGroupMemberships and ListGroupMembershipsForMember with MaxResults=${size}`, async () => {
      const client = clients.identitystore;
      const group = [...store.groups].sort((a, b) => modelQueries.groupMemberIds(sim.model, b.id).length - modelQueries.groupMemberIds(sim.model, a.id).length)[0]!;
      const expectedMembers = modelQueries.groupMemberIds(sim.model, group.id);
      const members = await collect(paginateListGroupMemberships({ client, pageSize: size }, { IdentityStoreId, GroupId: group.id }), (p) => p.GroupMemberships);
      expect(members.items.map((m) => m.MemberId && "UserId" in m.MemberId ? m.MemberId.UserId : undefined)).toEqual(expectedMembers);
      expect(members.pages).toBe(pagesFor(expectedMembers.length, size));
      const user = [...store.users].find((u) => modelQueries.userGroupIds(sim.model, u.id).length >= 3)!;
      const forMember = await collect(paginateListGroupMembershipsForMember({ client, pageSize: size }, { IdentityStoreId, MemberId: { UserId: user.id } }), (p) => p.GroupMemberships);
      expect(forMember.items.map((m) => m.GroupId)).toEqual(modelQueries.userGroupIds(sim.model, user.id));
    });
  }
});

describe("Identity Store reads", () => {
  it("returns realistic users with epoch timestamps parsed as Dates and the deprecated UserName filter", async () => {
    const user = [...store.users][5]!;
    const described = await clients.identitystore.send(new DescribeUserCommand({ IdentityStoreId, UserId: user.id }));
    expect(described).toMatchObject({
      UserName: user.userName,
      DisplayName: user.displayName,
      Name: { GivenName: user.givenName, FamilyName: user.familyName },
      Emails: [{ Value: user.email, Type: "work", Primary: true }],
      UserStatus: user.status,
    });
    expect(described.UserId).toMatch(/^[0-9a-f]{10}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(described.CreatedAt).toEqual(new Date(user.createdAt));
    const filtered = await clients.identitystore.send(
      new ListUsersCommand({ IdentityStoreId, Filters: [{ AttributePath: "UserName", AttributeValue: user.userName.toUpperCase() }] }),
    );
    expect(filtered.Users!.map((u) => u.UserId)).toEqual([user.id]);
    expect(filtered.NextToken).toBeUndefined();
    const group = [...store.groups][0]!;
    expect(await clients.identitystore.send(new DescribeGroupCommand({ IdentityStoreId, GroupId: group.id }))).toMatchObject({ DisplayName: group.displayName });
  });

  it("IsMemberInGroups and GetGroupMembershipId agree with the model", async () => {
    const user = [...store.users].find((u) => modelQueries.userGroupIds(sim.model, u.id).length > 0)!;
    const memberOf = modelQueries.userGroupIds(sim.model, user.id)[0]!;
    const notMemberOf = [...store.groups].find((g) => !modelQueries.userGroupIds(sim.model, user.id).includes(g.id))!.id;
    const { Results } = await clients.identitystore.send(new IsMemberInGroupsCommand({ IdentityStoreId, MemberId: { UserId: user.id }, GroupIds: [memberOf, notMemberOf] }));
    expect(Results!.map((r) => r.MembershipExists)).toEqual([true, false]);
    const { MembershipId } = await clients.identitystore.send(new GetGroupMembershipIdCommand({ IdentityStoreId, GroupId: memberOf, MemberId: { UserId: user.id } }));
    expect(MembershipId).toBe(store.membershipsByGroup.get(memberOf)!.get(user.id)!.id);
    const missing = await rejectionOf(clients.identitystore.send(new GetGroupMembershipIdCommand({ IdentityStoreId, GroupId: notMemberOf, MemberId: { UserId: user.id } })));
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.$metadata?.httpStatusCode).toBe(404);
    expect(missing.ResourceType).toBe("GROUP_MEMBERSHIP");
  });
});

describe("Identity Store writes and errors", () => {
  it("CreateGroupMembership, duplicate → ConflictException UNIQUENESS_CONSTRAINT_VIOLATION, delete, delete again → ResourceNotFound", async () => {
    const user = [...store.users][0]!;
    const group = [...store.groups].reverse().find((g) => !modelQueries.userGroupIds(sim.model, user.id).includes(g.id))!;
    expect(modelQueries.groupMemberIds(sim.model, group.id).length).toBeLessThan(100);
    const request = { IdentityStoreId, GroupId: group.id, MemberId: { UserId: user.id } };
    const { MembershipId } = await clients.identitystore.send(new CreateGroupMembershipCommand(request));
    expect(modelQueries.groupMemberIds(sim.model, group.id)).toContain(user.id);
    const { GroupMemberships } = await clients.identitystore.send(new ListGroupMembershipsCommand({ IdentityStoreId, GroupId: group.id, MaxResults: 100 }));
    expect(GroupMemberships!.map((m) => m.MembershipId)).toContain(MembershipId);

    const duplicate = await rejectionOf(clients.identitystore.send(new CreateGroupMembershipCommand(request)));
    expect(duplicate).toBeInstanceOf(ConflictException);
    expect(duplicate.$metadata?.httpStatusCode).toBe(409);
    expect(duplicate.Reason).toBe("UNIQUENESS_CONSTRAINT_VIOLATION");

    await clients.identitystore.send(new DeleteGroupMembershipCommand({ IdentityStoreId, MembershipId }));
    expect(modelQueries.groupMemberIds(sim.model, group.id)).not.toContain(user.id);
    expect(await rejectionOf(clients.identitystore.send(new DeleteGroupMembershipCommand({ IdentityStoreId, MembershipId })))).toBeInstanceOf(ResourceNotFoundException);
  });

  it("unknown user or group → ResourceNotFoundException with ResourceType", async () => {
    const unknown = "0123456789-00000000-0000-4000-8000-000000000000";
    const user = await rejectionOf(clients.identitystore.send(new DescribeUserCommand({ IdentityStoreId, UserId: unknown })));
    expect(user).toBeInstanceOf(ResourceNotFoundException);
    expect(user.ResourceType).toBe("USER");
    const group = await rejectionOf(clients.identitystore.send(new CreateGroupMembershipCommand({ IdentityStoreId, GroupId: unknown, MemberId: { UserId: [...store.users][0]!.id } })));
    expect(group.ResourceType).toBe("GROUP");
  });

  it("MaxResults above 100, malformed ids and foreign tokens → ValidationException (400)", async () => {
    const tooMany = await rejectionOf(clients.identitystore.send(new ListUsersCommand({ IdentityStoreId, MaxResults: 101 })));
    expect(tooMany).toBeInstanceOf(ValidationException);
    expect(tooMany.$metadata?.httpStatusCode).toBe(400);
    expect(tooMany.message).toBe("1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100");
    expect(await rejectionOf(clients.identitystore.send(new DescribeUserCommand({ IdentityStoreId, UserId: "not-an-id" })))).toBeInstanceOf(ValidationException);
    const first = await clients.identitystore.send(new ListUsersCommand({ IdentityStoreId, MaxResults: 1 }));
    expect(first.NextToken).toMatch(/^[-a-zA-Z0-9+=/:_]+$/);
    const group = [...store.groups][0]!;
    const misuse = await rejectionOf(clients.identitystore.send(new ListGroupMembershipsCommand({ IdentityStoreId, GroupId: group.id, NextToken: first.NextToken })));
    expect(misuse).toBeInstanceOf(ValidationException);
  });

  it("only the instance's account may call it: a member account gets AccessDeniedException (403)", async () => {
    const error = await rejectionOf(clientsFor(sim, "member").identitystore.send(new ListUsersCommand({ IdentityStoreId })));
    expect(error).toBeInstanceOf(AccessDeniedException);
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });
});

describe("describe and look up users and groups", () => {
  it("DescribeUser carries the status (ENABLED or DISABLED), names, e-mail and times; DescribeGroup the group", async () => {
    const disabled = [...store.users].find((u) => u.status === "DISABLED")!;
    const user = await clients.identitystore.send(new DescribeUserCommand({ IdentityStoreId, UserId: disabled.id }));
    expect(user).toMatchObject({
      IdentityStoreId,
      UserId: disabled.id,
      UserName: disabled.userName,
      DisplayName: disabled.displayName,
      Name: { GivenName: disabled.givenName, FamilyName: disabled.familyName, Formatted: `${disabled.givenName} ${disabled.familyName}` },
      Emails: [{ Value: disabled.email, Type: "work", Primary: true }],
      UserStatus: "DISABLED",
      CreatedAt: new Date(disabled.createdAt),
    });
    const enabled = [...store.users].find((u) => u.status === "ENABLED")!;
    expect((await clients.identitystore.send(new DescribeUserCommand({ IdentityStoreId, UserId: enabled.id }))).UserStatus).toBe("ENABLED");
    const group = store.groups.at(0)!;
    expect(await clients.identitystore.send(new DescribeGroupCommand({ IdentityStoreId, GroupId: group.id }))).toMatchObject({ GroupId: group.id, DisplayName: group.displayName, Description: group.description });
  });

  it("GetUserId by userName or emails.value and GetGroupId by displayName, case-insensitively", async () => {
    const user = store.users.at(5)!;
    const byName = await clients.identitystore.send(
      new GetUserIdCommand({ IdentityStoreId, AlternateIdentifier: { UniqueAttribute: { AttributePath: "userName", AttributeValue: user.userName.toUpperCase() } } }),
    );
    expect(byName).toMatchObject({ UserId: user.id, IdentityStoreId });
    const byEmail = await clients.identitystore.send(
      new GetUserIdCommand({ IdentityStoreId, AlternateIdentifier: { UniqueAttribute: { AttributePath: "emails.value", AttributeValue: user.email } } }),
    );
    expect(byEmail.UserId).toBe(user.id);
    const group = store.groups.at(3)!;
    const groupId = await clients.identitystore.send(
      new GetGroupIdCommand({ IdentityStoreId, AlternateIdentifier: { UniqueAttribute: { AttributePath: "displayName", AttributeValue: group.displayName } } }),
    );
    expect(groupId.GroupId).toBe(group.id);
  });

  it("GetUserId / GetGroupId errors: unknown value or external id → ResourceNotFoundException; other attributes → ValidationException", async () => {
    const missing = await rejectionOf(
      clients.identitystore.send(new GetUserIdCommand({ IdentityStoreId, AlternateIdentifier: { UniqueAttribute: { AttributePath: "userName", AttributeValue: "nobody@example.com" } } })),
    );
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.ResourceType).toBe("USER");
    const external = await rejectionOf(clients.identitystore.send(new GetGroupIdCommand({ IdentityStoreId, AlternateIdentifier: { ExternalId: { Issuer: "okta", Id: "00g1" } } })));
    expect(external).toBeInstanceOf(ResourceNotFoundException);
    expect(external.ResourceType).toBe("GROUP");
    const attribute = await rejectionOf(
      clients.identitystore.send(new GetUserIdCommand({ IdentityStoreId, AlternateIdentifier: { UniqueAttribute: { AttributePath: "title", AttributeValue: "CEO" } } })),
    );
    expect(attribute).toBeInstanceOf(ValidationException);
  });
});
