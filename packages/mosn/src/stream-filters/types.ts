import type { Logger, Stats, StreamFilterFactory } from '@mosn/proxy';
import type { ConfigReader } from '../config/config-reader.js';

/**
 * A stream filter type (`listeners[].stream_filters[].type`), in two steps as every config section: `read` checks
 * a `config` object (a listener's, or a route's `per_filter_config` entry) and returns a plain value; `build` makes
 * the listener's factory from the listener's value, once per listener config.
 */
export interface StreamFilterExtension<C = unknown> {
  read(config: ConfigReader): C | undefined;
  build(config: C, ctx: StreamFilterBuildContext): StreamFilterFactory<C>;
  /** Whether a route's `per_filter_config` entry replaces the config (false for filters that read none). */
  readonly perRoute: boolean;
}

/** What a stream filter's factory may use besides its config: the listener it is made for, its stats and logger. */
export interface StreamFilterBuildContext {
  readonly listenerName: string;
  readonly stats: Stats;
  /** The runtime's logger (for a filter's own lines: a failed JWKS fetch, say). */
  readonly logger: Logger;
  /** The listener's stat prefix, `listener.<name>.` (the catalogue: @mosn/proxy's stats/names.ts). */
  readonly statPrefix: string;
}

/**
 * A stream filter type from an npm package (top-level `third_part_stream_filter`): an extension that carries its
 * type name. The package exports one (as `filter` by default); mosn registers it under `name`, the name a
 * listener's `stream_filters[].type` and a route's `per_filter_config` use. The factories `build` makes carry
 * the same name.
 */
export interface StreamFilterPlugin<C = unknown> extends StreamFilterExtension<C> {
  readonly name: string;
}
