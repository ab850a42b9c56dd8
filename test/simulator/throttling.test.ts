import { IAMClient, IAMServiceException, ListUsersCommand } from "@aws-sdk/client-iam";
import { IdentitystoreClient, ListGroupsCommand, ThrottlingException as IdsThrottling, InternalServerException } from "@aws-sdk/client-identitystore";
import { ListAccountsCommand, TooManyRequestsException } from "@aws-sdk/client-organizations";
import { ListInstancesCommand, ThrottlingException as SsoThrottling } from "@aws-sdk/client-sso-admin";
import { ConfiguredRetryStrategy } from "@smithy/core/retry";
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator, type SimulatorOptions } from "../../src/simulator/index.js";
import { clientsFor, manualClock, rejectionOf } from "./helpers.js";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function start(options: SimulatorOptions) {
  sim = await startSimulator(options);
  return { sim, clients: clientsFor(sim) };
}

describe("quota-based throttling (token buckets)", () => {
  it("IAM answers unmodeled Throttling (400); the SDK retries it and the counters see every attempt", async () => {
    const clock = manualClock();
    const { sim, clients } = await start({ clock: clock.now, knobs: { quotas: { enabled: true, services: { iam: { rate: 1, burst: 2 } } } } });
    await clients.iam.send(new ListUsersCommand({}));
    await clients.iam.send(new ListUsersCommand({}));
    const error = await rejectionOf(clients.iam.send(new ListUsersCommand({})));
    expect(error).toBeInstanceOf(IAMServiceException);
    expect(error.name).toBe("Throttling");
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(error.$metadata?.attempts).toBe(3);
    expect(sim.counters.snapshot().services.iam!.operations.ListUsers).toMatchObject({ calls: 5, throttles: 3, errors: 3 });
    clock.advance(1000);
    await clients.iam.send(new ListUsersCommand({}));
    expect(sim.counters.calls("iam", "ListUsers")).toBe(6);
  });

  it("SSO Admin allows 20 calls at once by default (aws-like quotas), then ThrottlingException 429", async () => {
    const clock = manualClock();
    const { clients } = await start({ clock: clock.now, knobs: { quotas: { enabled: true } } });
    for (let i = 0; i < 20; i++) await clients.ssoAdmin.send(new ListInstancesCommand({}));
    const error = await rejectionOf(clients.ssoAdmin.send(new ListInstancesCommand({})));
    expect(error).toBeInstanceOf(SsoThrottling);
    expect(error.$metadata?.httpStatusCode).toBe(429);
  });

  it("quotas can be changed while running", async () => {
    const clock = manualClock();
    const { sim, clients } = await start({ clock: clock.now });
    await clients.organizations.send(new ListAccountsCommand({}));
    sim.knobs.update({ quotas: { enabled: true, services: { organizations: { rate: 1, burst: 1 } } } });
    await clients.organizations.send(new ListAccountsCommand({}));
    expect(await rejectionOf(clients.organizations.send(new ListAccountsCommand({})))).toBeInstanceOf(TooManyRequestsException);
  });
});

describe("per-second counters", () => {
  it("count arrivals per simulator-clock second and service, throttled attempts included, over /_sim/counters too", async () => {
    const clock = manualClock(Date.UTC(2026, 0, 15, 12, 0, 0, 250));
    const { sim, clients } = await start({ clock: clock.now, knobs: { quotas: { enabled: true, services: { iam: { rate: 1, burst: 2 } } } } });
    const second = Math.floor(clock.now() / 1000);
    await clients.iam.send(new ListUsersCommand({}));
    await clients.iam.send(new ListUsersCommand({}));
    await rejectionOf(clients.iam.send(new ListUsersCommand({}))); // throttled: 3 attempts
    clock.advance(1000);
    await clients.iam.send(new ListUsersCommand({}));
    await clients.ssoAdmin.send(new ListInstancesCommand({}));
    expect(sim.counters.perSecond("iam")).toEqual({ peak: 5, buckets: { [second]: 5, [second + 1]: 1 } });
    const overHttp = (await (await fetch(`${sim.endpoint}/_sim/counters`)).json()) as { perSecond: Record<string, unknown> };
    expect(overHttp.perSecond).toEqual({ iam: { peak: 5, buckets: { [second]: 5, [second + 1]: 1 } }, "sso-admin": { peak: 1, buckets: { [second + 1]: 1 } } });
    sim.counters.reset();
    expect(sim.counters.perSecond("iam")).toEqual({ peak: 0, buckets: {} });
  });

  it("keep only the last hour of buckets", async () => {
    const clock = manualClock();
    const { sim, clients } = await start({ clock: clock.now });
    const first = Math.floor(clock.now() / 1000);
    await clients.organizations.send(new ListAccountsCommand({}));
    clock.advance(3599_000);
    await clients.organizations.send(new ListAccountsCommand({}));
    expect(Object.keys(sim.counters.perSecond("organizations").buckets)).toEqual([String(first), String(first + 3599)]);
    clock.advance(1000);
    await clients.organizations.send(new ListAccountsCommand({}));
    expect(Object.keys(sim.counters.perSecond("organizations").buckets)).toEqual([String(first + 3599), String(first + 3600)]);
  });
});

describe("fault injection", () => {
  it("Identity Store throttles with ThrottlingException 429 and Retry-After, which the SDK honours", async () => {
    const { sim, clients } = await start({ knobs: { faults: [{ kind: "throttle", rate: 1, count: 1, services: ["identitystore"] }] } });
    const IdentityStoreId = sim.model.identityStore!.id;
    const started = Date.now();
    const out = await clients.identitystore.send(new ListGroupsCommand({ IdentityStoreId }));
    expect(out.$metadata.attempts).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // Retry-After: 1
    expect(sim.counters.snapshot().services.identitystore).toMatchObject({ calls: 2, throttles: 1 });

    sim.knobs.update({ faults: [{ kind: "throttle", rate: 1, services: ["identitystore"] }] });
    const noRetry = new IdentitystoreClient({ ...sim.clientConfig(), retryStrategy: new ConfiguredRetryStrategy(1) });
    const error = await rejectionOf(noRetry.send(new ListGroupsCommand({ IdentityStoreId })));
    expect(error).toBeInstanceOf(IdsThrottling);
    expect(error.RetryAfterSeconds).toBe(1);
  });

  it("Organizations throttles with TooManyRequestsException; retried until the faults run out", async () => {
    const { sim, clients } = await start({ knobs: { faults: [{ kind: "throttle", rate: 1, count: 2, operations: ["ListAccounts"] }] } });
    const out = await clients.organizations.send(new ListAccountsCommand({}));
    expect(out.$metadata.attempts).toBe(3);
    sim.knobs.update({ faults: [{ kind: "throttle", rate: 1, count: 3, operations: ["ListAccounts"] }] });
    expect(await rejectionOf(clients.organizations.send(new ListAccountsCommand({})))).toBeInstanceOf(TooManyRequestsException);
    expect(sim.counters.snapshot().services.organizations!.operations.ListAccounts).toMatchObject({ calls: 6, throttles: 5 });
  });

  it("5xx (ServiceFailure / InternalServerException) and connection resets are retried by the SDK", async () => {
    const { sim, clients } = await start({
      knobs: {
        faults: [
          { kind: "internal", rate: 1, count: 1, services: ["iam"] },
          { kind: "reset", rate: 1, count: 1, services: ["sso-admin"] },
          { kind: "internal", rate: 1, count: 3, services: ["identitystore"] },
        ],
      },
    });
    expect((await clients.iam.send(new ListUsersCommand({}))).$metadata.attempts).toBe(2);
    expect((await clients.ssoAdmin.send(new ListInstancesCommand({}))).$metadata.attempts).toBe(2);
    const error = await rejectionOf(clients.identitystore.send(new ListGroupsCommand({ IdentityStoreId: sim.model.identityStore!.id })));
    expect(error).toBeInstanceOf(InternalServerException);
    expect(error.$metadata?.httpStatusCode).toBe(500);
    const counts = sim.counters.snapshot();
    expect(counts.services.iam).toMatchObject({ calls: 2, faults: 1, errors: 1 });
    expect(counts.services["sso-admin"]).toMatchObject({ calls: 2, faults: 1 });
    expect(counts.services.identitystore).toMatchObject({ calls: 3, faults: 3 });
  });

  it("slow responses and latency delay answers (bounds are generous)", async () => {
    const { sim, clients } = await start({ knobs: { latency: { fixedMs: 40, perService: { sts: { fixedMs: 0, jitterMs: 0 } } }, faults: [{ kind: "slow", rate: 1, delayMs: 200, services: ["iam"] }] } });
    let started = Date.now();
    await clients.iam.send(new ListUsersCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(230);
    started = Date.now();
    await clients.organizations.send(new ListAccountsCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    expect(sim.counters.snapshot().services.iam).toMatchObject({ faults: 1, errors: 0 });
  });

  it("is reproducible: the same seed gives the same fault sequence, another seed a different one", async () => {
    const outcomes = async (seed: number) => {
      const s = await startSimulator({ seed, knobs: { faults: [{ kind: "throttle", rate: 0.3 }] } });
      const client = new IAMClient({ ...s.clientConfig(), retryStrategy: new ConfiguredRetryStrategy(1) });
      const seen: string[] = [];
      for (let i = 0; i < 40; i++) seen.push(await client.send(new ListUsersCommand({})).then(() => "ok", (e: Error) => e.name));
      await s.stop();
      return seen.join(",");
    };
    const first = await outcomes(42);
    expect(first).toContain("Throttling");
    expect(await outcomes(42)).toBe(first);
    expect(await outcomes(43)).not.toBe(first);
  });
});
