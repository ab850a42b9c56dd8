import { createRegistry, type DescFile, type Registry } from "@bufbuild/protobuf";
import * as wkt from "@bufbuild/protobuf/wkt";
import { allGeneratedFiles } from "../gen/all_files.js";

/**
 * Every proto file the connector can speak: each file generated from proto/ (the list is itself
 * generated, see tools/protoc-gen-all-files.ts) and every well-known type of @bufbuild/protobuf.
 * Nothing here is listed by hand, so any message the code can build — an annotation packed into a
 * `google.protobuf.Any` included — is in the registry the server's JSON encodings (Connect JSON,
 * gRPC-Web JSON), reflection and c1z JSON use.
 */
export const PROTO_FILES: readonly DescFile[] = [...allGeneratedFiles, ...wellKnownFiles()];

/** Every file by name, imports included (e.g. "google/protobuf/any.proto"). */
export const protoFilesByName: ReadonlyMap<string, DescFile> = new Map(
  PROTO_FILES.flatMap(withDependencies).map((file) => [file.proto.name, file] as const),
);

/** Messages, enums, services and extensions of every file, by full name. */
export const protoRegistry: Registry = createRegistry(...protoFilesByName.values());

function withDependencies(file: DescFile): DescFile[] {
  return [...file.dependencies.flatMap(withDependencies), file];
}

/** The `file_google_protobuf_*` descriptors @bufbuild/protobuf/wkt exports (any, struct, timestamp, …). */
function wellKnownFiles(): DescFile[] {
  return Object.values(wkt).filter((value): value is DescFile => typeof value === "object" && value !== null && (value as DescFile).kind === "file");
}
