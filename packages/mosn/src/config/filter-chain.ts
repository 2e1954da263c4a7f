import type { Extensions, FilterReadContext } from '../extensions.js';
import { ConfigReader } from './config-reader.js';
import { readFilterChainTls, type TlsReadOptions } from './tls-context.js';
import type { NetworkFilterSpec, TlsContextSpec } from './types.js';

/**
 * Network filters that end a chain: they consume every byte, so a filter after them never sees data
 * (MOSN's proxy passes bytes on only with `fallback_for_unknown_protocol`, which mosn-ts does not support).
 */
const TERMINAL_NETWORK_FILTERS = new Set(['proxy', 'tcp_proxy']);
/** Network filters MOSN retired: it logs a warning and installs nothing. */
const RETIRED_NETWORK_FILTERS = new Set(['connection_manager']);
export const NOT_USED_BY_MOSN = 'MOSN does not use this key either; ignored';

/**
 * A listener's `filter_chains` (one chain: chain matching is not supported): its TLS contexts (`tls_context` or
 * `tls_context_set`) and its network filters, each read by the extension of its `type`, in order.
 */
export function readFilterChains(l: ConfigReader, ctx: FilterReadContext, tls: TlsReadOptions): { filters: NetworkFilterSpec[]; tls: TlsContextSpec[] } {
  const filters: NetworkFilterSpec[] = [];
  const contexts: TlsContextSpec[] = [];
  const chains = l.objects('filter_chains');
  if (chains.length > 1) l.problems.error(l.at('filter_chains'), 'more than one filter chain (chain matching) is not supported by mosn-ts yet');
  for (const fc of chains) {
    contexts.push(...readFilterChainTls(fc, tls));
    fc.ignore(['match'], NOT_USED_BY_MOSN);
    let terminal: string | undefined;
    for (const f of fc.objects('filters', { nonEmpty: true })) {
      const type = f.str('type', { required: true, nonEmpty: true });
      if (type !== undefined && isFilterAccepted(f, type, terminal, ctx.extensions)) {
        if (TERMINAL_NETWORK_FILTERS.has(type)) terminal = type;
        const spec = readFilter(f, type, ctx);
        if (spec) filters.push(spec);
        continue;
      }
      f.value('config');
      f.finish();
    }
    fc.finish();
  }
  if (chains.length === 0) l.problems.error(l.at('filter_chains'), 'is required: expected one filter chain with at least one filter');
  return { filters, tls: contexts };
}

/** Whether a filter of `type` is read here: registered, not retired (a warning), not after a terminal filter (an error). */
function isFilterAccepted(f: ConfigReader, type: string, terminal: string | undefined, ext: Extensions): boolean {
  if (RETIRED_NETWORK_FILTERS.has(type)) {
    f.problems.warn(f.at('type'), `"${type}" is a network filter MOSN retired (it installs nothing); mosn-ts treats it as a no-op. Routes belong in servers[].routers`);
  } else if (!ext.networkFilters.has(type)) {
    f.problems.error(f.at('type'), `network filter "${type}" is not supported by mosn-ts yet; supported: ${ext.networkFilters.names().join(', ')}`);
  } else if (terminal !== undefined) {
    f.problems.error(
      f.at('type'),
      `"${type}" after "${terminal}" would never receive data: "${terminal}" ends the chain (passing unknown protocols on to the next filter, MOSN's fallback_for_unknown_protocol, is not supported by mosn-ts yet)`,
    );
  } else return true;
  return false;
}

/** One filter's `config`, read by its extension (a missing config reads as `{}`). */
function readFilter(f: ConfigReader, type: string, ctx: FilterReadContext): NetworkFilterSpec | undefined {
  const config = f.has('config') ? f.obj('config') : new ConfigReader({}, f.at('config'), f.problems);
  f.finish();
  if (!config) return undefined;
  try {
    const value: unknown = ctx.extensions.networkFilters.get(type)!.read(config, ctx);
    return value === undefined ? undefined : { type, config: value };
  } catch (e) {
    f.problems.error(f.at('config'), `could not be read (a bug in mosn-ts's "${type}" filter, please report it): ${(e as Error).message}`);
    return undefined;
  }
}
