import {
  create,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { anyIs, anyPack, anyUnpack, type Any } from "@bufbuild/protobuf/wkt";

/**
 * baton annotations are `repeated google.protobuf.Any`; these helpers keep packing and lookup in
 * one place (type URL `type.googleapis.com/<full name>`, as Go's anypb writes it).
 */
export function annotation<Desc extends DescMessage>(schema: Desc, init?: MessageInitShape<Desc>): Any {
  return anyPack(schema, create(schema, init));
}

/** The first annotation of the given type, decoded; undefined when absent. */
export function findAnnotation<Desc extends DescMessage>(
  annotations: readonly Any[] | undefined,
  schema: Desc,
): MessageShape<Desc> | undefined {
  for (const any of annotations ?? []) {
    if (anyIs(any, schema)) return anyUnpack(any, schema);
  }
  return undefined;
}

export function hasAnnotation(annotations: readonly Any[] | undefined, schema: DescMessage): boolean {
  return (annotations ?? []).some((any) => anyIs(any, schema));
}

/** All annotations except those of the given type. */
export function withoutAnnotation(annotations: readonly Any[] | undefined, schema: DescMessage): Any[] {
  return (annotations ?? []).filter((any) => !anyIs(any, schema));
}
