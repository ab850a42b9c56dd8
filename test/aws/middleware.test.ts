import { IAMClient, ListUsersCommand } from "@aws-sdk/client-iam";
import { HttpResponse } from "@smithy/core/protocols";
import { describe, expect, it, vi } from "vitest";
import { AwsCallStats } from "../../src/aws/call-stats.js";
import { continuesListing, instrumentClient } from "../../src/aws/middleware.js";
import { AwsRateLimiter } from "../../src/aws/rate-limiter.js";

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
