/**
 * google.protobuf.Any as @grpc/proto-loader hands it over (snake_case, raw bytes), and the little
 * decoding the grpc-js clients of tests and benchmarks do by hand — independently of our generated code.
 */
export interface WireAny {
  type_url: string;
  value: Buffer;
}

export const typeNameOf = (any: WireAny): string => any.type_url.slice(any.type_url.lastIndexOf("/") + 1);

/** Field 1 of a message whose field 1 is a string (RequestId, ChildResourceType, …); undefined if it does not start with it. */
export function stringField1(bytes: Buffer): string | undefined {
  if (bytes[0] !== 0x0a) return undefined;
  let length = 0;
  let shift = 0;
  let i = 1;
  for (;;) {
    const b = bytes[i++]!;
    length |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  return bytes.subarray(i, i + length).toString("utf8");
}
