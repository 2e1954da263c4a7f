import type { IoBuffer, MatchResult } from '@mosn/protocol';
import {
  CMD_TYPE_ONEWAY,
  CMD_TYPE_REQUEST,
  CMD_TYPE_RESPONSE,
  PROTO_V1,
  PROTO_V2,
  V2_VER1_CRC,
  V2_VER1_PLAIN,
} from './types.js';

const CMD_TYPES = [CMD_TYPE_RESPONSE, CMD_TYPE_REQUEST, CMD_TYPE_ONEWAY];

/** 'match' when each leading byte is one of the accepted values, 'again' while too few bytes decide. */
function matchLeading(buffer: IoBuffer, accepted: readonly (readonly number[])[]): MatchResult {
  for (let i = 0; i < accepted.length; i++) {
    if (buffer.length <= i) return 'again';
    if (!accepted[i]!.includes(buffer.uint8(i))) return 'no';
  }
  return 'match';
}

/**
 * MOSN matches Bolt on the first byte alone (0x01 v1, 0x02 v2); we also check the bytes that follow
 * (v1: the cmd type; v2: ver1 1 or 2, then the cmd type), which costs nothing and avoids false matches.
 */
export function matchBoltV1(buffer: IoBuffer): MatchResult {
  return matchLeading(buffer, [[PROTO_V1], CMD_TYPES]);
}

export function matchBoltV2(buffer: IoBuffer): MatchResult {
  return matchLeading(buffer, [[PROTO_V2], [V2_VER1_PLAIN, V2_VER1_CRC], CMD_TYPES]);
}
