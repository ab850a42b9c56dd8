/**
 * Public API of the local AWS simulator: start it in-process (tests, demo, benchmarks), generate
 * or load organisations, and reach its model, counters and knobs.
 *
 *   const sim = await startSimulator({ profile: "demo" });
 *   const iam = new IAMClient(sim.clientConfig());
 *   ...
 *   await sim.stop();
 */
import type { AddressInfo } from "node:net";
import { silentLogger, type Logger } from "../log.js";
import type { AssignmentEngine } from "./assignments.js";
import { applyChanges, type ChangeOutcome, type ChangeScript } from "./change-script.js";
import type { CloudTrailLog } from "./cloudtrail-log.js";
import type { Counters } from "./counters.js";
import type { CredentialBinding, SimModel } from "./model/types.js";
import { SIM_CREDENTIALS } from "./credentials.js";
import { generateOrgSpec } from "./generate/organization.js";
import type { ProfileSizes } from "./generate/profiles.js";
import { applyKnobPatch, createKnobStore, PRESETS, type KnobPatch, type KnobStore, type PresetName } from "./knobs.js";
import { buildModel } from "./model/build.js";
import type { OrgSpec } from "./model/spec.js";
import { loadOrgFile } from "./org-file.js";
import { createRuntime, type Clock } from "./runtime.js";
import { createSimServer } from "./server.js";
import type { WriteEvents } from "./write-events.js";

export interface SimulatorOptions {
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Generated organisation: a profile name (demo, small, medium, large) or sizes. Default demo. */
  profile?: string | ProfileSizes;
  /** Seed for the generator and for the knobs' PRNG streams (default 1). */
  seed?: number;
  /** Use this organisation instead of generating one. */
  org?: OrgSpec;
  /** Load the organisation from a JSON file (see docs/simulator.md). */
  orgFile?: string;
  /** Starting knobs: "fast" (default: no latency, no quotas) or "aws-like". */
  preset?: PresetName;
  /** Knob changes applied on top of the preset. */
  knobs?: KnobPatch;
  /** Simulator clock (ms); tests can pass a controllable one. Default Date.now. */
  clock?: Clock;
  logger?: Logger;
}

export interface SimCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** What AWS SDK v3 clients need to talk to the simulator. */
export interface SimClientConfig {
  endpoint: string;
  region: string;
  credentials: SimCredentials;
}

export type PrincipalName = "management" | "member" | "standalone";

export interface Simulator {
  /** e.g. http://127.0.0.1:41235 */
  endpoint: string;
  region: string;
  host: string;
  port: number;
  /** The management account admin's keys. */
  credentials: SimCredentials;
  /** Keys bound to principals in this organisation (see credentials.ts for the rules). */
  bindings: CredentialBinding[];
  /** SDK client config; `principal` picks one of the fixed keys, or pass explicit credentials. */
  clientConfig(principal?: PrincipalName | SimCredentials): SimClientConfig;
  /** The live organisation; writes made through the APIs show up here. */
  model: SimModel;
  counters: Counters;
  knobs: KnobStore;
  assignments: AssignmentEngine;
  /** CloudTrail's event history of the writes served (and sign-ins recorded). */
  cloudTrail: CloudTrailLog;
  /** Applies a change script (change-script.ts): writes as a client would make them, recorded by CloudTrail. */
  applyChanges(script: ChangeScript): ChangeOutcome[];
  /** Told about every write operation served (the hook for a CloudTrail-like recorder). */
  writes: Pick<WriteEvents, "subscribe">;
  stop(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const spec = options.org ?? (options.orgFile ? await loadOrgFile(options.orgFile) : generateOrgSpec({ profile: options.profile ?? "demo", seed: options.seed }));
  const model = buildModel(spec);
  const preset = PRESETS[options.preset ?? "fast"]();
  const initial = applyKnobPatch(preset, { seed: options.seed ?? preset.seed, ...options.knobs });
  const knobs = createKnobStore(initial);
  const logger = options.logger ?? silentLogger;
  const runtime = createRuntime(model, knobs, options.clock ?? Date.now, logger);
  const server = createSimServer(runtime, logger);
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const keysOf = (principal: PrincipalName): SimCredentials => {
    const fixed = SIM_CREDENTIALS[principal];
    if (!model.credentials.some((b) => b.accessKeyId === fixed.accessKeyId)) {
      throw new Error(`this organisation binds no ${fixed.label} key`);
    }
    return { accessKeyId: fixed.accessKeyId, secretAccessKey: fixed.secretAccessKey };
  };
  return {
    endpoint,
    region: model.region,
    host,
    port,
    credentials: keysOf("management"),
    bindings: model.credentials,
    clientConfig: (principal = "management") => ({
      endpoint,
      region: model.region,
      credentials: typeof principal === "string" ? keysOf(principal) : principal,
    }),
    model,
    counters: runtime.counters,
    knobs,
    assignments: runtime.assignments,
    cloudTrail: runtime.cloudTrail,
    applyChanges: (script) => applyChanges(runtime, script, logger),
    writes: { subscribe: (listener) => runtime.writes.subscribe(listener) },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Generates (or takes) an organisation and builds the indexed model without starting a server. */
export function createOrganization(options: { profile?: string | ProfileSizes; seed?: number; org?: OrgSpec }): SimModel {
  return buildModel(options.org ?? generateOrgSpec({ profile: options.profile ?? "demo", seed: options.seed }));
}

export { SIM_CREDENTIALS } from "./credentials.js";
export { parseChangeScript, type Change, type ChangeOutcome, type ChangeScript } from "./change-script.js";
export type { CloudTrailLog, SignIn, TrailEvent } from "./cloudtrail-log.js";
export type { Caller } from "./credentials.js";
export type { AssignmentEngine, AssignmentOperation, AssignmentStatus } from "./assignments.js";
export type { CounterSnapshot, Counters, CallCounts, ServiceCounts, AssignmentCounts, PerSecondCounts } from "./counters.js";
export { SERVICE_NAMES, type ServiceName } from "./errors.js";
export { generateOrgSpec, type GenerateOptions } from "./generate/organization.js";
export { PROFILES, type ProfileName, type ProfileSizes, type IamSizes } from "./generate/profiles.js";
export { createPrng, type Prng } from "./generate/prng.js";
export {
  awsLikeKnobs,
  DEFAULT_QUOTAS,
  fastKnobs,
  parseKnobPatch,
  PRESETS,
  type AssignmentFailureRule,
  type FaultRule,
  type KnobPatch,
  type Knobs,
  type KnobStore,
  type PresetName,
} from "./knobs.js";
export { buildModel, OrgSpecError } from "./model/build.js";
export * as modelQueries from "./model/queries.js";
export type * from "./model/spec.js";
export type * from "./model/types.js";
export { KeyedList } from "./model/keyed-list.js";
export { loadOrgFile, parseOrgSpec } from "./org-file.js";
export type { Clock } from "./runtime.js";
export { HIDDEN, type WriteEvent, type WriteListener } from "./write-events.js";
