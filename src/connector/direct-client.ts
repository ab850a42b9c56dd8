import { create, isMessage, type DescMessage, type DescMethod, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createClient,
  createContextValues,
  type CallOptions,
  type Client,
  type ContextValues,
  type HandlerContext,
  type ServiceImpl,
  type Transport,
} from "@connectrpc/connect";
import { API_SERVICE_NAMES, API_SERVICES, type ApiServiceImpls, type ApiServiceName, type ApiServices } from "./api-services.js";

/**
 * The connector API as a baton host sees it: one client per service. The sync engine and the CLI
 * talk to the connector only through this, whether it runs in-process (createDirectConnectorApi)
 * or behind a gRPC socket (createRemoteConnectorApi).
 */
export type ConnectorApi = { [K in ClientServiceName]: Client<ApiServices[K]> };

/** Every service but the rate limiter, which a baton host asks only through its own middleware. */
type ClientServiceName = Exclude<ApiServiceName, "rateLimiter">;
const CLIENT_SERVICE_NAMES = API_SERVICE_NAMES.filter((name): name is ClientServiceName => name !== "rateLimiter");

function clients(make: <K extends ClientServiceName>(name: K) => Client<ApiServices[K]>): ConnectorApi {
  return Object.fromEntries(CLIENT_SERVICE_NAMES.map((name) => [name, make(name)])) as ConnectorApi;
}

/** In-process: calls the service implementations directly, without serialising messages. */
export function createDirectConnectorApi(services: ApiServiceImpls<ClientServiceName>): ConnectorApi {
  return clients((name) => directClient(API_SERVICES[name], services[name]));
}

/** Over any connect transport (gRPC over HTTP/2 to `connector serve`, or another baton connector). */
export function createRemoteConnectorApi(transport: Transport): ConnectorApi {
  return clients((name) => createClient(API_SERVICES[name], transport));
}

type UnaryHandler = (request: unknown, context: HandlerContext) => Promise<unknown>;

/** Why an in-process call's signal fires once the call is over (one shared value: no per-call DOMException). */
const CALL_COMPLETED = new ConnectError("the in-process call completed", Code.Canceled);
const TIMED_OUT = () => new ConnectError("the operation timed out", Code.DeadlineExceeded);

/** A Client whose unary methods invoke `impl` in this process, with a real HandlerContext. */
function directClient<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): Client<S> {
  const client: Record<string, unknown> = {};
  for (const method of service.methods) {
    if (method.methodKind !== "unary") continue;
    const handler = (impl as Record<string, UnaryHandler | undefined> | undefined)?.[method.localName];
    if (!handler) continue;
    const url = `in-process:///${service.typeName}/${method.name}`;
    client[method.localName] = async (request: MessageInitShape<DescMessage>, options?: CallOptions) => {
      const call = new InProcessCall(service, method, url, options);
      try {
        const input = isMessage(request, method.input) ? request : create(method.input, request);
        const output = await handler.call(impl, input, call);
        return isMessage(output, method.output) ? output : create(method.output, output as MessageInitShape<DescMessage>);
      } finally {
        call.end();
      }
    };
  }
  return client as Client<S>;
}

/**
 * The HandlerContext of one in-process call, as connect's createHandlerContext makes it (its
 * signal fires on the caller's abort, on the deadline, and when the call ends) but cheaper: the
 * sync engine makes hundreds of thousands of these calls, and connect's version costs two abort
 * controllers, three Headers and a DOMException per call. The signal and headers are made only
 * when a handler asks for them; a signal asked for late still reports what already happened.
 */
class InProcessCall implements HandlerContext {
  readonly requestMethod = "POST";
  readonly protocolName = "in-process";
  readonly values: ContextValues;
  readonly #outer: AbortSignal | undefined;
  readonly #deadline: number | undefined;
  #controller: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ended = false;
  #headers: { request?: Headers; response?: Headers; trailer?: Headers } = {};

  constructor(
    readonly service: DescService,
    readonly method: DescMethod,
    readonly url: string,
    options: CallOptions | undefined,
  ) {
    this.values = options?.contextValues ?? createContextValues();
    this.#outer = options?.signal;
    if (options?.timeoutMs !== undefined) this.#deadline = Date.now() + options.timeoutMs;
  }

  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal;
    const controller = (this.#controller = new AbortController());
    const outer = this.#outer;
    const remainingMs = this.timeoutMs();
    if (this.#ended) controller.abort(CALL_COMPLETED);
    else if (outer?.aborted) controller.abort(outer.reason);
    else if (remainingMs !== undefined && remainingMs <= 0) controller.abort(TIMED_OUT());
    else {
      outer?.addEventListener("abort", this.#onOuterAbort);
      if (remainingMs !== undefined) this.#timer = setTimeout(() => controller.abort(TIMED_OUT()), remainingMs);
    }
    return controller.signal;
  }

  readonly timeoutMs = (): number | undefined => (this.#deadline === undefined ? undefined : this.#deadline - Date.now());

  get requestHeader(): Headers {
    return (this.#headers.request ??= new Headers());
  }
  get responseHeader(): Headers {
    return (this.#headers.response ??= new Headers());
  }
  get responseTrailer(): Headers {
    return (this.#headers.trailer ??= new Headers());
  }

  readonly #onOuterAbort = (): void => {
    this.#controller?.abort(this.#outer?.reason);
  };

  /** The call is over: stop the deadline, unhook from the caller's signal, fire ours (if made). */
  end(): void {
    this.#ended = true;
    if (!this.#controller) return;
    clearTimeout(this.#timer);
    this.#outer?.removeEventListener("abort", this.#onOuterAbort);
    this.#controller.abort(CALL_COMPLETED);
  }
}
