import { GetPolicyCommand, GetPolicyVersionCommand, ListPoliciesCommand, type Policy } from "@aws-sdk/client-iam";
import pLimit from "p-limit";
import { isNotFound } from "../aws/errors.js";
import type { CallContext } from "../connector/resource-syncer.js";
import type { AccountDirectory } from "./account-directory.js";
import { epochMs } from "./baton-shapes.js";
import { IAM_MAX_ITEMS, isAwsManagedPolicyArn, type IamSnapshot, type IamSnapshots, type ManagedPolicyEntry } from "./iam-snapshot.js";
import type { IdentityCenter } from "./identity-center.js";
import { accountIdFromArn, customerManagedPolicyArn, iamNameFromArn, ResourceTypeIds } from "./ids.js";
import type { ResourceContext } from "./index.js";
import { cachedDrain, iamNextMarker } from "./paging.js";
import type { PermissionSetPolicies } from "./permission-set-policies.js";
import { shownPolicyDocument } from "./policy-documents.js";
import type { SyncedIamAccounts } from "./synced-iam-accounts.js";

/**
 * Which managed policies a sync shows as `iam_policy` resources, and who has each one.
 *
 * - Customer-managed policies belong to their account: each synced account's, from its IAM
 *   snapshot (GetAccountAuthorizationDetails carries them with their documents).
 * - AWS-managed policies are global: one resource each, for those attached to an IAM user, group
 *   or role of a synced account (in that account's snapshot, with its document) or to a permission
 *   set. One attached only to permission sets is read with GetPolicy + GetPolicyVersion (no
 *   snapshot has it); with the `all` scope, ListPolicies (Scope AWS) adds the unattached ones, each
 *   with a GetPolicyVersion for its document.
 *
 * Who has a policy: the IAM users, groups and roles it is attached to (snapshots), the permission
 * sets carrying it, and every provisioned (permission set, account) pair of those sets — for a
 * customer-managed reference, the policy of that name and path in the pair's account, when that
 * account's IAM is synced and has it.
 */
export type PolicyHolder =
  | { type: typeof ResourceTypeIds.iamUser | typeof ResourceTypeIds.iamGroup | typeof ResourceTypeIds.iamRole; arn: string }
  | { type: typeof ResourceTypeIds.permissionSet; arn: string }
  | { type: typeof ResourceTypeIds.permissionSetAssignment; permissionSetArn: string; accountId: string };

export interface PolicyCatalog {
  list: ManagedPolicyEntry[];
  byArn: Map<string, ManagedPolicyEntry>;
}

/** The Identity Center readers, when that feature is on. */
export interface IdentityCenterPolicies {
  identityCenter: IdentityCenter;
  policies: PermissionSetPolicies;
}

export class ManagedPolicies {
  constructor(
    private readonly ctx: ResourceContext,
    private readonly snapshots: IamSnapshots,
    private readonly iamAccounts: SyncedIamAccounts,
    private readonly accounts: AccountDirectory,
    private readonly sso: IdentityCenterPolicies | undefined,
  ) {}

  /** One account's customer-managed policies in the configured scope, in AWS's order. */
  async customerManaged(accountId: string, call: CallContext): Promise<ManagedPolicyEntry[]> {
    const snapshot = await this.snapshots.forAccount(accountId, call);
    const local = snapshot.policies.filter((p) => !isAwsManagedPolicyArn(p.arn));
    if (this.ctx.config.features.managedPolicies !== "attached") return local;
    const holders = await this.holders(call);
    return local.filter((p) => p.attachmentCount > 0 || (holders.get(p.arn)?.length ?? 0) > 0);
  }

  /** The AWS-managed policies shown, each once, with their documents. */
  awsManaged(call: CallContext): Promise<PolicyCatalog> {
    return this.ctx.cache.getOrLoad(call.syncId, "policies:aws-managed", async () => {
      const byArn = new Map<string, ManagedPolicyEntry>();
      // Every AWS-managed policy a snapshot documents (also one used only as a permissions boundary).
      const documented = new Map<string, ManagedPolicyEntry>();
      for (const snapshot of await this.#snapshots(call)) {
        for (const policy of snapshot.policies) {
          if (!isAwsManagedPolicyArn(policy.arn)) continue;
          if (!documented.has(policy.arn)) documented.set(policy.arn, policy);
          if (policy.attachmentCount > 0 && !byArn.has(policy.arn)) byArn.set(policy.arn, policy);
        }
      }
      const limit = pLimit(this.#concurrency());
      if (this.sso) {
        const missing = new Map<string, string>();
        for (const info of (await this.sso.policies.all(call)).values()) {
          for (const m of info.managed) {
            if (byArn.has(m.arn)) continue;
            const known = documented.get(m.arn);
            if (known) byArn.set(m.arn, known);
            else missing.set(m.arn, m.name);
          }
        }
        const read = await Promise.all([...missing].map(([arn, name]) => limit(() => this.#describe(arn, name, call))));
        for (const entry of read) byArn.set(entry.arn, entry);
      }
      if (this.ctx.config.features.managedPolicies === "all") {
        const unattached = (await this.#listAwsManaged(call)).filter((p) => !byArn.has(p.Arn!));
        const read = await Promise.all(unattached.map((p) => documented.get(p.Arn!) ?? limit(() => this.#withDocument(p, call))));
        for (const entry of read) byArn.set(entry.arn, entry);
      }
      return { list: [...byArn.values()], byArn };
    });
  }

  /** Who has each policy (by ARN), for the `attached` grants; built once per sync. */
  holders(call: CallContext): Promise<Map<string, PolicyHolder[]>> {
    return this.ctx.cache.getOrLoad(call.syncId, "policies:holders", async () => {
      const holders = new Map<string, PolicyHolder[]>();
      const add = (arn: string, holder: PolicyHolder) => {
        let list = holders.get(arn);
        if (!list) holders.set(arn, (list = []));
        list.push(holder);
      };
      const snapshots = await this.#snapshots(call);
      for (const snapshot of snapshots) {
        for (const u of snapshot.users) for (const arn of u.attachedPolicyArns) add(arn, { type: ResourceTypeIds.iamUser, arn: u.arn });
        for (const g of snapshot.groups) for (const arn of g.attachedPolicyArns) add(arn, { type: ResourceTypeIds.iamGroup, arn: g.arn });
        for (const r of snapshot.roles) for (const arn of r.attachedPolicyArns) add(arn, { type: ResourceTypeIds.iamRole, arn: r.arn });
      }
      if (!this.sso) return holders;
      const { identityCenter, policies } = this.sso;
      const [catalog, infos, listed] = await Promise.all([identityCenter.permissionSets(call), policies.all(call), this.accounts.list(call)]);
      for (const ps of catalog.list) {
        for (const m of infos.get(ps.arn)?.managed ?? []) add(m.arn, { type: ResourceTypeIds.permissionSet, arn: ps.arn });
      }
      const pairs = await identityCenter.provisionedPairs(call, await this.accounts.organizationAccountIds(call));
      const synced = new Map(snapshots.map((s) => [s.accountId, s]));
      for (const account of listed) {
        for (const permissionSetArn of pairs.byAccount.get(account.id) ?? []) {
          const info = catalog.byArn.has(permissionSetArn) ? infos.get(permissionSetArn) : undefined;
          if (!info) continue;
          const binding: PolicyHolder = { type: ResourceTypeIds.permissionSetAssignment, permissionSetArn, accountId: account.id };
          for (const m of info.managed) add(m.arn, binding);
          for (const ref of info.customerManaged) {
            const arn = customerManagedPolicyArn(account.id, ref.name, ref.path);
            // Only a policy this sync shows: its account's IAM is synced and has it.
            if (synced.get(account.id)?.policiesByArn.has(arn)) add(arn, binding);
          }
        }
      }
      return holders;
    });
  }

  /** One policy as the listings show it (GetResource); undefined when the sync would not show it. */
  async find(arn: string, call: CallContext): Promise<{ policy: ManagedPolicyEntry; accountId?: string } | undefined> {
    if (isAwsManagedPolicyArn(arn)) {
      const policy = (await this.awsManaged(call)).byArn.get(arn);
      return policy && { policy };
    }
    const accountId = accountIdFromArn(arn);
    if (!accountId || !(await this.iamAccounts.ids(call)).includes(accountId)) return undefined;
    const policy = (await this.customerManaged(accountId, call)).find((p) => p.arn === arn);
    return policy && { policy, accountId };
  }

  /** Every synced account's snapshot, loaded concurrently (each once per sync). */
  async #snapshots(call: CallContext): Promise<IamSnapshot[]> {
    const ids = await this.iamAccounts.ids(call);
    const limit = pLimit(this.#concurrency());
    return Promise.all(ids.map((id) => limit(() => this.snapshots.forAccount(id, call))));
  }

  /** An AWS-managed policy no snapshot has (attached only to permission sets). */
  async #describe(arn: string, name: string, call: CallContext): Promise<ManagedPolicyEntry> {
    const iam = await this.ctx.aws.iam();
    try {
      const out = await iam.send(new GetPolicyCommand({ PolicyArn: arn }), { abortSignal: call.signal });
      return await this.#withDocument(out.Policy ?? { Arn: arn, PolicyName: name }, call);
    } catch (error) {
      // A permission set naming a policy AWS no longer has: shown by name, without a document.
      if (isNotFound(error)) return { arn, name, id: "", path: pathOf(arn), attachmentCount: 0 };
      throw error;
    }
  }

  async #withDocument(policy: Policy, call: CallContext): Promise<ManagedPolicyEntry> {
    const arn = policy.Arn!;
    const entry: ManagedPolicyEntry = {
      arn,
      name: policy.PolicyName ?? iamNameFromArn(arn),
      id: policy.PolicyId ?? "",
      path: policy.Path ?? pathOf(arn),
      description: policy.Description || undefined,
      defaultVersionId: policy.DefaultVersionId,
      attachmentCount: policy.AttachmentCount ?? 0,
      createdAt: epochMs(policy.CreateDate),
      updatedAt: epochMs(policy.UpdateDate),
    };
    if (!policy.DefaultVersionId) return entry;
    const iam = await this.ctx.aws.iam();
    const out = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy.DefaultVersionId }), { abortSignal: call.signal });
    const document = out.PolicyVersion?.Document;
    return document ? { ...entry, document: shownPolicyDocument(document) } : entry;
  }

  /** Every AWS-managed policy (the `all` scope). */
  async #listAwsManaged(call: CallContext): Promise<Policy[]> {
    const iam = await this.ctx.aws.iam();
    const list = await cachedDrain(this.ctx.cache, call.syncId, "iam:ListPolicies:AWS", async (marker) => {
      const out = await iam.send(new ListPoliciesCommand({ Scope: "AWS", OnlyAttached: false, MaxItems: IAM_MAX_ITEMS, Marker: marker }), {
        abortSignal: call.signal,
      });
      return { items: out.Policies ?? [], next: iamNextMarker(out, "ListPolicies") };
    });
    return list.filter((p) => p.Arn);
  }

  #concurrency(): number {
    return Math.max(1, this.ctx.config.rateLimits.maxConcurrency);
  }
}

/** "/job-function/" for arn:aws:iam::aws:policy/job-function/Billing. */
function pathOf(arn: string): string {
  const resource = arn.slice(arn.indexOf(":policy/") + ":policy".length);
  return resource.slice(0, resource.lastIndexOf("/") + 1) || "/";
}
