/**
 * Random AWS changes for the incremental-sync property test, applied through the real SDK clients
 * against the simulator (as an administrator would make them): every kind of change an incremental
 * sync must follow. A change is drawn as a kind and a few numbers, and resolved against the
 * organisation as it is when applied (the n-th user, the m-th permission set…), so any sequence
 * is meaningful; one AWS refuses (a conflict, a name taken) simply changes nothing.
 */
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateGroupCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand as CreateIamUserCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteUserCommand as DeleteIamUserCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  TagUserCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateGroupCommand as CreateSsoGroupCommand,
  CreateGroupMembershipCommand,
  CreateUserCommand,
  DeleteGroupCommand as DeleteSsoGroupCommand,
  DeleteGroupMembershipCommand,
  DeleteUserCommand,
  IdentitystoreClient,
  UpdateGroupCommand,
  UpdateUserCommand,
} from "@aws-sdk/client-identitystore";
import { CloseAccountCommand, MoveAccountCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import {
  AttachManagedPolicyToPermissionSetCommand,
  CreateAccountAssignmentCommand,
  CreatePermissionSetCommand,
  DeleteAccountAssignmentCommand,
  DeleteInlinePolicyFromPermissionSetCommand,
  DeletePermissionSetCommand,
  DetachManagedPolicyFromPermissionSetCommand,
  ProvisionPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand,
  SSOAdminClient,
  UpdatePermissionSetCommand,
} from "@aws-sdk/client-sso-admin";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import fc from "fast-check";
import type { Account, IamRole, Simulator } from "../../../src/simulator/index.js";
import { userDeleteConflict } from "../../../src/simulator/model/iam-writes.js";
import { accountsProvisionedWith } from "../../../src/simulator/model/sso.js";
import { fastRetries } from "../../simulator/helpers.js";

export const CHANGE_KINDS = [
  "assignment-create",
  "assignment-delete",
  "sso-membership-add",
  "sso-membership-remove",
  "sso-user-create",
  "sso-user-update",
  "sso-user-delete",
  "sso-group-create",
  "sso-group-update",
  "sso-group-delete",
  "iam-membership-add",
  "iam-membership-remove",
  "iam-user-create",
  "iam-user-tag",
  "iam-user-delete",
  "iam-group-create",
  "iam-policy-attach",
  "iam-policy-detach",
  "iam-inline-put",
  "iam-inline-delete",
  "iam-policy-version",
  "iam-trust-update",
  "iam-role-create",
  "iam-role-delete",
  "account-move",
  "account-close",
  "permission-set-create",
  "permission-set-update",
  "permission-set-provision",
  "permission-set-policy-attach",
  "permission-set-policy-detach",
  "permission-set-inline-put",
  "permission-set-inline-delete",
  "permission-set-delete",
] as const;

export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface Change {
  kind: ChangeKind;
  /** Picks among the organisation's current items (taken modulo their count). */
  picks: [number, number, number];
}

export const changeArbitrary: fc.Arbitrary<Change> = fc.record({
  // Closing an account is rare on purpose: each one leaves the IAM and assignment pools for good.
  kind: fc.oneof({ arbitrary: fc.constantFrom(...CHANGE_KINDS.filter((k) => k !== "account-close")), weight: 120 }, { arbitrary: fc.constant("account-close" as const), weight: 1 }),
  picks: fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(1000)),
});

const isDeletion = (kind: ChangeKind) => /-(delete|remove|detach)$/.test(kind);

/**
 * One script making every kind of change once, in a random order with random picks, removals last
 * (so the script has made something AWS lets go: a new user has no policies, a new set no accounts).
 */
export const everyKindArbitrary: fc.Arbitrary<Change[]> = fc
  .tuple(
    fc.shuffledSubarray(CHANGE_KINDS.filter((k) => !isDeletion(k)), { minLength: CHANGE_KINDS.filter((k) => !isDeletion(k)).length }),
    fc.shuffledSubarray(CHANGE_KINDS.filter(isDeletion), { minLength: CHANGE_KINDS.filter(isDeletion).length }),
    fc.array(fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(1000)), { minLength: CHANGE_KINDS.length, maxLength: CHANGE_KINDS.length }),
  )
  .map(([kinds, deletions, picks]) => [...kinds, ...deletions].map((kind, i) => ({ kind, picks: picks[i]! })));

const statement = (action: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });
const MANAGED = ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/SecurityAudit"];

function pick<T>(items: readonly T[], n: number): T | undefined {
  return items.length === 0 ? undefined : items[n % items.length];
}

/**
 * A target the change applies to when there is one (a user AWS lets go, a holder with a policy to
 * detach, a pair not yet members…), else any (AWS then refuses, or nothing changes).
 */
function pickApplicable<T>(items: readonly T[], n: number, deletable: (item: T) => boolean): T | undefined {
  return pick(items.some(deletable) ? items.filter(deletable) : items, n);
}

const roleDeletable = (role: IamRole) => role.attachedPolicies.length === 0 && role.inlinePolicies.length === 0;

/** Roles an administrator changes: not AWS's reserved or service-linked ones, nor the organisation's access role. */
const ownRoles = (account: Account) =>
  [...account.iam.roles].filter((r) => !/^\/(aws-reserved|aws-service-role)\//.test(r.path) && r.name !== "OrganizationAccountAccessRole");

/** Applies changes one by one through the SDK; returns how many AWS accepted. */
export class ChangeApplier {
  readonly #sim: Simulator;
  readonly #iam = new Map<string, IAMClient>();
  readonly #identityStore: IdentitystoreClient;
  readonly #ssoAdmin: SSOAdminClient;
  readonly #organizations: OrganizationsClient;
  readonly #sts: STSClient;
  #serial = 0;

  constructor(sim: Simulator) {
    this.#sim = sim;
    const config = { ...sim.clientConfig(), retryStrategy: fastRetries() };
    this.#identityStore = new IdentitystoreClient(config);
    this.#ssoAdmin = new SSOAdminClient(config);
    this.#organizations = new OrganizationsClient(config);
    this.#sts = new STSClient(config);
    this.#iam.set(this.#management.id, new IAMClient(config));
  }

  get #management(): Account {
    return this.#sim.model.accounts.get(this.#sim.model.organization!.managementAccountId)!;
  }

  /** Accounts whose IAM the connector reads: the management account and the reachable active members. */
  #iamAccounts(): Account[] {
    return [...this.#sim.model.accounts].filter((a) => a.inOrganization && a.state === "ACTIVE");
  }

  async #iamOf(account: Account): Promise<IAMClient | undefined> {
    let client = this.#iam.get(account.id);
    if (client) return client;
    try {
      const { Credentials: c } = await this.#sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account.id}:role/OrganizationAccountAccessRole`, RoleSessionName: "admin" }));
      client = new IAMClient({
        endpoint: this.#sim.endpoint,
        region: this.#sim.region,
        credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken },
        retryStrategy: fastRetries(),
      });
      this.#iam.set(account.id, client);
      return client;
    } catch {
      return undefined;
    }
  }

  async applyAll(changes: readonly Change[]): Promise<number> {
    let accepted = 0;
    for (const change of changes) if (await this.apply(change)) accepted++;
    return accepted;
  }

  /** True when AWS accepted the change (a refused one changes nothing). */
  async apply(change: Change): Promise<boolean> {
    try {
      return await this.#apply(change);
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
      if (status >= 400 && status < 500) return false;
      throw error;
    }
  }

  async #apply({ kind, picks: [a, b, c] }: Change): Promise<boolean> {
    const model = this.#sim.model;
    const store = model.identityStore!;
    const sso = model.ssoInstance!;
    const users = [...store.users];
    const groups = [...store.groups];
    const permissionSets = [...sso.permissionSets];
    const accounts = this.#iamAccounts();
    const serial = ++this.#serial;
    const identityStoreId = store.id;
    const InstanceArn = sso.arn;
    switch (kind) {
      case "assignment-create": {
        const account = pick(accounts, a);
        const ps = pick(permissionSets, b);
        const user = c % 2 === 0;
        const principal = user ? pick(users, c >> 1) : pick(groups, c >> 1);
        if (!account || !ps || !principal) return false;
        await this.#ssoAdmin.send(
          new CreateAccountAssignmentCommand({ InstanceArn, TargetId: account.id, TargetType: "AWS_ACCOUNT", PermissionSetArn: ps.arn, PrincipalType: user ? "USER" : "GROUP", PrincipalId: principal.id }),
        );
        return true;
      }
      case "assignment-delete": {
        const all = [...sso.assignmentsByTarget.values()].flatMap((list) => [...list]);
        const assignment = pick(all, a);
        if (!assignment) return false;
        await this.#ssoAdmin.send(
          new DeleteAccountAssignmentCommand({
            InstanceArn,
            TargetId: assignment.accountId,
            TargetType: "AWS_ACCOUNT",
            PermissionSetArn: assignment.permissionSetArn,
            PrincipalType: assignment.principalType,
            PrincipalId: assignment.principalId,
          }),
        );
        return true;
      }
      case "sso-membership-add": {
        const isMember = (g: (typeof groups)[number], u: (typeof users)[number]) => store.membershipsByGroup.get(g.id)?.has(u.id) ?? false;
        const group = pickApplicable(groups, a, (g) => users.some((u) => !isMember(g, u)));
        const user = group && pickApplicable(users, b, (u) => !isMember(group, u));
        if (!group || !user) return false;
        await this.#identityStore.send(new CreateGroupMembershipCommand({ IdentityStoreId: identityStoreId, GroupId: group.id, MemberId: { UserId: user.id } }));
        return true;
      }
      case "sso-membership-remove": {
        const membership = pick([...store.memberships.values()], a);
        if (!membership) return false;
        await this.#identityStore.send(new DeleteGroupMembershipCommand({ IdentityStoreId: identityStoreId, MembershipId: membership.id }));
        return true;
      }
      case "sso-user-create":
        await this.#identityStore.send(
          new CreateUserCommand({ IdentityStoreId: identityStoreId, UserName: `new${serial}@example.com`, DisplayName: `New ${serial}`, Name: { GivenName: "New", FamilyName: `User${serial}` } }),
        );
        return true;
      case "sso-user-update": {
        const user = pick(users, a);
        if (!user) return false;
        await this.#identityStore.send(new UpdateUserCommand({ IdentityStoreId: identityStoreId, UserId: user.id, Operations: [{ AttributePath: "displayName", AttributeValue: `Renamed ${serial}` }] }));
        return true;
      }
      case "sso-user-delete": {
        const user = pick(users, a);
        if (!user) return false;
        await this.#identityStore.send(new DeleteUserCommand({ IdentityStoreId: identityStoreId, UserId: user.id }));
        return true;
      }
      case "sso-group-create":
        await this.#identityStore.send(new CreateSsoGroupCommand({ IdentityStoreId: identityStoreId, DisplayName: `Team ${serial}`, Description: "made by a change" }));
        return true;
      case "sso-group-update": {
        const group = pick(groups, a);
        if (!group) return false;
        const path = b % 2 === 0 ? "displayName" : "description";
        await this.#identityStore.send(new UpdateGroupCommand({ IdentityStoreId: identityStoreId, GroupId: group.id, Operations: [{ AttributePath: path, AttributeValue: `Changed ${serial}` }] }));
        return true;
      }
      case "sso-group-delete": {
        const group = pick(groups, a);
        if (!group) return false;
        await this.#identityStore.send(new DeleteSsoGroupCommand({ IdentityStoreId: identityStoreId, GroupId: group.id }));
        return true;
      }
      case "permission-set-create":
        await this.#ssoAdmin.send(new CreatePermissionSetCommand({ InstanceArn, Name: `Set${serial}`, Description: "made by a change" }));
        return true;
      case "permission-set-update": {
        const ps = pick(permissionSets, a);
        if (!ps) return false;
        await this.#ssoAdmin.send(new UpdatePermissionSetCommand({ InstanceArn, PermissionSetArn: ps.arn, Description: `Changed ${serial}`, SessionDuration: b % 2 ? "PT2H" : "PT4H" }));
        return true;
      }
      case "permission-set-provision": {
        const ps = pick(permissionSets, a);
        const account = pick(accounts, b);
        if (!ps || !account) return false;
        const all = c % 3 === 0;
        await this.#ssoAdmin.send(
          new ProvisionPermissionSetCommand({ InstanceArn, PermissionSetArn: ps.arn, TargetType: all ? "ALL_PROVISIONED_ACCOUNTS" : "AWS_ACCOUNT", TargetId: all ? undefined : account.id }),
        );
        return true;
      }
      case "permission-set-policy-attach":
      case "permission-set-policy-detach": {
        const ps = kind === "permission-set-policy-attach" ? pick(permissionSets, a) : pickApplicable(permissionSets, a, (p) => p.managedPolicies.length > 0);
        const policy = kind === "permission-set-policy-attach" ? pick(MANAGED, b) : pick(ps?.managedPolicies ?? [], b);
        if (!ps || !policy) return false;
        const command =
          kind === "permission-set-policy-attach"
            ? new AttachManagedPolicyToPermissionSetCommand({ InstanceArn, PermissionSetArn: ps.arn, ManagedPolicyArn: policy })
            : new DetachManagedPolicyFromPermissionSetCommand({ InstanceArn, PermissionSetArn: ps.arn, ManagedPolicyArn: policy });
        await this.#ssoAdmin.send(command as never);
        return true;
      }
      case "permission-set-inline-put":
      case "permission-set-inline-delete": {
        const ps = kind === "permission-set-inline-put" ? pick(permissionSets, a) : pickApplicable(permissionSets, a, (p) => p.inlinePolicy !== undefined);
        if (!ps) return false;
        const command =
          kind === "permission-set-inline-put"
            ? new PutInlinePolicyToPermissionSetCommand({ InstanceArn, PermissionSetArn: ps.arn, InlinePolicy: statement(`s3:Get${serial}`) })
            : new DeleteInlinePolicyFromPermissionSetCommand({ InstanceArn, PermissionSetArn: ps.arn });
        await this.#ssoAdmin.send(command as never);
        return true;
      }
      case "permission-set-delete": {
        const ps = pickApplicable(permissionSets, a, (p) => accountsProvisionedWith(sso, p.arn).length === 0);
        if (!ps) return false;
        await this.#ssoAdmin.send(new DeletePermissionSetCommand({ InstanceArn, PermissionSetArn: ps.arn }));
        return true;
      }
      case "account-move": {
        const org = model.organization!;
        const member = pick(accounts.filter((x) => x.id !== org.managementAccountId), a);
        const parents = [org.root.id, ...[...org.units].map((u) => u.id)];
        const to = pick(parents, b);
        if (!member || !to || !member.parentId) return false;
        await this.#organizations.send(new MoveAccountCommand({ AccountId: member.id, SourceParentId: member.parentId, DestinationParentId: to }));
        return true;
      }
      case "account-close": {
        const org = model.organization!;
        const member = pick(accounts.filter((x) => x.id !== org.managementAccountId), a);
        if (!member) return false;
        await this.#organizations.send(new CloseAccountCommand({ AccountId: member.id }));
        return true;
      }
      default:
        return this.#iamChange(kind, a, b, c, serial, accounts);
    }
  }

  async #iamChange(kind: ChangeKind, a: number, b: number, c: number, serial: number, accounts: Account[]): Promise<boolean> {
    const applies: Partial<Record<ChangeKind, (x: Account) => boolean>> = {
      "iam-user-delete": (x) => [...x.iam.users].some((u) => !userDeleteConflict(u)),
      "iam-role-delete": (x) => ownRoles(x).some(roleDeletable),
      "iam-membership-remove": (x) => [...x.iam.users].some((u) => u.groups.length > 0),
      "iam-policy-detach": (x) => [...x.iam.users, ...x.iam.groups, ...ownRoles(x)].some((h) => h.attachedPolicies.length > 0),
      "iam-inline-delete": (x) => [...x.iam.users, ...ownRoles(x)].some((h) => h.inlinePolicies.length > 0),
    };
    const account = pickApplicable(accounts, a, applies[kind] ?? (() => true));
    if (!account) return false;
    const iam = await this.#iamOf(account);
    if (!iam) return false;
    const users = [...account.iam.users].filter((u) => !u.name.startsWith("sim-"));
    const groups = [...account.iam.groups];
    const roles = ownRoles(account);
    const policies = [...MANAGED, ...[...account.iam.policies].map((p) => p.arn)];
    switch (kind) {
      case "iam-membership-add":
      case "iam-membership-remove": {
        const user = kind === "iam-membership-add" ? pick(users, b) : pickApplicable(users, b, (u) => u.groups.length > 0);
        const group = kind === "iam-membership-add" ? pick(groups, c) : pick(user ? [...user.groups] : [], c);
        if (!user || !group) return false;
        const input = { UserName: user.name, GroupName: group.name };
        await iam.send((kind === "iam-membership-add" ? new AddUserToGroupCommand(input) : new RemoveUserFromGroupCommand(input)) as never);
        return true;
      }
      case "iam-user-create":
        await iam.send(new CreateIamUserCommand({ UserName: `made${serial}`, Tags: [{ Key: "email", Value: `made${serial}@example.com` }] }));
        return true;
      case "iam-user-tag": {
        const user = pick(users, b);
        if (!user) return false;
        await iam.send(new TagUserCommand({ UserName: user.name, Tags: [{ Key: "team", Value: `t${serial}` }] }));
        return true;
      }
      case "iam-user-delete": {
        const user = pickApplicable(users, b, (u) => !userDeleteConflict(u));
        if (!user) return false;
        await iam.send(new DeleteIamUserCommand({ UserName: user.name }));
        return true;
      }
      case "iam-group-create":
        await iam.send(new CreateGroupCommand({ GroupName: `Made${serial}` }));
        return true;
      case "iam-policy-attach":
      case "iam-policy-detach": {
        const attach = kind === "iam-policy-attach";
        const holders: Array<readonly { name: string; attachedPolicies: string[] }[]> = [users, groups, roles];
        // A detach goes to a kind of holder with something attached, when there is one.
        const target = attach ? b % 3 : holders.indexOf(pickApplicable(holders, b, (list) => list.some((h) => h.attachedPolicies.length > 0))!);
        const holder = attach ? pick(holders[target]!, c) : pickApplicable(holders[target]!, c, (h) => h.attachedPolicies.length > 0);
        if (!holder) return false;
        const policy = kind === "iam-policy-attach" ? pick(policies, serial) : pick(holder.attachedPolicies, serial);
        if (!policy) return false;
        const command =
          target === 0
            ? attach
              ? new AttachUserPolicyCommand({ UserName: holder.name, PolicyArn: policy })
              : new DetachUserPolicyCommand({ UserName: holder.name, PolicyArn: policy })
            : target === 1
              ? attach
                ? new AttachGroupPolicyCommand({ GroupName: holder.name, PolicyArn: policy })
                : new DetachGroupPolicyCommand({ GroupName: holder.name, PolicyArn: policy })
              : attach
                ? new AttachRolePolicyCommand({ RoleName: holder.name, PolicyArn: policy })
                : new DetachRolePolicyCommand({ RoleName: holder.name, PolicyArn: policy });
        await iam.send(command as never);
        return true;
      }
      case "iam-inline-put":
      case "iam-inline-delete": {
        const put = kind === "iam-inline-put";
        const hasInline = (h: { inlinePolicies: unknown[] }) => h.inlinePolicies.length > 0;
        const role = put || !(roles.some(hasInline) && users.some(hasInline)) ? (put ? b % 2 === 0 : roles.some(hasInline)) : b % 2 === 0;
        const holder = role ? (put ? pick(roles, c) : pickApplicable(roles, c, hasInline)) : put ? pick(users, c) : pickApplicable(users, c, hasInline);
        if (!holder) return false;
        const name = kind === "iam-inline-put" ? `inline${serial % 3}` : pick(holder.inlinePolicies, serial)?.name;
        if (!name) return false;
        const command =
          kind === "iam-inline-put"
            ? role
              ? new PutRolePolicyCommand({ RoleName: holder.name, PolicyName: name, PolicyDocument: statement(`s3:Put${serial}`) })
              : new PutUserPolicyCommand({ UserName: holder.name, PolicyName: name, PolicyDocument: statement(`s3:Put${serial}`) })
            : role
              ? new DeleteRolePolicyCommand({ RoleName: holder.name, PolicyName: name })
              : new DeleteUserPolicyCommand({ UserName: holder.name, PolicyName: name });
        await iam.send(command as never);
        return true;
      }
      case "iam-policy-version": {
        const policy = pick([...account.iam.policies], b);
        if (!policy) return false;
        await iam.send(new CreatePolicyVersionCommand({ PolicyArn: policy.arn, PolicyDocument: statement(`ec2:Describe${serial}`), SetAsDefault: true }));
        return true;
      }
      case "iam-trust-update": {
        const role = pick(roles, b);
        if (!role) return false;
        const principals = [...users.map((u) => u.arn), ...roles.map((r) => r.arn), `arn:aws:iam::${this.#management.id}:root`];
        const trusted = [pick(principals, c)!, pick(principals, c + serial)!];
        const document = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: [...new Set(trusted)] }, Action: "sts:AssumeRole" }] };
        await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: role.name, PolicyDocument: JSON.stringify(document) }));
        return true;
      }
      case "iam-role-create": {
        const trusted = pick(users, c)?.arn ?? `arn:aws:iam::${this.#management.id}:root`;
        const document = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: trusted }, Action: "sts:AssumeRole" }] };
        await iam.send(new CreateRoleCommand({ RoleName: `Made${serial}`, AssumeRolePolicyDocument: JSON.stringify(document), Description: "made by a change" }));
        return true;
      }
      case "iam-role-delete": {
        const role = pickApplicable(roles, b, roleDeletable);
        if (!role) return false;
        await iam.send(new DeleteRoleCommand({ RoleName: role.name }));
        return true;
      }
      default:
        throw new Error(`unhandled change kind ${kind}`);
    }
  }

  destroy(): void {
    for (const client of this.#iam.values()) client.destroy();
    this.#identityStore.destroy();
    this.#ssoAdmin.destroy();
    this.#organizations.destroy();
    this.#sts.destroy();
  }
}
