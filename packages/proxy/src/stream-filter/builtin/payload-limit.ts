import type { HeaderMap } from '@mosn/stream';
import type { StreamFilter, StreamFilterFactory, StreamFilterHandler, StreamFilterStatus } from '../api.js';

/** MOSN's `payload_limit` config (v2.StreamPayloadLimit). */
export interface PayloadLimitConfig {
  /** The largest request body in bytes; 0: no limit. */
  readonly maxEntitySize: number;
  /** The answer to a bigger one (HTTP status; RPC: the protocol's error for it). */
  readonly status: number;
}

export const DEFAULT_PAYLOAD_LIMIT_STATUS = 413;

/**
 * `payload_limit`: a request whose body is larger than `maxEntitySize` is answered with `status` (413) and goes no
 * further, after the route (MOSN's phase). MOSN sees the whole buffered body; mosn-ts streams bodies, so a
 * `content-length` over the limit is answered at once, and a body without one is counted as it comes (if part of
 * it was already sent upstream, that upstream request is reset).
 */
export function payloadLimitFilterFactory(config: PayloadLimitConfig): StreamFilterFactory<PayloadLimitConfig> {
  return {
    name: 'payload_limit',
    phase: 'after_route',
    config,
    createFilter: (c) => (c.maxEntitySize > 0 ? new PayloadLimitFilter(c) : NO_LIMIT),
  };
}

/** `max_entity_size` 0: no limit, nothing to count. */
const NO_LIMIT: StreamFilter = {};

class PayloadLimitFilter implements StreamFilter {
  #config: PayloadLimitConfig;
  #seen = 0;

  constructor(config: PayloadLimitConfig) {
    this.#config = config;
  }

  onRequestHeaders(h: StreamFilterHandler, headers: HeaderMap): StreamFilterStatus {
    const max = this.#config.maxEntitySize;
    if (max <= 0) return 'continue';
    const length = headers.get('content-length');
    if (length === undefined || !(Number(length) > max)) return 'continue';
    this.#reject(h);
    return 'stop';
  }

  onRequestData(h: StreamFilterHandler, data: Buffer): void {
    const max = this.#config.maxEntitySize;
    if (max <= 0) return;
    this.#seen += data.length;
    if (this.#seen > max) this.#reject(h);
  }

  #reject(h: StreamFilterHandler): void {
    h.sendLocalReply(this.#config.status, `request entity too large (limit ${this.#config.maxEntitySize} bytes)`);
  }
}
