import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Which AWS calls go first. A sync lists resources while it already fetches grants, but commits
 * nothing past the resources phase before that phase's last listing is in: a resource listing's
 * call queued behind a hundred grant listings' calls of the same service (SSO Admin's permission
 * sets behind its account assignments) holds the database back for all of them. Calls made inside
 * `urgently` are served before the other calls waiting in their rate-limit bucket; each service
 * still gets the same calls at the same rate, only their order changes.
 */
const urgency = new AsyncLocalStorage<boolean>();

/** Runs `fn` so that every AWS call it makes, awaited or started, goes ahead of non-urgent calls. */
export function urgently<T>(fn: () => T): T {
  return urgency.run(true, fn);
}

/** True inside `urgently` (the rate limiter asks when a call queues). */
export function isUrgent(): boolean {
  return urgency.getStore() === true;
}
