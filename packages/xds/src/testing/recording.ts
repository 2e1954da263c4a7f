import type { XdsNode } from '../ads-service.js';
import type { Message } from '../proto.js';

/** A DiscoveryRequest as the control plane received it, for a test to assert on. */
export interface RecordedRequest {
  /** The stream it came on (1, 2, …, in order of opening). */
  readonly stream: number;
  /** When it arrived (`Date.now()`). */
  readonly at: number;
  readonly typeUrl: string;
  /** The version the client last accepted for this type ('' before it accepted any). */
  readonly versionInfo: string;
  readonly resourceNames: readonly string[];
  /** The nonce of the response it answers ('' on a stream's first request of a type). */
  readonly responseNonce: string;
  /** Set on a NACK: why the client rejected the response. */
  readonly errorDetail?: { readonly code: number; readonly message: string };
  /** The client's node, when the request carried one (grpc-js-xds sends it on a stream's first request only). */
  readonly node?: XdsNode | Message;
}

/** A DiscoveryResponse the control plane wrote to a stream. */
export interface RecordedResponse {
  readonly stream: number;
  readonly at: number;
  readonly typeUrl: string;
  readonly version: string;
  readonly nonce: string;
  /** The names of the resources it carried (undefined for a resource whose bytes name nothing). */
  readonly names: readonly (string | undefined)[];
}

interface Waiter {
  readonly predicate: (r: RecordedRequest) => boolean;
  readonly resolve: (r: RecordedRequest) => void;
}

/** The requests received so far and the tests waiting for one. */
export class RequestLog {
  readonly requests: RecordedRequest[] = [];
  readonly #waiters = new Set<Waiter>();

  /** Append a request and hand it to every waiter it matches. */
  add(request: RecordedRequest): void {
    this.requests.push(request);
    for (const waiter of this.#waiters) {
      if (waiter.predicate(request)) {
        this.#waiters.delete(waiter);
        waiter.resolve(request);
      }
    }
  }

  /** The first request from index `since` on that matches, now or when it arrives; rejects after `timeoutMs`. */
  waitFor(predicate: (r: RecordedRequest) => boolean, timeoutMs: number, since: number): Promise<RecordedRequest> {
    const seen = this.requests.slice(since).find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        const lines = this.requests.slice(since).map(describeRequest);
        reject(new Error(`no matching xDS request within ${timeoutMs} ms; requests seen since #${since}:\n${lines.join('\n') || '  (none)'}`));
      }, timeoutMs);
      const waiter: Waiter = {
        predicate,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      this.#waiters.add(waiter);
    });
  }
}

/** One line per request, for a timeout's message. */
function describeRequest(r: RecordedRequest): string {
  const nack = r.errorDetail ? ` NACK(${r.errorDetail.code}: ${r.errorDetail.message})` : '';
  const node = r.node ? ' +node' : '';
  return `  stream ${r.stream} ${r.typeUrl} version=${JSON.stringify(r.versionInfo)} nonce=${JSON.stringify(r.responseNonce)} names=${JSON.stringify(r.resourceNames)}${nack}${node}`;
}
