import type { Logger, Stats, StreamFilterFactory } from '@mosn/proxy';
import type { ConfigReader } from '../config/config-reader.js';

/** What building a listener's stream filter may use: the runtime's stats and logger, and the listener's name. */
export interface StreamFilterBuildContext {
  readonly stats: Stats;
  readonly logger: Logger;
  readonly listenerName: string;
}

/**
 * A stream filter type (`listeners[].stream_filters[].type`), in two steps as every config section: `read` checks
 * a `config` object (a listener's, or a route's `per_filter_config` entry) and returns a plain value; `build` makes
 * the listener's factory from the listener's value, once per listener config.
 */
export interface StreamFilterExtension<C = unknown> {
  read(config: ConfigReader): C | undefined;
  build(config: C, ctx: StreamFilterBuildContext): StreamFilterFactory<C>;
  /** Whether a route's `per_filter_config` entry replaces the config (false for filters that run before the route, or read only the listener's). */
  readonly perRoute: boolean;
}
