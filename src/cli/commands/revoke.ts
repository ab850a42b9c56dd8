import { Command, Option } from "commander";
import { create } from "@bufbuild/protobuf";
import { findAnnotation, hasAnnotation } from "../../connector/annotations.js";
import { createConnector } from "../../connector/build.js";
import { GrantAlreadyRevokedSchema } from "../../gen/c1/connector/v2/annotation_grant_pb.js";
import { RequestIdSchema } from "../../gen/c1/connector/v2/annotation_request_pb.js";
import { GrantSchema, type Grant } from "../../gen/c1/connector/v2/grant_pb.js";
import { addConnectorOptions, createCommandLogger, loadConnectorSettings } from "../connector-options.js";
import { UserError } from "../fatal.js";
import { outputOption, printRecord, type OutputFormat } from "../output.js";
import { cliContextValues, withProvisioning } from "../provisioning-cli.js";
import { entitlementFromId, grantFromC1z, grantFromId, grantInputFromC1z, principalFromRef } from "../provisioning-refs.js";

interface RevokeOptions {
  grant?: string;
  revokeGrant?: string;
  entitlement?: string;
  principal?: string;
  file?: string;
  output: OutputFormat;
}

/** `connector revoke`: one Revoke through the connector's own API, answered once AWS confirmed it. */
export function revokeCommand(): Command {
  const command = new Command("revoke")
    .description("Revoke a grant; answers once AWS has confirmed it (an explicit write: enables provisioning for itself)")
    .option("--grant <id>", "grant id as synced (with --file for Identity Store MembershipIds)")
    .option("--entitlement <id>", "instead of --grant: the entitlement id …")
    .option("--principal <type:id>", "… and the principal holding it")
    .option("-f, --file <c1z>", "look the grant up in this c1z (its latest sync), as baton does")
    .addOption(outputOption())
    .addOption(new Option("--revoke-grant <id>", "baton's name for --grant").hideHelp());
  return addConnectorOptions(command).action(async (opts: RevokeOptions & Record<string, unknown>) => {
    const grant = await grantToRevoke(opts);
    const settings = loadConnectorSettings(opts);
    const connector = createConnector(withProvisioning(settings.config), { log: createCommandLogger(settings.log) });
    try {
      const response = await connector.api.grantManager.revoke({ grant }, { contextValues: cliContextValues() });
      await printRecord(
        {
          outcome: hasAnnotation(response.annotations, GrantAlreadyRevokedSchema) ? "already-revoked" : "revoked",
          grant: grant.id || undefined,
          entitlement: grant.entitlement?.id,
          principal: `${grant.principal?.id?.resourceType}:${grant.principal?.id?.resource}`,
          awsRequestIds: response.annotations.flatMap((a) => findAnnotation([a], RequestIdSchema)?.requestId ?? []),
        },
        opts.output,
      );
    } finally {
      await connector.close();
    }
  });
}

async function grantToRevoke(opts: RevokeOptions): Promise<Grant> {
  const grantId = opts.grant ?? opts.revokeGrant;
  if (grantId !== undefined) {
    if (opts.entitlement || opts.principal) throw new UserError("give either --grant, or --entitlement and --principal");
    return opts.file ? grantFromC1z(opts.file, grantId) : grantFromId(grantId);
  }
  if (!opts.entitlement || !opts.principal) throw new UserError("revoke needs --grant (or baton's --revoke-grant), or --entitlement and --principal");
  const principal = principalFromRef(opts.principal);
  const input = opts.file ? await grantInputFromC1z(opts.file, opts.entitlement, principal) : { entitlement: entitlementFromId(opts.entitlement), principal };
  return create(GrantSchema, { entitlement: input.entitlement, principal: input.principal });
}
