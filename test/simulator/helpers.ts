/** Shared test setup: an in-process simulator and real SDK v3 clients pointed at it. */
import { IAMClient } from "@aws-sdk/client-iam";
import { IdentitystoreClient } from "@aws-sdk/client-identitystore";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { STSClient } from "@aws-sdk/client-sts";
import { ConfiguredRetryStrategy } from "@smithy/core/retry";
import { SIM_CREDENTIALS, startSimulator, type PrincipalName, type SimClientConfig, type SimCredentials, type Simulator, type SimulatorOptions } from "../../src/simulator/index.js";

/** The SDK's own retry logic (which errors retry, how many attempts) with a 10 ms backoff. */
export const fastRetries = () => new ConfiguredRetryStrategy(3, 10);

export interface Clients {
  iam: IAMClient;
  sts: STSClient;
  identitystore: IdentitystoreClient;
  ssoAdmin: SSOAdminClient;
  organizations: OrganizationsClient;
}

export function clientsFor(sim: Simulator, principal: PrincipalName | SimCredentials = "management"): Clients {
  return clientsForConfig(sim.clientConfig(principal));
}

/** Clients for any endpoint (the simulator, or moto in the parity suite). */
export function clientsForConfig(endpointConfig: SimClientConfig): Clients {
  const config = { ...endpointConfig, retryStrategy: fastRetries() };
  return {
    iam: new IAMClient(config),
    sts: new STSClient(config),
    identitystore: new IdentitystoreClient(config),
    ssoAdmin: new SSOAdminClient(config),
    organizations: new OrganizationsClient(config),
  };
}

/** A clock tests move by hand (the simulator never reads wall-clock time for its semantics). */
export function manualClock(start = Date.UTC(2026, 0, 15, 12, 0, 0)) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

export async function withSimulator(options: SimulatorOptions = {}) {
  const sim = await startSimulator(options);
  return { sim, clients: clientsFor(sim) };
}

/** Drains an SDK paginator into one array. */
export async function collect<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[] | undefined): Promise<{ items: T[]; pages: number }> {
  const out: T[] = [];
  let count = 0;
  for await (const page of pages) {
    count++;
    out.push(...(items(page) ?? []));
  }
  return { items: out, pages: count };
}

/** Page sizes the acceptance criteria name; `max` is each service's maximum. */
export const pageSizes = (max: number) => [1, 2, 7, max];

/** An SDK error as tests inspect it: modeled members (Reason, ResourceType…) are read by name. */
export type SdkError = Error & { $metadata?: { httpStatusCode?: number; attempts?: number }; [member: string]: unknown };

/** Waits for a rejection and returns the error (fails the test when the promise resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** Headers the simulator routes on (the signature itself is not checked). */
export function signedHeaders(service: string, accessKeyId: string = SIM_CREDENTIALS.management.accessKeyId): Record<string, string> {
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260115/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00`,
    "x-amz-date": "20260115T120000Z",
  };
}

/** A raw awsQuery request, for what the SDK would hide (members outside the model, exact XML). */
export const rawQuery = (endpoint: string, body: string, service = "iam", headers: Record<string, string> = signedHeaders(service)) =>
  fetch(endpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body });
