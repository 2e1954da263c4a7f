import { DEFAULT_ORIGINAL_DST_CLEANUP_MS, MAX_ORIGINAL_DST_HOSTS, type OriginalDstConfig } from '@mosn/proxy';
import type { ConfigReader } from './config-reader.js';

/** `original_dst_lb_config` (`use_header`, `header_name`, `replace_local`) and mosn-ts's `cleanup_interval`. */
export function readOriginalDst(c: ConfigReader): OriginalDstConfig {
  const o = c.obj('original_dst_lb_config');
  const useHeader = o?.bool('use_header') ?? false;
  const headerName = (o?.str('header_name') || 'host').toLowerCase();
  const replaceLocal = o?.bool('replace_local') ?? false;
  o?.finish();
  const cleanupIntervalMs = c.duration('cleanup_interval', { numberUnit: 'ns' }) || DEFAULT_ORIGINAL_DST_CLEANUP_MS;
  return { useHeader, headerName, replaceLocal, cleanupIntervalMs, maxHosts: MAX_ORIGINAL_DST_HOSTS };
}
