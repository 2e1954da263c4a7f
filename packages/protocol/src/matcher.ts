import type { IoBuffer } from '@mosn/net';

/** A protocol's answer to the first bytes of a connection. */
export type MatchResult = 'match' | 'again' | 'no';

/** Recognises a protocol from the first bytes of a connection. */
export interface ProtocolMatcher {
  readonly name: string;
  match(buffer: IoBuffer): MatchResult;
}

export type DetectResult = { protocol: string } | 'again' | 'no';

/**
 * Detect the protocol from the first bytes. Candidates are tried in the order given (the registry keeps
 * HTTP/2's preface first, then HTTP/1's methods, then binary magics); the first 'match' wins. If none
 * matches but one needs more bytes, the answer is 'again'.
 */
export function detectProtocol(buffer: IoBuffer, candidates: readonly ProtocolMatcher[]): DetectResult {
  let again = false;
  for (const m of candidates) {
    const r = m.match(buffer);
    if (r === 'match') return { protocol: m.name };
    if (r === 'again') again = true;
  }
  return again ? 'again' : 'no';
}

/** Match a fixed byte prefix: 'again' while the buffer is a shorter prefix of it. */
export function matchPrefix(buffer: IoBuffer, prefix: Buffer | readonly number[]): MatchResult {
  const n = Math.min(buffer.length, prefix.length);
  for (let i = 0; i < n; i++) if (buffer.uint8(i) !== prefix[i]) return 'no';
  return n === prefix.length ? 'match' : 'again';
}
