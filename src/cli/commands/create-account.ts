import type { JsonObject } from "@bufbuild/protobuf";
import { Command, Option } from "commander";
import { findAnnotation } from "../../connector/annotations.js";
import { createConnector } from "../../connector/build.js";
import { RequestIdSchema } from "../../gen/c1/connector/v2/annotation_request_pb.js";
import { addConnectorOptions, createCommandLogger, loadConnectorSettings } from "../connector-options.js";
import { UserError } from "../fatal.js";
import { outputOption, printRecord, type OutputFormat } from "../output.js";
import { cliContextValues, withProvisioning } from "../provisioning-cli.js";

interface CreateAccountOptions {
  login?: string;
  email?: string;
  profile?: string;
  password?: boolean;
  accessKey?: boolean;
  ageRecipient?: string;
  createAccountLogin?: string;
  createAccountEmail?: string;
  createAccountProfile?: string;
  output: OutputFormat;
}

/**
 * `connector create-account`: one CreateAccount through the connector's own API (an IAM user, or an
 * Identity Center user with --create-account-resource-type sso_user), answered once AWS shows it.
 * No console password or access key unless asked for; they are printed only encrypted to
 * --age-recipient.
 */
export function createAccountCommand(): Command {
  const command = new Command("create-account")
    .description("Create an account (IAM user, or Identity Center user with --create-account-resource-type sso_user); an explicit write: enables provisioning for itself")
    .option("--login <name>", "user name (IAM: defaults to the e-mail)")
    .option("--email <address>", "primary e-mail (IAM: the `email` tag)")
    .option("--profile <json>", 'more fields as JSON, e.g. \'{"given_name":"Jane","family_name":"Doe"}\' (see the account-creation schema in GetMetadata)')
    .option("--password", "IAM: also set a random console password (changed at first sign-in), returned encrypted to --age-recipient")
    .option("--access-key", "IAM: also create an access key, returned encrypted to --age-recipient")
    .option("--age-recipient <age1…>", "public age key the password or access key is encrypted to (nothing secret is ever printed in the clear)")
    .addOption(outputOption())
    .addOption(new Option("--create-account-login <name>", "baton's name for --login").hideHelp())
    .addOption(new Option("--create-account-email <address>", "baton's name for --email").hideHelp())
    .addOption(new Option("--create-account-profile <json>", "baton's name for --profile").hideHelp());
  return addConnectorOptions(command).action(async (opts: CreateAccountOptions & Record<string, unknown>) => {
    const login = opts.login ?? opts.createAccountLogin;
    const email = opts.email ?? opts.createAccountEmail;
    const profile = parseProfile(opts.profile ?? opts.createAccountProfile);
    if (!login && !email && profile.username === undefined) throw new UserError("create-account needs --login or --email (or baton's --create-account-login / --create-account-email)");
    if (opts.accessKey) profile.access_key = true;
    if ((opts.password || opts.accessKey) && !opts.ageRecipient) {
      throw new UserError("--password and --access-key need --age-recipient: credentials are only ever returned encrypted");
    }
    const settings = loadConnectorSettings(opts);
    const config = withProvisioning(settings.config);
    const connector = createConnector(config, { log: createCommandLogger(settings.log) });
    try {
      const response = await connector.api.accountManager.createAccount(
        {
          resourceTypeId: config.provisioning.createAccountResourceType,
          accountInfo: { login: login ?? "", emails: email ? [{ address: email, isPrimary: true }] : [], profile },
          credentialOptions: opts.password
            ? { forceChangeAtNextLogin: true, options: { case: "randomPassword", value: { length: 20n } } }
            : { options: { case: "noPassword", value: {} } },
          encryptionConfigs: opts.ageRecipient ? [{ provider: "baton/age/v1", config: { case: "ageRecipientConfig", value: { recipient: opts.ageRecipient } } }] : [],
        },
        { contextValues: cliContextValues() },
      );
      const result = response.result;
      const account = result.case === "success" || result.case === "alreadyExists" ? result.value.resource : undefined;
      await printRecord(
        {
          outcome: result.case === "alreadyExists" ? "already-exists" : "created",
          resource: account?.id ? `${account.id.resourceType}:${account.id.resource}` : undefined,
          login: account?.displayName,
          credentials: response.encryptedData.map((d) => `${d.name} (${d.provider}, age file, base64): ${Buffer.from(d.encryptedBytes).toString("base64")}`),
          awsRequestIds: response.annotations.flatMap((a) => findAnnotation([a], RequestIdSchema)?.requestId ?? []),
          note: result.case === "alreadyExists" ? "an account with this login already existed; it was left as it is (no credentials made)" : undefined,
        },
        opts.output,
      );
    } finally {
      await connector.close();
    }
  });
}

function parseProfile(text: string | undefined): JsonObject {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(`--profile must be a JSON object, e.g. '{"given_name":"Jane"}' (got ${JSON.stringify(text)})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UserError("--profile must be a JSON object");
  return value as JsonObject;
}
