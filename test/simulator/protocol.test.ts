import { GetUserCommand, paginateListUsers } from "@aws-sdk/client-iam";
import { paginateListUsers as paginateSsoUsers } from "@aws-sdk/client-identitystore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_CREDENTIALS, startSimulator, type OrgSpec, type Simulator } from "../../src/simulator/index.js";
import { decodeForm, memberList } from "../../src/simulator/protocol/query-xml.js";
import { clientsFor, collect, rawQuery, signedHeaders } from "./helpers.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A tiny organisation with characters that need escaping in XML. */
const tricky: OrgSpec = {
  version: 1,
  organization: { managementAccountId: "111111111111" },
  accounts: [
    {
      id: "111111111111",
      name: "management",
      email: "root@example.com",
      iam: { users: [{ name: "sim-admin", tags: { note: `<a & "b"> 'c'` } }] },
    },
  ],
  identityCenter: { users: [], groups: [], permissionSets: [] },
};

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ org: tricky });
});
afterAll(() => sim.stop());

const query = (body: string, service = "iam", headers: Record<string, string> = signedHeaders(service)) => rawQuery(sim.endpoint, body, service, headers);

const json = (target: string, body: unknown, service = "sso") =>
  fetch(sim.endpoint, { method: "POST", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": target, ...signedHeaders(service) }, body: JSON.stringify(body) });

describe("awsQuery (IAM, STS)", () => {
  it("wraps results in <OpResponse xmlns><OpResult> with ResponseMetadata, x-amzn-RequestId and a correct Date", async () => {
    const response = await query("Action=ListUsers&Version=2010-05-08");
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/xml");
    expect(text).toMatch(/^<ListUsersResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><ListUsersResult>/);
    expect(text).toMatch(/<CreateDate>2021-01-04T09:30:00Z<\/CreateDate>/);
    const requestId = response.headers.get("x-amzn-requestid")!;
    expect(requestId).toMatch(UUID);
    expect(text).toContain(`<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>`);
    expect(Math.abs(Date.parse(response.headers.get("date")!) - Date.now())).toBeLessThan(5000);
  });

  it("escapes XML and the SDK reads the original text back", async () => {
    const text = await (await query("Action=GetUser&Version=2010-05-08&UserName=sim-admin")).text();
    expect(text).toContain("<Value>&lt;a &amp; &quot;b&quot;&gt; &apos;c&apos;</Value>");
    const { User } = await clientsFor(sim).iam.send(new GetUserCommand({ UserName: "sim-admin" }));
    expect(User!.Tags).toEqual([{ Key: "note", Value: `<a & "b"> 'c'` }]);
  });

  it("tells IAM from STS by Version, else by the credential scope", async () => {
    const sts = await (await query("Action=GetCallerIdentity&Version=2011-06-15", "sts")).text();
    expect(sts).toMatch(/^<GetCallerIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
    const byScope = await (await query("Action=GetCallerIdentity", "sts")).text();
    expect(byScope).toContain("<Arn>arn:aws:iam::111111111111:user/sim-admin</Arn>");
  });

  it("encodes errors as <ErrorResponse><Error><Type><Code><Message> with the right status", async () => {
    const missing = await query("Action=GetGroup&Version=2010-05-08&GroupName=nope");
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(
      /^<ErrorResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>NoSuchEntity<\/Code><Message>The group with name nope cannot be found\.<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
    const unknown = await query("Action=CreateInstanceProfile&Version=2010-05-08&InstanceProfileName=x");
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain("<Code>InvalidAction</Code>");
    const anonymous = await query("Action=ListUsers&Version=2010-05-08", "iam", {});
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain("<Code>MissingAuthenticationToken</Code>");
  });

  it("decodes form lists Name.member.N and Name.member.N.Field in index order", () => {
    const params = decodeForm("Filter.member.2=Role&Filter.member.1=User&Tags.member.1.Key=k&Tags.member.1.Value=v%20w&Filter.member.10=Group");
    expect(memberList(params, "Filter")).toEqual(["User", "Role", "Group"]);
    expect(memberList(params, "Tags", true)).toEqual([{ Key: "k", Value: "v w" }]);
  });
});

describe("awsJson1_1 (Identity Store, SSO Admin, Organizations)", () => {
  it("answers epoch-second timestamps and `__type` errors with x-amzn-ErrorType", async () => {
    const ok = await json("SWBExternalService.ListInstances", {});
    expect(ok.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    const { Instances } = (await ok.json()) as { Instances: Array<{ CreatedDate: unknown }> };
    expect(typeof Instances[0]!.CreatedDate).toBe("number");
    const error = await json("SWBExternalService.ListAccountAssignments", { InstanceArn: sim.model.ssoInstance!.arn });
    expect(error.status).toBe(400);
    expect(error.headers.get("x-amzn-errortype")).toBe("ValidationException");
    const body = (await error.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ __type: "ValidationException" });
    expect(body.Message).toMatch(/^1 validation error detected: Value null at 'accountId'/);
    const unknown = await json("SWBExternalService.DeleteInstance", {});
    expect(((await unknown.json()) as Record<string, unknown>).__type).toBe("UnknownOperationException");
    const stranger = await fetch(sim.endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSOrganizationsV20161128.ListAccounts", ...signedHeaders("organizations", "AKIANOBODY0000000000") },
      body: "{}",
    });
    expect(((await stranger.json()) as Record<string, unknown>).__type).toBe("UnrecognizedClientException");
  });
});

describe("short pages", () => {
  it("with shortPageRate=1 pages come back short but still carry a token, and every item is still reached", async () => {
    const s = await startSimulator({ profile: "small", knobs: { shortPageRate: 1 } });
    try {
      const clients = clientsFor(s);
      const IdentityStoreId = s.model.identityStore!.id;
      const users = await collect(paginateSsoUsers({ client: clients.identitystore, pageSize: 50 }, { IdentityStoreId }), (p) => p.Users);
      expect(users.items.map((u) => u.UserId)).toEqual([...s.model.identityStore!.users].map((u) => u.id));
      expect(users.pages).toBeGreaterThan(5); // 250 users would need 5 full pages
      const iamUsers = await collect(paginateListUsers({ client: clients.iam, pageSize: 10 }, {}), (p) => p.Users);
      expect(iamUsers.items).toHaveLength(s.model.accounts.get(s.model.organization!.managementAccountId)!.iam.users.length);
    } finally {
      await s.stop();
    }
  });
});

describe("admin endpoint", () => {
  it("serves counters and knobs, applies knob patches and rejects bad ones naming the field", async () => {
    await fetch(`${sim.endpoint}/_sim/counters/reset`, { method: "POST" });
    await query("Action=ListUsers&Version=2010-05-08");
    await query("Action=GetGroup&Version=2010-05-08&GroupName=nope");
    const counters = (await (await fetch(`${sim.endpoint}/_sim/counters`)).json()) as { totals: Record<string, number>; services: Record<string, { operations: Record<string, unknown> }> };
    expect(counters.totals).toMatchObject({ calls: 2, errors: 1, throttles: 0 });
    expect(counters.services.iam!.operations.GetGroup).toMatchObject({ calls: 1, errors: 1 });

    const patched = await fetch(`${sim.endpoint}/_sim/knobs`, { method: "POST", body: JSON.stringify({ latency: { fixedMs: 1 }, principalAssignmentsIncludeGroups: false }) });
    expect(await patched.json()).toMatchObject({ latency: { fixedMs: 1, jitterMs: 0 }, principalAssignmentsIncludeGroups: false });
    expect(sim.knobs.current.latency.fixedMs).toBe(1);
    const bad = await fetch(`${sim.endpoint}/_sim/knobs`, { method: "POST", body: JSON.stringify({ quotas: { services: { iam: { rate: -1 } } } }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain("quotas.services.iam.rate");
    sim.knobs.update({ latency: { fixedMs: 0 }, principalAssignmentsIncludeGroups: true });
    const info = (await (await fetch(`${sim.endpoint}/_sim/info`)).json()) as { credentials: Array<{ accessKeyId: string }> };
    expect(info.credentials.map((c) => c.accessKeyId)).toContain(SIM_CREDENTIALS.management.accessKeyId);
  });
});
