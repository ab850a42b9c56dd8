import { IAMClient, ListUsersCommand } from "@aws-sdk/client-iam";
import { HttpResponse } from "@smithy/core/protocols";
import { describe, expect, it, vi } from "vitest";
import { AwsCallStats } from "../../src/aws/call-stats.js";
import { continuesListing, handlesThrottling, instrumentClient } from "../../src/aws/middleware.js";
import { AwsRateLimiter } from "../../src/aws/rate-limiter.js";
import { ConnectorRetryStrategy } from "../../src/aws/retry-strategy.js";

const OK_XML = `<ListUsersResponse><ListUsersResult><IsTruncated>false</IsTruncated><Users/></ListUsersResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListUsersResponse>`;
const ERROR_XML = `<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>try again</Message></Error><RequestId>r</RequestId></ErrorResponse>`;

describe("continuesListing", () => {
  it("hands the listing's start to the rate limiter on every attempt, retries included; other calls carry none", async () => {
    let answers = 0;
    const requestHandler = {
      // The first answer is a retryable server error, the rest succeed.
      handle: async () => ({
        response: new HttpResponse({
          statusCode: answers++ === 0 ? 500 : 200,
          headers: { "content-type": "text/xml" },
          body: Buffer.from(answers === 1 ? ERROR_XML : OK_XML),
        }),
      }),
    };
    const limits = { requestsPerSecond: 1_000_000, maxConcurrency: 8 };
    const limiter = new AwsRateLimiter({ iam: limits, sts: limits, identitystore: limits, sso: limits, organizations: limits });
    const acquire = vi.spyOn(limiter, "acquire");
    const iam = instrumentClient(
      new IAMClient({ region: "us-east-1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret-example-key" }, requestHandler, maxAttempts: 3 }),
      "iam",
      limiter,
      new AwsCallStats(),
    );
    await iam.send(continuesListing(new ListUsersCommand({}), 1_700_000_000_000));
    await iam.send(new ListUsersCommand({}));
    iam.destroy();
    expect(acquire.mock.calls.map((args) => args[2])).toEqual([1_700_000_000_000, 1_700_000_000_000, undefined]);
  });
});

const THROTTLED_XML = `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>`;

describe("handlesThrottling", () => {
  it("reports each throttled attempt to the command's handler, and the service's rate is not cut for it", async () => {
    let answers = 0;
    const requestHandler = {
      // Two throttled answers, then success.
      handle: async () => {
        const throttled = answers++ < 2;
        return { response: new HttpResponse({ statusCode: throttled ? 400 : 200, headers: { "content-type": "text/xml" }, body: Buffer.from(throttled ? THROTTLED_XML : OK_XML) }) };
      },
    };
    const limits = { requestsPerSecond: 100, maxConcurrency: 8 };
    const limiter = new AwsRateLimiter({ iam: limits, sts: limits, identitystore: limits, sso: limits, organizations: limits });
    const stats = new AwsCallStats();
    const iam = instrumentClient(
      new IAMClient({ region: "us-east-1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret-example-key" }, requestHandler, maxAttempts: 3, retryStrategy: noWaitRetries() }),
      "iam",
      limiter,
      stats,
    );
    let reported = 0;
    await iam.send(handlesThrottling(new ListUsersCommand({}), () => reported++));
    expect(reported).toBe(2);
    expect(limiter.currentRate("iam")).toBe(100);
    expect(stats.byService().iam).toMatchObject({ calls: 3, throttled: 2 });

    // Without a handler the same answers are the rate's business.
    answers = 0;
    await iam.send(new ListUsersCommand({}));
    expect(limiter.currentRate("iam")).toBeLessThan(100);
    iam.destroy();
  });
});

/** The SDK's standard retries without their backoff sleeps (the test is about what the attempts report). */
function noWaitRetries() {
  return new ConnectorRetryStrategy({ service: "iam", maxAttempts: 3, mode: "standard", sleep: async () => undefined });
}
