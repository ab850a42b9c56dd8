import { create, toBinary, type DescFile, type DescMessage } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import * as v1 from "../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { protoFilesByName, protoRegistry } from "./proto-files.js";

/**
 * gRPC server reflection (grpc.reflection.v1 and the older v1alpha, which grpcurl and many tools
 * still ask for first): lists the services and hands out FileDescriptorProto bytes of the generated
 * files, so `grpcurl list`, `describe` and calls without local .proto files work.
 */

/** gRPC status codes used inside reflection error responses. */
const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;

type Request = v1.ServerReflectionRequest | v1alpha.ServerReflectionRequest;
type Answer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "listServicesResponse"; value: { service: Array<{ name: string }> } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

export function createReflectionServices(serviceNames: readonly string[]) {
  const answer = createAnswerer(serviceNames);
  return {
    v1: implFor(v1.ServerReflectionResponseSchema, answer) as ServiceImpl<typeof v1.ServerReflection>,
    v1alpha: implFor(v1alpha.ServerReflectionResponseSchema, answer) as ServiceImpl<typeof v1alpha.ServerReflection>,
  };
}

function implFor(responseSchema: DescMessage, answer: (req: Request, sent: Set<string>) => Answer) {
  return {
    async *serverReflectionInfo(requests: AsyncIterable<Request>) {
      // Per stream, each file is sent once: clients cache what they already received.
      const sent = new Set<string>();
      for await (const request of requests) {
        yield create(responseSchema, {
          validHost: request.host,
          originalRequest: request,
          messageResponse: answer(request, sent),
        } as never);
      }
    },
  };
}

function createAnswerer(serviceNames: readonly string[]) {
  const descriptorBytes = new Map<string, Uint8Array>();
  const bytesOf = (file: DescFile) => {
    let bytes = descriptorBytes.get(file.proto.name);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      descriptorBytes.set(file.proto.name, bytes);
    }
    return bytes;
  };

  /** The file asked for, then those of its (transitive) imports not yet sent on this stream. */
  function filesFrom(file: DescFile, sent: Set<string>): Answer {
    const out = [bytesOf(file)];
    sent.add(file.proto.name);
    const queue = [...file.dependencies];
    for (let dep = queue.shift(); dep; dep = queue.shift()) {
      if (sent.has(dep.proto.name)) continue;
      sent.add(dep.proto.name);
      out.push(bytesOf(dep));
      queue.push(...dep.dependencies);
    }
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } };
  }

  const notFound = (what: string): Answer => ({ case: "errorResponse", value: { errorCode: NOT_FOUND, errorMessage: `${what} not found` } });

  return (request: Request, sent: Set<string>): Answer => {
    const req = request.messageRequest;
    switch (req.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: serviceNames.map((name) => ({ name })) } };
      case "fileByFilename": {
        const file = protoFilesByName.get(req.value);
        return file ? filesFrom(file, sent) : notFound(`file "${req.value}"`);
      }
      case "fileContainingSymbol": {
        const file = fileContainingSymbol(req.value);
        return file ? filesFrom(file, sent) : notFound(`symbol "${req.value}"`);
      }
      case "fileContainingExtension": {
        const { containingType, extensionNumber } = req.value;
        const message = protoRegistry.getMessage(containingType);
        const extension = message && protoRegistry.getExtensionFor(message, extensionNumber);
        return extension ? filesFrom(extension.file, sent) : notFound(`extension ${extensionNumber} of "${containingType}"`);
      }
      case "allExtensionNumbersOfType": {
        const message = protoRegistry.getMessage(req.value);
        if (!message) return notFound(`type "${req.value}"`);
        // None of our files declares extensions.
        return { case: "allExtensionNumbersResponse", value: { baseTypeName: message.typeName, extensionNumber: [] } };
      }
      default:
        return { case: "errorResponse", value: { errorCode: INVALID_ARGUMENT, errorMessage: "empty reflection request" } };
    }
  };
}

/** Messages, enums, services, extensions, and methods ("pkg.Service.Method"). */
function fileContainingSymbol(symbol: string): DescFile | undefined {
  const name = symbol.startsWith(".") ? symbol.slice(1) : symbol;
  const type = protoRegistry.get(name);
  if (type) return type.file;
  const dot = name.lastIndexOf(".");
  const service = dot > 0 ? protoRegistry.getService(name.slice(0, dot)) : undefined;
  return service?.methods.some((m) => m.name === name.slice(dot + 1)) ? service.file : undefined;
}
