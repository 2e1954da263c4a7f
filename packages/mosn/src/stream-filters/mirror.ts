import { mirrorFilterFactory, type MirrorConfig } from '@mosn/proxy';
import type { StreamFilterExtension } from './types.js';

/** The most copies of one request `amplification` may ask for: each copy is a request to the mirror cluster. */
export const MAX_AMPLIFICATION = 100;

/**
 * `mirror` (MOSN's): `amplification` (copies per mirrored request, 1 by default) and `broadcast` (a copy to each
 * healthy host, the request answered 200). Which requests, and to which cluster, is the route's
 * `request_mirror_policies`.
 */
export const mirrorFilter: StreamFilterExtension<MirrorConfig> = {
  perRoute: true,
  read(c) {
    const amplification = c.num('amplification', { min: 1, max: MAX_AMPLIFICATION }) ?? 1;
    const broadcast = c.bool('broadcast') ?? false;
    c.finish();
    return { amplification, broadcast };
  },
  build: (config) => mirrorFilterFactory(config),
};
