import { DEFAULT_GZIP_CONTENT_TYPES, DEFAULT_GZIP_LEVEL, gzipFilterFactory, type GzipConfig } from '@mosn/proxy';
import type { StreamFilterExtension } from './types.js';

/** The largest `content_length` MOSN reads (a uint32). */
const MAX_UINT32 = 0xffff_ffff;

/**
 * `gzip` (MOSN's v2.StreamGzip): `gzip_level` (1-9; 0 or absent: 6), `content_length` (bytes: a response with a
 * smaller `content-length` is not compressed; default 0) and `content_types` (default `["text/html"]`; an empty
 * list compresses nothing, as in MOSN).
 */
export const gzipFilter: StreamFilterExtension<GzipConfig> = {
  perRoute: false,
  read(c) {
    const level = c.num('gzip_level', { min: 0, max: 9 }) || DEFAULT_GZIP_LEVEL;
    const minLength = c.num('content_length', { min: 0, max: MAX_UINT32 }) ?? 0;
    let contentTypes: readonly string[] = DEFAULT_GZIP_CONTENT_TYPES;
    if (c.has('content_types') && c.value('content_types') !== null) {
      contentTypes = c.strings('content_types').map((t) => t.trim().toLowerCase());
      if (contentTypes.length === 0) c.problems.warn(c.at('content_types'), 'an empty list: no response is compressed (as in MOSN)');
    }
    // a near miss MOSN ignores silently (its compressed types stay text/html): say which key it reads
    if (c.has('content_type') && !c.has('content_types')) {
      c.inert(['content_type']);
      c.problems.warn(c.at('content_type'), 'unknown key; ignored: the list of types to compress is "content_types"');
    }
    c.finish();
    return { level, minLength, contentTypes };
  },
  build: (config) => gzipFilterFactory(config),
};
