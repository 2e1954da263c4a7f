import * as grpc from '@grpc/grpc-js';
import { ADS_METHOD, decodeResponse, encodeRequest, type DiscoveryRequest, type DiscoveryResponse, type XdsNode } from './ads-service.js';
import { Backoff } from './backoff.js';
import { unpackAny, type Message } from './proto.js';
import { RESOURCE_TYPES, SHORT_NAME, type ResourceType } from './type-urls.js';

/** The logger shape @mosn/xds takes (pino satisfies it). */
export interface XdsLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** One resource of a response: its name and its message decoded. */
export interface XdsResource {
  readonly name: string;
  readonly message: Message;
}

/**
 * What the client hands its owner: one response of one type, decoded and checked (type, names unique). The owner
 * converts and applies it and says whether it was accepted: `undefined` (ACK) or the reason it was refused (NACK).
 */
export type ResponseHandler = (typeUrl: ResourceType, version: string, resources: readonly XdsResource[]) => Promise<string | undefined>;

export interface AdsClientOptions {
  /** A @grpc/grpc-js target: `127.0.0.1:15010`, `dns:///istiod:15010`, `unix:/path`. */
  target: string;
  node: XdsNode;
  onResponse: ResponseHandler;
  logger: XdsLogger;
  /** Reconnect backoff: first delay and cap (Envoy's: 500 ms, 30 s), each jittered. */
  backoff?: { initialMs: number; maxMs: number };
  /** Counters the owner keeps (`xds.<kind>` names). */
  count?: (name: string) => void;
}

/** What the client keeps per resource type across responses and streams. */
interface TypeState {
  /** The last version accepted (kept across streams, sent again on reconnect). */
  version: string;
  /** The nonce of the last response received on this stream (cleared on a new stream). */
  nonce: string;
  /** The subscribed names; undefined is the wildcard (every resource of the type: LDS and CDS). */
  names: ReadonlySet<string> | undefined;
}

/**
 * An xDS client over one ADS stream, state of the world (envoy.service.discovery.v3, the four types LDS, RDS, CDS,
 * EDS). It follows the protocol: the node on the first request of each stream; a version and a nonce per type;
 * every response ACKed (empty ones too) or NACKed with the last accepted version, the response's nonce and an
 * `error_detail`; responses handled one at a time, in order; on a broken stream it reconnects with jittered
 * exponential backoff, keeps the versions, clears the nonces and sends the node and every subscription again.
 */
export class AdsClient {
  readonly #options: AdsClientOptions;
  readonly #client: grpc.Client;
  readonly #types = new Map<ResourceType, TypeState>();
  readonly #backoff: Backoff;
  #call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse> | undefined;
  #nodeSent = false;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  /** Responses are handled one after another: each sees the state the previous one left. */
  #queue: Promise<void> = Promise.resolve();
  #connected = false;

  constructor(options: AdsClientOptions) {
    this.#options = options;
    this.#backoff = new Backoff(options.backoff?.initialMs ?? 500, options.backoff?.maxMs ?? 30_000);
    this.#client = new grpc.Client(options.target, grpc.credentials.createInsecure(), {
      // istiod's answers can be far larger than gRPC's 4 MiB default
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      'grpc.keepalive_time_ms': 30_000,
    });
  }

  /** True while a stream is open and has received at least one response. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The last accepted version of each type (for the admin API). */
  versions(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [type, s] of this.#types) out[SHORT_NAME[type]] = s.version;
    return out;
  }

  /** Open the stream (and keep it open until `close`). */
  start(): void {
    this.#open();
  }

  /**
   * Subscribe to a type: `undefined` names is the wildcard (LDS, CDS); RDS and EDS name what they want. A change of
   * names is sent at once (with the type's current version and nonce); the same names again send nothing.
   */
  subscribe(typeUrl: ResourceType, names: readonly string[] | undefined): void {
    const next = names === undefined ? undefined : new Set(names);
    const state = this.#types.get(typeUrl);
    // nothing asked for yet: no request (an empty list could read as the wildcard)
    if (!state && next?.size === 0) return;
    if (state && sameNames(state.names, next)) return;
    if (state) state.names = next;
    else this.#types.set(typeUrl, { version: '', nonce: '', names: next });
    if (this.#call) this.#send(typeUrl);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#call?.cancel();
    this.#call = undefined;
    this.#client.close();
  }

  #open(): void {
    if (this.#closed) return;
    const call = this.#client.makeBidiStreamRequest(ADS_METHOD, encodeRequest, decodeResponse);
    this.#call = call;
    this.#nodeSent = false;
    this.#connected = false;
    for (const s of this.#types.values()) s.nonce = '';
    call.on('data', (response: DiscoveryResponse) => {
      if (call !== this.#call) return;
      this.#connected = true;
      this.#backoff.reset();
      this.#queue = this.#queue.then(() => this.#handle(call, response)).catch((e: unknown) => {
        this.#options.logger.error({ err: e }, 'xds: handling a response failed');
      });
    });
    call.on('error', (e: grpc.ServiceError) => {
      if (call !== this.#call || this.#closed) return;
      this.#options.logger.warn({ code: e.code, details: e.details, target: this.#options.target }, 'xds: ADS stream failed');
    });
    call.on('status', () => {
      if (call === this.#call) this.#reconnect(call);
    });
    call.on('end', () => {
      if (call === this.#call) this.#reconnect(call);
    });
    this.#options.count?.('xds.stream_opened');
    for (const type of RESOURCE_TYPES) if (this.#types.has(type)) this.#send(type);
  }

  #reconnect(call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>): void {
    if (this.#closed || call !== this.#call) return;
    this.#call = undefined;
    this.#connected = false;
    call.cancel();
    const delay = this.#backoff.next();
    this.#options.count?.('xds.stream_retry');
    this.#options.logger.info({ delayMs: delay, target: this.#options.target }, 'xds: reconnecting; the last good config keeps serving');
    this.#retry = setTimeout(() => this.#open(), delay);
  }

  async #handle(call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>, response: DiscoveryResponse): Promise<void> {
    const typeUrl = response.type_url ?? '';
    const state = this.#types.get(typeUrl as ResourceType);
    if (!state) {
      // Not a type mosn asked for: nothing to ACK or NACK against; say so once per response.
      this.#options.count?.('xds.response_unexpected_type');
      this.#options.logger.warn({ typeUrl }, 'xds: response of a type mosn did not subscribe to; ignored');
      return;
    }
    const type = typeUrl as ResourceType;
    const version = response.version_info ?? '';
    const nonce = response.nonce ?? '';
    const decoded = decodeResources(type, response);
    let error = typeof decoded === 'string' ? decoded : undefined;
    if (error === undefined) {
      try {
        error = await this.#options.onResponse(type, version, decoded as XdsResource[]);
      } catch (e) {
        error = `internal error: ${(e as Error).message}`;
        this.#options.logger.error({ err: e, type: SHORT_NAME[type] }, 'xds: applying a response failed');
      }
    }
    // The stream may have broken while the response was applied: the new stream asks again.
    if (call !== this.#call) return;
    state.nonce = nonce;
    if (error === undefined) {
      state.version = version;
      this.#options.count?.(`xds.${SHORT_NAME[type].toLowerCase()}.ack`);
      this.#send(type);
    } else {
      this.#options.count?.(`xds.${SHORT_NAME[type].toLowerCase()}.nack`);
      this.#options.logger.error({ type: SHORT_NAME[type], version, nonce, keeping: state.version, error }, `xds: ${SHORT_NAME[type]} version ${version} refused (NACK); version ${state.version || '(none)'} keeps serving`);
      this.#send(type, error);
    }
  }

  #send(type: ResourceType, error?: string): void {
    const state = this.#types.get(type);
    if (!state || !this.#call) return;
    const request: DiscoveryRequest = {
      version_info: state.version,
      type_url: type,
      response_nonce: state.nonce,
      resource_names: state.names ? [...state.names].sort() : [],
    };
    if (!this.#nodeSent) {
      request.node = this.#options.node;
      this.#nodeSent = true;
    }
    // INVALID_ARGUMENT, as Envoy sends for a config it rejects
    if (error !== undefined) request.error_detail = { code: grpc.status.INVALID_ARGUMENT, message: error };
    this.#options.logger.debug({ type: SHORT_NAME[type], version: state.version, nonce: state.nonce, names: request.resource_names, nack: error !== undefined }, 'xds: request');
    this.#call.write(request);
  }
}

/** The name a resource goes by: `name`, or `cluster_name` for a ClusterLoadAssignment. */
function resourceName(message: Message): string {
  const name = message['name'] ?? message['cluster_name'];
  return typeof name === 'string' ? name : '';
}

/** The response's resources decoded, or why the response is refused (wrong type, undecodable, unnamed, duplicate). */
function decodeResources(type: ResourceType, response: DiscoveryResponse): XdsResource[] | string {
  const out: XdsResource[] = [];
  const seen = new Set<string>();
  for (const [i, any] of (response.resources ?? []).entries()) {
    if (any.type_url !== type) return `resources[${i}]: type ${JSON.stringify(any.type_url)} in a response of type ${type}`;
    let message: Message;
    try {
      message = unpackAny(any).value;
    } catch (e) {
      return `resources[${i}]: cannot be decoded as ${type}: ${(e as Error).message}`;
    }
    const name = resourceName(message);
    if (name === '') return `resources[${i}]: has no name`;
    if (seen.has(name)) return `resources[${i}]: duplicate resource name ${JSON.stringify(name)}`;
    seen.add(name);
    out.push({ name, message });
  }
  return out;
}

function sameNames(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.size === b.size && [...a].every((n) => b.has(n));
}
