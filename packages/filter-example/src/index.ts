/**
 * @mosn/filter-example: a small stream filter for mosn-ts, to copy when writing your own. `filter` is what mosn's
 * `third_part_stream_filter` loader imports (its default `loader_func_name`): a StreamFilterPlugin named
 * `require_header`. It answers a request that lacks a header (or has a value not in a list) with a configured
 * status, in the request's own protocol, and can echo the value on the response.
 *
 * The package has no runtime dependency: it imports only mosn's types, and mosn passes in everything it uses
 * (the config reader, the request's handler and headers).
 */
import type { StreamFilterPlugin } from 'mosn';
import { readRequireHeaderConfig, type RequireHeaderConfig } from './config.js';
import { FILTER_NAME, RequireHeaderFactory } from './require-header.js';

/** The filter type mosn loads: read the JSON config once, build a factory per listener config. */
export const filter: StreamFilterPlugin<RequireHeaderConfig> = {
  name: FILTER_NAME,
  perRoute: true,
  read: readRequireHeaderConfig,
  build: (config) => new RequireHeaderFactory(config),
};

export { filter as requireHeaderFilter };
export { DEFAULT_STATUS, readRequireHeaderConfig, type RequireHeaderConfig } from './config.js';
export { FILTER_NAME, RequireHeaderFactory } from './require-header.js';
