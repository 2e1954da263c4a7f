import type { InternalStatus, XProtocolCodec } from '@mosn/protocol';
import { describe, expect, it } from 'vitest';
import { buildRequest } from './builder.js';
import { codec, exampleCodec } from './codec.js';
import type { ExampleFrame } from './frame.js';
import { decodeOne, golden } from './golden.test-support.js';
import { EXAMPLE_HIJACK_STATUS } from './mapping.js';
import { ExampleStatus, MESSAGE_HEADER } from './types.js';

/** Encode a frame and decode it back, as a peer would see it. */
const onTheWire = (f: ExampleFrame) => decodeOne(Buffer.concat(exampleCodec.encode(f)));

describe('exampleCodec', () => {
  it('is the codec mosn loads by default, under the name "example"', () => {
    const c: XProtocolCodec = codec;
    expect(c).toBe(exampleCodec);
    expect(c.name).toBe('example');
    expect(c.goAway).toBeUndefined();
  });

  it('triggers heartbeats and answers them with the same id', () => {
    expect(exampleCodec.encode(exampleCodec.heartbeatTrigger(1))).toEqual([golden.heartbeat]);
    const trigger = onTheWire(exampleCodec.heartbeatTrigger(0x1234));
    expect([trigger.kind, trigger.isHeartbeat(), trigger.requestId]).toEqual(['request', true, 0x1234]);
    const reply = onTheWire(exampleCodec.heartbeatReply(trigger));
    expect([reply.kind, reply.isHeartbeat(), reply.requestId, reply.status]).toEqual(['response', true, 0x1234, ExampleStatus.OK]);
  });

  it('hijacks a request with the mapped status, its id and the reason in the message header', () => {
    const request = buildRequest({ requestId: 42, header: { service: 'nowhere' } });
    const answers = Object.keys(EXAMPLE_HIJACK_STATUS).map((s) => {
      const r = onTheWire(exampleCodec.hijack(request, s as InternalStatus, `because\n${s}`));
      return [s, r.kind, r.requestId, r.status, r.header.get(MESSAGE_HEADER), r.isHeartbeat()];
    });
    expect(answers).toEqual([
      ['no_route', 'response', 42, ExampleStatus.NOT_FOUND, 'because no_route', false],
      ['no_healthy_upstream', 'response', 42, ExampleStatus.UNAVAILABLE, 'because no_healthy_upstream', false],
      ['connect_failed', 'response', 42, ExampleStatus.UNAVAILABLE, 'because connect_failed', false],
      ['upstream_reset', 'response', 42, ExampleStatus.UNAVAILABLE, 'because upstream_reset', false],
      ['upstream_overflow', 'response', 42, ExampleStatus.BUSY, 'because upstream_overflow', false],
      ['timeout', 'response', 42, ExampleStatus.TIMEOUT, 'because timeout', false],
      ['codec_error', 'response', 42, ExampleStatus.BAD_REQUEST, 'because codec_error', false],
      ['internal_error', 'response', 42, ExampleStatus.INTERNAL, 'because internal_error', false],
    ]);
    expect(onTheWire(exampleCodec.hijack(request, 'timeout')).header.size).toBe(0);
  });

  it('maps response statuses to HTTP statuses for metrics, and each hijack status back to its MOSN code', () => {
    expect(Object.values(ExampleStatus).map((s) => exampleCodec.mapStatusToHttp(s))).toEqual([200, 500, 404, 502, 503, 504, 400, 500]);
    expect(exampleCodec.mapStatusToHttp(999)).toBe(500);
    expect(exampleCodec.mapStatusToHttp(EXAMPLE_HIJACK_STATUS.no_route)).toBe(404);
    expect(exampleCodec.mapStatusToHttp(EXAMPLE_HIJACK_STATUS.timeout)).toBe(504);
  });

  it('withRequestId shares the bytes and the header map', () => {
    const f = decodeOne(golden.request);
    const g = exampleCodec.withRequestId(f, 99);
    expect([g.requestId, f.requestId, g.raw === f.raw, g.header === f.header, g.body === f.body]).toEqual([99, 7, true, true, true]);
  });
});
