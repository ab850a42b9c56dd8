import type { AwsServiceId } from "../config/config.js";

/**
 * AWS request quotas per service, in requests per second: the one table both the connector's
 * client-side pacing (its default rate limits) and the simulator's AWS-like preset use, so the
 * benchmarks' bound is a rate the connector is configured to reach.
 *
 * Only IAM Identity Center publishes one: 20 TPS collectively across the SSO Admin APIs. The rest are
 * assumptions: IAM documents 20 TPS for its account-access-management APIs and nothing for the
 * others; STS is regional and generous; Identity Store has no separate figure (we assume its own
 * 20 TPS); Organizations is known to throttle early. All are configurable (--rate-limit-<service>).
 */
export const AWS_QUOTAS_PER_SECOND: Readonly<Record<AwsServiceId, number>> = {
  iam: 20,
  sts: 100,
  identitystore: 20,
  sso: 20,
  organizations: 10,
  // CloudTrail LookupEvents: "two per second, per account, per Region" (published); paced per source.
  cloudtrail: 2,
};

/** AWS's cap on outstanding (IN_PROGRESS) account-assignment operations per Identity Center instance. */
export const MAX_OUTSTANDING_ASSIGNMENT_OPERATIONS = 10;
