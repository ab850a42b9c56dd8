import type { Any } from "@bufbuild/protobuf/wkt";
import type { Entitlement } from "../gen/c1/connector/v2/entitlement_pb.js";
import type { Grant } from "../gen/c1/connector/v2/grant_pb.js";
import type { ConnectorAccountCreationSchema, CredentialDetailsAccountProvisioning } from "../gen/c1/connector/v2/connector_pb.js";
import type { CreateAccountRequest, EncryptedData, Resource, ResourceId, ResourceType } from "../gen/c1/connector/v2/resource_pb.js";
import type { PageState } from "./page-token.js";

export type { PageState };

/** Per-call context handed to syncers and provisioners. */
export interface CallContext {
  /**
   * baton's active_sync_id. It scopes the per-sync cache: within one sync no AWS call is repeated.
   * Empty when the host sent none; then nothing is shared between calls.
   */
  syncId: string;
  /** Aborted when the caller cancels or the deadline passes. */
  signal: AbortSignal;
}

/**
 * One page of a listing. `next` is the syncer's own state for the following page (it travels inside
 * an opaque, integrity-checked page token); undefined means the listing is complete.
 */
export interface Page<T> {
  items: T[];
  next?: PageState;
  annotations?: Any[];
}

/**
 * One resource type: its descriptor and how to list its resources, their entitlements and grants.
 * One implementation per file in src/resources; the router in connector.ts finds it by type id.
 * A method receives the state it returned as `next` for the previous page (undefined first).
 */
export interface ResourceSyncer {
  readonly resourceType: ResourceType;
  listResources(parent: ResourceId | undefined, state: PageState | undefined, ctx: CallContext): Promise<Page<Resource>>;
  listEntitlements(resource: Resource, state: PageState | undefined, ctx: CallContext): Promise<Page<Entitlement>>;
  listGrants(resource: Resource, state: PageState | undefined, ctx: CallContext): Promise<Page<Grant>>;
  /** Targeted lookup of one resource; types without it answer Unimplemented. */
  getResource?(id: ResourceId, parent: ResourceId | undefined, ctx: CallContext): Promise<Resource | undefined>;
}

/** Who asked for a provisioning action, for the audit log. */
export interface Requester {
  /** "cli:<user>" or "grpc:<peer address>" (plus the client certificate subject under mutual TLS). */
  id: string;
}

export interface ProvisionContext extends CallContext {
  requester: Requester;
  /** Annotations of the Grant/Revoke request (e.g. awsaccess.v1.GrantLifetime). */
  requestAnnotations: Any[];
}

export interface GrantOutcome {
  /** True when the principal already held the entitlement; nothing was changed. */
  alreadyExists: boolean;
  /** The grants that now exist (the created one, or the existing one when already there). */
  grants: Grant[];
  /** AWS request ids of the write and of the confirming status call(s). */
  awsRequestIds: string[];
  /** Extra response annotations (e.g. awsaccess.v1.GrantExpiry). */
  annotations?: Any[];
}

export interface RevokeOutcome {
  /** True when the grant was already gone; nothing was changed. */
  alreadyRevoked: boolean;
  awsRequestIds: string[];
  annotations?: Any[];
}

/**
 * Grant/Revoke for the entitlements of one resource type (routed by the entitlement's resource type).
 * Success is returned only once AWS has confirmed the change.
 */
export interface Provisioner {
  readonly resourceTypeId: string;
  grant(principal: Resource, entitlement: Entitlement, ctx: ProvisionContext): Promise<GrantOutcome>;
  revoke(grant: Grant, ctx: ProvisionContext): Promise<RevokeOutcome>;
}

/** What CreateAccount made: a new account, or the one that already had that login. */
export interface AccountOutcome {
  /** True when an account with that login already existed; nothing was created. */
  alreadyExists: boolean;
  /** The account as a sync would list it. */
  resource: Resource;
  /** Credentials made with the account, encrypted to the request's encryption configs. */
  encryptedData: EncryptedData[];
  awsRequestIds: string[];
}

/**
 * Account provisioning (baton's AccountManager) for one resource type: creates the account a
 * CreateAccount request describes, and says what it accepts (GetMetadata's account-creation schema,
 * the capabilities' credential options).
 */
export interface AccountCreator {
  readonly resourceTypeId: string;
  readonly schema: ConnectorAccountCreationSchema;
  readonly credentialDetails: CredentialDetailsAccountProvisioning;
  createAccount(request: CreateAccountRequest, ctx: ProvisionContext): Promise<AccountOutcome>;
}

export interface DeleteOutcome {
  /** True when the resource did not exist when asked; nothing was deleted. */
  alreadyGone: boolean;
  awsRequestIds: string[];
}

/** DeleteResource / DeleteResourceV2 for one resource type; success once AWS no longer has it. */
export interface ResourceDeleter {
  readonly resourceTypeId: string;
  deleteResource(id: ResourceId, parent: ResourceId | undefined, ctx: ProvisionContext): Promise<DeleteOutcome>;
}
