import { ConfigReader } from '../config/config-reader.js';
import type { StreamFilterSpec } from '../config/types.js';
import type { Extensions } from '../extensions.js';
import type { StreamFilterExtension } from './types.js';

/**
 * A listener's `stream_filters`: each entry's `config` read by the extension of its `type`, in order. MOSN's
 * retired types are no-ops with a warning; an unknown type is an error that lists the known ones.
 */
export function readStreamFilters(l: ConfigReader, ext: Extensions): StreamFilterSpec[] {
  const specs: StreamFilterSpec[] = [];
  for (const sf of l.objects('stream_filters')) {
    const type = sf.str('type', { required: true, nonEmpty: true });
    const goPlugin = sf.value('go_plugin_config') != null;
    const extension = type === undefined || goPlugin ? undefined : ext.streamFilters.get(type);
    if (goPlugin) {
      sf.problems.error(sf.at('go_plugin_config'), 'Go plugins (.so) cannot be loaded by mosn-ts; a filter of your own is an npm package: list it in the top-level "third_part_stream_filter": { "filters": [{ "type": "npm", "path": "<package or file>" }] } and give its type name here (docs/filters.md)');
    } else if (type !== undefined && ext.retiredStreamFilters.has(type)) {
      sf.problems.warn(sf.at('type'), `"${type}" is a stream filter MOSN retired; mosn-ts treats it as a no-op`);
    } else if (type !== undefined && !extension) {
      sf.problems.error(sf.at('type'), `stream filter "${type}" is not supported by mosn-ts; supported: ${ext.streamFilters.names().join(', ')}`);
    }
    if (!extension || type === undefined) {
      sf.inert(['config']);
      sf.finish();
      continue;
    }
    const config = readConfigOf(sf, 'config', type, extension);
    sf.finish();
    if (config !== undefined) specs.push({ type, config });
  }
  return specs;
}

/**
 * A route's `per_filter_config`: by filter type, a config that replaces the listener's for requests of this route
 * (MOSN's ReadPerRouteConfig), read now by the filter's own reader. A type mosn-ts does not know is ignored with a
 * warning (MOSN ignores entries no filter reads).
 */
export function readPerFilterConfig(rt: ConfigReader, ext: Extensions): Record<string, unknown> | undefined {
  const pfc = rt.obj('per_filter_config');
  if (!pfc) return undefined;
  const out: Record<string, unknown> = {};
  for (const type of Object.keys(pfc.raw)) {
    const extension = ext.streamFilters.get(type);
    if (!extension) {
      pfc.inert([type]);
      pfc.problems.warn(pfc.at(type), `no stream filter "${type}" in mosn-ts (supported: ${ext.streamFilters.names().join(', ')}); ignored`);
    } else if (!extension.perRoute) {
      pfc.inert([type]);
      pfc.problems.warn(pfc.at(type), `"${type}" reads no per-route config (as in MOSN); ignored`);
    } else {
      const value = readConfigOf(pfc, type, type, extension);
      if (value !== undefined) out[type] = value;
    }
  }
  pfc.finish();
  return Object.keys(out).length > 0 ? out : undefined;
}

/** One filter config object (absent reads as `{}`), read by its extension (called as its method: it may be a class). */
function readConfigOf(r: ConfigReader, key: string, type: string, extension: StreamFilterExtension): unknown {
  const config = r.has(key) && r.value(key) != null ? r.obj(key) : new ConfigReader({}, r.at(key), r.problems);
  if (!config) return undefined;
  try {
    return extension.read(config);
  } catch (e) {
    r.problems.error(r.at(key), `could not be read (a bug in mosn-ts's "${type}" stream filter, please report it): ${(e as Error).message}`);
    return undefined;
  }
}
