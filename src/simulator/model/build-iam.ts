/**
 * One account's IAM from its spec: customer-managed policies with their versions, users (groups,
 * console password, access keys with last use, MFA devices, certificates, SSH keys,
 * service-specific credentials), groups and roles, with managed and inline policies and
 * permissions boundaries. Every reference is checked; missing ids are drawn from the builder's
 * streams.
 */
import type { Prng } from "../generate/prng.js";
import { isAwsManagedPolicy } from "./aws-managed-policies.js";
import { OrgSpecError, tags, time } from "./build-support.js";
import { createIamAccount, customerPolicyArn, newGroupList, newMemberList } from "./iam.js";
import { addUserToGroup } from "./iam-writes.js";
import * as ids from "./ids.js";
import type { KeyedList } from "./keyed-list.js";
import type { IamGroupSpec, IamSpec, IamUserSpec } from "./spec.js";
import type { IamAccount, IamUser, InlinePolicy, ManagedPolicy, MfaDevice } from "./types.js";

/** AWS lets a user have at most two access keys, whatever the quota settings. */
export const ACCESS_KEYS_PER_USER = 2;

export interface IamBuildContext {
  accountId: string;
  alias?: string;
  /** Field path of this account's `iam`, for errors. */
  path: string;
  awsManagedPolicies: KeyedList<ManagedPolicy>;
  /** Entity ids (AIDA, AGPA, AROA, ANPA). */
  ids: Prng;
  /** Credential ids (access keys, certificates, SSH keys, service credentials). */
  credentialIds: Prng;
  /** Access key ids already used anywhere in the model (they are global). */
  accessKeyIds: Set<string>;
}

type Inline = Array<{ name: string; document: Record<string, unknown> }> | undefined;
/** The fields users, groups and roles share in the spec. */
type IamEntityFields = IamGroupSpec;

export function buildIam(spec: IamSpec, ctx: IamBuildContext): IamAccount {
  const { accountId, path } = ctx;
  const iam = createIamAccount(accountId, ctx.alias);
  spec.policies?.forEach((p, i) => {
    const at = `${path}.policies[${i}]`;
    const policyPath = p.path ?? "/";
    const createdAt = time(p.createdAt, `${at}.createdAt`);
    const previous = (p.previousVersions ?? []).map((v, j) => ({
      versionId: `v${j + 1}`,
      document: JSON.stringify(v.document),
      createdAt: time(v.createdAt, `${at}.previousVersions[${j}].createdAt`, createdAt),
    }));
    const current = { versionId: `v${previous.length + 1}`, document: JSON.stringify(p.document), createdAt: time(p.updatedAt, `${at}.updatedAt`, createdAt) };
    const versions = [...previous, current];
    const policy: ManagedPolicy = {
      name: p.name,
      id: p.id ?? ids.iamId(ctx.ids, "ANPA"),
      arn: customerPolicyArn(accountId, policyPath, p.name),
      path: policyPath,
      description: p.description,
      document: versions.at(-1)!.document,
      defaultVersionId: versions.at(-1)!.versionId,
      versions,
      createdAt,
      updatedAt: Math.max(...versions.map((v) => v.createdAt)),
      tags: tags(p.tags),
    };
    if (!iam.policies.add(policy)) throw new OrgSpecError(`${at}.name`, `duplicate policy ${p.name}`);
  });
  const policyRef = (arn: string, at: string) => {
    const known = isAwsManagedPolicy(arn) ? ctx.awsManagedPolicies.has(arn) : iam.policies.has(arn);
    if (!known) {
      const hint = isAwsManagedPolicy(arn) ? " (not in the built-in catalogue: declare it under awsManagedPolicies)" : "";
      throw new OrgSpecError(at, `unknown managed policy ${arn}${hint}`);
    }
    return arn;
  };
  const attachments = (arns: string[] | undefined, at: string) => {
    const list = (arns ?? []).map((arn, j) => policyRef(arn, `${at}.attachedPolicies[${j}]`));
    const duplicate = list.find((arn, j) => list.indexOf(arn) !== j);
    if (duplicate) throw new OrgSpecError(`${at}.attachedPolicies`, `${duplicate} is attached twice`);
    return list;
  };
  const inline = (list: Inline, at: string): InlinePolicy[] => {
    const out = (list ?? []).map((p) => ({ name: p.name, document: JSON.stringify(p.document) }));
    const duplicate = out.find((p, j) => out.findIndex((q) => q.name === p.name) !== j);
    if (duplicate) throw new OrgSpecError(`${at}.inlinePolicies`, `duplicate inline policy ${duplicate.name}`);
    return out;
  };
  const boundary = (arn: string | undefined, at: string) => (arn === undefined ? undefined : policyRef(arn, `${at}.permissionsBoundary`));

  /** What every user, group and role has: name, id, ARN, path, creation time and policies. */
  const entity = (e: IamEntityFields, kind: "user" | "group" | "role", prefix: "AIDA" | "AGPA" | "AROA", at: string) => {
    const entityPath = e.path ?? "/";
    return {
      name: e.name,
      id: e.id ?? ids.iamId(ctx.ids, prefix),
      arn: ids.iamArn(accountId, kind, entityPath, e.name),
      path: entityPath,
      createdAt: time(e.createdAt, `${at}.createdAt`),
      attachedPolicies: attachments(e.attachedPolicies, at),
      inlinePolicies: inline(e.inlinePolicies, at),
    };
  };

  spec.groups?.forEach((g, i) => {
    const at = `${path}.groups[${i}]`;
    const group = { ...entity(g, "group", "AGPA", at), members: newMemberList() };
    if (!iam.groups.add(group)) throw new OrgSpecError(`${at}.name`, `duplicate IAM group ${g.name}`);
  });
  spec.users?.forEach((u, i) => {
    const at = `${path}.users[${i}]`;
    const base = entity(u, "user", "AIDA", at);
    const user: IamUser = {
      ...base,
      passwordLastUsed: u.passwordLastUsed ? time(u.passwordLastUsed, `${at}.passwordLastUsed`) : undefined,
      permissionsBoundary: boundary(u.permissionsBoundary, at),
      tags: tags(u.tags),
      groups: newGroupList(),
      loginProfile: u.loginProfile
        ? { createdAt: time(u.loginProfile.createdAt, `${at}.loginProfile.createdAt`, base.createdAt), passwordResetRequired: u.loginProfile.passwordResetRequired ?? false }
        : undefined,
      accessKeys: [],
      mfaDevices: [],
      signingCertificates: [],
      sshPublicKeys: [],
      serviceSpecificCredentials: [],
    };
    if (!iam.users.add(user)) throw new OrgSpecError(`${at}.name`, `duplicate IAM user ${u.name}`);
    u.groups?.forEach((groupName, j) => {
      const group = iam.groups.get(groupName);
      if (!group) throw new OrgSpecError(`${at}.groups[${j}]`, `unknown IAM group ${groupName}`);
      addUserToGroup(user, group);
    });
    addUserCredentials(iam, user, u, at, ctx);
  });
  spec.roles?.forEach((r, i) => {
    const at = `${path}.roles[${i}]`;
    const role = {
      ...entity(r, "role", "AROA", at),
      description: r.description,
      maxSessionDuration: r.maxSessionDuration ?? 3600,
      trustPolicy: JSON.stringify(r.trustPolicy),
      tags: tags(r.tags),
      permissionsBoundary: boundary(r.permissionsBoundary, at),
      lastUsed: r.lastUsed ? { date: time(r.lastUsed.date, `${at}.lastUsed.date`), region: r.lastUsed.region } : undefined,
    };
    if (!iam.roles.add(role)) throw new OrgSpecError(`${at}.name`, `duplicate IAM role ${r.name}`);
  });
  return iam;
}

function addUserCredentials(iam: IamAccount, user: IamUser, spec: IamUserSpec, at: string, ctx: IamBuildContext): void {
  const prng = ctx.credentialIds;
  const when = (value: string | undefined, field: string) => time(value, field, user.createdAt);
  if ((spec.accessKeys?.length ?? 0) > ACCESS_KEYS_PER_USER) {
    throw new OrgSpecError(`${at}.accessKeys`, `a user has at most ${ACCESS_KEYS_PER_USER} access keys`);
  }
  spec.accessKeys?.forEach((k, j) => {
    const field = `${at}.accessKeys[${j}]`;
    const id = k.id ?? ids.iamId(prng, "AKIA");
    if (ctx.accessKeyIds.has(id)) throw new OrgSpecError(`${field}.id`, `duplicate access key id ${id}`);
    ctx.accessKeyIds.add(id);
    user.accessKeys.push({
      id,
      status: k.status ?? "Active",
      createdAt: when(k.createdAt, `${field}.createdAt`),
      lastUsed: k.lastUsed ? { date: time(k.lastUsed.date, `${field}.lastUsed.date`), service: k.lastUsed.service, region: k.lastUsed.region } : undefined,
    });
  });
  spec.mfaDevices?.forEach((m, j) => {
    const field = `${at}.mfaDevices[${j}]`;
    const serialNumber = m.serialNumber ?? ids.mfaSerial(iam.accountId, j === 0 ? user.name : `${user.name}-${j + 1}`);
    const enableDate = when(m.enableDate, `${field}.enableDate`);
    const device: MfaDevice = { serialNumber, createdAt: enableDate, user, enableDate };
    if (!iam.mfaDevices.add(device)) throw new OrgSpecError(`${field}.serialNumber`, `duplicate MFA device ${serialNumber}`);
    user.mfaDevices.push(device);
  });
  spec.signingCertificates?.forEach((c, j) => {
    user.signingCertificates.push({
      id: c.id ?? ids.certificateId(prng),
      body: `-----BEGIN CERTIFICATE-----\n${prng.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 64)}\n-----END CERTIFICATE-----\n`,
      status: c.status ?? "Active",
      uploadDate: when(c.uploadDate, `${at}.signingCertificates[${j}].uploadDate`),
    });
  });
  spec.sshPublicKeys?.forEach((k, j) => {
    user.sshPublicKeys.push({ id: k.id ?? ids.iamId(prng, "APKA"), status: k.status ?? "Active", uploadDate: when(k.uploadDate, `${at}.sshPublicKeys[${j}].uploadDate`) });
  });
  spec.serviceSpecificCredentials?.forEach((c, j) => {
    const sameService = user.serviceSpecificCredentials.filter((s) => s.serviceName === c.serviceName).length;
    user.serviceSpecificCredentials.push({
      id: c.id ?? ids.iamId(prng, "ACCA"),
      serviceName: c.serviceName,
      serviceUserName: ids.serviceUserName(user.name, iam.accountId, sameService),
      status: c.status ?? "Active",
      createdAt: when(c.createdAt, `${at}.serviceSpecificCredentials[${j}].createdAt`),
    });
  });
}
