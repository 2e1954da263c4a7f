import type { InternalStatus, XProtocolCodec } from '@mosn/protocol';
import { buildFrame, buildResponse } from './builder.js';
import { decodeFrame } from './decoder.js';
import { encodeFrame } from './encoder.js';
import type { ExampleFrame } from './frame.js';
import { EXAMPLE_HIJACK_STATUS, exampleStatusToHttp } from './mapping.js';
import { matchExample } from './matcher.js';
import { ExampleStatus, MESSAGE_HEADER } from './types.js';

/**
 * The example protocol's codec: the whole contract in one object, checked by `satisfies`. The protocol
 * has heartbeats (a flag on a request or response) and no GoAway, so `goAway` is left out.
 */
export const exampleCodec = {
  name: 'example',
  match: matchExample,
  decode: decodeFrame,
  encode: encodeFrame,
  withRequestId: (frame: ExampleFrame, requestId: number) => frame.withRequestId(requestId),
  heartbeatTrigger: (requestId: number) => buildFrame({ kind: 'request', requestId, heartbeat: true }),
  heartbeatReply: (request: ExampleFrame) =>
    buildFrame({ kind: 'response', requestId: request.requestId, heartbeat: true, status: ExampleStatus.OK }),
  // Unlike Bolt, this protocol can say why: the reason goes into the `message` header.
  hijack: (request: ExampleFrame, status: InternalStatus, message?: string) =>
    buildResponse(request.requestId, {
      status: EXAMPLE_HIJACK_STATUS[status],
      header: message === undefined ? [] : [[MESSAGE_HEADER, message.replaceAll('\n', ' ')]],
    }),
  mapStatusToHttp: exampleStatusToHttp,
} satisfies XProtocolCodec<ExampleFrame>;

/** The export mosn's `third_part_codec` loader looks for by default (`loader_func_name`). */
export const codec = exampleCodec;
