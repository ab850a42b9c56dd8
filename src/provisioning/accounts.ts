import {
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  GetUserCommand,
  type IAMClient,
  type User as IamUser,
} from "@aws-sdk/client-iam";
import {
  CreateUserCommand as CreateStoreUserCommand,
  DeleteUserCommand as DeleteStoreUserCommand,
  DescribeUserCommand,
  GetUserIdCommand,
  type DescribeUserCommandOutput,
} from "@aws-sdk/client-identitystore";
import { create, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { AwsClients } from "../aws/clients.js";
import { awsErrorKind, isNotFound } from "../aws/errors.js";
import type { ConnectorConfig } from "../config/config.js";
import type { AccountCreator, AccountOutcome, ResourceDeleter } from "../connector/resource-syncer.js";
import { CapabilityDetailCredentialOption, ConnectorAccountCreationSchemaSchema, CredentialDetailsAccountProvisioningSchema, type ConnectorAccountCreationSchema } from "../gen/c1/connector/v2/connector_pb.js";
import type { AccountInfo, CreateAccountRequest, EncryptedData } from "../gen/c1/connector/v2/resource_pb.js";
import type { Logger } from "../log.js";
import { iamUserResource } from "../resources/iam-user.js";
import { ResourceTypeIds, parseIdentityStoreArn } from "../resources/ids.js";
import { createResourceTypes, type ResourceTypes } from "../resources/resource-types.js";
import { ssoUserResource } from "../resources/sso-user.js";
import { encryptionTargets, generatePassword, requestedPassword, sealCredential } from "./credentials.js";
import { provisioningError } from "./errors.js";
import { deleteIamUser } from "./iam-user-deletion.js";
import { identityCenterInstanceResolver } from "./identity-center.js";
import { requestIds } from "./request-ids.js";
import { iamUserOf, invalidArgument, type IamHolder } from "./targets.js";
import { systemClock } from "./wait-for-assignment.js";

/**
 * Account provisioning (baton's AccountManager) and deletion of the accounts it makes:
 *
 *  - `iam_user`: CreateUser in the connector's account, named by the login (or, as baton-aws, the
 *    e-mail), tagged `email`. No console password and no access key unless asked for: a
 *    `random_password` credential option makes a login profile, the `access_key` profile field an
 *    access key, each returned only encrypted (credentials.ts). Deleting one removes everything
 *    AWS requires first (iam-user-deletion.ts).
 *  - `sso_user`: Identity Store CreateUser (user name, given/family/display name, primary work
 *    e-mail); Identity Center sends its own invitation, so no password. Deleting is DeleteUser.
 *
 * An existing login answers AlreadyExists with that account, unchanged. Success is answered only
 * once the new account reads back; a failure after CreateUser (a password AWS's policy rejects, an
 * access-key quota) deletes the user just made, so no half-made account is left.
 */

/** The account-creation schema field names, baton-aws's. */
const FIELD = { userName: "username", email: "email", givenName: "given_name", familyName: "family_name", displayName: "display_name", accessKey: "access_key" } as const;

/** IAM's user-name rule. */
const IAM_USER_NAME = /^[\w+=,.@-]{1,64}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface AccountsDeps {
  aws: AwsClients;
  config: ConnectorConfig;
  log: Logger;
}

export function createAccountCreator(deps: AccountsDeps): AccountCreator {
  const types = createResourceTypes(deps.config.features);
  return deps.config.provisioning.createAccountResourceType === "sso_user" ? ssoUserCreator(deps, types) : iamUserCreator(deps, types);
}

export function createResourceDeleters(deps: AccountsDeps): ResourceDeleter[] {
  const { aws, config, log } = deps;
  const instance = identityCenterInstanceResolver(aws, config, log);
  const iamUsers: ResourceDeleter = {
    resourceTypeId: ResourceTypeIds.iamUser,
    async deleteResource(id, parent, ctx) {
      const user = iamUserOf(id);
      if (parent && parent.resourceType === ResourceTypeIds.accountIam && parent.resource !== user.accountId) {
        throw invalidArgument(`IAM user ${user.arn} is in account ${user.accountId}, not in ${parent.resource}`);
      }
      const deleted = await deleteIamUser(await aws.iam(user.accountId), user, ctx.signal, log);
      return { alreadyGone: deleted.alreadyGone, awsRequestIds: deleted.awsRequestIds };
    },
  };
  const ssoUsers: ResourceDeleter = {
    resourceTypeId: ResourceTypeIds.ssoUser,
    async deleteResource(id, _parent, ctx) {
      const parsed = parseIdentityStoreArn(id.resource);
      if (parsed?.kind !== "user") throw invalidArgument(`${id.resource} is not an Identity Store user`);
      const ic = await instance(ctx.signal);
      if (parsed.identityStoreId !== ic.identityStoreId) {
        throw invalidArgument(`user ${id.resource} belongs to identity store ${parsed.identityStoreId}, but the Identity Center instance uses ${ic.identityStoreId}`);
      }
      const store = aws.identityStore();
      const options = { abortSignal: ctx.signal };
      let requestId: string | undefined;
      try {
        requestId = (await store.send(new DeleteStoreUserCommand({ IdentityStoreId: parsed.identityStoreId, UserId: parsed.id }), options)).$metadata?.requestId;
      } catch (error) {
        if (isNotFound(error)) return { alreadyGone: true, awsRequestIds: requestIds(awsId(error)) };
        throw error;
      }
      await readBack(
        async () => {
          try {
            await store.send(new DescribeUserCommand({ IdentityStoreId: parsed.identityStoreId, UserId: parsed.id }), options);
            return false;
          } catch (error) {
            if (isNotFound(error)) return true;
            throw error;
          }
        },
        `deletion of ${id.resource}`,
        ctx.signal,
        requestIds(requestId),
      );
      log.info({ user: id.resource, requestId }, "deleted Identity Center user");
      return { alreadyGone: false, awsRequestIds: requestIds(requestId) };
    },
  };
  return [iamUsers, ssoUsers];
}

function iamUserCreator({ aws, log }: AccountsDeps, types: ResourceTypes): AccountCreator {
  /** The user as a sync lists it; with the e-mail asked for first when GetUser has no tags yet. */
  const resourceOf = (user: IamUser) =>
    iamUserResource(
      types,
      {
        name: user.UserName ?? "",
        id: user.UserId ?? "",
        arn: user.Arn ?? "",
        path: user.Path ?? "/",
        ...(user.CreateDate ? { createdAt: user.CreateDate.getTime() } : {}),
        attachedPolicyArns: [],
        inlinePolicies: [],
        tags: Object.fromEntries((user.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
        groupNames: [],
        ...(user.PasswordLastUsed ? { passwordLastUsed: user.PasswordLastUsed.getTime() } : {}),
      },
      undefined,
    );

  return {
    resourceTypeId: ResourceTypeIds.iamUser,
    schema: iamSchema(),
    credentialDetails: create(CredentialDetailsAccountProvisioningSchema, {
      supportedCredentialOptions: [CapabilityDetailCredentialOption.NO_PASSWORD, CapabilityDetailCredentialOption.RANDOM_PASSWORD],
      preferredCredentialOption: CapabilityDetailCredentialOption.NO_PASSWORD,
    }),

    async createAccount(request, ctx): Promise<AccountOutcome> {
      const info = accountInfoOf(request);
      const email = info.email;
      const userName = info.login ?? email;
      if (!userName) throw invalidArgument("an IAM user needs a login (account_info.login or profile.username) or an e-mail");
      if (!IAM_USER_NAME.test(userName)) throw invalidArgument(`"${userName}" is not a valid IAM user name (1-64 characters: letters, digits and +=,.@_-)`);
      // Checked before anything is created: a bad request or key never strands a new user.
      const password = requestedPassword(request.credentialOptions, true, "IAM user");
      const accessKey = profileBool(info.profile, FIELD.accessKey);
      const sealers = password || accessKey ? await encryptionTargets(request.encryptionConfigs) : [];
      if ((password || accessKey) && sealers.length === 0) {
        throw invalidArgument("a password or access key is returned only encrypted: the request needs encryption_configs (a public key to encrypt them to)");
      }

      const iam = await aws.iam();
      const options = { abortSignal: ctx.signal };
      const ids: Array<string | undefined> = [];
      try {
        const out = await iam.send(
          new CreateUserCommand({ UserName: userName, ...(email && email !== userName ? { Tags: [{ Key: "email", Value: email }] } : {}) }),
          options,
        );
        ids.push(out.$metadata?.requestId);
      } catch (error) {
        if (awsErrorKind(error) !== "conflict") throw error;
        // EntityAlreadyExists: answer with the user as it is; its credentials are not touched.
        const existing = await iam.send(new GetUserCommand({ UserName: userName }), options);
        return { alreadyExists: true, resource: resourceOf(existing.User!), encryptedData: [], awsRequestIds: requestIds(awsId(error), existing.$metadata?.requestId) };
      }

      const encryptedData: EncryptedData[] = [];
      try {
        if (password) {
          const secret = generatePassword(password);
          const out = await iam.send(new CreateLoginProfileCommand({ UserName: userName, Password: secret, PasswordResetRequired: password.forceChangeAtNextLogin }), options);
          ids.push(out.$metadata?.requestId);
          encryptedData.push(...(await sealCredential(sealers, { name: "password", description: `AWS console password of IAM user ${userName}`, bytes: new TextEncoder().encode(secret) })));
        }
        if (accessKey) {
          const out = await iam.send(new CreateAccessKeyCommand({ UserName: userName }), options);
          ids.push(out.$metadata?.requestId);
          const key = { access_key_id: out.AccessKey?.AccessKeyId ?? "", secret_access_key: out.AccessKey?.SecretAccessKey ?? "" };
          encryptedData.push(
            ...(await sealCredential(sealers, {
              name: "access_key",
              description: `AWS access key of IAM user ${userName}`,
              schema: "application/json",
              bytes: new TextEncoder().encode(JSON.stringify(key)),
            })),
          );
        }
      } catch (error) {
        await rollBack(iam, userName, error);
      }

      let created: IamUser | undefined;
      await readBack(
        async () => {
          try {
            const out = await iam.send(new GetUserCommand({ UserName: userName }), options);
            created = out.User;
            return true;
          } catch (error) {
            if (isNotFound(error)) return false;
            throw error;
          }
        },
        `creation of IAM user ${userName}`,
        ctx.signal,
        requestIds(...ids),
      );
      log.info({ user: created!.Arn, password: password !== undefined, accessKey, requestIds: requestIds(...ids) }, "created IAM user");
      return { alreadyExists: false, resource: resourceOf(created!), encryptedData, awsRequestIds: requestIds(...ids) };
    },
  };

  /** Deletes the user this request made (and whatever it got), then rethrows why. */
  async function rollBack(iam: IAMClient, userName: string, cause: unknown): Promise<never> {
    const user: IamHolder = { kind: "user", typeId: ResourceTypeIds.iamUser, arn: userName, name: userName, accountId: "" };
    try {
      await deleteIamUser(iam, user, new AbortController().signal, log);
      log.warn({ user: userName, err: awsErrorKind(cause) }, "IAM user creation failed after CreateUser; the new user was deleted again");
    } catch (error) {
      log.error({ user: userName, err: error }, "IAM user creation failed after CreateUser and the new user could not be deleted again");
      throw provisioningError(`IAM user ${userName} was created but setting its credentials failed and it could not be removed again; delete it: ${String(cause)}`, Code.Internal, [], cause);
    }
    throw cause;
  }
}

function ssoUserCreator({ aws, config, log }: AccountsDeps, types: ResourceTypes): AccountCreator {
  const instance = identityCenterInstanceResolver(aws, config, log);
  const resourceOf = (storeId: string, user: DescribeUserCommandOutput) => ssoUserResource(types, config.aws.ssoRegion, storeId, user);

  return {
    resourceTypeId: ResourceTypeIds.ssoUser,
    schema: ssoSchema(),
    credentialDetails: create(CredentialDetailsAccountProvisioningSchema, {
      supportedCredentialOptions: [CapabilityDetailCredentialOption.NO_PASSWORD],
      preferredCredentialOption: CapabilityDetailCredentialOption.NO_PASSWORD,
    }),

    async createAccount(request, ctx): Promise<AccountOutcome> {
      const info = accountInfoOf(request);
      const userName = info.login ?? info.email;
      if (!userName) throw invalidArgument("an Identity Center user needs a user name (account_info.login or profile.username)");
      const givenName = profileString(info.profile, FIELD.givenName);
      const familyName = profileString(info.profile, FIELD.familyName);
      if (!givenName || !familyName) throw invalidArgument(`an Identity Center user needs profile.${FIELD.givenName} and profile.${FIELD.familyName}`);
      if (!info.email) throw invalidArgument("an Identity Center user needs a primary e-mail (account_info.emails or profile.email)");
      requestedPassword(request.credentialOptions, false, "Identity Center user");
      if (profileBool(info.profile, FIELD.accessKey)) throw invalidArgument("Identity Center users have no access keys");
      const displayName = profileString(info.profile, FIELD.displayName) || `${givenName} ${familyName}`;

      const ic = await instance(ctx.signal);
      const store = aws.identityStore();
      const options = { abortSignal: ctx.signal };
      const IdentityStoreId = ic.identityStoreId;
      let userId: string;
      let createId: string | undefined;
      try {
        const out = await store.send(
          new CreateStoreUserCommand({
            IdentityStoreId,
            UserName: userName,
            DisplayName: displayName,
            Name: { GivenName: givenName, FamilyName: familyName },
            Emails: [{ Value: info.email, Type: "work", Primary: true }],
          }),
          options,
        );
        userId = out.UserId!;
        createId = out.$metadata?.requestId;
      } catch (error) {
        if (awsErrorKind(error) !== "conflict") throw error;
        // ConflictException: the user name is taken (or a concurrent change; then the lookup fails and says so).
        const found = await store.send(new GetUserIdCommand({ IdentityStoreId, AlternateIdentifier: { UniqueAttribute: { AttributePath: "userName", AttributeValue: userName } } }), options);
        const existing = await store.send(new DescribeUserCommand({ IdentityStoreId, UserId: found.UserId }), options);
        return { alreadyExists: true, resource: resourceOf(IdentityStoreId, existing), encryptedData: [], awsRequestIds: requestIds(awsId(error), existing.$metadata?.requestId) };
      }
      let created: DescribeUserCommandOutput | undefined;
      await readBack(
        async () => {
          try {
            created = await store.send(new DescribeUserCommand({ IdentityStoreId, UserId: userId }), options);
            return true;
          } catch (error) {
            if (isNotFound(error)) return false;
            throw error;
          }
        },
        `creation of Identity Center user ${userName}`,
        ctx.signal,
        requestIds(createId),
      );
      log.info({ userId, userName, requestId: createId }, "created Identity Center user");
      return { alreadyExists: false, resource: resourceOf(IdentityStoreId, created!), encryptedData: [], awsRequestIds: requestIds(createId, created!.$metadata?.requestId) };
    },
  };
}

interface AccountFields {
  login?: string;
  email?: string;
  profile: JsonObject;
}

/** Login and primary e-mail from AccountInfo (baton's --create-account-login/-email), else from the profile (baton-aws's fields). */
function accountInfoOf(request: CreateAccountRequest): AccountFields {
  const info: AccountInfo | undefined = request.accountInfo;
  const profile = info?.profile ?? {};
  const login = nonEmpty(info?.login) ?? profileString(profile, FIELD.userName);
  const emails = info?.emails ?? [];
  const email = nonEmpty((emails.find((e) => e.isPrimary) ?? emails[0])?.address) ?? profileString(profile, FIELD.email);
  if (email !== undefined && !EMAIL.test(email)) throw invalidArgument(`"${email}" is not an e-mail address`);
  return { ...(login ? { login } : {}), ...(email ? { email } : {}), profile };
}

function profileString(profile: JsonObject, key: string): string | undefined {
  const value: JsonValue | undefined = profile[key];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw invalidArgument(`profile.${key} must be a string`);
  return value.trim() || undefined;
}

function profileBool(profile: JsonObject, key: string): boolean {
  const value: JsonValue | undefined = profile[key];
  if (value === undefined || value === null) return false;
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  throw invalidArgument(`profile.${key} must be true or false`);
}

const nonEmpty = (value: string | undefined) => (value && value.trim() !== "" ? value.trim() : undefined);

function awsId(error: unknown): string | undefined {
  return (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
}

/** Reads until AWS shows the change (100 ms, doubling, 6 reads); Unavailable when it never does. */
async function readBack(done: () => Promise<boolean>, what: string, signal: AbortSignal, ids: string[]): Promise<void> {
  let waitMs = 100;
  for (let attempt = 1; ; attempt++) {
    if (await done()) return;
    if (attempt >= 6) throw provisioningError(`AWS accepted the ${what} but does not show it yet; repeat the request to check again`, Code.Unavailable, ids);
    await systemClock.sleep(waitMs, signal);
    waitMs *= 2;
  }
}

interface FieldInit {
  kind: "string" | "bool";
  displayName: string;
  required: boolean;
  description: string;
  placeholder: string;
  order: number;
}

function schemaOf(fields: Record<string, FieldInit>): ConnectorAccountCreationSchema {
  const fieldMap = Object.fromEntries(
    Object.entries(fields).map(([key, { kind, ...rest }]) => [
      key,
      { ...rest, field: kind === "bool" ? { case: "boolField" as const, value: { defaultValue: false } } : { case: "stringField" as const, value: {} } },
    ]),
  );
  return create(ConnectorAccountCreationSchemaSchema, { fieldMap });
}

/** baton-aws's IAM schema, plus the opt-in access key. */
function iamSchema(): ConnectorAccountCreationSchema {
  return schemaOf({
    [FIELD.userName]: { kind: "string", displayName: "Username", required: false, description: "The IAM user name. Defaults to email if omitted.", placeholder: "jdoe", order: 1 },
    [FIELD.email]: { kind: "string", displayName: "Email", required: true, description: "The user's primary work email.", placeholder: "jdoe@example.com", order: 2 },
    [FIELD.accessKey]: {
      kind: "bool",
      displayName: "Access key",
      required: false,
      description: "Also create an access key; its secret is returned only encrypted to the requester's key.",
      placeholder: "",
      order: 3,
    },
  });
}

/** baton-aws's Identity Center schema. */
function ssoSchema(): ConnectorAccountCreationSchema {
  return schemaOf({
    [FIELD.userName]: { kind: "string", displayName: "Username", required: true, description: "The Identity Center user name (login).", placeholder: "jdoe@example.com", order: 1 },
    [FIELD.givenName]: { kind: "string", displayName: "First Name", required: true, description: "The user's given name.", placeholder: "Jane", order: 2 },
    [FIELD.familyName]: { kind: "string", displayName: "Last Name", required: true, description: "The user's family name.", placeholder: "Doe", order: 3 },
    [FIELD.email]: { kind: "string", displayName: "Email", required: true, description: "The user's primary work email.", placeholder: "jdoe@example.com", order: 4 },
    [FIELD.displayName]: {
      kind: "string",
      displayName: "Display Name",
      required: false,
      description: 'Optional display name. Defaults to "<given> <family>" if empty.',
      placeholder: "Jane Doe",
      order: 5,
    },
  });
}
