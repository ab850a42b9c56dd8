/**
 * CloudTrail in the simulator: every write served (and every write of a change script) becomes an
 * event in the right account and Region, LookupEvents answers with AWS's shapes, attributes,
 * page size, ordering, errors, 90-day window and per-account-and-Region quota, and an event shows
 * only after the delivery delay.
 */
import {
  CloudTrailClient,
  InvalidLookupAttributesException,
  InvalidMaxResultsException,
  InvalidNextTokenException,
  InvalidTimeRangeException,
  LookupEventsCommand,
  ThrottlingException,
  type Event,
  type LookupEventsCommandInput,
} from "@aws-sdk/client-cloudtrail";
import { AddUserToGroupCommand, CreateUserCommand } from "@aws-sdk/client-iam";
import { CreateGroupMembershipCommand } from "@aws-sdk/client-identitystore";
import { CreateAccountAssignmentCommand } from "@aws-sdk/client-sso-admin";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type OrgSpec, type Simulator } from "../../src/simulator/index.js";
import { clientsFor, fastRetries, manualClock, rejectionOf } from "./helpers.js";

const MANAGEMENT = "210000000001";
const MEMBER = "210000000002";
const SSO_REGION = "eu-west-1";
const DAY = 24 * 3600 * 1000;

const SPEC: OrgSpec = {
  version: 1,
  region: SSO_REGION,
  organization: { managementAccountId: MANAGEMENT },
  accounts: [
    { id: MANAGEMENT, name: "management", email: "m@example.com", iam: { users: [{ name: "sim-admin" }, { name: "ana" }], groups: [{ name: "Ops" }] } },
    {
      id: MEMBER,
      name: "member",
      email: "w@example.com",
      iam: {
        groups: [{ name: "Dev" }],
        users: [{ name: "bo" }],
        roles: [
          {
            name: "OrganizationAccountAccessRole",
            trustPolicy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${MANAGEMENT}:root` }, Action: "sts:AssumeRole" }] },
          },
        ],
      },
    },
  ],
  identityCenter: {
    users: [{ userName: "cy@example.com", givenName: "Cy", familyName: "Cole", email: "cy@example.com" }],
    groups: [{ displayName: "Engineering" }],
    permissionSets: [{ name: "ReadOnly" }],
  },
} as OrgSpec;

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function start(options: { clock?: () => number; knobs?: Parameters<Simulator["knobs"]["update"]>[0] } = {}) {
  sim = await startSimulator({ org: SPEC, clock: options.clock });
  if (options.knobs) sim.knobs.update(options.knobs);
  const clients = clientsFor(sim);
  const trail = (region: string) => new CloudTrailClient({ ...sim!.clientConfig(), region, retryStrategy: fastRetries() });
  return { sim, clients, trail };
}

async function lookupAll(client: CloudTrailClient, input: LookupEventsCommandInput = {}): Promise<{ events: Event[]; pages: number }> {
  const events: Event[] = [];
  let pages = 0;
  let NextToken: string | undefined;
  do {
    const out = await client.send(new LookupEventsCommand({ ...input, NextToken }));
    pages++;
    events.push(...(out.Events ?? []));
    NextToken = out.NextToken;
  } while (NextToken);
  return { events, pages };
}

const record = (event: Event) => JSON.parse(event.CloudTrailEvent!) as Record<string, any>;

describe("CloudTrail records the simulator's writes", () => {
  it("IAM writes land in us-east-1 of the account they act in, Identity Center writes in the instance's Region; failed writes carry their error", async () => {
    const { sim, clients, trail } = await start();
    const store = sim.model.identityStore!;
    const instance = sim.model.ssoInstance!;
    await clients.iam.send(new AddUserToGroupCommand({ UserName: "ana", GroupName: "Ops" }));
    await rejectionOf(clients.iam.send(new AddUserToGroupCommand({ UserName: "nobody", GroupName: "Ops" })));
    const user = [...store.users][0]!;
    const group = [...store.groups][0]!;
    await clients.identitystore.send(new CreateGroupMembershipCommand({ IdentityStoreId: store.id, GroupId: group.id, MemberId: { UserId: user.id } }));
    const ps = [...instance.permissionSets][0]!;
    await clients.ssoAdmin.send(
      new CreateAccountAssignmentCommand({ InstanceArn: instance.arn, TargetId: MEMBER, TargetType: "AWS_ACCOUNT", PermissionSetArn: ps.arn, PrincipalType: "USER", PrincipalId: user.id }),
    );

    const global = (await lookupAll(trail("us-east-1"))).events;
    expect(global.map((e) => e.EventName)).toEqual(["AddUserToGroup", "AddUserToGroup"]);
    const [failed, added] = global.map(record);
    expect(added).toMatchObject({
      eventSource: "iam.amazonaws.com",
      awsRegion: "us-east-1",
      recipientAccountId: MANAGEMENT,
      readOnly: false,
      requestParameters: { userName: "ana", groupName: "Ops" },
      userIdentity: { type: "IAMUser", accountId: MANAGEMENT, userName: "sim-admin" },
    });
    expect(failed).toMatchObject({ errorCode: "NoSuchEntity", requestParameters: { userName: "nobody" } });
    expect(global[1]!.Resources).toEqual(expect.arrayContaining([{ ResourceType: "AWS::IAM::User", ResourceName: "ana" }]));

    const regional = (await lookupAll(trail(SSO_REGION))).events;
    expect(regional.map((e) => [e.EventSource, e.EventName])).toEqual([
      ["sso.amazonaws.com", "CreateAccountAssignment"],
      ["identitystore.amazonaws.com", "CreateGroupMembership"],
    ]);
    expect(record(regional[0]!).requestParameters).toMatchObject({ targetId: MEMBER, permissionSetArn: ps.arn, principalType: "USER", principalId: user.id });
    expect(record(regional[1]!).requestParameters).toMatchObject({ groupId: group.id, memberId: { userId: user.id } });
    expect(regional.every((e) => e.ReadOnly === "false" && e.EventTime instanceof Date)).toBe(true);
  });

  it("a change script's writes are recorded like a client's, in the member account they act in; sign-ins too", async () => {
    const { sim, trail } = await start();
    const user = [...sim.model.identityStore!.users][0]!;
    const outcomes = sim.applyChanges({
      changes: [
        { service: "iam", operation: "AddUserToGroup", params: { UserName: "bo", GroupName: "Dev" }, account: MEMBER },
        { service: "iam", operation: "CreateUser", params: { UserName: "dee", Tags: [{ Key: "team", Value: "ops" }] } },
        { service: "iam", operation: "AddUserToGroup", params: { UserName: "nobody", GroupName: "Dev" }, account: MEMBER },
        { signIn: { kind: "portal", userId: user.id } },
        { signIn: { kind: "console", accountId: MANAGEMENT, userName: "ana" } },
      ],
    });
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, false, true, true]);
    expect(outcomes[2]!.error?.code).toBe("NoSuchEntity");

    // The member account's own history (read with the member-account role's session).
    const { Credentials } = await clientsFor(sim).sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`, RoleSessionName: "reader" }),
    );
    const memberTrail = new CloudTrailClient({
      endpoint: sim.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken },
      retryStrategy: fastRetries(),
    });
    const inMember = (await lookupAll(memberTrail)).events;
    expect(inMember.map((e) => [e.EventName, record(e).errorCode])).toEqual([
      ["AddUserToGroup", "NoSuchEntity"],
      ["AddUserToGroup", undefined],
    ]);
    expect(record(inMember[1]!).userIdentity).toMatchObject({ type: "AssumedRole", accountId: MEMBER });

    const inManagement = (await lookupAll(trail("us-east-1"))).events;
    expect(inManagement.map((e) => e.EventName)).toEqual(["ConsoleLogin", "CreateUser"]);
    expect(record(inManagement[1]!).requestParameters).toMatchObject({ userName: "dee", tags: [{ key: "team", value: "ops" }] });
    const portal = (await lookupAll(trail(SSO_REGION), { LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "Authenticate" }] })).events;
    expect(record(portal[0]!).userIdentity.onBehalfOf).toMatchObject({ userId: user.id });
  });
});

describe("LookupEvents", () => {
  it("pages of 1–50 newest first, to the end; attributes filter; a token only works with the parameters it came from", async () => {
    const { clients, trail } = await start();
    for (let i = 0; i < 7; i++) await clients.iam.send(new CreateUserCommand({ UserName: `u${i}` }));
    await rejectionOf(clients.iam.send(new CreateUserCommand({ UserName: "u0" })));
    const client = trail("us-east-1");
    const all = await lookupAll(client, { MaxResults: 3 });
    expect(all.pages).toBe(3);
    expect(all.events.map((e) => record(e).requestParameters.userName)).toEqual(["u0", "u6", "u5", "u4", "u3", "u2", "u1", "u0"]);
    expect((await lookupAll(client)).pages).toBe(1);

    const byName = await lookupAll(client, { LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: "u3" }] });
    expect(byName.events).toHaveLength(1);
    const byId = await lookupAll(client, { LookupAttributes: [{ AttributeKey: "EventId", AttributeValue: all.events[2]!.EventId! }] });
    expect(byId.events.map((e) => e.EventId)).toEqual([all.events[2]!.EventId]);
    expect((await lookupAll(client, { LookupAttributes: [{ AttributeKey: "ReadOnly", AttributeValue: "true" }] })).events).toEqual([]);

    const first = await client.send(new LookupEventsCommand({ MaxResults: 2 }));
    expect(await rejectionOf(client.send(new LookupEventsCommand({ MaxResults: 2, NextToken: first.NextToken, LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "CreateUser" }] })))).toBeInstanceOf(
      InvalidNextTokenException,
    );
    expect(await rejectionOf(client.send(new LookupEventsCommand({ MaxResults: 51 })))).toBeInstanceOf(InvalidMaxResultsException);
    expect(await rejectionOf(client.send(new LookupEventsCommand({ MaxResults: 0 })))).toBeInstanceOf(InvalidMaxResultsException);
    const two = [
      { AttributeKey: "EventName" as const, AttributeValue: "CreateUser" },
      { AttributeKey: "Username" as const, AttributeValue: "sim-admin" },
    ];
    expect(await rejectionOf(client.send(new LookupEventsCommand({ LookupAttributes: two })))).toBeInstanceOf(InvalidLookupAttributesException);
    expect(await rejectionOf(client.send(new LookupEventsCommand({ StartTime: new Date(2_000_000_000_000), EndTime: new Date(1_000_000_000_000) })))).toBeInstanceOf(
      InvalidTimeRangeException,
    );
  });

  it("an event appears after the delivery delay, StartTime/EndTime bound it, and after 90 days it is gone", async () => {
    const clock = manualClock();
    const { clients, trail } = await start({ clock: clock.now, knobs: { cloudTrail: { deliveryDelayMs: 5 * 60_000 } } });
    const written = clock.now();
    await clients.iam.send(new CreateUserCommand({ UserName: "late" }));
    const client = trail("us-east-1");
    expect((await lookupAll(client)).events).toEqual([]);
    clock.advance(5 * 60_000 - 1000);
    expect((await lookupAll(client)).events).toEqual([]);
    clock.advance(1000);
    expect((await lookupAll(client)).events).toHaveLength(1);
    expect((await lookupAll(client, { StartTime: new Date(written + 1000) })).events).toEqual([]);
    expect((await lookupAll(client, { EndTime: new Date(written - 1000) })).events).toEqual([]);
    expect((await lookupAll(client, { StartTime: new Date(written - 1000), EndTime: new Date(written + 1000) })).events).toHaveLength(1);
    clock.advance(90 * DAY);
    expect((await lookupAll(client, { StartTime: new Date(written - DAY) })).events).toEqual([]);
  });

  it("two requests per second per account and Region: the third in a second is a ThrottlingException (HTTP 429); another Region has its own", async () => {
    const clock = manualClock();
    const { trail } = await start({ clock: clock.now, knobs: { quotas: { enabled: true } } });
    const noRetry = (region: string) => {
      const client = trail(region);
      client.config.maxAttempts = async () => 1;
      return client;
    };
    const east = noRetry("us-east-1");
    await east.send(new LookupEventsCommand({}));
    await east.send(new LookupEventsCommand({}));
    const error = await rejectionOf(east.send(new LookupEventsCommand({})));
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error.$metadata?.httpStatusCode).toBe(429);
    await noRetry(SSO_REGION).send(new LookupEventsCommand({}));
    clock.advance(500);
    await east.send(new LookupEventsCommand({}));
  });
});
