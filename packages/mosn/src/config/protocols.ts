import type { ProtocolEntry } from '@mosn/proxy';
import type { Extensions } from '../extensions.js';
import type { ConfigReader } from './config-reader.js';

/** Protocols a listener can serve today, by protocol kind. */
const SERVED_KINDS = new Set(['http1', 'http2', 'xprotocol']);

/** Protocols MOSN has that mosn-ts does not serve yet: named as such, not as unknown. */
const MOSN_PROTOCOLS_NOT_YET = ['dubbothrift', 'tars', 'Http3', 'grpc'];

/** `Auto`, `X` and an empty name all mean "decided per connection / by the downstream". */
export function isWildcardProtocol(name: string): boolean {
  const n = name.toLowerCase();
  return n === '' || n === 'auto' || n === 'x';
}

/** The protocols mosn-ts serves downstream and upstream (registered, with an upstream pool). */
export function servedProtocols(ext: Extensions): ProtocolEntry[] {
  return ext.protocols.entries().filter((e) => SERVED_KINDS.has(e.kind) && ext.pools.has(e.name.toLowerCase()));
}

/** The served protocol called `name` (case-insensitive); a problem at `r.at(key)` when there is none. */
export function resolveProtocol(r: ConfigReader, key: string, name: string, ext: Extensions, served = servedProtocols(ext)): ProtocolEntry | undefined {
  const known = ['Auto', ...served.map((e) => e.name)].join(', ');
  const e = ext.protocols.get(name);
  const later = MOSN_PROTOCOLS_NOT_YET.some((m) => m.toLowerCase() === name.toLowerCase());
  if (!e && later) r.problems.error(r.at(key), `protocol "${name}" is not supported by mosn-ts yet; supported: ${known}`);
  else if (!e) r.problems.error(r.at(key), `unknown protocol "${name}"; known: ${known}`);
  else if (!served.includes(e)) r.problems.error(r.at(key), `protocol "${name}" is not supported by mosn-ts yet; supported: ${known}`);
  else return e;
  return undefined;
}
