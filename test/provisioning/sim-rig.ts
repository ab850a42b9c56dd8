/**
 * Integration rig: the local AWS simulator, a connector built from config pointed at it, the real
 * gRPC server (`startConnectorServer`), and an independent baton-host stand-in (@grpc/grpc-js with
 * types from our .proto files). Expected values come from the simulator's model, never from the
 * connector.
 */
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultConfig, type ConnectorConfig, type DeepPartial } from "../../src/config/config.js";
import { createConnector, type Connector } from "../../src/connector/build.js";
import { startConnectorServer, type RunningServer } from "../../src/connector/server.js";
import { GrantLifetimeSchema } from "../../src/gen/awsaccess/v1/grant_lifetime_pb.js";
import { silentLogger, type Logger } from "../../src/log.js";
import { startSimulator, type Simulator, type SimulatorOptions, type SimModel } from "../../src/simulator/index.js";
import { stringField1, typeNameOf, type WireAny } from "../connector/support/wire-any.js";

const PROTO_ROOT = fileURLToPath(new URL("../../proto", import.meta.url));
const definition = protoLoader.loadSync(["c1/connector/v2/grant.proto", "c1/connector/v2/annotation_grant.proto", "c1/connector/v2/annotation_request.proto"], {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  includeDirs: [PROTO_ROOT],
});
const GrantManagerService = (grpc.loadPackageDefinition(definition) as any).c1.connector.v2.GrantManagerService as typeof grpc.Client;

export interface WireResource {
  id: { resource_type: string; resource: string };
}
export interface GrantReply {
  annotations: WireAny[];
  grants: Array<{ id: string; entitlement?: { id: string }; principal?: WireResource; annotations: WireAny[] }>;
}
export interface CallOutcome<T> {
  ok: boolean;
  reply?: T;
  code?: grpc.status;
  details?: string;
  /** Date.now() when the answer arrived. */
  at: number;
}

/** A baton host stand-in: GrantManagerService over a real socket. */
export class GrantManagerClient {
  readonly #client: grpc.Client;
  constructor(target: string) {
    this.#client = new GrantManagerService(target, grpc.credentials.createInsecure());
  }

  grant(entitlement: object, principal: WireResource, annotations: WireAny[] = [], deadlineMs = 120_000) {
    return this.#call<GrantReply>("Grant", { entitlement, principal, annotations }, deadlineMs);
  }

  revoke(grant: object, deadlineMs = 120_000) {
    return this.#call<{ annotations: WireAny[] }>("Revoke", { grant, annotations: [] }, deadlineMs);
  }

  close(): void {
    this.#client.close();
  }

  #call<T>(method: string, request: object, deadlineMs: number): Promise<CallOutcome<T>> {
    return new Promise((resolve) => {
      (this.#client as any)[method](request, { deadline: Date.now() + deadlineMs }, (error: grpc.ServiceError | null, reply: T) => {
        const at = Date.now();
        // grpc-js undoes grpc-message percent-encoding with decodeURI, which leaves "%3A" and friends.
        resolve(error ? { ok: false, code: error.code, details: decodeURIComponent(error.details), at } : { ok: true, reply, at });
      });
    });
  }
}

export const hasType = (annotations: WireAny[], name: string) => annotations.some((a) => typeNameOf(a) === name);
export const requestIds = (annotations: WireAny[]) =>
  annotations.filter((a) => typeNameOf(a) === "c1.connector.v2.RequestId").map((a) => decodeRequestId(a.value));

function decodeRequestId(bytes: Buffer): string {
  const id = stringField1(bytes);
  if (id === undefined) throw new Error("unexpected RequestId encoding");
  return id;
}

export function lifetimeAnnotation(durationMs: number): WireAny {
  const message = create(GrantLifetimeSchema, { duration: { seconds: BigInt(Math.floor(durationMs / 1000)), nanos: (durationMs % 1000) * 1e6 } });
  return { type_url: "type.googleapis.com/awsaccess.v1.GrantLifetime", value: Buffer.from(toBinary(GrantLifetimeSchema, message)) };
}

export function unpack<Desc extends DescMessage>(annotations: WireAny[], schema: Desc): MessageShape<Desc> | undefined {
  const any = annotations.find((a) => typeNameOf(a) === schema.typeName);
  return any ? fromBinary(schema, any.value) : undefined;
}

/** Connector config pointed at the simulator, provisioning on. */
export function simConfig(sim: Simulator, stateDir: string, overrides: DeepPartial<ConnectorConfig> = {}): ConnectorConfig {
  return defaultConfig({
    ...overrides,
    aws: { region: sim.region, ssoRegion: sim.region, endpoint: sim.endpoint, staticCredentials: { ...sim.credentials }, ...overrides.aws },
    provisioning: { enabled: true, assignmentDeadlineMs: 60_000, maxOutstandingAssignments: 10, ...overrides.provisioning },
    stateDir,
    pageTokenSecret: "provisioning-tests",
  });
}

export interface Service {
  connector: Connector;
  server: RunningServer;
  client: GrantManagerClient;
  stop(): Promise<void>;
}

/** `connector serve --provisioning` in-process: createConnector + the real gRPC server. */
export async function startService(config: ConnectorConfig, options: { log?: Logger; runExpiryScheduler?: boolean } = {}): Promise<Service> {
  const connector = createConnector(config, { log: options.log ?? silentLogger, runExpiryScheduler: options.runExpiryScheduler ?? false });
  const server = await startConnectorServer(connector.services, { listen: "127.0.0.1:0", log: options.log ?? silentLogger });
  const client = new GrantManagerClient(`127.0.0.1:${server.address.port}`);
  return {
    connector,
    server,
    client,
    async stop() {
      client.close();
      await server.close(1_000);
      await connector.close();
    },
  };
}

export async function startSim(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ profile: "small", seed: 7, ...options });
}

export const tempStateDir = () => mkdtempSync(join(tmpdir(), "prov-state-"));

/** Everything a test needs to name, chosen from the simulator's model. */
export function fixtures(model: SimModel) {
  const org = model.organization!;
  const sso = model.ssoInstance!;
  const store = model.identityStore!;
  const members = [...model.accounts].filter((a) => a.inOrganization && a.id !== org.managementAccountId);
  const active = members.filter((a) => a.state === "ACTIVE");
  const userArn = (id: string) => `arn:aws:identitystore:${model.region}::${store.id}/user/${id}`;
  const groupArn = (id: string) => `arn:aws:identitystore:${model.region}::${store.id}/group/${id}`;
  const assigned = (accountId: string, ps: string, type: "USER" | "GROUP", id: string) =>
    sso.assignmentsByTarget.get(`${accountId}|${ps}`)?.get(`${type}:${id}`) !== undefined;
  return {
    org,
    sso,
    store,
    active,
    suspended: members.find((a) => a.state === "SUSPENDED"),
    permissionSets: [...sso.permissionSets],
    users: [...store.users],
    groups: [...store.groups],
    userArn,
    groupArn,
    assigned,
    /** Users with no direct assignment of `ps` in `accountId`. */
    unassignedUsers: (accountId: string, ps: string) => [...store.users].filter((u) => !assigned(accountId, ps, "USER", u.id)),
    accountEntitlement: (accountId: string, ps: string) => ({
      id: `${accountId}|${ps}`,
      resource: { id: { resource_type: "account", resource: accountId } },
    }),
    /** The `assigned` entitlement of the (permission set, account) binding, as a host sends it (resource id only). */
    bindingEntitlement: (accountId: string, ps: string) => ({
      id: `permission_set_assignment:${ps}-${accountId}:assigned`,
      resource: { id: { resource_type: "permission_set_assignment", resource: `${ps}-${accountId}` } },
    }),
    ssoUser: (id: string): WireResource => ({ id: { resource_type: "sso_user", resource: userArn(id) } }),
    ssoGroup: (id: string): WireResource => ({ id: { resource_type: "sso_group", resource: groupArn(id) } }),
  };
}
