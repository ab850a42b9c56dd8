/**
 * Who is calling. Signatures are not verified, but the access key id in the SigV4 credential
 * scope must be known: it maps to a principal (an IAM user, an account root, or a role session
 * made by AssumeRole), and that principal's account is the account every IAM/STS call acts in.
 */
import { SimError } from "./errors.js";
import { assumedRoleArn, accountRootArn } from "./model/ids.js";
import type { KeyedList } from "./model/keyed-list.js";
import type { Account, CredentialBinding, IamUser, Organization, SimModel } from "./model/types.js";
import type { CredentialSpec } from "./model/spec.js";

/** The fixed, documented dummy keys (docs/simulator.md). Not secrets: they only work here. */
export const SIM_CREDENTIALS = {
  management: {
    accessKeyId: "AKIASIMMGMTADMIN0001",
    secretAccessKey: "sim/management/admin/dummy-secret-key-0001",
    userName: "sim-admin",
    label: "management account admin",
  },
  member: {
    accessKeyId: "AKIASIMMEMBERUSER001",
    secretAccessKey: "sim/member/user/dummy-secret-key-00000001",
    userName: "sim-member",
    label: "member account user",
  },
  standalone: {
    accessKeyId: "AKIASIMSTANDALONE001",
    secretAccessKey: "sim/standalone/dummy-secret-key-000000001",
    userName: "sim-standalone",
    label: "account outside any organization",
  },
} as const;

export interface Caller {
  kind: "user" | "root" | "assumed-role";
  accountId: string;
  arn: string;
  /** AIDA… for users, the account id for root, `AROA…:<session>` for role sessions. */
  userId: string;
  userName?: string;
  roleName?: string;
  roleArn?: string;
  sessionName?: string;
  /** Role sessions only. */
  expiresAt?: number;
}

export interface RoleSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  caller: Caller;
  expiresAt: number;
}

/**
 * Binds the fixed keys to principals. Bindings in the spec come first; a fixed key the spec does
 * not bind goes to its well-known user (sim-admin, sim-member, sim-standalone) when that user
 * exists, else to the root of the management account, the first active member account, or the
 * first account outside the organisation.
 */
export function bindCredentials(
  specBindings: CredentialSpec[] | undefined,
  accounts: KeyedList<Account>,
  organization: Organization | undefined,
): CredentialBinding[] {
  const bindings: CredentialBinding[] = (specBindings ?? []).map((b) => ({ ...b, label: b.label ?? "from the organisation file" }));
  const bound = new Set(bindings.map((b) => b.accessKeyId));
  const all = [...accounts];
  const management = organization ? accounts.get(organization.managementAccountId) : all[0];
  const member = all.find((a) => a.inOrganization && a.state === "ACTIVE" && a.id !== organization?.managementAccountId);
  const standalone = all.find((a) => !a.inOrganization && a.id !== management?.id);
  const defaults: Array<[(typeof SIM_CREDENTIALS)[keyof typeof SIM_CREDENTIALS], Account | undefined]> = [
    [SIM_CREDENTIALS.management, management],
    [SIM_CREDENTIALS.member, organization ? member : undefined],
    [SIM_CREDENTIALS.standalone, standalone],
  ];
  for (const [key, account] of defaults) {
    if (!account || bound.has(key.accessKeyId)) continue;
    const userName = account.iam.users.has(key.userName) ? key.userName : undefined;
    bindings.push({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, accountId: account.id, userName, label: key.label });
  }
  return bindings;
}

export interface CredentialRegistry {
  /** The caller behind an access key id; throws the service's auth error if unknown or expired. */
  resolve(accessKeyId: string | undefined, now: number): Caller;
  addSession(session: RoleSession): void;
  binding(accessKeyId: string): CredentialBinding | undefined;
}

export function createCredentialRegistry(model: SimModel): CredentialRegistry {
  const sessions = new Map<string, RoleSession>();
  const bindings = new Map(model.credentials.map((b) => [b.accessKeyId, b]));

  const invalid = () => SimError.of("invalidClientToken", "The security token included in the request is invalid.");
  const userCaller = (accountId: string, user: IamUser): Caller => ({ kind: "user", accountId, arn: user.arn, userId: user.id, userName: user.name });
  /** A bound user key works while the user has it, active (DeleteAccessKey / UpdateAccessKey revoke it). */
  const callerForBinding = (binding: CredentialBinding): Caller => {
    if (!binding.userName) return { kind: "root", accountId: binding.accountId, arn: accountRootArn(binding.accountId), userId: binding.accountId };
    const user = model.accounts.get(binding.accountId)?.iam.users.get(binding.userName);
    if (!user || !user.accessKeys.some((k) => k.id === binding.accessKeyId && k.status === "Active")) throw invalid();
    return userCaller(binding.accountId, user);
  };
  /** Any other active access key of an IAM user (CreateAccessKey's, or an organisation file's) acts as that user. */
  const callerForUserKey = (accessKeyId: string): Caller | undefined => {
    for (const account of model.accounts) {
      for (const user of account.iam.users) {
        if (user.accessKeys.some((k) => k.id === accessKeyId && k.status === "Active")) return userCaller(account.id, user);
      }
    }
    return undefined;
  };

  return {
    resolve(accessKeyId, now) {
      if (!accessKeyId) throw SimError.of("missingAuthentication", "Request is missing Authentication Token");
      const binding = bindings.get(accessKeyId);
      if (binding) return callerForBinding(binding);
      const session = sessions.get(accessKeyId);
      if (!session) {
        const user = accessKeyId.startsWith("AKIA") ? callerForUserKey(accessKeyId) : undefined;
        if (user) return user;
        throw invalid();
      }
      if (now >= session.expiresAt) throw SimError.of("expiredToken", "The security token included in the request is expired");
      return session.caller;
    },
    addSession(session) {
      sessions.set(session.accessKeyId, session);
    },
    binding: (accessKeyId) => bindings.get(accessKeyId),
  };
}

export function roleSessionCaller(account: string, roleName: string, roleArn: string, roleId: string, sessionName: string, expiresAt: number): Caller {
  return {
    kind: "assumed-role",
    accountId: account,
    arn: assumedRoleArn(account, roleName, sessionName),
    userId: `${roleId}:${sessionName}`,
    roleName,
    roleArn,
    sessionName,
    expiresAt,
  };
}
