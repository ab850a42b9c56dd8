import { setMaxListeners } from "node:events";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createContextKey, type HandlerContext } from "@connectrpc/connect";
import { GrantAlreadyExistsSchema, GrantAlreadyRevokedSchema } from "../gen/c1/connector/v2/annotation_grant_pb.js";
import { RequestIdSchema } from "../gen/c1/connector/v2/annotation_request_pb.js";
import {
  Capability,
  CapabilityPermissionsSchema,
  ConnectorCapabilitiesSchema,
  ConnectorMetadataSchema,
  ConnectorServiceCleanupResponseSchema,
  ConnectorServiceGetMetadataResponseSchema,
  ConnectorServiceValidateResponseSchema,
  type ConnectorCapabilities,
  type ConnectorServiceCleanupRequest,
  type ConnectorServiceGetMetadataRequest,
  type ConnectorServiceValidateRequest,
  OptInRequiredSchema,
} from "../gen/c1/connector/v2/connector_pb.js";
import {
  EntitlementsServiceListEntitlementsResponseSchema,
  EntitlementsServiceListStaticEntitlementsResponseSchema,
  type EntitlementsServiceListEntitlementsRequest,
  type EntitlementsServiceListStaticEntitlementsRequest,
} from "../gen/c1/connector/v2/entitlement_pb.js";
import {
  GrantManagerServiceGrantResponseSchema,
  GrantManagerServiceRevokeResponseSchema,
  GrantsServiceListGrantsResponseSchema,
  type GrantManagerServiceGrantRequest,
  type GrantManagerServiceRevokeRequest,
  type GrantsServiceListGrantsRequest,
} from "../gen/c1/connector/v2/grant_pb.js";
import { ResourceDoesNotExistSchema } from "../gen/c1/connector/v2/annotation_resource_pb.js";
import {
  CreateAccountResponseSchema,
  DeleteResourceResponseSchema,
  DeleteResourceV2ResponseSchema,
  type CreateAccountRequest,
  type CreateResourceRequest,
  type DeleteResourceRequest,
  type DeleteResourceV2Request,
  ResourceGetterServiceGetResourceResponseSchema,
  ResourcesServiceListResourcesResponseSchema,
  ResourceTypesServiceListResourceTypesResponseSchema,
  type ResourceGetterServiceGetResourceRequest,
  type ResourceId,
  type ResourcesServiceListResourcesRequest,
  type ResourceTypesServiceListResourceTypesRequest,
} from "../gen/c1/connector/v2/resource_pb.js";
import {
  DoResponseSchema,
  RateLimitDescription_Status,
  ReportResponseSchema,
  type DoRequest,
  type ReportRequest,
} from "../gen/c1/ratelimit/v1/ratelimit_pb.js";
import { silentLogger, type Logger } from "../log.js";
import { annotation, findAnnotation, hasAnnotation } from "./annotations.js";
import { CANCELLED, toConnectError } from "./errors.js";
import type { PageState, PageTokenCodec, PageTokenScope } from "./page-token.js";
import type { EventFeeds, FeedPosition } from "../changes/event-feed.js";
import {
  ListEventFeedsResponseSchema,
  ListEventsResponseSchema,
  type ListEventFeedsRequest,
  type ListEventsRequest,
} from "../gen/c1/connector/v2/event_feed_pb.js";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { AccountCreator, CallContext, Page, Provisioner, Requester, ResourceDeleter, ResourceSyncer } from "./resource-syncer.js";

/** The version we report to baton hosts; ≥ 0.4.3 makes them send active_sync_id. */
export const BATON_SDK_COMPATIBILITY_VERSION = "v0.25.0";

/** Set by the server for each request: who is calling (for the audit log). */
export const requesterKey = createContextKey<Requester>({ id: "grpc:unknown" });

/** What describe() supplies; capabilities are computed from the registered syncers and provisioners. */
export interface ConnectorMetadataInit {
  displayName: string;
  description?: string;
  helpUrl?: string;
  profile?: MessageInitShape<typeof ConnectorMetadataSchema>["profile"];
}

export interface ConnectorDeps {
  syncers: readonly ResourceSyncer[];
  provisioners: readonly Provisioner[];
  /** Account provisioning: the one resource type CreateAccount creates (create-account-resource-type). */
  accountCreator?: AccountCreator;
  /** DeleteResource / DeleteResourceV2, by resource type. */
  deleters?: readonly ResourceDeleter[];
  provisioningEnabled: boolean;
  pageTokens: PageTokenCodec;
  /** Display name, description, profile (may call AWS, e.g. for the account alias). */
  describe(signal: AbortSignal): Promise<ConnectorMetadataInit>;
  /** Throws (a ConnectError with a useful message) when the connector cannot work as configured. */
  validate(signal: AbortSignal): Promise<void>;
  /** Drops per-sync state for the sync that just ended. */
  cleanup(syncId: string): Promise<void>;
  /** The event feeds (from CloudTrail); absent: EventService answers NotFound for every feed. */
  eventFeeds?: EventFeeds;
  log?: Logger;
}

/**
 * The baton connector API, implemented once. The gRPC server mounts these methods; the in-process
 * sync engine calls the very same methods (direct-client.ts), so both paths behave identically.
 *
 * Cross-cutting work lives here and only here: routing by resource type, page-token wrapping,
 * request validation, the "token did not advance" check and error mapping.
 */
export function createConnectorServices(deps: ConnectorDeps) {
  const log = deps.log ?? silentLogger;
  const syncers = indexByTypeId(deps.syncers.map((s) => [s.resourceType.id, s] as const), "resource syncer");
  const provisioners = indexByTypeId(deps.provisioners.map((p) => [p.resourceTypeId, p] as const), "provisioner");

  const deleters = indexByTypeId((deps.deleters ?? []).map((d) => [d.resourceTypeId, d] as const), "resource deleter");
  // Account creation and deletion are advertised only when they may be used (provisioning on).
  const accountCreator = deps.provisioningEnabled ? deps.accountCreator : undefined;
  const capabilities = buildCapabilities(deps.syncers, provisioners, {
    ...(deps.provisioningEnabled ? { accountCreator, deleters } : {}),
    eventFeed: deps.eventFeeds !== undefined,
  });

  function syncerFor(resourceTypeId: string, missing: Code = Code.NotFound): ResourceSyncer {
    checkId("resource type id", resourceTypeId);
    const syncer = syncers.get(resourceTypeId);
    if (!syncer) throw new ConnectError(`unknown resource type "${resourceTypeId}"`, missing);
    return syncer;
  }

  /** Runs one page of a listing: decode the token, call the syncer, encode the next token. */
  async function page<T>(
    scope: PageTokenScope,
    request: { pageToken: string; pageSize: number; activeSyncId: string },
    handler: HandlerContext,
    fetch: (state: PageState | undefined, ctx: CallContext) => Promise<Page<T>>,
  ): Promise<{ list: T[]; nextPageToken: string; annotations: Any[] }> {
    checkPaging(request);
    const state = deps.pageTokens.decode(scope, request.pageToken);
    // The signal is made on demand: a syncer answering from memory never needs one (in-process calls).
    const result = await fetch(state, {
      syncId: request.activeSyncId,
      get signal() {
        return awsSignal(handler);
      },
    });
    const nextPageToken = result.next === undefined ? "" : deps.pageTokens.encode(scope, result.next);
    if (nextPageToken !== "" && nextPageToken === request.pageToken) {
      throw new ConnectError(`${scope.rpc} for ${scope.resourceTypeId} did not advance its page token (connector bug)`, Code.Internal);
    }
    return { list: result.items, nextPageToken, annotations: result.annotations ?? [] };
  }

  /**
   * The call's signal, for AWS requests: every one made for the call listens to it — up to
   * maxConcurrency at once — so more than Node's default of 10 listeners is by design, not a leak.
   */
  function awsSignal(ctx: HandlerContext): AbortSignal {
    setMaxListeners(0, ctx.signal);
    return ctx.signal;
  }

  /** Wraps a handler so every failure leaves as a proper gRPC status (see errors.ts). */
  function guarded<Req, Res>(rpc: string, handler: (req: Req, ctx: HandlerContext) => Promise<Res>) {
    return async (req: Req, ctx: HandlerContext): Promise<Res> => {
      try {
        return await handler(req, ctx);
      } catch (error) {
        const mapped = answerFor(toConnectError(error), ctx.signal);
        switch (mapped.code) {
          case Code.Internal:
          case Code.Unknown:
            log.error({ rpc, err: mapped.cause ?? mapped }, "request failed");
            break;
          case Code.Canceled:
            log.debug({ rpc }, "request cancelled by the caller");
            break;
          case Code.DeadlineExceeded:
            log.info({ rpc, msg: mapped.rawMessage }, "request ended at its deadline");
            break;
          default:
            log.debug({ rpc, code: Code[mapped.code], msg: mapped.rawMessage }, "request refused");
        }
        throw mapped;
      }
    };
  }

  function requireProvisioning(): void {
    if (!deps.provisioningEnabled) throw new ConnectError("provisioning is not enabled", Code.FailedPrecondition);
  }

  function provisionerFor(resourceTypeId: string): Provisioner {
    checkId("resource type id", resourceTypeId);
    const provisioner = provisioners.get(resourceTypeId);
    if (!provisioner) {
      throw new ConnectError(`resource type "${resourceTypeId}" has no provisionable entitlements`, Code.Unimplemented);
    }
    return provisioner;
  }

  const connector = {
    getMetadata: guarded("GetMetadata", async (_req: ConnectorServiceGetMetadataRequest, ctx) => {
      const described = await deps.describe(awsSignal(ctx));
      return create(ConnectorServiceGetMetadataResponseSchema, {
        metadata: create(ConnectorMetadataSchema, { ...described, capabilities, ...(accountCreator ? { accountCreationSchema: accountCreator.schema } : {}) }),
      });
    }),
    validate: guarded("Validate", async (_req: ConnectorServiceValidateRequest, ctx) => {
      await deps.validate(awsSignal(ctx));
      return create(ConnectorServiceValidateResponseSchema, { sdkVersion: BATON_SDK_COMPATIBILITY_VERSION });
    }),
    cleanup: guarded("Cleanup", async (req: ConnectorServiceCleanupRequest) => {
      await deps.cleanup(req.activeSyncId);
      return create(ConnectorServiceCleanupResponseSchema, {});
    }),
  };

  const resourceTypes = {
    listResourceTypes: guarded("ListResourceTypes", async (req: ResourceTypesServiceListResourceTypesRequest) => {
      checkPaging(req);
      if (req.pageToken !== "") throw new ConnectError("invalid page token: resource types fit on one page", Code.InvalidArgument);
      return create(ResourceTypesServiceListResourceTypesResponseSchema, {
        list: deps.syncers.map((s) => s.resourceType),
      });
    }),
  };

  const resources = {
    listResources: guarded("ListResources", async (req: ResourcesServiceListResourcesRequest, ctx) => {
      const syncer = syncerFor(req.resourceTypeId);
      const parent = req.parentResourceId;
      if (parent) checkResourceId("parent resource id", parent);
      const scope = { rpc: "ListResources", resourceTypeId: req.resourceTypeId, resourceId: parent ? resourceKey(parent) : "" };
      const result = await page(scope, req, ctx, (state, call) => syncer.listResources(parent, state, call));
      return create(ResourcesServiceListResourcesResponseSchema, result);
    }),
  };

  const resourceGetter = {
    getResource: guarded("GetResource", async (req: ResourceGetterServiceGetResourceRequest, ctx) => {
      if (!req.resourceId) throw new ConnectError("resource_id is required", Code.InvalidArgument);
      checkResourceId("resource id", req.resourceId);
      const syncer = syncerFor(req.resourceId.resourceType, Code.Unimplemented);
      if (!syncer.getResource) {
        throw new ConnectError(`resource type "${req.resourceId.resourceType}" does not support GetResource`, Code.Unimplemented);
      }
      const resource = await syncer.getResource(req.resourceId, req.parentResourceId, {
        syncId: req.activeSyncId,
        signal: awsSignal(ctx),
      });
      if (!resource) throw new ConnectError(`resource ${resourceKey(req.resourceId)} not found`, Code.NotFound);
      return create(ResourceGetterServiceGetResourceResponseSchema, { resource });
    }),
  };

  const entitlements = {
    listEntitlements: guarded("ListEntitlements", async (req: EntitlementsServiceListEntitlementsRequest, ctx) => {
      const resource = req.resource;
      if (!resource?.id) throw new ConnectError("resource with an id is required", Code.InvalidArgument);
      checkResourceId("resource id", resource.id);
      const syncer = syncerFor(resource.id.resourceType);
      const scope = { rpc: "ListEntitlements", resourceTypeId: resource.id.resourceType, resourceId: resourceKey(resource.id) };
      const result = await page(scope, req, ctx, (state, call) => syncer.listEntitlements(resource, state, call));
      return create(EntitlementsServiceListEntitlementsResponseSchema, result);
    }),
    listStaticEntitlements: guarded("ListStaticEntitlements", async (req: EntitlementsServiceListStaticEntitlementsRequest, ctx) => {
      syncerFor(req.resourceTypeId);
      // Every entitlement here depends on the resource; hosts expect an empty answer, not Unimplemented.
      // The listing still checks its token like every other: this one never issues any.
      const scope = { rpc: "ListStaticEntitlements", resourceTypeId: req.resourceTypeId };
      const result = await page(scope, req, ctx, async () => ({ items: [] }));
      return create(EntitlementsServiceListStaticEntitlementsResponseSchema, result);
    }),
  };

  const grants = {
    listGrants: guarded("ListGrants", async (req: GrantsServiceListGrantsRequest, ctx) => {
      const resource = req.resource;
      if (!resource?.id) throw new ConnectError("resource with an id is required", Code.InvalidArgument);
      checkResourceId("resource id", resource.id);
      const syncer = syncerFor(resource.id.resourceType);
      const scope = { rpc: "ListGrants", resourceTypeId: resource.id.resourceType, resourceId: resourceKey(resource.id) };
      const result = await page(scope, req, ctx, (state, call) => syncer.listGrants(resource, state, call));
      return create(GrantsServiceListGrantsResponseSchema, result);
    }),
  };

  const grantManager = {
    grant: guarded("Grant", async (req: GrantManagerServiceGrantRequest, ctx) => {
      requireProvisioning();
      const { entitlement, principal } = req;
      if (!entitlement?.resource?.id || !entitlement.id) {
        throw new ConnectError("entitlement with an id and a resource is required", Code.InvalidArgument);
      }
      if (!principal?.id) throw new ConnectError("principal with an id is required", Code.InvalidArgument);
      checkResourceId("principal id", principal.id);
      const provisioner = provisionerFor(entitlement.resource.id.resourceType);
      const outcome = await provisioner.grant(principal, entitlement, {
        syncId: "",
        signal: awsSignal(ctx),
        requester: ctx.values.get(requesterKey),
        requestAnnotations: req.annotations,
      });
      const annotations = [
        ...(outcome.alreadyExists ? [annotation(GrantAlreadyExistsSchema)] : []),
        ...outcome.awsRequestIds.map((requestId) => annotation(RequestIdSchema, { requestId })),
        ...(outcome.annotations ?? []),
      ];
      return create(GrantManagerServiceGrantResponseSchema, { annotations, grants: outcome.grants });
    }),
    revoke: guarded("Revoke", async (req: GrantManagerServiceRevokeRequest, ctx) => {
      requireProvisioning();
      const grant = req.grant;
      if (!grant?.entitlement?.resource?.id || !grant.principal?.id) {
        throw new ConnectError("grant with an entitlement (with its resource) and a principal is required", Code.InvalidArgument);
      }
      const provisioner = provisionerFor(grant.entitlement.resource.id.resourceType);
      const outcome = await provisioner.revoke(grant, {
        syncId: "",
        signal: awsSignal(ctx),
        requester: ctx.values.get(requesterKey),
        requestAnnotations: req.annotations,
      });
      const annotations = [
        ...(outcome.alreadyRevoked ? [annotation(GrantAlreadyRevokedSchema)] : []),
        ...outcome.awsRequestIds.map((requestId) => annotation(RequestIdSchema, { requestId })),
        ...(outcome.annotations ?? []),
      ];
      return create(GrantManagerServiceRevokeResponseSchema, { annotations });
    }),
  };

  const events = {
    listEventFeeds: guarded("ListEventFeeds", async (_req: ListEventFeedsRequest) =>
      create(ListEventFeedsResponseSchema, { list: deps.eventFeeds?.feeds() ?? [] }),
    ),
    listEvents: guarded("ListEvents", async (req: ListEventsRequest, ctx) => {
      if (Buffer.byteLength(req.cursor, "utf8") > MAX_CURSOR_BYTES) throw new ConnectError(`cursor must be at most ${MAX_CURSOR_BYTES} bytes`, Code.InvalidArgument);
      if (req.pageSize > MAX_EVENT_PAGE_SIZE) throw new ConnectError(`page_size must be at most ${MAX_EVENT_PAGE_SIZE}`, Code.InvalidArgument);
      if (Buffer.byteLength(req.eventFeedId, "utf8") > MAX_ID_BYTES) throw new ConnectError(`event_feed_id must be at most ${MAX_ID_BYTES} bytes`, Code.InvalidArgument);
      const feeds = deps.eventFeeds;
      if (!feeds || !feeds.has(req.eventFeedId)) throw new ConnectError(`event feed id "${req.eventFeedId}" not found`, Code.NotFound);
      // The cursor is ours, signed like a page token: a host cannot forge a position.
      const scope = { rpc: "ListEvents", resourceTypeId: req.eventFeedId };
      const from = deps.pageTokens.decode(scope, req.cursor) as FeedPosition | undefined;
      const startAt = req.startAt ? timestampMs(req.startAt) : undefined;
      const page = await feeds.list(req.eventFeedId, from, startAt, req.pageSize, awsSignal(ctx));
      return create(ListEventsResponseSchema, {
        events: page.events,
        cursor: deps.pageTokens.encode(scope, { ...page.position }),
        hasMore: page.hasMore,
      });
    }),
  };

  async function deleteResource(rpc: string, req: DeleteResourceRequest | DeleteResourceV2Request, ctx: HandlerContext) {
    requireProvisioning();
    if (!req.resourceId) throw new ConnectError("resource_id is required", Code.InvalidArgument);
    checkResourceId("resource id", req.resourceId);
    if (req.parentResourceId) checkResourceId("parent resource id", req.parentResourceId);
    const deleter = deleters.get(req.resourceId.resourceType);
    if (!deleter) throw new ConnectError(`resource type "${req.resourceId.resourceType}" cannot be deleted by this connector`, Code.Unimplemented);
    const outcome = await deleter.deleteResource(req.resourceId, req.parentResourceId, {
      syncId: "",
      signal: awsSignal(ctx),
      requester: ctx.values.get(requesterKey),
      requestAnnotations: [],
    });
    log.debug({ rpc, resource: resourceKey(req.resourceId), alreadyGone: outcome.alreadyGone }, "resource deleted");
    return [
      ...(outcome.alreadyGone ? [annotation(ResourceDoesNotExistSchema)] : []),
      ...outcome.awsRequestIds.map((requestId) => annotation(RequestIdSchema, { requestId })),
    ];
  }

  const accountManager = {
    createAccount: guarded("CreateAccount", async (req: CreateAccountRequest, ctx) => {
      requireProvisioning();
      if (!accountCreator) throw new ConnectError("account provisioning is not configured", Code.Unimplemented);
      if (req.resourceTypeId !== "" && req.resourceTypeId !== accountCreator.resourceTypeId) {
        throw new ConnectError(
          `this connector creates ${accountCreator.resourceTypeId} accounts (create-account-resource-type), not ${req.resourceTypeId}`,
          Code.Unimplemented,
        );
      }
      const outcome = await accountCreator.createAccount(req, {
        syncId: "",
        signal: awsSignal(ctx),
        requester: ctx.values.get(requesterKey),
        requestAnnotations: [],
      });
      const result = { resource: outcome.resource, isCreateAccountResult: true };
      return create(CreateAccountResponseSchema, {
        result: outcome.alreadyExists ? { case: "alreadyExists", value: result } : { case: "success", value: result },
        encryptedData: outcome.encryptedData,
        annotations: outcome.awsRequestIds.map((requestId) => annotation(RequestIdSchema, { requestId })),
      });
    }),
  };

  const resourceManager = {
    createResource: guarded("CreateResource", async (_req: CreateResourceRequest) => {
      requireProvisioning();
      throw new ConnectError("resources are not created through CreateResource; accounts are made with CreateAccount", Code.Unimplemented);
    }),
    deleteResource: guarded("DeleteResource", async (req: DeleteResourceRequest, ctx) =>
      create(DeleteResourceResponseSchema, { annotations: await deleteResource("DeleteResource", req, ctx) }),
    ),
  };

  const resourceDeleter = {
    deleteResourceV2: guarded("DeleteResourceV2", async (req: DeleteResourceV2Request, ctx) =>
      create(DeleteResourceV2ResponseSchema, { annotations: await deleteResource("DeleteResourceV2", req, ctx) }),
    ),
  };

  /** Hosts ask before and report after every call; AWS quotas are enforced client-side instead. */
  const rateLimiter = {
    do: async (req: DoRequest) =>
      create(DoResponseSchema, { requestToken: req.requestToken, description: { status: RateLimitDescription_Status.OK } }),
    report: async (_req: ReportRequest) => create(ReportResponseSchema, {}),
  };

  return {
    connector,
    resourceTypes,
    resources,
    resourceGetter,
    entitlements,
    grants,
    grantManager,
    accountManager,
    resourceManager,
    resourceDeleter,
    rateLimiter,
    events,
    capabilities,
  };
}

export type ConnectorServices = ReturnType<typeof createConnectorServices>;

/** What each resource type supports; also printed by `connector capabilities`. */
export function buildCapabilities(
  syncers: readonly ResourceSyncer[],
  provisioners: ReadonlyMap<string, Provisioner>,
  writes: { accountCreator?: AccountCreator | undefined; deleters?: ReadonlyMap<string, ResourceDeleter>; eventFeed?: boolean } = {},
): ConnectorCapabilities {
  const connectorCapabilities = new Set<Capability>([Capability.SYNC]);
  if (writes.eventFeed) connectorCapabilities.add(Capability.EVENT_FEED_V2);
  // A targeted sync reads each resource by id: every type must answer GetResource.
  if (syncers.length > 0 && syncers.every((s) => s.getResource !== undefined)) connectorCapabilities.add(Capability.TARGETED_SYNC);
  const resourceTypeCapabilities = syncers.map((s) => {
    const id = s.resourceType.id;
    const caps = [Capability.SYNC];
    if (provisioners.has(id)) caps.push(Capability.PROVISION);
    if (writes.accountCreator?.resourceTypeId === id) caps.push(Capability.ACCOUNT_PROVISIONING);
    if (writes.deleters?.has(id)) caps.push(Capability.RESOURCE_DELETE);
    for (const cap of caps) connectorCapabilities.add(cap);
    return {
      resourceType: s.resourceType,
      capabilities: caps,
      // As baton-sdk's builder does: from the type's annotations.
      permissions: findAnnotation(s.resourceType.annotations, CapabilityPermissionsSchema),
      optInRequired: hasAnnotation(s.resourceType.annotations, OptInRequiredSchema),
    };
  });
  return create(ConnectorCapabilitiesSchema, {
    resourceTypeCapabilities,
    connectorCapabilities: [...connectorCapabilities].sort((a, b) => a - b),
    ...(writes.accountCreator ? { credentialDetails: { capabilityAccountProvisioning: writes.accountCreator.credentialDetails } } : {}),
  });
}

/**
 * A call whose signal fired ended because of it: an AWS call aborted by the request's own deadline
 * answers DeadlineExceeded (hosts retry it), a caller that went away Canceled, a server shutting
 * down Unavailable (retried elsewhere) — not the Canceled of the aborted AWS call. A status with
 * its own explanation (e.g. a provisioning operation that continues in AWS) is kept.
 */
function answerFor(mapped: ConnectError, signal: AbortSignal): ConnectError {
  if (!signal.aborted || mapped.code !== Code.Canceled) return mapped;
  const reason: unknown = signal.reason;
  const [code, why] = reason instanceof ConnectError ? [reason.code, reason.rawMessage] : [Code.Unavailable, "server shutting down"];
  if (code === mapped.code) return mapped;
  return new ConnectError(mapped.rawMessage === CANCELLED ? why : mapped.rawMessage, code, undefined, undefined, mapped.cause ?? mapped);
}

export function resourceKey(id: ResourceId): string {
  return `${id.resourceType}:${id.resource}`;
}

function indexByTypeId<T>(entries: ReadonlyArray<readonly [string, T]>, what: string): Map<string, T> {
  const map = new Map<string, T>();
  for (const [id, value] of entries) {
    if (map.has(id)) throw new Error(`duplicate ${what} for resource type "${id}"`);
    map.set(id, value);
  }
  return map;
}

// Request limits from baton's protoc-gen-validate rules, enforced here as its Go server would.
const MAX_ID_BYTES = 1024;
const MAX_CURSOR_BYTES = 4096;
const MAX_EVENT_PAGE_SIZE = 1000;
const MAX_PAGE_SIZE = 250;
const MAX_TOKEN_BYTES = 1_048_576;

function checkId(what: string, value: string): void {
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes < 1 || bytes > MAX_ID_BYTES) {
    throw new ConnectError(`${what} must be 1 to ${MAX_ID_BYTES} bytes`, Code.InvalidArgument);
  }
}

function checkResourceId(what: string, id: ResourceId): void {
  checkId(`${what} resource_type`, id.resourceType);
  checkId(`${what} resource`, id.resource);
}

function checkPaging(req: { pageSize: number; pageToken: string; activeSyncId: string }): void {
  if (req.pageSize > MAX_PAGE_SIZE) throw new ConnectError(`page_size must be at most ${MAX_PAGE_SIZE}`, Code.InvalidArgument);
  if (Buffer.byteLength(req.pageToken, "utf8") > MAX_TOKEN_BYTES) {
    throw new ConnectError("invalid page token: longer than 1 MiB", Code.InvalidArgument);
  }
  if (Buffer.byteLength(req.activeSyncId, "utf8") > MAX_ID_BYTES) {
    throw new ConnectError(`active_sync_id must be at most ${MAX_ID_BYTES} bytes`, Code.InvalidArgument);
  }
}
