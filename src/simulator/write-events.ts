/**
 * The hook for everything that records writes (e.g. a CloudTrail-like log): after each request
 * to a write operation (ServiceDefinition.writes) is served, successfully or with an error, every
 * listener gets one event. Requests refused before their handler ran (unknown key, throttling,
 * injected faults) are not writes served and are not reported.
 */
import type { Caller } from "./credentials.js";
import type { ServiceName } from "./errors.js";

export interface WriteEvent {
  service: ServiceName;
  operation: string;
  /** Decoded request parameters (awsQuery form fields, or the JSON body); secrets replaced. */
  params: Record<string, unknown>;
  /** Who made the request; its account is the account the write acted in (IAM) or the instance's. */
  principal: Caller;
  /** Simulator clock (ms) at arrival. */
  time: number;
  requestId: string;
  /** The result served (secrets replaced), when the write succeeded. */
  result?: unknown;
  /** The error served, when it failed. */
  error?: { code: string; message: string };
}

export type WriteListener = (event: WriteEvent) => void;

export interface WriteEvents {
  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: WriteListener): () => void;
  emit(event: WriteEvent): void;
}

/** What CloudTrail writes in place of secrets. */
export const HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS";
const SECRET_FIELDS = new Set(["Password", "NewPassword", "OldPassword", "SecretAccessKey"]);

/** A copy with secret fields (passwords, secret access keys) replaced, at any depth. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value !== "object" || value === null || value.constructor !== Object) return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, SECRET_FIELDS.has(key) && v !== undefined ? HIDDEN : redactSecrets(v)]));
}

export function createWriteEvents(onListenerError: (error: unknown, event: WriteEvent) => void): WriteEvents {
  const listeners = new Set<WriteListener>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (error) {
          onListenerError(error, event);
        }
      }
    },
  };
}
