import {
  Http1ServerConnection,
  Http2ServerConnection,
  XServerConnection,
  detectProtocol,
  type Connection,
  type FilterStatus,
  type IoBuffer,
  type NetworkFilterFactory,
  type ProtocolEntry,
  type ReadFilter,
} from '@mosn/stream';
import type { ProxyContext } from './context.js';
import { DownstreamRequest } from './http/downstream.js';
import { logProtocolError } from './common/failure-log.js';
import { RpcProxy } from './rpc/rpc-request.js';
import { listenerCounters, type ListenerCounters } from './stats/counters.js';

export interface ProxyFilterConfig {
  /** The protocols this listener accepts. */
  downstream: readonly ProtocolEntry[];
  /** Detect the protocol by first bytes (`Auto` or a list), even when one protocol is a candidate. */
  detect: boolean;
  /** Request head limit for HTTP/1 (`extend_config.Http1.max_header_size`). */
  maxHeaderSize?: number;
  /** HTTP/1 request head deadline from its first byte (`extend_config.http1.request_headers_timeout`); 0 disables. */
  requestHeadersTimeoutMs?: number;
  /** Largest RPC frame (`extend_config.max_frame_size`). */
  maxFrameSize?: number;
  /** Send Bolt GoAway downstream on graceful shutdown (`extend_config.bolt.enable_bolt_goaway`). */
  goAway?: boolean;
}

/** Feeds a downstream connection's bytes to its protocol's server stream connection. */
interface ServerConnection {
  onData(buffer: IoBuffer, endStream: boolean): void;
}

/**
 * The `proxy` network filter: detects the downstream protocol (or takes the configured one), creates the
 * server stream connection for it, and runs each request through a DownstreamRequest.
 */
export class ProxyFilterFactory implements NetworkFilterFactory {
  readonly config: ProxyFilterConfig;
  readonly context: ProxyContext;
  #rpc: RpcProxy | undefined;
  #counters: ListenerCounters | undefined;
  constructor(config: ProxyFilterConfig, context: ProxyContext) {
    this.config = config;
    this.context = context;
  }
  /** What this listener's RPC requests share (made on the first RPC connection). */
  get rpc(): RpcProxy {
    return (this.#rpc ??= new RpcProxy(this.context, this.counters));
  }
  /** This listener's counters, HTTP's and RPC's (resolved on the first connection). */
  get counters(): ListenerCounters {
    return (this.#counters ??= listenerCounters(this.context.stats, this.context.statPrefix));
  }
  createFilterChain(connection: Connection): void {
    connection.addReadFilter(new ProxyFilter(this, connection));
  }
}

class ProxyFilter implements ReadFilter {
  #factory: ProxyFilterFactory;
  #conn: Connection;
  #server: ServerConnection | undefined;

  constructor(factory: ProxyFilterFactory, conn: Connection) {
    this.#factory = factory;
    this.#conn = conn;
  }

  onData(buffer: IoBuffer, endStream: boolean): FilterStatus {
    if (this.#server === undefined) {
      const entry = this.#detect(buffer, endStream);
      if (entry === undefined) return 'stop';
      this.#server = this.#createServer(entry);
    }
    this.#server.onData(buffer, endStream);
    return 'stop';
  }

  #detect(buffer: IoBuffer, endStream: boolean): ProtocolEntry | undefined {
    const candidates = this.#factory.config.downstream;
    if (!this.#factory.config.detect) return candidates[0];
    const r = detectProtocol(buffer, candidates.map((c) => c.matcher));
    if (r === 'again' && !endStream) return undefined;
    if (typeof r === 'object') return candidates.find((c) => c.name === r.protocol);
    this.#factory.counters.downstream_protocol_detect_failed.inc();
    logProtocolError(
      this.#conn,
      { firstBytes: buffer.peek(16).toString('hex'), candidates: candidates.map((c) => c.name) },
      'cannot detect the downstream protocol; closing the connection',
    );
    buffer.clear();
    this.#conn.close('now', 'protocol_error');
    return undefined;
  }

  #createServer(entry: ProtocolEntry): ServerConnection {
    const ctx = this.#factory.context;
    switch (entry.kind) {
      case 'http1':
        return new Http1ServerConnection(
          this.#conn,
          { onNewStream: (stream) => new DownstreamRequest(ctx, stream, this.#factory.counters) },
          {
            ...(this.#factory.config.maxHeaderSize !== undefined ? { maxHeaderSize: this.#factory.config.maxHeaderSize } : {}),
            ...(this.#factory.config.requestHeadersTimeoutMs !== undefined ? { requestHeadersTimeoutMs: this.#factory.config.requestHeadersTimeoutMs } : {}),
            onProtocolError: (err) => {
              this.#factory.counters.downstream_protocol_error.inc();
              logProtocolError(this.#conn, { code: err.code, reason: err.reason }, 'bad HTTP/1 request; closing the connection');
            },
            onHeadersTimeout: () => {
              this.#factory.counters.downstream_rq_header_timeout.inc();
              logProtocolError(this.#conn, { bytesRead: this.#conn.bytesRead }, 'HTTP/1 request headers not complete within request_headers_timeout; closing the connection');
            },
          },
        );
      case 'http2':
        return new Http2ServerConnection(
          this.#conn,
          { onNewStream: (stream) => new DownstreamRequest(ctx, stream, this.#factory.counters) },
          {
            onProtocolError: (err) => {
              this.#factory.counters.downstream_protocol_error.inc();
              logProtocolError(this.#conn, { error: err.message }, 'bad HTTP/2 connection; closing it');
            },
          },
        );
      case 'xprotocol': {
        const cfg = this.#factory.config;
        const rpc = this.#factory.rpc;
        return new XServerConnection(
          this.#conn,
          entry.codec,
          { onRequest: (request, server) => rpc.onRequest(server, request) },
          {
            ...(cfg.maxFrameSize !== undefined ? { maxFrameSize: cfg.maxFrameSize } : {}),
            goAway: cfg.goAway ?? false,
            onProtocolError: (message) => {
              this.#factory.counters.downstream_protocol_error.inc();
              logProtocolError(this.#conn, { protocol: entry.name, error: message }, 'bad frame; closing the connection');
            },
          },
        );
      }
    }
  }
}
