/**
 * Every file descriptor found by walking src/gen on disk — independently of src/gen/all_files.ts
 * and of the registry the server builds from it — with every message type they declare.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRegistry, type DescFile, type DescMessage, type Registry } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";

const GEN = fileURLToPath(new URL("../../../src/gen", import.meta.url));

export interface GeneratedOnDisk {
  /** Path under src/gen of each `*_pb.ts`. */
  paths: string[];
  files: DescFile[];
  messages: DescMessage[];
  /** A registry of those files and their imports, built here. */
  registry: Registry;
}

export async function generatedOnDisk(): Promise<GeneratedOnDisk> {
  const paths = (readdirSync(GEN, { recursive: true }) as string[]).filter((p) => p.endsWith("_pb.ts")).sort();
  const files: DescFile[] = [];
  for (const path of paths) {
    const module = (await import(pathToFileURL(join(GEN, path)).href)) as Record<string, unknown>;
    const found = Object.values(module).filter((v): v is DescFile => typeof v === "object" && v !== null && (v as DescFile).kind === "file");
    if (found.length !== 1) throw new Error(`${path} exports ${found.length} file descriptors`);
    files.push(found[0]!);
  }
  const messages = files.flatMap((file) => [...nestedTypes(file)].filter((t): t is DescMessage => t.kind === "message"));
  const withImports = (file: DescFile): DescFile[] => [...file.dependencies.flatMap(withImports), file];
  return { paths, files, messages, registry: createRegistry(...files.flatMap(withImports)) };
}
