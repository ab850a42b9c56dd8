import { Code } from "@connectrpc/connect";
import { isNotFound } from "../aws/errors.js";
import { provisioningError } from "./errors.js";
import { systemClock } from "./wait-for-assignment.js";

/** Reads before giving up: 100 ms, doubling, so about 3 s of waiting in all. */
const DEFAULT_READS = 6;

/**
 * IAM and Identity Store answer a write before every reader sees it (eventual consistency), and
 * their writes return nothing to poll. So success is reported only once a read shows the change:
 * reads until `shown()` holds, 100 ms between reads and doubling; when AWS still does not show it,
 * Unavailable with the request ids, so the caller repeats (the writes are idempotent) rather than
 * trusting an answer nobody saw.
 */
export async function readUntilShown(
  shown: () => Promise<boolean>,
  options: { change: string; signal: AbortSignal; awsRequestIds: string[]; reads?: number },
): Promise<void> {
  const reads = options.reads ?? DEFAULT_READS;
  let waitMs = 100;
  for (let read = 1; ; read++) {
    if (await shown()) return;
    if (read >= reads) {
      throw provisioningError(`AWS accepted ${options.change} but does not show it yet; repeat the request to check again`, Code.Unavailable, options.awsRequestIds);
    }
    await systemClock.sleep(waitMs, options.signal);
    waitMs *= 2;
  }
}

/** Whether a Get/Describe finds the thing: false on AWS's not-found, any other error thrown. */
export async function found(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** The request id AWS gave an error answer (an "already there/gone" answer is still audited by it). */
export function errorRequestId(error: unknown): string | undefined {
  return (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
}
