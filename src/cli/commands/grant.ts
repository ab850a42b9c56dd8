import { timestampMs } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import { Command, Option } from "commander";
import { findAnnotation, hasAnnotation } from "../../connector/annotations.js";
import { createConnector } from "../../connector/build.js";
import { GrantExpirySchema } from "../../gen/awsaccess/v1/grant_lifetime_pb.js";
import { GrantAlreadyExistsSchema } from "../../gen/c1/connector/v2/annotation_grant_pb.js";
import { RequestIdSchema } from "../../gen/c1/connector/v2/annotation_request_pb.js";
import { grantLifetimeAnnotation, parseDuration } from "../../provisioning/lifetime.js";
import { addConnectorOptions, createCommandLogger, loadConnectorSettings } from "../connector-options.js";
import { UserError } from "../fatal.js";
import { outputOption, printRecord, type OutputFormat } from "../output.js";
import { cliContextValues, whenText, withProvisioning } from "../provisioning-cli.js";
import { entitlementFromId, grantInputFromC1z, principalFromRef } from "../provisioning-refs.js";
import type { Any } from "@bufbuild/protobuf/wkt";

interface GrantOptions {
  entitlement?: string;
  principal?: string;
  grantEntitlement?: string;
  grantPrincipal?: string;
  grantPrincipalType?: string;
  duration?: string;
  file?: string;
  output: OutputFormat;
}

/** `connector grant`: one Grant through the connector's own API, answered once AWS confirmed it. */
export function grantCommand(): Command {
  const command = new Command("grant")
    .description("Grant an entitlement to a principal; answers once AWS has confirmed it (an explicit write: enables provisioning for itself)")
    .option("--entitlement <id>", "entitlement id, e.g. group:<arn>:member, sso_group:<arn>:member, <accountId>|<permissionSetArn>")
    .option("--principal <type:id>", "principal, e.g. iam_user:<arn>, sso_user:<arn>, sso_group:<arn>")
    .option("--duration <duration>", "time-bound grant, revoked after e.g. 30m, 2h, 1h30m, 7d (by `connector serve --provisioning`)")
    .option("-f, --file <c1z>", "look the entitlement and principal up in this c1z (its latest sync), as baton does")
    .addOption(outputOption())
    .addOption(new Option("--grant-entitlement <id>", "baton's name for --entitlement").hideHelp())
    .addOption(new Option("--grant-principal <id>", "baton's principal resource id (with --grant-principal-type)").hideHelp())
    .addOption(new Option("--grant-principal-type <type>", "baton's principal resource type").hideHelp());
  return addConnectorOptions(command).action(async (opts: GrantOptions & Record<string, unknown>) => {
    const entitlementId = opts.entitlement ?? opts.grantEntitlement;
    const principalRef = opts.principal ?? (opts.grantPrincipalType && opts.grantPrincipal ? `${opts.grantPrincipalType}:${opts.grantPrincipal}` : undefined);
    if (!entitlementId || !principalRef) throw new UserError("grant needs --entitlement and --principal (or baton's --grant-entitlement, --grant-principal, --grant-principal-type)");
    let annotations: Any[] = [];
    try {
      if (opts.duration !== undefined) annotations = [grantLifetimeAnnotation(parseDuration(opts.duration))];
    } catch (error) {
      throw new UserError(`--duration: ${ConnectError.from(error).rawMessage}`);
    }
    const principal = principalFromRef(principalRef);
    const input = opts.file ? await grantInputFromC1z(opts.file, entitlementId, principal) : { entitlement: entitlementFromId(entitlementId), principal };

    const settings = loadConnectorSettings(opts);
    const config = withProvisioning(settings.config);
    const connector = createConnector(config, { log: createCommandLogger(settings.log) });
    try {
      const response = await connector.api.grantManager.grant({ ...input, annotations }, { contextValues: cliContextValues() });
      const expiry = findAnnotation(response.annotations, GrantExpirySchema)?.expiresAt;
      const alreadyExists = hasAnnotation(response.annotations, GrantAlreadyExistsSchema);
      await printRecord(
        {
          outcome: alreadyExists ? "already-exists" : "granted",
          entitlement: entitlementId,
          principal: principalRef,
          grantIds: response.grants.map((g) => g.id),
          awsRequestIds: response.annotations.flatMap((a) => findAnnotation([a], RequestIdSchema)?.requestId ?? []),
          expiresAt: expiry ? (opts.output === "json" ? new Date(timestampMs(expiry)).toISOString() : whenText(timestampMs(expiry))) : undefined,
          note:
            opts.duration === undefined
              ? undefined
              : expiry
                ? `revoked at expiry by \`connector serve --provisioning\` with state dir ${config.stateDir}`
                : "the access already existed as standing access; it was left as it is and will not expire",
        },
        opts.output,
      );
    } finally {
      await connector.close();
    }
  });
}
