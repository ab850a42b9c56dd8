import { AddUserToGroupCommand, IAMClient, ListGroupsForUserCommand, RemoveUserFromGroupCommand } from "@aws-sdk/client-iam";
import {
  CreateGroupMembershipCommand,
  DeleteGroupMembershipCommand,
  GetGroupMembershipIdCommand,
  IdentitystoreClient,
} from "@aws-sdk/client-identitystore";
import { Code, ConnectError } from "@connectrpc/connect";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { createIamGroupMembershipProvisioner } from "../../src/provisioning/iam-group-membership.js";
import { createSsoGroupMembershipProvisioner } from "../../src/provisioning/sso-group-membership.js";
import { SELF_ACCOUNT, STORE, awsError, entitlement, fakeAwsClients, grantOf, provisionContext, resource, ssoUser } from "./fakes.js";

const iam = mockClient(IAMClient);
const store = mockClient(IdentitystoreClient);

beforeEach(() => {
  iam.reset();
  store.reset();
});

describe("IAM group membership", () => {
  const groupArn = `arn:aws:iam::${SELF_ACCOUNT}:group/eng/Developers`;
  const userArn = `arn:aws:iam::${SELF_ACCOUNT}:user/alice`;
  const ent = entitlement(`group:${groupArn}:member`, "group", groupArn);
  const alice = resource("iam_user", userArn);
  const provisioner = () => createIamGroupMembershipProvisioner({ aws: fakeAwsClients(), log: silentLogger });

  it("adds a non-member and answers with the synced grant id", async () => {
    iam.on(ListGroupsForUserCommand).resolves({ Groups: [] });
    iam.on(AddUserToGroupCommand).resolves({ $metadata: { requestId: "add-1" } });
    const outcome = await provisioner().grant(alice, ent, provisionContext());
    expect(outcome).toMatchObject({ alreadyExists: false, awsRequestIds: ["add-1"] });
    expect(outcome.grants[0]!.id).toBe(`group:${groupArn}:member:iam_user:${userArn}`);
    expect(iam.commandCalls(AddUserToGroupCommand)[0]!.args[0].input).toEqual({ GroupName: "Developers", UserName: "alice" });
  });

  it("answers already-exists without writing when the user is a member (AddUserToGroup would not tell)", async () => {
    iam.on(ListGroupsForUserCommand).resolves({ Groups: [{ GroupName: "developers", Arn: groupArn } as never] });
    const outcome = await provisioner().grant(alice, ent, provisionContext());
    expect(outcome.alreadyExists).toBe(true);
    expect(iam.commandCalls(AddUserToGroupCommand)).toHaveLength(0);
  });

  it("answers already-revoked for a non-member or a user that no longer exists", async () => {
    iam.on(ListGroupsForUserCommand).resolvesOnce({ Groups: [] }).rejectsOnce(awsError("NoSuchEntity"));
    expect((await provisioner().revoke(grantOf(ent, alice), provisionContext())).alreadyRevoked).toBe(true);
    expect((await provisioner().revoke(grantOf(ent, alice), provisionContext())).alreadyRevoked).toBe(true);
    expect(iam.commandCalls(RemoveUserFromGroupCommand)).toHaveLength(0);
  });

  it("removes a member", async () => {
    iam.on(ListGroupsForUserCommand).resolves({ Groups: [{ GroupName: "Developers" } as never] });
    iam.on(RemoveUserFromGroupCommand).resolves({ $metadata: { requestId: "rm-1" } });
    expect(await provisioner().revoke(grantOf(ent, alice), provisionContext())).toEqual({ alreadyRevoked: false, awsRequestIds: ["rm-1"] });
  });

  it("refuses a user of another account and a principal that is not an IAM user", async () => {
    const other = resource("iam_user", "arn:aws:iam::999999999999:user/bob");
    await expect(provisioner().grant(other, ent, provisionContext())).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(provisioner().grant(resource("role", "arn:aws:iam::111111111111:role/r"), ent, provisionContext())).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
    expect(iam.calls()).toHaveLength(0);
  });
});

describe("Identity Store group membership", () => {
  const groupArn = `arn:aws:identitystore:us-east-1::${STORE}/group/g-1`;
  const ent = entitlement(`sso_group:${groupArn}:member`, "sso_group", groupArn);
  const bob = ssoUser("u-1");
  const provisioner = () => createSsoGroupMembershipProvisioner({ aws: fakeAwsClients(), log: silentLogger });

  it("creates the membership; its MembershipId is the grant id", async () => {
    store.on(CreateGroupMembershipCommand).resolves({ MembershipId: "m-1", $metadata: { requestId: "c-1" } });
    const outcome = await provisioner().grant(bob, ent, provisionContext());
    expect(outcome).toMatchObject({ alreadyExists: false, awsRequestIds: ["c-1"] });
    expect(outcome.grants[0]!.id).toBe("m-1");
    expect(store.commandCalls(CreateGroupMembershipCommand)[0]!.args[0].input).toEqual({ IdentityStoreId: STORE, GroupId: "g-1", MemberId: { UserId: "u-1" } });
  });

  it("answers ConflictException with already-exists and the existing membership as the grant", async () => {
    store.on(CreateGroupMembershipCommand).rejects(awsError("ConflictException"));
    store.on(GetGroupMembershipIdCommand).resolves({ MembershipId: "m-old", $metadata: { requestId: "g-1" } });
    const outcome = await provisioner().grant(bob, ent, provisionContext());
    expect(outcome).toMatchObject({ alreadyExists: true, awsRequestIds: ["g-1"] });
    expect(outcome.grants[0]!.id).toBe("m-old");
  });

  it("retries the create when the conflict was a concurrent modification (no membership exists)", async () => {
    store
      .on(CreateGroupMembershipCommand)
      .rejectsOnce(awsError("ConflictException"))
      .resolves({ MembershipId: "m-2" });
    store.on(GetGroupMembershipIdCommand).rejects(awsError("ResourceNotFoundException"));
    const outcome = await provisioner().grant(bob, ent, provisionContext());
    expect(outcome.alreadyExists).toBe(false);
    expect(store.commandCalls(CreateGroupMembershipCommand)).toHaveLength(2);
  });

  it("revokes the membership found for (group, user), not whatever id the grant carries", async () => {
    store.on(GetGroupMembershipIdCommand).resolves({ MembershipId: "m-real" });
    store.on(DeleteGroupMembershipCommand).resolves({ $metadata: { requestId: "d-1" } });
    const outcome = await provisioner().revoke(grantOf(ent, bob, "m-stale"), provisionContext());
    expect(outcome).toEqual({ alreadyRevoked: false, awsRequestIds: ["d-1"] });
    expect(store.commandCalls(DeleteGroupMembershipCommand)[0]!.args[0].input).toEqual({ IdentityStoreId: STORE, MembershipId: "m-real" });
  });

  it("answers already-revoked when there is no membership, or it vanished before the delete", async () => {
    store.on(GetGroupMembershipIdCommand).rejectsOnce(awsError("ResourceNotFoundException")).resolves({ MembershipId: "m-1" });
    store.on(DeleteGroupMembershipCommand).rejects(awsError("ResourceNotFoundException"));
    expect((await provisioner().revoke(grantOf(ent, bob, "m-1"), provisionContext())).alreadyRevoked).toBe(true);
    expect((await provisioner().revoke(grantOf(ent, bob, "m-1"), provisionContext())).alreadyRevoked).toBe(true);
  });

  it("passes other AWS errors through for the router to map", async () => {
    store.on(CreateGroupMembershipCommand).rejects(awsError("AccessDeniedException"));
    const error = await provisioner().grant(bob, ent, provisionContext()).catch((e: unknown) => e);
    expect((error as Error).name).toBe("AccessDeniedException");
    expect(error).not.toBeInstanceOf(ConnectError);
  });
});
