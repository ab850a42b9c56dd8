import { AsyncLocalStorage } from "node:async_hooks";
import type { Pluggable } from "@aws-sdk/types";
import type { AwsServiceId } from "../config/config.js";
import { shownPolicyDocument } from "../resources/policy-documents.js";

/**
 * What the connector read from AWS, and a way to read it again without asking AWS.
 *
 * Every read (List*, Get*, Describe*) of a recorded service is identified by a key: service,
 * scope (whose credentials: "self" or a member account id), operation and the request's
 * parameters (page tokens included). The ledger
 *  - notes each key in the current *scope* — the piece of work that made it, e.g. one listing of
 *    the sync, followed across awaits with AsyncLocalStorage — so a sync knows which AWS reads
 *    each of its listings depends on;
 *  - keeps each response (JSON) so it can be persisted with the sync;
 *  - in replay mode, answers a read from an earlier sync's responses when its key is still valid,
 *    without calling AWS (no pacing, no counting).
 *
 * An incremental sync replays the previous sync's reads except those CloudTrail says changed, and
 * re-runs only the listings that depend on a changed read. STS and CloudTrail are never recorded
 * (credentials; and CloudTrail is what says what changed).
 */
export interface ReadKey {
  service: AwsServiceId;
  scope: string;
  operation: string;
  input: Record<string, unknown>;
}

/** A source of earlier responses; `get` answers only keys still valid. */
export interface ReplaySource {
  get(key: string): string | undefined;
}

/** Who reads whom: a scope collects the keys read within it (including loads it awaited, see `merge`). */
export type ReadSet = Set<string>;

const NOT_RECORDED = new Set<AwsServiceId>(["sts", "cloudtrail"]);
const READ_OPERATION = /^(List|Get|Describe)/;

export class ReadLedger {
  readonly #scope = new AsyncLocalStorage<ReadSet>();
  /** Responses kept while a sync records (clearRecorded … takeRecorded); a server keeps none. */
  #recorded: Map<string, string> | undefined;
  #replay: ReplaySource | undefined;
  #replayed = 0;

  /** Runs `fn` in a scope of its own; returns its value and every key read within it. */
  async track<T>(fn: () => Promise<T>): Promise<{ value: T; reads: ReadSet }> {
    const reads: ReadSet = new Set();
    const value = await this.run(reads, fn);
    return { value, reads };
  }

  /** Runs `fn` with `reads` as its scope (a shared load keeps one set across its attempts). */
  run<T>(reads: ReadSet, fn: () => Promise<T>): Promise<T> {
    return this.#scope.run(reads, fn);
  }

  /** The keys a shared load made, added to the current scope (whoever awaits its result). */
  merge(reads: Iterable<string>): void {
    const current = this.#scope.getStore();
    if (!current) return;
    for (const key of reads) current.add(key);
  }

  /** Serve reads from an earlier sync where their keys are still valid (undefined: stop replaying). */
  replayFrom(source: ReplaySource | undefined): void {
    this.#replay = source;
    this.#replayed = 0;
  }

  /** Reads answered from the replay source since `replayFrom`. */
  get replayed(): number {
    return this.#replayed;
  }

  /** Responses read since clearRecorded, by key (JSON); recording stops. */
  takeRecorded(): Map<string, string> {
    const out = this.#recorded ?? new Map<string, string>();
    this.#recorded = undefined;
    return out;
  }

  /** Starts keeping responses afresh (a sync starts: only its reads are kept). */
  clearRecorded(): void {
    this.#recorded = new Map();
  }

  /** The SDK plugin: one per client; `scope` says whose credentials it uses. */
  plugin(service: AwsServiceId, scope: string): Pluggable<any, any> {
    const ledger = this;
    return {
      applyToStack(stack) {
        (stack as unknown as { add(m: unknown, o: Record<string, unknown>): void }).add(
          (next: (args: unknown) => Promise<{ output: Record<string, unknown> }>, context: { commandName?: string }) =>
            async (args: { input: Record<string, unknown> }) => {
              const operation = (context.commandName ?? "").replace(/Command$/, "");
              if (NOT_RECORDED.has(service) || !READ_OPERATION.test(operation)) return next(args);
              const current = ledger.#scope.getStore();
              // Outside a sync (a server's calls) nothing records, replays or tracks: no key to build.
              if (!current && !ledger.#recorded && !ledger.#replay) return next(args);
              const key = readKeyString({ service, scope, operation, input: args.input });
              current?.add(key);
              const earlier = ledger.#replay?.get(key);
              if (earlier !== undefined) {
                ledger.#replayed++;
                // Also kept for the new sync: its reads are this sync's reads.
                ledger.#recorded?.set(key, earlier);
                return { output: { ...reviveResponse(earlier), $metadata: { httpStatusCode: 200 } }, response: {} };
              }
              const result = await next(args);
              ledger.#recorded?.set(key, encodeResponse(result.output));
              return result;
            },
          { step: "initialize", name: "connectorReadReplayMiddleware", priority: "high" },
        );
      },
    };
  }
}

/** `service scope operation {parameters}`, parameters with sorted keys and no undefined members. */
export function readKeyString(key: ReadKey): string {
  return `${key.service} ${key.scope} ${key.operation} ${stableJson(key.input)}`;
}

export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value instanceof Date) return { $date: value.getTime() };
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
}

/** An SDK output as JSON: dates kept as such, $metadata dropped. */
/**
 * A response as it is kept with the sync (in the .c1z): dates tagged, and policy documents as
 * profiles show them — decoded, secret condition values (sts:ExternalId) replaced — since nothing
 * read back from a response needs more than a profile shows.
 */
export function encodeResponse(output: Record<string, unknown>): string {
  const { $metadata: _metadata, ...rest } = output;
  return JSON.stringify(rest, function (this: Record<string, unknown>, key, value) {
    const raw = this[key];
    if (raw instanceof Date) return { $date: raw.getTime() };
    return typeof raw === "string" && POLICY_DOCUMENT_FIELD.test(key) ? shownPolicyDocument(raw) : value;
  });
}

/** IAM's AssumeRolePolicyDocument/PolicyDocument and a policy version's Document; Identity Center's InlinePolicy. */
const POLICY_DOCUMENT_FIELD = /^(\w*PolicyDocument|Document|InlinePolicy)$/;

export function reviveResponse(json: string): Record<string, unknown> {
  return JSON.parse(json, (_key, value) =>
    value !== null && typeof value === "object" && !Array.isArray(value) && typeof value.$date === "number" && Object.keys(value).length === 1 ? new Date(value.$date) : value,
  ) as Record<string, unknown>;
}
