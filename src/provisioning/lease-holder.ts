import { randomUUID } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";

/**
 * Who holds a lease on a ledger entry, precisely enough that another process can tell whether the
 * holder is still running: a process that was killed while revoking must not keep the revocation
 * waiting for its lease to run out.
 */
export interface LeaseHolder {
  host: string;
  /** Linux boot id: the same pid after a reboot is another process. Empty where unknown. */
  boot: string;
  /** PID namespace (containers): a pid means something only inside its own. Empty where unknown. */
  pidns: string;
  pid: number;
  /** One per ledger object: a restarted process may get the pid of the one it replaces (PID 1 in a container). */
  instance: string;
}

function readOr(read: () => string): string {
  try {
    return read().trim();
  } catch {
    return "";
  }
}

const THIS_PROCESS = {
  host: hostname(),
  boot: readOr(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8")),
  pidns: readOr(() => readlinkSync("/proc/self/ns/pid")),
  pid: process.pid,
};

/** Instances open in this process (a process may hold several ledgers, e.g. in tests). */
const liveInstances = new Set<string>();

export function newLeaseHolder(): LeaseHolder {
  const holder = { ...THIS_PROCESS, instance: randomUUID() };
  liveInstances.add(holder.instance);
  return holder;
}

/** The ledger that owned the holder closed: its leases are no longer anyone's. */
export function retireLeaseHolder(holder: LeaseHolder): void {
  liveInstances.delete(holder.instance);
}

export const formatHolder = (holder: LeaseHolder): string => JSON.stringify(holder);

/**
 * True only when the holder certainly is not running: it ran in this process's place (same host,
 * boot and pid namespace) and its process is gone, or it is an earlier incarnation of this very
 * pid, or the machine rebooted since. Anything else — another host, another container, an owner
 * written by an older version — is presumed alive and waits for its lease to lapse.
 */
export function holderIsGone(owner: string): boolean {
  const holder = parseHolder(owner);
  if (!holder || holder.host !== THIS_PROCESS.host || holder.pidns !== THIS_PROCESS.pidns) return false;
  if (holder.boot !== THIS_PROCESS.boot) return holder.boot !== "" && THIS_PROCESS.boot !== "";
  if (holder.pid === process.pid) return !liveInstances.has(holder.instance);
  return !processExists(holder.pid);
}

function parseHolder(owner: string): LeaseHolder | undefined {
  try {
    const value = JSON.parse(owner) as Partial<LeaseHolder>;
    if (typeof value.host !== "string" || typeof value.pid !== "number" || typeof value.instance !== "string") return undefined;
    return { host: value.host, boot: String(value.boot ?? ""), pidns: String(value.pidns ?? ""), pid: value.pid, instance: value.instance };
  } catch {
    return undefined;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
