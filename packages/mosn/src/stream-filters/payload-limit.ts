import { DEFAULT_PAYLOAD_LIMIT_STATUS, payloadLimitFilterFactory, type PayloadLimitConfig } from '@mosn/proxy';
import type { StreamFilterExtension } from './types.js';

/** MOSN's JSON tag for the size has a trailing space (`json:"max_entity_size "`); both spellings are read. */
const MOSN_SIZE_KEY = 'max_entity_size ';

/**
 * `payload_limit` (MOSN's v2.StreamPayloadLimit): `max_entity_size` (bytes; 0: no limit; MOSN's own spelling
 * `"max_entity_size "` also read) and `http_status` (default 413; MOSN sends 0 when unset, which no client reads).
 */
export const payloadLimitFilter: StreamFilterExtension<PayloadLimitConfig> = {
  perRoute: true,
  read(c) {
    const key = c.has('max_entity_size') ? 'max_entity_size' : MOSN_SIZE_KEY;
    if (c.has('max_entity_size') && c.has(MOSN_SIZE_KEY)) c.problems.warn(c.at(MOSN_SIZE_KEY), 'ignored: "max_entity_size" is set too, and wins');
    c.inert([MOSN_SIZE_KEY]);
    const maxEntitySize = c.num(key, { min: 0 }) ?? 0;
    const status = c.num('http_status', { min: 0, max: 599 }) || DEFAULT_PAYLOAD_LIMIT_STATUS;
    if (status < 200) c.problems.error(c.at('http_status'), `expected an HTTP status from 200 to 599, got ${status}`);
    c.finish();
    return { maxEntitySize, status };
  },
  build: (config) => payloadLimitFilterFactory(config),
};
