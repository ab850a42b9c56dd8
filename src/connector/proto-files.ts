import { createRegistry, type DescFile, type Registry } from "@bufbuild/protobuf";
import { file_awsaccess_v1_grant_lifetime } from "../gen/awsaccess/v1/grant_lifetime_pb.js";
import { file_c1_connector_v2_asset } from "../gen/c1/connector/v2/asset_pb.js";
import { file_c1_connector_v2_annotation_grant } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import { file_c1_connector_v2_annotation_ratelimit } from "../gen/c1/connector/v2/annotation_ratelimit_pb.js";
import { file_c1_connector_v2_annotation_request } from "../gen/c1/connector/v2/annotation_request_pb.js";
import { file_c1_connector_v2_annotation_resource_tree } from "../gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { file_c1_connector_v2_annotation_trait } from "../gen/c1/connector/v2/annotation_trait_pb.js";
import { file_c1_connector_v2_annotation_v1_identifier } from "../gen/c1/connector/v2/annotation_v1_identifier_pb.js";
import { file_c1_connector_v2_connector } from "../gen/c1/connector/v2/connector_pb.js";
import { file_c1_connector_v2_entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import { file_c1_connector_v2_grant } from "../gen/c1/connector/v2/grant_pb.js";
import { file_c1_connector_v2_resource } from "../gen/c1/connector/v2/resource_pb.js";
import { file_c1_ratelimit_v1_ratelimit } from "../gen/c1/ratelimit/v1/ratelimit_pb.js";
import { file_google_rpc_status } from "../gen/google/rpc/status_pb.js";
import { file_grpc_health_v1_health } from "../gen/grpc/health/v1/health_pb.js";
import { file_grpc_reflection_v1_reflection } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { file_grpc_reflection_v1alpha_reflection } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";

/**
 * Every generated proto file the connector speaks, with their imports (google/protobuf/*) pulled in
 * by the registry. Used by server reflection (descriptors for grpcurl-style tools) and for
 * protojson of messages whose annotations are `google.protobuf.Any` (`connector capabilities`).
 */
export const PROTO_FILES: readonly DescFile[] = [
  file_c1_connector_v2_connector,
  file_c1_connector_v2_resource,
  file_c1_connector_v2_entitlement,
  file_c1_connector_v2_grant,
  file_c1_connector_v2_asset,
  file_c1_connector_v2_annotation_grant,
  file_c1_connector_v2_annotation_ratelimit,
  file_c1_connector_v2_annotation_request,
  file_c1_connector_v2_annotation_resource_tree,
  file_c1_connector_v2_annotation_trait,
  file_c1_connector_v2_annotation_v1_identifier,
  file_c1_ratelimit_v1_ratelimit,
  file_awsaccess_v1_grant_lifetime,
  file_google_rpc_status,
  file_grpc_health_v1_health,
  file_grpc_reflection_v1_reflection,
  file_grpc_reflection_v1alpha_reflection,
];

/** Every file by name, imports included (e.g. "google/protobuf/any.proto"). */
export const protoFilesByName: ReadonlyMap<string, DescFile> = new Map(
  PROTO_FILES.flatMap(withDependencies).map((file) => [file.proto.name, file] as const),
);

/** Messages, enums, services and extensions of every file, by full name. */
export const protoRegistry: Registry = createRegistry(...protoFilesByName.values());

function withDependencies(file: DescFile): DescFile[] {
  return [...file.dependencies.flatMap(withDependencies), file];
}
