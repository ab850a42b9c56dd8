/**
 * What a service module provides: its protocol and a handler per operation. Handlers are
 * synchronous functions from a decoded input to a result object (or a thrown SimError); the
 * server does routing, auth, quotas, faults, latency and encoding around them.
 */
import type { Caller } from "../credentials.js";
import { SimError, type ServiceName } from "../errors.js";
import type { Sequence } from "../model/keyed-list.js";
import type { Account } from "../model/types.js";
import { PAGE_RULES, paginate, type Page, type PageRule } from "../pagination.js";
import type { SimRuntime } from "../runtime.js";

export interface RequestContext {
  requestId: string;
  service: ServiceName;
  operation: string;
  caller: Caller;
  /** Simulator clock at arrival (ms). */
  now: number;
  /** The Region of the request's SigV4 credential scope (the model's Region when unsigned). */
  region: string;
  sim: SimRuntime;
}

export type Input = Record<string, unknown>;
export type Handler = (ctx: RequestContext, input: Input) => unknown;

export interface ServiceDefinition {
  name: ServiceName;
  protocol: "query" | "json";
  operations: Record<string, Handler>;
  /** Operations that change state: each one served is reported to write listeners (write-events.ts). */
  writes: ReadonlySet<string>;
  /** A quota narrower than the service's single bucket (e.g. CloudTrail's per account and Region): the bucket's key. */
  quotaScope?: (caller: Caller, region: string) => string;
}

/**
 * Paginates one listing for this request. `scope` distinguishes listings of the same operation
 * (e.g. the group whose members are listed) so a token cannot be replayed on another listing.
 */
export function page<T>(ctx: RequestContext, items: Sequence<T>, input: Input, scope = "", rule: PageRule = PAGE_RULES[ctx.service]): Page<T> {
  return paginate(items, input, {
    service: ctx.service,
    scope: `${ctx.service}/${ctx.operation}/${ctx.caller.accountId}/${scope}`,
    shortPageRate: ctx.sim.knobs.current.shortPageRate,
    prng: ctx.sim.prng("pagination"),
  }, rule);
}

/** The account the caller's credentials act in. */
export function callerAccount(ctx: RequestContext): Account {
  const account = ctx.sim.model.accounts.get(ctx.caller.accountId);
  if (!account) throw SimError.of("invalidClientToken", "The security token included in the request is invalid.");
  return account;
}
