import { Command, Option } from "commander";
import { findAnnotation, hasAnnotation } from "../../connector/annotations.js";
import { createConnector } from "../../connector/build.js";
import { RequestIdSchema } from "../../gen/c1/connector/v2/annotation_request_pb.js";
import { ResourceDoesNotExistSchema } from "../../gen/c1/connector/v2/annotation_resource_pb.js";
import { addConnectorOptions, createCommandLogger, loadConnectorSettings } from "../connector-options.js";
import { UserError } from "../fatal.js";
import { outputOption, printRecord, type OutputFormat } from "../output.js";
import { cliContextValues, withProvisioning } from "../provisioning-cli.js";
import { resourceFromC1z, resourceIdFromRef } from "../provisioning-refs.js";

interface DeleteResourceOptions {
  resource?: string;
  parent?: string;
  file?: string;
  deleteResource?: string;
  deleteResourceType?: string;
  output: OutputFormat;
}

/**
 * `connector delete-resource`: one DeleteResourceV2 through the connector's own API — an IAM user
 * (after removing everything AWS requires first) or an Identity Center user — answered once AWS no
 * longer has it. Repeating it is safe: a deletion cut short finishes, one already done says so.
 */
export function deleteResourceCommand(): Command {
  const command = new Command("delete-resource")
    .description("Delete an IAM user or Identity Center user; an explicit write: enables provisioning for itself")
    .option("--resource <type:id>", "e.g. iam_user:arn:aws:iam::123456789012:user/alice or sso_user:arn:aws:identitystore:…/user/…")
    .option("--parent <type:id>", "the resource's parent as synced (e.g. account_iam:<accountId>); taken from --file when given")
    .option("-f, --file <c1z>", "look the resource (and its parent) up in this c1z (its latest sync), as baton does")
    .addOption(outputOption())
    .addOption(new Option("--delete-resource <id>", "baton's resource id (with --delete-resource-type)").hideHelp())
    .addOption(new Option("--delete-resource-type <type>", "baton's resource type").hideHelp());
  return addConnectorOptions(command).action(async (opts: DeleteResourceOptions & Record<string, unknown>) => {
    const ref = opts.resource ?? (opts.deleteResourceType && opts.deleteResource ? `${opts.deleteResourceType}:${opts.deleteResource}` : undefined);
    if (!ref) throw new UserError("delete-resource needs --resource TYPE:ID (or baton's --delete-resource with --delete-resource-type)");
    let resourceId = resourceIdFromRef(ref, "--resource");
    let parentId = opts.parent ? resourceIdFromRef(opts.parent, "--parent") : undefined;
    if (opts.file) {
      const stored = await resourceFromC1z(opts.file, resourceId);
      resourceId = stored.id!;
      parentId ??= stored.parentResourceId;
    }
    const settings = loadConnectorSettings(opts);
    const connector = createConnector(withProvisioning(settings.config), { log: createCommandLogger(settings.log) });
    try {
      const response = await connector.api.resourceDeleter.deleteResourceV2(
        { resourceId, ...(parentId ? { parentResourceId: parentId } : {}) },
        { contextValues: cliContextValues() },
      );
      await printRecord(
        {
          outcome: hasAnnotation(response.annotations, ResourceDoesNotExistSchema) ? "already-deleted" : "deleted",
          resource: `${resourceId.resourceType}:${resourceId.resource}`,
          awsRequestIds: response.annotations.flatMap((a) => findAnnotation([a], RequestIdSchema)?.requestId ?? []),
        },
        opts.output,
      );
    } finally {
      await connector.close();
    }
  });
}
