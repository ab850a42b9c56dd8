import {
  GetInlinePolicyForPermissionSetCommand,
  ListCustomerManagedPolicyReferencesInPermissionSetCommand,
  ListManagedPoliciesInPermissionSetCommand,
} from "@aws-sdk/client-sso-admin";
import pLimit from "p-limit";
import { isNotFound } from "../aws/errors.js";
import type { CallContext } from "../connector/resource-syncer.js";
import { SSO_PAGE_SIZE, type IdentityCenter } from "./identity-center.js";
import type { ResourceContext } from "./index.js";
import { cachedDrain, emptyIfGone, nextToken } from "./paging.js";
import { shownPolicyDocument } from "./policy-documents.js";

/**
 * What a permission set grants, read once per set per sync: its AWS-managed policies, its
 * customer-managed policy references (a name and path, which name a policy in each account the set
 * is provisioned to) and its inline policy. No batched source exists, so these are the only
 * per-permission-set reads besides DescribePermissionSet. A set deleted since it was listed has none.
 */
export interface PermissionSetPolicyInfo {
  managed: Array<{ arn: string; name: string }>;
  customerManaged: Array<{ name: string; path: string }>;
}

export class PermissionSetPolicies {
  constructor(
    private readonly ctx: ResourceContext,
    private readonly identityCenter: IdentityCenter,
  ) {}

  /** The managed and customer-managed policies of one permission set. */
  policies(permissionSetArn: string, call: CallContext): Promise<PermissionSetPolicyInfo> {
    const { aws, cache } = this.ctx;
    return cache.getOrLoad(call.syncId, `sso:policies:${permissionSetArn}`, async () => {
      const { instanceArn } = await this.identityCenter.instance(call);
      const [managed, customerManaged] = await Promise.all([
        emptyIfGone(() =>
          cachedDrain(cache, call.syncId, `sso:ListManagedPoliciesInPermissionSet:${permissionSetArn}`, async (token) => {
            const out = await aws.ssoAdmin().send(
              new ListManagedPoliciesInPermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: permissionSetArn, MaxResults: SSO_PAGE_SIZE, NextToken: token }),
              { abortSignal: call.signal },
            );
            const items = (out.AttachedManagedPolicies ?? []).filter((p) => p.Arn).map((p) => ({ arn: p.Arn!, name: p.Name ?? p.Arn!.slice(p.Arn!.lastIndexOf("/") + 1) }));
            return { items, next: nextToken(out.NextToken) };
          }),
        ),
        emptyIfGone(() =>
          cachedDrain(cache, call.syncId, `sso:ListCustomerManagedPolicyReferencesInPermissionSet:${permissionSetArn}`, async (token) => {
            const out = await aws.ssoAdmin().send(
              new ListCustomerManagedPolicyReferencesInPermissionSetCommand({
                InstanceArn: instanceArn,
                PermissionSetArn: permissionSetArn,
                MaxResults: SSO_PAGE_SIZE,
                NextToken: token,
              }),
              { abortSignal: call.signal },
            );
            const items = (out.CustomerManagedPolicyReferences ?? []).filter((r) => r.Name).map((r) => ({ name: r.Name!, path: r.Path || "/" }));
            return { items, next: nextToken(out.NextToken) };
          }),
        ),
      ]);
      return { managed, customerManaged };
    });
  }

  /** Every permission set's policies, by permission-set ARN in catalog order. */
  all(call: CallContext): Promise<Map<string, PermissionSetPolicyInfo>> {
    return this.ctx.cache.getOrLoad(call.syncId, "sso:policies", async () => {
      const catalog = await this.identityCenter.permissionSets(call);
      const limit = pLimit(Math.max(1, this.ctx.config.rateLimits.maxConcurrency));
      const infos = await Promise.all(catalog.list.map((ps) => limit(() => this.policies(ps.arn, call))));
      return new Map(catalog.list.map((ps, i) => [ps.arn, infos[i]!]));
    });
  }

  /** The permission set's inline policy (JSON), undefined when it has none. */
  inline(permissionSetArn: string, call: CallContext): Promise<string | undefined> {
    const { aws, cache } = this.ctx;
    return cache.getOrLoad(call.syncId, `sso:GetInlinePolicyForPermissionSet:${permissionSetArn}`, async () => {
      const { instanceArn } = await this.identityCenter.instance(call);
      try {
        const out = await aws
          .ssoAdmin()
          .send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: permissionSetArn }), { abortSignal: call.signal });
        return out.InlinePolicy ? shownPolicyDocument(out.InlinePolicy) : undefined;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
  }
}
