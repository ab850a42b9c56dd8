/**
 * AWS-managed policies are global (`arn:aws:iam::aws:policy/...`), not part of any account.
 * Their details are synthesised from the ARN, deterministically, when GetAccountAuthorizationDetails
 * reports the ones attached in an account.
 */
import { createPrng } from "../generate/prng.js";
import { iamId } from "./ids.js";
import type { ManagedPolicy } from "./types.js";

export const AWS_MANAGED_POLICY_PREFIX = "arn:aws:iam::aws:policy";

const KNOWN_DESCRIPTIONS: Record<string, string> = {
  AdministratorAccess: "Provides full access to AWS services and resources.",
  ReadOnlyAccess: "Provides read-only access to AWS services and resources.",
  PowerUserAccess: "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
  SecurityAudit: "The security audit template grants access to read security configuration metadata.",
  ViewOnlyAccess: "This policy grants permissions to view resources and basic metadata across all AWS services.",
  "job-function/Billing": "Grants permissions for billing and cost management.",
};

// A fixed creation time: AWS-managed policies predate any simulated account.
const AWS_POLICY_CREATED = Date.UTC(2015, 1, 6, 18, 39, 46);

const cache = new Map<string, ManagedPolicy>();

export const isAwsManagedPolicy = (arn: string) => arn.startsWith(`${AWS_MANAGED_POLICY_PREFIX}/`);

export function awsManagedPolicy(arn: string): ManagedPolicy {
  let policy = cache.get(arn);
  if (!policy) {
    const pathAndName = arn.slice(AWS_MANAGED_POLICY_PREFIX.length); // "/job-function/Billing"
    const name = pathAndName.slice(pathAndName.lastIndexOf("/") + 1);
    const path = pathAndName.slice(0, pathAndName.lastIndexOf("/") + 1);
    policy = {
      name,
      id: iamId(createPrng(arn, "aws-managed-policy"), "ANPA"),
      arn,
      path,
      description: KNOWN_DESCRIPTIONS[pathAndName.slice(1)],
      document: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
      createdAt: AWS_POLICY_CREATED,
    };
    cache.set(arn, policy);
  }
  return policy;
}
