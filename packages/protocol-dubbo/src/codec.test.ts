import { IoBuffer, ProtocolRegistry, type InternalStatus } from '@mosn/protocol';
import hessian from 'hessian.js';
import { describe, expect, it } from 'vitest';
import { dubboCodec } from './codec.js';
import type { DubboFrame } from './frame.js';
import { decodeOne, encoded, feedInChunks, golden } from './golden.test-support.js';
import { DubboStatus } from './types.js';

const SERVICE = 'com.alipay.test.DubboTestService';

type Expect = Partial<Record<'kind' | 'requestId' | 'flag' | 'status' | 'serializationId' | 'twoWay' | 'event', unknown>> & {
  route?: { dubbo: string; service: string; version: string; method: string };
  heartbeat?: boolean;
};

const route = (method: string) => ({ dubbo: '2.0.2', service: SERVICE, version: '1.0.0', method });

const expected: Record<string, Expect> = {
  request_echo: { kind: 'request', requestId: 1, flag: 0xc2, twoWay: true, event: false, serializationId: 2, route: route('echo') },
  response_echo_value_with_attachments: { kind: 'response', requestId: 1, flag: 0x02, status: 20 },
  request_plus_Integer: { kind: 'request', requestId: 2, flag: 0xc2, route: route('plus') },
  response_plus: { kind: 'response', requestId: 2, status: 20 },
  request_nothing: { kind: 'request', requestId: 3, flag: 0xc2, route: route('nothing') },
  response_null_with_attachments: { kind: 'response', requestId: 3, status: 20 },
  heartbeat_request_handmade: { kind: 'request', requestId: 77, flag: 0xe2, twoWay: true, event: true, heartbeat: true },
  heartbeat_response_java_style: { kind: 'response', requestId: 77, flag: 0x22, status: 20, event: true, heartbeat: true },
  response_value_no_attachments_handmade: { kind: 'response', requestId: 1, status: 20 },
  response_status60_handmade: { kind: 'response', requestId: 1, status: 60 },
};

const NEW_IDS = [0, 42, 0xffffffff, 2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER];

describe('golden Dubbo frames', () => {
  it('covers every Dubbo frame in the fixture file', () => {
    expect(Object.keys(golden).sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [name, bytes] of Object.entries(golden)) {
    describe(name, () => {
      it('decodes with the expected fields and routing keys', () => {
        const f = decodeOne(bytes);
        const { route, heartbeat, ...fields } = expected[name]!;
        for (const [k, v] of Object.entries(fields)) expect(f[k as keyof DubboFrame], k).toEqual(v);
        expect(f.isHeartbeat()).toBe(heartbeat === true);
        expect(f.isOneWay()).toBe(false);
        expect(f.isGoAway()).toBe(false);
        expect(f.routingError).toBeUndefined();
        expect(f.body.length).toBe(bytes.readUInt32BE(12));
        if (route !== undefined) {
          for (const [k, v] of Object.entries(route)) expect(f.header.get(k), k).toBe(v);
          expect(f.header.get('group')).toBeUndefined();
          expect(f.header.get('interface')).toBe(SERVICE);
          expect(f.header.get('application')).toBe('dubbo-js');
        } else {
          expect(f.header.size).toBe(0);
        }
        if (f.kind === 'request') expect(f.status).toBeUndefined();
      });

      it('re-encodes byte for byte, also with the same id set again and after reading every key', () => {
        const f = decodeOne(bytes);
        expect(encoded(f).equals(bytes)).toBe(true);
        expect(encoded(dubboCodec.withRequestId(f, f.requestId)).equals(bytes)).toBe(true);
        f.header.forEach(() => {});
        expect(encoded(f).equals(bytes)).toBe(true);
      });

      it('decodes when split into 1-byte chunks', () => {
        const frames = feedInChunks(bytes, 1);
        expect(frames).toHaveLength(1);
        expect(encoded(frames[0] as DubboFrame).equals(bytes)).toBe(true);
      });

      it('patches new 8-byte request ids and leaves the decoded bytes alone', () => {
        const f = decodeOne(bytes);
        const copy = Buffer.from(bytes);
        for (const id of NEW_IDS) {
          const out = encoded(dubboCodec.withRequestId(f, id));
          expect(out.length).toBe(bytes.length);
          expect(out.readBigUInt64BE(4)).toBe(BigInt(id));
          expect(out.subarray(0, 4).equals(bytes.subarray(0, 4))).toBe(true);
          expect(out.subarray(12).equals(bytes.subarray(12))).toBe(true);
          const back = decodeOne(out);
          expect(back.requestId).toBe(id);
          if (f.kind === 'request' && !f.event) expect(back.header.get('method')).toBe(f.header.get('method'));
          expect(encoded(dubboCodec.withRequestId(back, f.requestId)).equals(bytes)).toBe(true);
        }
        expect(f.raw.equals(copy)).toBe(true);
        expect(f.requestId).toBe(expected[name]!.requestId);
      });
    });
  }

  it('decodes all frames back to back from one stream, in 7-byte chunks', () => {
    const all = Buffer.concat(Object.values(golden));
    const frames = feedInChunks(all, 7) as DubboFrame[];
    expect(frames.map((f) => f.requestId)).toEqual(Object.values(expected).map((e) => e.requestId));
    expect(frames.map((f) => f.header.get('method'))).toEqual(Object.values(expected).map((e) => e.route?.method));
    expect(Buffer.concat(frames.flatMap((f) => dubboCodec.encode(f))).equals(all)).toBe(true);
  });
});

describe('heartbeats, hijack, readonly events', () => {
  it('answers the handmade heartbeat exactly as a Java provider does', () => {
    const hb = decodeOne(golden.heartbeat_request_handmade!);
    expect(encoded(dubboCodec.heartbeatReply(hb)).equals(golden.heartbeat_response_java_style!)).toBe(true);
  });

  it('triggers two-way hessian2 heartbeat events (flag 0xe2, body null), with 8-byte ids', () => {
    for (const id of [77, 2 ** 33 + 1]) {
      const t = encoded(dubboCodec.heartbeatTrigger(id));
      expect(t.subarray(0, 4).toString('hex')).toBe('dabbe200');
      expect(t.readBigUInt64BE(4)).toBe(BigInt(id));
      expect(t.subarray(12).toString('hex')).toBe('000000014e');
      const back = decodeOne(t);
      expect([back.kind, back.requestId, back.isHeartbeat(), back.isOneWay(), back.header.get('service')]).toEqual(['request', id, true, false, undefined]);
      expect(decodeOne(encoded(dubboCodec.heartbeatReply(back))).requestId).toBe(id);
    }
    expect(encoded(dubboCodec.heartbeatTrigger(77)).equals(golden.heartbeat_request_handmade!)).toBe(true);
  });

  const table: [InternalStatus, number, string][] = [
    ['no_route', DubboStatus.SERVICE_NOT_FOUND, '404|router unavailable'],
    ['no_healthy_upstream', DubboStatus.SERVICE_NOT_FOUND, '502|no health upstream'],
    ['connect_failed', DubboStatus.SERVICE_NOT_FOUND, '502|no health upstream'],
    ['upstream_reset', DubboStatus.SERVICE_NOT_FOUND, '502|no health upstream'],
    ['upstream_overflow', DubboStatus.BAD_REQUEST, '503|upstream overflow'],
    ['timeout', DubboStatus.CLIENT_TIMEOUT, '504|timeout'],
    ['codec_error', DubboStatus.SERVICE_ERROR, '0|codec exception'],
    ['internal_error', DubboStatus.SERVICE_ERROR, '500|internal error'],
  ];
  it.each(table)('hijack %s answers status %i with the request id and a hessian2 message', (status, dubbo, fallback) => {
    for (const id of [1, 2 ** 40]) {
      const req = dubboCodec.withRequestId(decodeOne(golden.request_echo!), id);
      const res = decodeOne(encoded(dubboCodec.hijack(req, status, 'no route for com.alipay.test.DubboTestService 你好')));
      expect([res.kind, res.requestId, res.status, res.flag, res.isHeartbeat()]).toEqual(['response', id, dubbo, 0x02, false]);
      expect(hessian.decode(res.body, '2.0')).toBe('no route for com.alipay.test.DubboTestService 你好');
      const plain = decodeOne(encoded(dubboCodec.hijack(req, status)));
      expect(hessian.decode(plain.body, '2.0')).toBe(fallback);
    }
  });

  it('hijack bodies carry long messages as hessian.js reads them', () => {
    const message = 'x'.repeat(70_000) + 'ü';
    const res = decodeOne(encoded(dubboCodec.hijack(decodeOne(golden.request_plus_Integer!), 'timeout', message)));
    expect(hessian.decode(res.body, '2.0')).toBe(message);
  });

  it('maps Dubbo statuses to HTTP', () => {
    const map = (s: number) => dubboCodec.mapStatusToHttp(s);
    expect([20, 30, 31, 60, 100, 40, 50, 70, 80, 90, 0].map(map)).toEqual([200, 504, 504, 404, 503, 500, 500, 500, 500, 500, 500]);
  });

  it('builds a readonly event (flag 0xa2, body "R") as GoAway, which is neither a heartbeat nor answered', () => {
    const bytes = encoded(dubboCodec.goAway());
    expect(bytes.toString('hex')).toBe('dabba200' + '0000000000000000' + '00000002' + '0152');
    const g = decodeOne(bytes);
    expect([g.isGoAway(), g.isHeartbeat(), g.isOneWay(), g.kind, g.event, g.routingError]).toEqual([true, false, true, 'request', true, undefined]);
    expect(hessian.decode(g.body, '2.0')).toBe('R');
  });
});

describe('registration', () => {
  it('registers as dubbo and is detected by its magic after HTTP', () => {
    const r = ProtocolRegistry.withHttp();
    r.registerCodec(dubboCodec);
    expect(r.get('Dubbo')?.name).toBe('dubbo');
    const detect = (bytes: Buffer) => {
      const b = new IoBuffer();
      b.append(bytes);
      return r.entries().find((e) => e.matcher.match(b) === 'match')?.name;
    };
    expect(detect(golden.request_echo!)).toBe('dubbo');
    expect(detect(Buffer.from('GET / HTTP/1.1\r\n'))).toBe('Http1');
  });
});
