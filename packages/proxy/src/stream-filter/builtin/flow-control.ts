import type { HeaderMap } from '@mosn/stream';
import type { Counter, Stats } from '../../stats/stats.js';
import { LISTENER } from '../../stats/names.js';
import type { StreamFilter, StreamFilterFactory, StreamFilterHandler, StreamFilterStatus } from '../api.js';
import { FlowLimiter, type FlowRule } from './flow-limiter.js';
import { normalizedPath } from './normalized-path.js';

/** What an HTTP request's resource is (MOSN's `limit_key_type`): its path, its query string, or both as sent. */
export type FlowLimitKeyType = 'PATH' | 'ARG' | 'URI';

/** MOSN's `flowControlFilter` config (flowcontrol.Config), as mosn-ts acts on it. */
export interface FlowControlConfig {
  /** `global_switch`: false (MOSN's default) makes the filter let every request through. */
  readonly enabled: boolean;
  readonly keyType: FlowLimitKeyType;
  /** The answer to a blocked request: `status` (HTTP; RPC: the protocol's error for it) and `body`. */
  readonly action: { readonly status: number; readonly body: string };
  readonly rules: readonly FlowRule[];
}

/** MOSN's defaults: `api.LimitExceededCode` and `defaultResponse`. */
export const FLOW_CONTROL_DEFAULT_ACTION = { status: 509, body: 'current request is limited' } as const;

/** Where the filter counts (the listener's stats) and, for tests, its clock. */
export interface FlowControlContext {
  readonly stats: Stats;
  /** `listener.<name>.` */
  readonly statPrefix: string;
  readonly now?: () => number;
}

/**
 * `flowControlFilter` (pkg/filter/stream/flowcontrol), after the route: each request's resource (see `resourceOf`)
 * is checked against the rules that name it; one over a rule's threshold in its window is answered with the
 * action and goes no further. Counted per listener: `flow_control_pass` and `flow_control_block` (requests of a
 * resource some rule names; others are not counted). The windows live in the factory: one per listener config.
 */
export function flowControlFilterFactory(config: FlowControlConfig, ctx: FlowControlContext): StreamFilterFactory<FlowControlConfig> {
  const filter =
    config.enabled && config.rules.length > 0
      ? new FlowControlFilter(config, new FlowLimiter(config.rules, ctx.now), {
          pass: ctx.stats.counter(ctx.statPrefix + LISTENER.flow_control_pass),
          block: ctx.stats.counter(ctx.statPrefix + LISTENER.flow_control_block),
        })
      : NO_FLOW_CONTROL;
  // the filter keeps no state of a request: one object serves them all
  return { name: 'flowControlFilter', phase: 'after_route', config, createFilter: () => filter };
}

/** Switched off, or no rules: nothing to check. */
const NO_FLOW_CONTROL: StreamFilter = {};

class FlowControlFilter implements StreamFilter {
  readonly #keyType: FlowLimitKeyType;
  readonly #status: number;
  /** undefined for an empty body: the reply then has none. */
  readonly #body: string | undefined;
  readonly #limiter: FlowLimiter;
  readonly #counters: { readonly pass: Counter; readonly block: Counter };

  constructor(config: FlowControlConfig, limiter: FlowLimiter, counters: { pass: Counter; block: Counter }) {
    this.#keyType = config.keyType;
    this.#status = config.action.status;
    this.#body = config.action.body === '' ? undefined : config.action.body;
    this.#limiter = limiter;
    this.#counters = counters;
  }

  onRequestHeaders(h: StreamFilterHandler, headers: HeaderMap): StreamFilterStatus {
    const resource = resourceOf(h, headers, this.#keyType);
    // no resource (an empty query string, an RPC frame without `service`): MOSN lets it through
    if (resource === undefined || resource === '') return 'continue';
    switch (this.#limiter.check(resource)) {
      case 'unlimited':
        return 'continue';
      case 'pass':
        this.#counters.pass.inc();
        return 'continue';
      case 'block':
        this.#counters.block.inc();
        h.sendLocalReply(this.#status, this.#body);
        return 'stop';
    }
  }
}

/**
 * The resource of a request. HTTP/1 and HTTP/2 (gRPC too) by `limit_key_type`: PATH the normalized path (as
 * MOSN's `request_path`), ARG the query string (without `?`), URI the request target as sent. An RPC request
 * (Bolt, Dubbo, a plug-in codec) by its `service` header, whatever the key type: MOSN finds no resource for
 * them and lets them all through.
 */
function resourceOf(h: StreamFilterHandler, headers: HeaderMap, keyType: FlowLimitKeyType): string | undefined {
  const protocol = h.protocol;
  if (protocol !== 'Http1' && protocol !== 'Http2') return headers.get('service');
  switch (keyType) {
    case 'PATH': {
      const path = h.variable('x-mosn-path');
      return path === undefined ? undefined : normalizedPath(path);
    }
    case 'ARG':
      return h.variable('x-mosn-querystring');
    case 'URI':
      return h.variable(protocol === 'Http1' ? 'Http1_request_uri' : 'Http2_request_uri');
  }
}
