import { GetGroupCommand, GetRoleCommand, GetUserCommand, type IAMClient } from "@aws-sdk/client-iam";
import type { AwsClients } from "../aws/clients.js";
import type { ResourceRef } from "../sync/changes.js";
import { inlinePolicyId, permissionSetAssignmentId, ResourceTypeIds, ssoGroupArn, ssoUserArn } from "../resources/ids.js";
import type { TrailRecord } from "./cloudtrail-events.js";

/**
 * Which resources a CloudTrail event changed, in the connector's model — what the event feed tells
 * a host in ResourceChangeEvents, so it syncs those resources again (a targeted sync). The
 * incremental sync needs no such list (effects.ts works on AWS reads); the feed has no earlier
 * sync to consult, so IAM names are turned into ARNs with one Get call each (cached for the page).
 */
export interface ChangeContext {
  aws: AwsClients;
  selfAccountId: string;
  ssoRegion: string;
  /** Resource types the connector syncs: changes to others are not reported. */
  types: ReadonlySet<string>;
  /** Member accounts' IAM is synced (its resources are children of account_iam). */
  crossAccountIam: boolean;
  signal?: AbortSignal;
}

const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

export class ResourceChanges {
  readonly #arns = new Map<string, Promise<string>>();

  constructor(private readonly ctx: ChangeContext) {}

  async of(event: TrailRecord): Promise<ResourceRef[]> {
    if (event.readOnly || event.errorCode) return [];
    const refs = await this.#refs(event);
    const seen = new Set<string>();
    return refs.filter((r) => {
      const key = `${r.type}:${r.id}`;
      if (!this.ctx.types.has(r.type) || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  async #refs(event: TrailRecord): Promise<ResourceRef[]> {
    const request = event.request;
    switch (event.source) {
      case "iam.amazonaws.com":
        return this.#iam(event);
      case "identitystore.amazonaws.com": {
        const store = text(request.identityStoreId);
        if (!store) return [];
        const user = text(request.userId) ?? text(event.response.userId);
        const group = text(request.groupId) ?? text(event.response.groupId);
        const refs: ResourceRef[] = [];
        if (user && /User$/.test(event.name)) refs.push({ type: ResourceTypeIds.ssoUser, id: ssoUserArn(this.ctx.ssoRegion, store, user) });
        if (group) refs.push({ type: ResourceTypeIds.ssoGroup, id: ssoGroupArn(this.ctx.ssoRegion, store, group) });
        return refs;
      }
      case "sso.amazonaws.com": {
        const ps = text(request.permissionSetArn) ?? text((event.response.permissionSet as Record<string, unknown> | undefined)?.permissionSetArn);
        const account = text(request.targetId);
        const refs: ResourceRef[] = [];
        if (account && ps) {
          refs.push({ type: ResourceTypeIds.account, id: account });
          refs.push({ type: ResourceTypeIds.permissionSetAssignment, id: permissionSetAssignmentId(ps, account), parentType: ResourceTypeIds.account, parentId: account });
        } else if (ps) {
          refs.push({ type: ResourceTypeIds.permissionSet, id: ps });
          if (/InlinePolicy/.test(event.name)) refs.push({ type: ResourceTypeIds.inlinePolicy, id: inlinePolicyId(ps, "inline"), parentType: ResourceTypeIds.permissionSet, parentId: ps });
        }
        return refs;
      }
      case "organizations.amazonaws.com": {
        const refs: ResourceRef[] = [];
        const account = text(request.accountId);
        if (account) refs.push({ type: ResourceTypeIds.account, id: account }, { type: ResourceTypeIds.accountIam, id: account });
        const unit = text(request.organizationalUnitId) ?? text((event.response.organizationalUnit as Record<string, unknown> | undefined)?.id);
        if (unit) refs.push({ type: ResourceTypeIds.organizationalUnit, id: unit });
        return refs;
      }
      default:
        return [];
    }
  }

  async #iam(event: TrailRecord): Promise<ResourceRef[]> {
    const { request } = event;
    const account = event.accountId;
    const parent = account !== this.ctx.selfAccountId && this.ctx.crossAccountIam ? { parentType: ResourceTypeIds.accountIam, parentId: account } : {};
    const refs: ResourceRef[] = [];
    const entities: Array<[string, "user" | "group" | "role", string | undefined]> = [
      [ResourceTypeIds.iamUser, "user", text(request.userName)],
      [ResourceTypeIds.iamGroup, "group", text(request.groupName)],
      [ResourceTypeIds.iamRole, "role", text(request.roleName)],
    ];
    for (const [type, kind, name] of entities) {
      if (!name) continue;
      const arn = await this.#arn(account, kind, name);
      refs.push({ type, id: arn, ...parent });
      const policyName = text(request.policyName);
      if (policyName && /Policy$/.test(event.name) && /^(Put|Delete)/.test(event.name)) refs.push({ type: ResourceTypeIds.inlinePolicy, id: inlinePolicyId(arn, policyName), parentType: type, parentId: arn });
    }
    const policy = text(request.policyArn) ?? text((event.response.policy as Record<string, unknown> | undefined)?.arn);
    if (policy) refs.push({ type: ResourceTypeIds.iamPolicy, id: policy, ...(policy.startsWith("arn:aws:iam::aws:") ? {} : parent) });
    return refs;
  }

  /** The ARN of an IAM entity named in an event (its path is not in the event); a deleted one gets path "/". */
  #arn(account: string, kind: "user" | "group" | "role", name: string): Promise<string> {
    const key = `${account} ${kind} ${name}`;
    let arn = this.#arns.get(key);
    if (!arn) {
      arn = this.#lookup(account, kind, name).catch(() => `arn:aws:iam::${account}:${kind}/${name}`);
      this.#arns.set(key, arn);
    }
    return arn;
  }

  async #lookup(account: string, kind: "user" | "group" | "role", name: string): Promise<string> {
    const iam: IAMClient = await this.ctx.aws.iam(account === this.ctx.selfAccountId ? undefined : account);
    const options = { abortSignal: this.ctx.signal };
    const found =
      kind === "user"
        ? (await iam.send(new GetUserCommand({ UserName: name }), options)).User?.Arn
        : kind === "group"
          ? (await iam.send(new GetGroupCommand({ GroupName: name, MaxItems: 1 }), options)).Group?.Arn
          : (await iam.send(new GetRoleCommand({ RoleName: name }), options)).Role?.Arn;
    return found ?? `arn:aws:iam::${account}:${kind}/${name}`;
  }
}
