import type { AwsServiceId } from "../config/config.js";

/**
 * What the connector knows about each AWS service's request quota before it has talked to it.
 *
 * `startRate` is where client-side pacing starts (requests per second) when nothing was learned in
 * an earlier run; the rate limiter then probes upward while AWS accepts and backs off when it
 * throttles (rate-limiter.ts). `published` marks a quota AWS documents: the connector never
 * exceeds it unless the operator says otherwise (`--aws-rate sso=unlimited`). The others are
 * starting guesses only: IAM documents 20 TPS for its account-access-management APIs and nothing
 * for the rest; STS is regional and generous; Identity Store has no separate figure; Organizations
 * is known to throttle early. `perAccount`: the quota is a per-account token bucket (IAM and STS:
 * AWS re:Post "iam-sts-throttling-error"), so each account's calls are paced on their own.
 *
 * The simulator's aws-like preset enforces the same table, so the benchmarks' default bound is a
 * rate the connector starts at.
 */
export interface ServiceQuota {
  startRate: number;
  published: boolean;
  perAccount: boolean;
}

export const AWS_SERVICE_QUOTAS: Readonly<Record<AwsServiceId, ServiceQuota>> = {
  iam: { startRate: 20, published: false, perAccount: true },
  sts: { startRate: 100, published: false, perAccount: true },
  identitystore: { startRate: 20, published: false, perAccount: false },
  // IAM Identity Center: "20 TPS collectively across the SSO Admin APIs" (its User Guide's quotas page).
  sso: { startRate: 20, published: true, perAccount: false },
  organizations: { startRate: 10, published: false, perAccount: false },
  // CloudTrail LookupEvents: "two per second, per account, per Region" (published); each source is paced on its own.
  cloudtrail: { startRate: 2, published: true, perAccount: true },
};

/** Requests per second per service as the table states them (the simulator's aws-like quotas). */
export const AWS_QUOTAS_PER_SECOND: Readonly<Record<AwsServiceId, number>> = Object.fromEntries(
  Object.entries(AWS_SERVICE_QUOTAS).map(([service, quota]) => [service, quota.startRate]),
) as Record<AwsServiceId, number>;

/** AWS's cap on outstanding (IN_PROGRESS) account-assignment operations per Identity Center instance (published). */
export const MAX_OUTSTANDING_ASSIGNMENT_OPERATIONS = 10;
