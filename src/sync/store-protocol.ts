import { C1zFormatError } from "../c1z/container.js";
import type { Blobs, RowEncoder } from "../c1z/rows.js";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Resource } from "../gen/c1/connector/v2/resource_pb.js";
import { SyncError } from "./context.js";
import { MaxDepthExceededError } from "./expansion-graph.js";
import type { StoreCore, StoreEvent } from "./store-core.js";
import { WorkingDbBusyError } from "./working-db.js";

/**
 * The messages between the sync engine (store.ts) and the thread that owns the working database
 * (store-worker.ts). Operations are StoreCore's methods, applied strictly in the order sent.
 */

/** StoreCore's operations, by name. */
export type StoreOps = {
  [K in keyof StoreCore as StoreCore[K] extends (...args: never[]) => unknown ? K : never]: StoreCore[K] extends (...args: infer A) => infer R
    ? (...args: A) => R
    : never;
};
export type StoreOp = keyof StoreOps;

export interface OpMessage {
  seq: number;
  op: StoreOp;
  args: unknown[];
  /** The sender waits for a reply (a call); otherwise the result is dropped (a send). */
  reply: boolean;
}

export type WorkerMessage =
  | { kind: "reply"; seq: number; ok: true; value: unknown }
  | { kind: "reply"; seq: number; ok: false; error: SerializedError }
  /** The operations the engine waits for (Progress.WAITING_FOR) are applied (flow control). */
  | { kind: "processed" }
  /** An operation that nobody waits for failed: the store refuses everything but rollback and close from now on. */
  | { kind: "failed"; error: SerializedError }
  | { kind: "event"; event: StoreEvent };

/**
 * An operation as sent to the store's thread. Those carrying protobuf messages go as their twins
 * taking rows (store-core.ts), encoded on the sending thread with their buffer transferred: a
 * structured clone of message graphs costs both threads more than encoding them once, and the
 * store's thread is the busier one.
 */
export function wireOp(encoder: RowEncoder, op: StoreOp, args: unknown[]): { op: StoreOp; args: unknown[]; transfer: ArrayBuffer[] } {
  const encoded = (twin: StoreOp, rows: Blobs, rest: unknown[] = []) => ({ op: twin, args: [rows, ...rest], transfer: [rows.data.buffer as ArrayBuffer] });
  switch (op) {
    case "putResources":
      return encoded("writeResources", encoder.resources(args[0] as Resource[]));
    case "placeResources":
      return encoded("placeResourceRows", encoder.resources(args[0] as Resource[]));
    case "putEntitlements":
      return encoded("writeEntitlements", encoder.entitlements(args[0] as Entitlement[]));
    // Rows encoded by the caller: their buffer moves to the store's thread (each batch owns its own).
    case "writeResources":
    case "placeResourceRows":
    case "writeEntitlements":
    case "writeGrants":
      return encoded(op, args[0] as Blobs, args.slice(1));
    default:
      return { op, args, transfer: [] };
  }
}

/**
 * Sends of one operation in a row that the thread store may carry as one message: the operation
 * with each send's arguments, in order. A grants job done is one per resource, most of them for
 * resources without grants: hundreds of thousands of tiny messages otherwise.
 */
export const COALESCED: Partial<Record<StoreOp, StoreOp>> = { grantsJobDone: "grantsJobsDone" };

/**
 * How far the store's thread has got, in memory both threads share (an Int32Array on a
 * SharedArrayBuffer), so that flow control costs no message per operation: the thread stores the
 * last applied sequence number after each operation, and posts "processed" only when the engine
 * has said it waits for a number (and the thread has reached it).
 */
export const Progress = { APPLIED: 0, WAITING_FOR: 1, SLOTS: 2 } as const;

/** Operations a failed store still performs: the way out. */
export const AFTER_FAILURE: ReadonlySet<StoreOp> = new Set<StoreOp>(["rollback", "close"]);

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  rounds?: number;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const { code, rounds } = error as { code?: unknown; rounds?: unknown };
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    code: typeof code === "string" ? code : undefined,
    rounds: typeof rounds === "number" ? rounds : undefined,
  };
}

/** Errors whose class callers test for (instanceof) come back as that class. */
const CLASSES: Record<string, { prototype: Error }> = {
  SyncError,
  C1zFormatError,
  MaxDepthExceededError,
  WorkingDbBusyError,
};

export function reviveError(error: SerializedError): Error {
  const proto = CLASSES[error.name]?.prototype ?? Error.prototype;
  const revived = Object.create(proto) as Error & { code?: string; rounds?: number };
  Object.defineProperty(revived, "message", { value: error.message, writable: true, configurable: true });
  Object.defineProperty(revived, "name", { value: error.name, writable: true, configurable: true });
  Object.defineProperty(revived, "stack", { value: error.stack, writable: true, configurable: true });
  if (error.code !== undefined) revived.code = error.code;
  if (error.rounds !== undefined) revived.rounds = error.rounds;
  return revived;
}
