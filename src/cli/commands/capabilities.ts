import { toJson, type JsonValue } from "@bufbuild/protobuf";
import { anyPack, AnySchema } from "@bufbuild/protobuf/wkt";
import { Command, Option } from "commander";
import { ConnectorCapabilitiesSchema } from "../../gen/c1/connector/v2/connector_pb.js";
import { createConnector } from "../../connector/build.js";
import { protoRegistry } from "../../connector/proto-files.js";
import { addConnectorOptions, loadConnectorSettings } from "../connector-options.js";
import { writeOut } from "../output.js";

/**
 * `connector capabilities`: what each resource type supports, as baton connectors print it
 * (protojson of a google.protobuf.Any wrapping c1.connector.v2.ConnectorCapabilities). No AWS call.
 */
export function capabilitiesCommand(): Command {
  const command = new Command("capabilities")
    .description("Print the connector's capabilities as JSON (no AWS calls)")
    // JSON is the only form (baton's); the option is accepted like on every command that prints a result.
    .addOption(new Option("-o, --output <format>", "output format").choices(["json"]).default("json"));
  return addConnectorOptions(command).action(async (opts: Record<string, unknown>) => {
    const { config } = loadConnectorSettings(opts);
    // No page token is issued here: a throwaway secret keeps the state directory untouched.
    const connector = createConnector({ ...config, pageTokenSecret: config.pageTokenSecret ?? "capabilities-issue-no-page-tokens" });
    try {
      const any = anyPack(ConnectorCapabilitiesSchema, connector.services.capabilities);
      await writeOut(`${JSON.stringify(typeFirst(toJson(AnySchema, any, { registry: protoRegistry })), null, 2)}\n`);
    } finally {
      await connector.close();
    }
  });
}

/** "@type" first in every object, as Go's protojson writes it (baton_capabilities.json files diff cleanly). */
function typeFirst(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(typeFirst);
  if (value === null || typeof value !== "object") return value;
  const { "@type": type, ...rest } = value;
  const out: { [key: string]: JsonValue } = type === undefined ? {} : { "@type": type };
  for (const [key, inner] of Object.entries(rest)) out[key] = typeFirst(inner);
  return out;
}
