import type { InternalStatus, XProtocolCodec } from '@mosn/protocol';
import { buildFrame, encodeErrorBody } from './builder.js';
import { decodeFrame } from './decoder.js';
import { encodeFrame } from './encoder.js';
import type { DubboFrame } from './frame.js';
import { DUBBO_HIJACK, dubboStatusToHttp } from './mapping.js';
import { matchDubbo } from './matcher.js';
import { DubboStatus, HESSIAN_NULL, READONLY_EVENT_BODY } from './types.js';

const NULL_BODY = Buffer.from([HESSIAN_NULL]);
const READONLY_BODY = Buffer.from(READONLY_EVENT_BODY);

/**
 * The Apache Dubbo codec (`dubbo`). Frames keep their wire bytes; a hessian2 request's routing keys are
 * read lazily from its body; a re-encode patches the 8-byte request id unless a filter changed the
 * header map. mosn's own frames (heartbeats, hijack answers, readonly events) are hessian2.
 */
export const dubboCodec = {
  name: 'dubbo',
  match: matchDubbo,
  decode: decodeFrame,
  encode: encodeFrame,
  withRequestId: (frame: DubboFrame, requestId: number) => frame.withRequestId(requestId),
  /** A two-way heartbeat event request (flag 0xe2), body hessian2 null, as Dubbo's HeartbeatTimerTask. */
  heartbeatTrigger: (requestId: number) => buildFrame({ kind: 'request', requestId, event: true, body: NULL_BODY }),
  /** The event response (flag 0x22, status 20, body null) with the request's id. */
  heartbeatReply: (request: DubboFrame) =>
    buildFrame({ kind: 'response', requestId: request.requestId, event: true, status: DubboStatus.OK, body: NULL_BODY }),
  /** A hessian2 response (flag 0x02) with the mapped status and `message` (or MOSN's) as a hessian2 string. */
  hijack: (request: DubboFrame, status: InternalStatus, message?: string) => {
    const answer = DUBBO_HIJACK[status];
    return buildFrame({ kind: 'response', requestId: request.requestId, status: answer.status, body: encodeErrorBody(message ?? answer.message) });
  },
  mapStatusToHttp: dubboStatusToHttp,
  /**
   * Dubbo's readonly event (flag 0xa2, one-way, body "R"), which a Dubbo server sends its clients when it
   * shuts down: they stop sending on the connection. Sent only when the listener asks for GoAway.
   */
  goAway: () => buildFrame({ kind: 'request', requestId: 0, twoWay: false, event: true, body: READONLY_BODY }),
} satisfies XProtocolCodec<DubboFrame>;
