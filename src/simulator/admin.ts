/**
 * The admin endpoint under `/_sim/`: counters and knobs over HTTP, for benchmarks, other
 * processes and people. Not an AWS API: no auth, JSON in and out.
 *
 *   GET  /_sim/counters        counter snapshot
 *   POST /_sim/counters/reset  zero the counters
 *   GET  /_sim/knobs           current knobs
 *   POST /_sim/knobs           apply a partial knobs object; answers the new knobs
 *   GET  /_sim/info            region, credentials (ids and labels), organisation summary
 *   POST /_sim/changes         apply a change script (change-script.ts); answers each change's outcome
 *   GET  /_sim/cloudtrail      every CloudTrail event recorded, visible or not (oldest first)
 */
import type { Logger } from "../log.js";
import { applyChanges, parseChangeScript } from "./change-script.js";
import type { SimRuntime } from "./runtime.js";

export interface AdminResponse {
  status: number;
  body: unknown;
}

export function handleAdmin(runtime: SimRuntime, method: string, path: string, body: string, logger: Logger): AdminResponse {
  const route = `${method} ${path.replace(/\/+$/, "")}`;
  switch (route) {
    case "GET /_sim/counters":
      return { status: 200, body: runtime.counters.snapshot() };
    case "POST /_sim/counters/reset":
      runtime.counters.reset();
      return { status: 200, body: runtime.counters.snapshot() };
    case "GET /_sim/knobs":
      return { status: 200, body: runtime.knobs.current };
    case "POST /_sim/knobs":
      try {
        return { status: 200, body: runtime.knobs.update(body.trim() ? JSON.parse(body) : {}) };
      } catch (error) {
        return { status: 400, body: { error: (error as Error).message } };
      }
    case "GET /_sim/info":
      return { status: 200, body: info(runtime) };
    case "POST /_sim/changes":
      try {
        return { status: 200, body: { outcomes: applyChanges(runtime, parseChangeScript(JSON.parse(body || "{}")), logger) } };
      } catch (error) {
        return { status: 400, body: { error: (error as Error).message } };
      }
    case "GET /_sim/cloudtrail":
      return { status: 200, body: { events: runtime.cloudTrail.all().map((e) => ({ ...e.record, visibleAt: new Date(e.visibleAt).toISOString() })) } };
    default:
      return { status: 404, body: { error: `no admin route ${route}` } };
  }
}

function info(runtime: SimRuntime) {
  const { model } = runtime;
  return {
    region: model.region,
    organizationId: model.organization?.id,
    managementAccountId: model.organization?.managementAccountId,
    accounts: model.accounts.length,
    identityStoreId: model.identityStore?.id,
    instanceArn: model.ssoInstance?.arn,
    ssoUsers: model.identityStore?.users.length ?? 0,
    ssoGroups: model.identityStore?.groups.length ?? 0,
    permissionSets: model.ssoInstance?.permissionSets.length ?? 0,
    credentials: model.credentials.map((c) => ({ accessKeyId: c.accessKeyId, accountId: c.accountId, userName: c.userName, label: c.label })),
  };
}
