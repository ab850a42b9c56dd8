import { GetAccessKeyLastUsedCommand, GetAccountAuthorizationDetailsCommand, ListAccessKeysCommand } from "@aws-sdk/client-iam";
import { ListAccountsCommand } from "@aws-sdk/client-organizations";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { afterEach, describe, expect, test } from "vitest";
import { SkipEntitlementsAndGrantsSchema } from "../../src/gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { SecretTraitSchema, SecretTrait_CredentialType } from "../../src/gen/c1/connector/v2/annotation_trait_pb.js";
import { V1IdentifierSchema } from "../../src/gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import { ResourceType_Trait, Status_ResourceStatus } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { CREATED, user } from "./support/iam-fixtures.js";
import { MEMBER_ACCOUNT, OWN_ACCOUNT, annotationOf, call, callerAccountOf, readAll, unitSetup } from "./support/unit.js";

let setup: ReturnType<typeof unitSetup>;
afterEach(() => setup.restore());

const alice = user(OWN_ACCOUNT, "alice");
const bob = user(OWN_ACCOUNT, "bob");
const dave = user(MEMBER_ACCOUNT, "dave");
const used = new Date("2025-03-04T05:06:07Z");

function iam() {
  setup.mocks.organizations.on(ListAccountsCommand).resolves({ Accounts: [{ Id: OWN_ACCOUNT, State: "ACTIVE" }, { Id: MEMBER_ACCOUNT, State: "ACTIVE" }] });
  setup.mocks.iam
    .on(GetAccountAuthorizationDetailsCommand)
    .callsFake(async (_input, getClient) => ({ UserDetailList: (await callerAccountOf(getClient() as never)) === MEMBER_ACCOUNT ? [dave] : [alice, bob] }))
    .on(ListAccessKeysCommand, { UserName: "alice" })
    .resolves({
      AccessKeyMetadata: [
        { UserName: "alice", AccessKeyId: "AKIAALICE00000000001", Status: "Active", CreateDate: CREATED },
        { UserName: "alice", AccessKeyId: "AKIAALICE00000000002", Status: "Inactive", CreateDate: CREATED },
      ],
    })
    .on(ListAccessKeysCommand, { UserName: "bob" })
    .resolves({ AccessKeyMetadata: [] })
    .on(ListAccessKeysCommand, { UserName: "dave" })
    .resolves({ AccessKeyMetadata: [{ UserName: "dave", AccessKeyId: "AKIADAVE000000000001", Status: "Active", CreateDate: CREATED }] })
    .on(GetAccessKeyLastUsedCommand)
    .callsFake((input: { AccessKeyId: string }) =>
      input.AccessKeyId === "AKIAALICE00000000001"
        ? { UserName: "alice", AccessKeyLastUsed: { LastUsedDate: used, ServiceName: "s3", Region: "eu-west-1" } }
        : { AccessKeyLastUsed: { ServiceName: "N/A", Region: "N/A" } },
    );
}

const keys = async () => (await readAll((s) => setup.syncer("access-key").listResources(undefined, s, call()))).items;

describe("access-key (sync-secrets)", () => {
  test("resource type as baton-aws: SECRET trait, SkipEntitlementsAndGrants, no V1 identifier on the type", () => {
    setup = unitSetup({ syncSecrets: true });
    const type = setup.syncer("access-key").resourceType;
    expect(type).toMatchObject({ id: "access-key", displayName: "Access Key", traits: [ResourceType_Trait.SECRET] });
    expect(annotationOf(type.annotations, SkipEntitlementsAndGrantsSchema)).toBeDefined();
    expect(annotationOf(type.annotations, V1IdentifierSchema)).toBeUndefined();
  });

  test("every synced account's keys, with status, creation and last use; never a secret", async () => {
    setup = unitSetup({ syncSecrets: true, crossAccountIam: true, identityCenter: false });
    iam();
    const listed = await keys();
    expect(listed.map((k) => [k.id!.resource, k.displayName, k.parentResourceId])).toEqual([
      ["AKIAALICE00000000001", "alice|AKIAALICE00000000001", undefined],
      ["AKIAALICE00000000002", "alice|AKIAALICE00000000002", undefined],
      ["AKIADAVE000000000001", "dave|AKIADAVE000000000001", undefined],
    ]);
    const [active, inactive] = listed;
    expect(active!.status?.status).toBe(Status_ResourceStatus.ENABLED);
    expect(inactive!.status).toMatchObject({ status: Status_ResourceStatus.DISABLED, details: "access key is Inactive" });
    expect(timestampMs(active!.createdAt!)).toBe(CREATED.getTime());
    expect(active!.profile).toEqual({
      aws_access_key_id: "AKIAALICE00000000001",
      aws_user_name: "alice",
      aws_user_arn: alice.Arn,
      aws_user_id: alice.UserId,
      aws_access_key_status: "Active",
      aws_last_used_at: used.toISOString(),
      aws_last_used_service: "s3",
      aws_last_used_region: "eu-west-1",
    });
    expect(inactive!.profile?.aws_last_used_service).toBeUndefined();
    // baton-aws's legacy id for a key is its user's ARN.
    expect(annotationOf(active!.annotations, V1IdentifierSchema)?.id).toBe(alice.Arn);
    const trait = annotationOf(active!.annotations, SecretTraitSchema)!;
    expect(trait.credentialType).toBe(SecretTrait_CredentialType.STATIC_SECRET);
    expect(trait.credentialDetail).toBe("aws.access_key");
    expect(trait.identityId).toMatchObject({ resourceType: "iam_user", resource: alice.Arn });
    expect(trait.createdById).toMatchObject({ resourceType: "iam_user", resource: alice.Arn });
    expect(timestampMs(trait.lastUsedAt!)).toBe(used.getTime());
    // One ListAccessKeys per user, one GetAccessKeyLastUsed per key.
    expect(setup.mocks.iam.commandCalls(ListAccessKeysCommand)).toHaveLength(3);
    expect(setup.mocks.iam.commandCalls(GetAccessKeyLastUsedCommand)).toHaveLength(3);
  });

  test("pages walk the accounts; GetResource finds a key in any synced account", async () => {
    setup = unitSetup({ syncSecrets: true, crossAccountIam: true, identityCenter: false });
    iam();
    const { pages } = await readAll((s) => setup.syncer("access-key").listResources(undefined, s, call()));
    expect(pages).toBe(1);
    const get = (id: string) => setup.syncer("access-key").getResource!({ resourceType: "access-key", resource: id } as never, undefined, call());
    expect((await get("AKIADAVE000000000001"))?.displayName).toBe("dave|AKIADAVE000000000001");
    expect(await get("AKIANOBODY0000000000")).toBeUndefined();
  });
  test("a member account's keys load while the own account's are still loading (each account's IAM quota is its own)", async () => {
    setup = unitSetup({ syncSecrets: true, crossAccountIam: true, identityCenter: false });
    iam();
    let memberAsked!: () => void;
    const memberCalled = new Promise<boolean>((resolve) => (memberAsked = () => resolve(true)));
    let overlapped: boolean | undefined;
    setup.mocks.iam
      .on(ListAccessKeysCommand, { UserName: "dave" })
      .callsFake(() => {
        memberAsked();
        return { AccessKeyMetadata: [] };
      })
      .on(ListAccessKeysCommand, { UserName: "alice" })
      .callsFake(async () => {
        // Walking the accounts one by one, the member's keys would only be asked after these.
        overlapped = await Promise.race([memberCalled, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000))]);
        return { AccessKeyMetadata: [] };
      });
    await keys();
    expect(overlapped).toBe(true);
    // Still one ListAccessKeys per user: nothing read twice.
    expect(setup.mocks.iam.commandCalls(ListAccessKeysCommand)).toHaveLength(3);
  });
});
