import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { DiscoveryRequest, DiscoveryResponse, XdsNode } from '../ads-service.js';
import type { Message } from '../proto.js';

/** What one stream has asked for and been sent, for one resource type. */
export interface StreamTypeState {
  /** Whether the stream has asked for this type (a raw response alone does not subscribe it). */
  subscribed: boolean;
  /** The names of the stream's latest non-stale request of this type. */
  names: ReadonlySet<string>;
  /** The nonce of the latest response of this type given to the stream ('' before the first). */
  lastNonce: string;
  /** Whether a response of this type has been given to the stream (sent or queued while held). */
  answered: boolean;
  /** Responses built while the type was held, written on release in order. */
  readonly queued: DiscoveryResponse[];
}

/** One open ADS stream of the test control plane: its call, its node and what it subscribed to, per type. */
export class AdsStream {
  readonly id: number;
  node: XdsNode | Message | undefined;
  readonly #call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  readonly #types = new Map<string, StreamTypeState>();
  #open = true;

  constructor(id: number, call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) {
    this.id = id;
    this.#call = call;
  }

  get open(): boolean {
    return this.#open;
  }

  /** The stream's state for a type, made on first use. */
  type(typeUrl: string): StreamTypeState {
    let state = this.#types.get(typeUrl);
    if (!state) {
      state = { subscribed: false, names: new Set(), lastNonce: '', answered: false, queued: [] };
      this.#types.set(typeUrl, state);
    }
    return state;
  }

  /** Write a response; false when the stream has ended. */
  write(response: DiscoveryResponse): boolean {
    if (!this.#open) return false;
    this.#call.write(response);
    return true;
  }

  /** End the stream: with OK (the client half-closed), or with an error status (a fault). */
  end(status?: { code: number; details: string }): void {
    if (!this.#open) return;
    this.#open = false;
    // grpc-js turns an 'error' emitted on a server stream into the call's status
    if (status) this.#call.emit('error', Object.assign(new Error(status.details), status));
    else this.#call.end();
  }

  /** Forget the stream without writing to it (the peer cancelled, or the server is going down). */
  drop(): void {
    this.#open = false;
  }
}
