import { describe, expect, it } from 'vitest';
import { DEFAULT_ORIGINAL_DST_CLEANUP_MS, MAX_ORIGINAL_DST_HOSTS } from '@mosn/proxy';
import { readOriginalDst } from './original-dst.js';
import { readSection } from './testing.js';

describe('readOriginalDst', () => {
  it('has defaults: the host header, the cleanup interval', () => {
    expect(readSection({}, 'c', readOriginalDst).result).toEqual({ useHeader: false, headerName: 'host', replaceLocal: false, cleanupIntervalMs: DEFAULT_ORIGINAL_DST_CLEANUP_MS, maxHosts: MAX_ORIGINAL_DST_HOSTS });
  });

  it('reads original_dst_lb_config (the header name lower-cased) and cleanup_interval', () => {
    const { result, errors, warnings } = readSection({ original_dst_lb_config: { use_header: true, header_name: 'X-Dst', replace_local: true, other: 1 }, cleanup_interval: '10s' }, 'c', readOriginalDst);
    expect(errors).toEqual([]);
    expect(warnings).toEqual(['c.original_dst_lb_config.other: unknown key; ignored']);
    expect(result).toEqual({ useHeader: true, headerName: 'x-dst', replaceLocal: true, cleanupIntervalMs: 10_000, maxHosts: MAX_ORIGINAL_DST_HOSTS });
  });
});
