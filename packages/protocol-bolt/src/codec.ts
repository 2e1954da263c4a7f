import type { InternalStatus, XProtocolCodec } from '@mosn/protocol';
import { buildFrame } from './builder.js';
import { decodeFrame } from './decoder.js';
import { encodeFrame } from './encoder.js';
import type { BoltFrame } from './frame.js';
import { BOLT_HIJACK_STATUS, boltStatusToHttp } from './mapping.js';
import { matchBoltV1, matchBoltV2 } from './matcher.js';
import { BoltStatus, CMD_CODE_GOAWAY, CMD_CODE_HEARTBEAT, CMD_CODE_RESPONSE, type BoltVersion } from './types.js';

export interface BoltCodecOptions {
  /** The version this codec is registered for and starts frames in (heartbeats, GoAway). */
  readonly version: BoltVersion;
}

/** The answer to `request`: same id, version, ver1, CRC switch and serializer; no class, header or body. */
function responseTo(request: BoltFrame, cmdCode: number, status: number): BoltFrame {
  return buildFrame({
    version: request.version,
    kind: 'response',
    requestId: request.requestId,
    cmdCode,
    status,
    crc: request.crc,
    codec: request.codec,
  });
}

/**
 * A Bolt codec. Both versions decode v1 and v2 frames alike (as MOSN's do: a connection may mix them)
 * and answer a request in its own version; `version` decides the name, the matcher, and the version of
 * the frames the codec starts itself.
 */
export function createBoltCodec(options: BoltCodecOptions): XProtocolCodec<BoltFrame> {
  const version = options.version;
  const codec = {
    name: version === 1 ? 'bolt' : 'boltv2',
    ...(version === 1 ? { aliases: ['SofaRpc'] } : {}),
    match: version === 1 ? matchBoltV1 : matchBoltV2,
    decode: decodeFrame,
    encode: encodeFrame,
    withRequestId: (frame: BoltFrame, requestId: number) => frame.withRequestId(requestId),
    heartbeatTrigger: (requestId: number) =>
      buildFrame({ version, kind: 'request', requestId, cmdCode: CMD_CODE_HEARTBEAT, timeout: -1 }),
    heartbeatReply: (request: BoltFrame) => responseTo(request, CMD_CODE_HEARTBEAT, BoltStatus.SUCCESS),
    // Bolt's error content is a serialized exception, which mosn never writes: the status alone
    // tells the client (sofa-rpc and sofa-bolt-node raise an error naming it), so `message` is not sent.
    hijack: (request: BoltFrame, status: InternalStatus) =>
      responseTo(request, CMD_CODE_RESPONSE, BOLT_HIJACK_STATUS[status]),
    mapStatusToHttp: boltStatusToHttp,
    // Sent downstream on graceful shutdown only when the listener asks for it (`enable_bolt_goaway`, off by
    // default as in MOSN: older Bolt clients fail on an unknown cmd code).
    goAway: () => buildFrame({ version, kind: 'request', requestId: 0, cmdCode: CMD_CODE_GOAWAY, timeout: 0 }),
  } satisfies XProtocolCodec<BoltFrame>;
  return codec;
}

/** SOFARPC Bolt v1 (`bolt`, alias `SofaRpc`). */
export const boltCodec = createBoltCodec({ version: 1 });

/** SOFARPC Bolt v2 (`boltv2`), with the optional CRC32 trailer. */
export const boltv2Codec = createBoltCodec({ version: 2 });
