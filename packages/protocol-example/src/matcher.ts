import { matchPrefix, type IoBuffer, type MatchResult } from '@mosn/protocol';
import { MAGIC, VERSION } from './types.js';

const PREFIX = [...MAGIC, VERSION];

/** 'match' on 'XE' then version 1; 'again' while the first bytes are a shorter prefix of that. */
export function matchExample(buffer: IoBuffer): MatchResult {
  return matchPrefix(buffer, PREFIX);
}
