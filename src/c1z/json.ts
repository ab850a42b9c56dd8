import { toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { protoRegistry as registry } from "../connector/proto-files.js";

/**
 * Proto JSON of a c1z record. Annotations of types we do not know (other connectors' files) are
 * shown by type URL instead of failing the whole listing.
 */
export function recordJson<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): unknown {
  try {
    return toJson(schema, message, { registry });
  } catch {
    return toJson(schema, stripUnknownAnys(message as Record<string, unknown>) as MessageShape<Desc>, { registry });
  }
}

function stripUnknownAnys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripUnknownAnys);
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value;
  const obj = value as Record<string, unknown>;
  if (obj.$typeName === "google.protobuf.Any") {
    const any = obj as unknown as Any;
    const name = any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
    return registry.getMessage(name) ? any : { ...any, typeUrl: "type.googleapis.com/google.protobuf.Empty", value: new Uint8Array() };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = stripUnknownAnys(v);
  return out;
}
