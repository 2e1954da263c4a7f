import type { HeaderMap, StreamFilter, StreamFilterFactory, StreamFilterHandler, StreamFilterStatus } from 'mosn';
import type { RequireHeaderConfig } from './config.js';

/** The type name: what a listener's `stream_filters[].type` and a route's `per_filter_config` key say. */
export const FILTER_NAME = 'require_header';

/**
 * The filter factory of one listener, made by mosn once per listener config. `createFilter` runs once per
 * request with the listener's config or the matched route's `per_filter_config.require_header`. The work that
 * depends only on a config (lower-casing the name, the shared filter) is done once per config and kept.
 */
export class RequireHeaderFactory implements StreamFilterFactory<RequireHeaderConfig> {
  readonly name = FILTER_NAME;
  /** After the route, so that a route's per_filter_config applies (before_route filters never see one). */
  readonly phase = 'after_route';
  readonly config: RequireHeaderConfig;
  /** Each config seen (the listener's, each route's) compiled once; configs are frozen, so they can be keys. */
  readonly #rules = new WeakMap<RequireHeaderConfig, HeaderRule>();

  constructor(config: RequireHeaderConfig) {
    this.config = config;
  }

  createFilter(config: RequireHeaderConfig): StreamFilter {
    if (config.disabled) return PASS;
    let rule = this.#rules.get(config);
    if (rule === undefined) this.#rules.set(config, (rule = new HeaderRule(config)));
    // without a response header there is nothing to keep per request: every request shares one filter
    return rule.shared ?? new RequireAndEchoFilter(rule);
  }
}

/** `disabled`: a filter with no methods, which the chain skips. */
const PASS: StreamFilter = {};

/** One config, compiled: what to look for and what to answer. */
class HeaderRule {
  /** The name as configured, then lower-cased if that differs (HTTP stores names lower-cased; RPC as sent). */
  readonly #names: readonly string[];
  readonly #values: readonly string[];
  readonly #status: number;
  readonly responseHeader: string | undefined;
  /** The filter every request of this config shares, when it keeps nothing per request. */
  readonly shared: StreamFilter | undefined;

  constructor(config: RequireHeaderConfig) {
    const lower = config.header.toLowerCase();
    this.#names = lower === config.header ? [lower] : [config.header, lower];
    this.#values = config.values;
    this.#status = config.status;
    this.responseHeader = config.responseHeader;
    this.shared = config.responseHeader === undefined ? new RequireHeaderFilter(this) : undefined;
  }

  /** The request's value when it may go on; undefined when it was answered here. */
  admit(h: StreamFilterHandler, headers: HeaderMap): string | undefined {
    let value: string | undefined;
    for (let i = 0; i < this.#names.length && value === undefined; i++) value = headers.get(this.#names[i]!);
    if (value === undefined) {
      h.sendLocalReply(this.#status, `header ${this.#names[0]} is required`);
      return undefined;
    }
    if (this.#values.length > 0 && !this.#values.includes(value)) {
      h.sendLocalReply(this.#status, `header ${this.#names[0]}: value not allowed`);
      return undefined;
    }
    return value;
  }
}

/** The request side only: stateless, so one instance serves every request of its config. */
class RequireHeaderFilter implements StreamFilter {
  readonly #rule: HeaderRule;

  constructor(rule: HeaderRule) {
    this.#rule = rule;
  }

  onRequestHeaders(h: StreamFilterHandler, headers: HeaderMap): StreamFilterStatus {
    return this.#rule.admit(h, headers) === undefined ? 'stop' : 'continue';
  }
}

/** With `response_header`: keeps the request's value and puts it on the response (one instance per request). */
class RequireAndEchoFilter implements StreamFilter {
  readonly #rule: HeaderRule;
  #value: string | undefined;

  constructor(rule: HeaderRule) {
    this.#rule = rule;
  }

  onRequestHeaders(h: StreamFilterHandler, headers: HeaderMap): StreamFilterStatus {
    this.#value = this.#rule.admit(h, headers);
    return this.#value === undefined ? 'stop' : 'continue';
  }

  onResponseHeaders(_h: StreamFilterHandler, headers: HeaderMap): void {
    if (this.#value !== undefined) headers.set(this.#rule.responseHeader!, this.#value);
  }
}
