import { HttpHeaders, type ClientStream, type ConnectionPool, type HttpRequestHead, type HttpResponseHead, type PoolCallbacks, type PoolHandle, type StreamReceiver } from '@mosn/stream';
import type { LbContext } from '../lb/load-balancer.js';
import type { ListenerCounters } from '../stats/counters.js';
import type { Cluster, Host } from '../upstream/cluster.js';
import { MirrorCopy } from './copy.js';
import { mirrorHosts } from './hosts.js';

/** What starting the copies of one HTTP request needs. */
export interface HttpMirrorRequest {
  readonly cluster: Cluster;
  readonly copies: number;
  readonly everyHealthyHost: boolean;
  readonly lb: LbContext;
  /** The request's head now: each copy sends its own copy of it. */
  readonly head: HttpRequestHead;
  /** The request came whole with its head (no body follows). */
  readonly ended: boolean;
  /** The protocol the copies go upstream in (the route's, else the proxy filter's). */
  readonly upstreamProtocol: string;
  readonly timeoutMs: number;
  /** Bytes a copy may queue while its upstream connects: past them it is dropped. */
  readonly bufferLimit: number;
  readonly counters: ListenerCounters;
}

/**
 * The copies of one HTTP request (MOSN's `mirror` stream filter): each gets the request's head as it was when the
 * filter ran, then the body chunks and trailers as the request sends them upstream (the same buffers, not copied).
 * Their answers are read and dropped. A copy never delays or fails the request: one that cannot keep up (its
 * queue while connecting, or its connection's send buffer, over the limit) is dropped and counted.
 */
export class HttpMirror {
  readonly #copies: HttpMirrorCopy[] = [];

  /** Start the copies (none when the cluster has no host to give, or is at its max_requests: counted as failed). */
  constructor(r: HttpMirrorRequest) {
    for (const host of mirrorHosts(r.cluster, r.copies, r.everyHealthyHost, r.lb)) {
      if (!r.cluster.resources.requests.tryAcquire()) {
        r.counters.mirror_rq_failed.inc();
        continue;
      }
      const copy = new HttpMirrorCopy(r, host);
      this.#copies.push(copy);
      copy.start(host.pool(r.upstreamProtocol));
    }
  }

  /** How many copies were started. */
  get size(): number {
    return this.#copies.length;
  }

  sendData(chunk: Buffer, endStream: boolean): void {
    for (const c of this.#copies) c.sendData(chunk, endStream);
  }

  sendTrailers(trailers: HttpHeaders): void {
    for (const c of this.#copies) c.sendTrailers(trailers);
  }

  /** The request ended before its body did (answered early, reset, failed): copies still sending it are dropped. */
  requestAbandoned(): void {
    for (const c of this.#copies) if (!c.sent) c.drop();
  }
}

/** One copy: its own pooled upstream stream. */
class HttpMirrorCopy extends MirrorCopy implements StreamReceiver<HttpResponseHead>, PoolCallbacks {
  #head: HttpRequestHead;
  #up: ClientStream | undefined;
  #handle: PoolHandle | undefined;
  /** Body chunks and trailers that came before the upstream stream was ready. */
  #queue: Array<Buffer | HttpHeaders> = [];
  #queuedBytes = 0;
  #bufferLimit: number;
  /** The whole request was given to this copy (its last chunk or its trailers). */
  sent: boolean;

  constructor(r: HttpMirrorRequest, host: Host) {
    super(r.cluster, host, r.counters, r.timeoutMs);
    const h = r.head;
    this.#head = { method: h.method, path: h.path, versionMajor: h.versionMajor, versionMinor: h.versionMinor, headers: new HttpHeaders(h.headers.raw.slice()) };
    this.#bufferLimit = r.bufferLimit;
    this.sent = r.ended;
  }

  start(pool: ReturnType<Host['pool']>): void {
    if (pool.kind !== 'http') {
      this.end('failed');
      return;
    }
    this.#handle = (pool as ConnectionPool).newStream(this, this);
  }

  onReady(up: ClientStream): void {
    this.#handle = undefined;
    if (this.ended) {
      up.reset('local_reset');
      return;
    }
    this.#up = up;
    const queue = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    up.sendHeaders(this.#head, this.sent && queue.length === 0);
    for (let i = 0; i < queue.length; i++) {
      const item = queue[i]!;
      if (Buffer.isBuffer(item)) up.sendData(item, this.sent && i === queue.length - 1);
      else up.sendTrailers(item);
    }
    // a copy that cannot keep up is given up, never waited for
    up.setWatermarkListener((above) => {
      if (above) this.drop();
    });
  }

  onFailure(): void {
    this.#handle = undefined;
    this.end('failed');
  }

  sendData(chunk: Buffer, endStream: boolean): void {
    if (this.ended || this.sent) return;
    if (endStream) this.sent = true;
    if (this.#up) return this.#up.sendData(chunk, endStream);
    this.#queue.push(chunk);
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes > this.#bufferLimit) this.drop();
  }

  sendTrailers(trailers: HttpHeaders): void {
    if (this.ended || this.sent) return;
    this.sent = true;
    if (this.#up) this.#up.sendTrailers(trailers);
    else this.#queue.push(trailers);
  }

  // the answer, dropped
  onHeaders(_head: HttpResponseHead, endStream: boolean): void {
    if (endStream) this.#answered();
  }
  onData(_chunk: Buffer, endStream: boolean): void {
    if (endStream) this.#answered();
  }
  onTrailers(): void {
    this.#answered();
  }
  onReset(): void {
    this.#up = undefined;
    this.end('failed');
  }

  #answered(): void {
    const up = this.#up;
    if (!this.end('completed')) return;
    this.#up = undefined;
    // answered before the whole request went (an early 413, say): an HTTP/1 connection with half a body is not reused
    if (!this.sent) up?.reset('local_reset');
  }

  protected abort(): void {
    this.#queue = [];
    this.#handle?.cancel();
    this.#handle = undefined;
    const up = this.#up;
    this.#up = undefined;
    up?.reset('local_reset');
  }
}
