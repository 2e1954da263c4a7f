import { SimpleHeaderMap, type HeaderMap } from '@mosn/protocol';
import { MAX_HEADER_LENGTH } from './types.js';

const NEWLINE = 0x0a;
const EQUALS = 0x3d;

/**
 * Parse a header section of `key=value\n` lines. Returns undefined when it is malformed: a line without
 * '=' or without its '\n', an empty key, a key given twice.
 */
export function parseHeader(section: Buffer): SimpleHeaderMap | undefined {
  const entries = new Map<string, string>();
  let at = 0;
  while (at < section.length) {
    const nl = section.indexOf(NEWLINE, at);
    if (nl < 0) return undefined;
    const eq = section.indexOf(EQUALS, at);
    if (eq <= at || eq > nl) return undefined;
    const key = section.toString('utf8', at, eq);
    if (entries.has(key)) return undefined;
    entries.set(key, section.toString('utf8', eq + 1, nl));
    at = nl + 1;
  }
  return new SimpleHeaderMap(entries);
}

/** The header section's bytes. Throws a RangeError on a key or value it cannot carry, or a section over 65535 bytes. */
export function serializeHeader(header: HeaderMap): Buffer {
  let text = '';
  header.forEach((value, key) => {
    if (key === '' || key.includes('=') || key.includes('\n') || value.includes('\n')) {
      throw new RangeError(`example: header ${JSON.stringify(key)}=${JSON.stringify(value)} cannot be sent (empty key, '=' in the key or a newline)`);
    }
    text += `${key}=${value}\n`;
  });
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > MAX_HEADER_LENGTH) {
    throw new RangeError(`example: header section of ${bytes.length} bytes is over ${MAX_HEADER_LENGTH}`);
  }
  return bytes;
}
