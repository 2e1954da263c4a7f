import { Server, ServerCredentials, status, type ServerDuplexStream } from '@grpc/grpc-js';
import { adsServiceDefinition, type DiscoveryRequest, type DiscoveryResponse, type XdsNode } from '../ads-service.js';
import { packAny, type Message } from '../proto.js';
import { AdsStream } from './ads-stream.js';
import { RequestLog, type RecordedRequest, type RecordedResponse } from './recording.js';
import { isWholeSetType, nameOfPacked, selectEntries, type PackedResource, type TypeSnapshot } from './snapshot.js';

/** Where a test control plane listens (`port` 0, the default, picks a free one; a test restarts on the old one). */
export interface ControlPlaneOptions {
  port?: number;
}

/** A resource for `setResources`: its name and the plain object of its type. */
export interface NamedResource {
  name: string;
  resource: Record<string, unknown>;
}

/**
 * A small ADS management server for tests: a real @grpc/grpc-js server on 127.0.0.1 serving
 * `StreamAggregatedResources` with state-of-the-world semantics as Envoy's go-control-plane (LDS and CDS responses
 * carry every resource of the type; RDS and EDS only the names a stream asked for; a fresh nonce per response; a
 * request with a stale nonce, and an ACK or a NACK that keeps the names, answered by silence). It records every
 * request and response and injects faults (stream resets, held types, raw responses and resources, stop).
 */
export class TestControlPlane {
  readonly #server: Server;
  #port = 0;
  readonly #log = new RequestLog();
  readonly #responses: RecordedResponse[] = [];
  readonly #snapshots = new Map<string, TypeSnapshot>();
  readonly #streams = new Set<AdsStream>();
  readonly #held = new Set<string>();
  #streamIds = 0;
  #nonces = 0;
  #stopped = false;

  private constructor() {
    this.#server = new Server({ 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 });
    this.#server.addService(adsServiceDefinition, {
      StreamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => this.#onStream(call),
    });
  }

  /** Start a control plane on 127.0.0.1 (insecure, no message size limits). */
  static async start(options: ControlPlaneOptions = {}): Promise<TestControlPlane> {
    const plane = new TestControlPlane();
    plane.#port = await new Promise<number>((resolve, reject) => {
      const address = `127.0.0.1:${options.port ?? 0}`;
      plane.#server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
    });
    return plane;
  }

  /** The port it listens on. */
  get port(): number {
    return this.#port;
  }

  /** `127.0.0.1:PORT`, for a bootstrap's `server_uri`. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Every request received, in order of arrival. */
  get requests(): readonly RecordedRequest[] {
    return this.#log.requests;
  }

  /** Every response written, in order. */
  get responses(): readonly RecordedResponse[] {
    return this.#responses;
  }

  /** How many ADS streams are open. */
  get streamCount(): number {
    return this.#streams.size;
  }

  /** The nodes of the open streams (as their first requests carried them). */
  get connectedNodes(): (XdsNode | Message)[] {
    return [...this.#streams].flatMap((s) => (s.node ? [s.node] : []));
  }

  /** Replace every resource of a type (each packed from its plain object) and push to the streams subscribed to it. */
  setResources(typeUrl: string, version: string, resources: readonly NamedResource[]): void {
    const entries = resources.map((r) => ({ name: r.name, any: packAny(typeUrl, r.resource) }));
    this.#setSnapshot(typeUrl, { version, entries });
  }

  /**
   * Replace every resource of a type with packed bytes as given (wrong type URLs, undecodable bytes, duplicates):
   * a resource is named by its decoded `name` (`cluster_name`); one that does not decode goes to every subscriber.
   */
  setRawResources(typeUrl: string, version: string, anys: readonly PackedResource[]): void {
    const entries = anys.map((any) => ({ name: nameOfPacked(any), any }));
    this.#setSnapshot(typeUrl, { version, entries });
  }

  /**
   * The first request from index `since` of `requests` on (already received or still to come) that matches;
   * rejects after `timeoutMs` listing the requests seen.
   */
  waitForRequest(predicate: (r: RecordedRequest) => boolean, timeoutMs = 5000, since = 0): Promise<RecordedRequest> {
    return this.#log.waitFor(predicate, timeoutMs, since);
  }

  /** Fault: end every open stream with UNAVAILABLE (the client should open a new one and subscribe again). */
  resetStreams(): void {
    for (const stream of this.#streams) stream.end({ code: status.UNAVAILABLE, details: 'stream reset by the test control plane' });
    this.#streams.clear();
  }

  /** Fault: queue responses of a type instead of writing them (as if delayed on the wire) until `release`. */
  hold(typeUrl: string): void {
    this.#held.add(typeUrl);
  }

  /** Write the queued responses of a type, in order, and stop holding it. */
  release(typeUrl: string): void {
    this.#held.delete(typeUrl);
    for (const stream of this.#streams) {
      for (const response of stream.type(typeUrl).queued.splice(0)) this.#write(stream, response);
    }
  }

  /**
   * Fault: write a response as given to every open stream (a mismatched type URL, a foreign resource); its nonce,
   * when set, becomes the latest of its type on the streams subscribed to that type, so their answer counts.
   */
  sendRaw(response: DiscoveryResponse): void {
    for (const stream of this.#streams) {
      const state = response.type_url ? stream.type(response.type_url) : undefined;
      if (state?.subscribed && response.nonce) state.lastNonce = response.nonce;
      this.#write(stream, response);
    }
  }

  /** Shut the server down at once (open streams are cancelled); resolves when the port is free again. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const stream of this.#streams) stream.drop();
    this.#streams.clear();
    this.#server.forceShutdown();
    // after forceShutdown, tryShutdown only waits for the listening socket to close
    await new Promise<void>((resolve) => this.#server.tryShutdown(() => resolve()));
  }

  #onStream(call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>): void {
    if (this.#stopped) return;
    const stream = new AdsStream(++this.#streamIds, call);
    this.#streams.add(stream);
    const gone = (): void => {
      stream.drop();
      this.#streams.delete(stream);
    };
    call.on('data', (request: DiscoveryRequest) => this.#onRequest(stream, request));
    call.on('end', () => {
      // the client half-closed: close our side with OK
      stream.end();
      this.#streams.delete(stream);
    });
    call.on('cancelled', gone);
    call.on('close', gone);
    call.on('error', gone);
  }

  #onRequest(stream: AdsStream, request: DiscoveryRequest): void {
    const typeUrl = request.type_url ?? '';
    const names = request.resource_names ?? [];
    const nonce = request.response_nonce ?? '';
    if (request.node && !stream.node) stream.node = request.node;
    this.#log.add({
      stream: stream.id,
      at: Date.now(),
      typeUrl,
      versionInfo: request.version_info ?? '',
      resourceNames: names,
      responseNonce: nonce,
      ...(request.error_detail ? { errorDetail: { code: request.error_detail.code ?? 0, message: request.error_detail.message ?? '' } } : {}),
      ...(request.node ? { node: request.node } : {}),
    });
    const state = stream.type(typeUrl);
    state.subscribed = true;
    // a request answering an older response is overtaken by the newer one: the client will answer that too
    if (nonce !== state.lastNonce) return;
    const changed = names.length !== state.names.size || names.some((n) => !state.names.has(n));
    state.names = new Set(names);
    // the first request of a type, or a change of names, is answered; an ACK or a NACK of the same names is not
    if (!state.answered || changed) this.#respond(stream, typeUrl);
  }

  #setSnapshot(typeUrl: string, snapshot: TypeSnapshot): void {
    this.#snapshots.set(typeUrl, snapshot);
    for (const stream of this.#streams) if (stream.type(typeUrl).subscribed) this.#respond(stream, typeUrl);
  }

  /** Build the stream's response of a type from the snapshot, then write it or queue it while the type is held. */
  #respond(stream: AdsStream, typeUrl: string): void {
    const snapshot = this.#snapshots.get(typeUrl);
    const state = stream.type(typeUrl);
    // nothing to say yet (no snapshot of the type), or nothing asked for (RDS and EDS without names)
    if (!snapshot || (!isWholeSetType(typeUrl) && state.names.size === 0)) return;
    const response: DiscoveryResponse = {
      version_info: snapshot.version,
      type_url: typeUrl,
      nonce: String(++this.#nonces),
      resources: selectEntries(typeUrl, snapshot, state.names).map((e) => e.any),
    };
    state.lastNonce = response.nonce ?? '';
    state.answered = true;
    if (this.#held.has(typeUrl)) state.queued.push(response);
    else this.#write(stream, response);
  }

  #write(stream: AdsStream, response: DiscoveryResponse): void {
    if (!stream.write(response)) return;
    this.#responses.push({
      stream: stream.id,
      at: Date.now(),
      typeUrl: response.type_url ?? '',
      version: response.version_info ?? '',
      nonce: response.nonce ?? '',
      names: (response.resources ?? []).map((any) => nameOfPacked({ type_url: any.type_url ?? '', value: Buffer.from(any.value ?? []) })),
    });
  }
}
