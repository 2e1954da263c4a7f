import { DecodeError, IoBuffer, ProtocolRegistry, type InternalStatus } from '@mosn/protocol';
import { describe, expect, it } from 'vitest';
import { boltCodec, boltv2Codec, createBoltCodec } from './codec.js';
import type { BoltFrame } from './frame.js';
import { decodeOne, feedInChunks, golden, LIMITS } from './golden.test-support.js';
import { BoltStatus } from './types.js';

const SERVICE = 'com.alipay.test.TestService:1.0';
const REQUEST_CLASS = 'com.alipay.sofa.rpc.core.request.SofaRequest';
const RESPONSE_CLASS = 'com.alipay.sofa.rpc.core.response.SofaResponse';

const encode = (f: BoltFrame) => Buffer.concat(boltCodec.encode(f));

type Expect = Partial<Record<'kind' | 'requestId' | 'version' | 'cmdType' | 'cmdCode' | 'timeoutMs' | 'status' | 'className' | 'crc', unknown>> & {
  service?: string | undefined;
  heartbeat?: boolean;
};

const expected: Record<string, Expect> = {
  v1_request_echo: { kind: 'request', requestId: 1, version: 1, cmdType: 1, cmdCode: 1, timeoutMs: 1000, className: REQUEST_CLASS, service: SERVICE, crc: false },
  v1_response_echo: { kind: 'response', requestId: 1, version: 1, cmdType: 0, cmdCode: 2, status: 0, className: RESPONSE_CLASS, service: undefined },
  v1_request_plus: { kind: 'request', requestId: 2, version: 1, cmdType: 1, cmdCode: 1, timeoutMs: 1000, service: SERVICE },
  v1_response_plus: { kind: 'response', requestId: 2, version: 1, status: 0, className: RESPONSE_CLASS },
  v2_crc_request_plus: { kind: 'request', requestId: 7, version: 2, cmdType: 1, cmdCode: 1, timeoutMs: 1000, className: REQUEST_CLASS, service: SERVICE, crc: true },
  v2_crc_response_plus: { kind: 'response', requestId: 7, version: 2, cmdType: 0, cmdCode: 2, status: 0, className: RESPONSE_CLASS, crc: true },
  v1_heartbeat_request_handmade: { kind: 'request', requestId: 100, cmdCode: 0, timeoutMs: 1000, className: '', heartbeat: true },
  v1_heartbeat_ack_from_server: { kind: 'response', requestId: 100, cmdCode: 0, status: 0, heartbeat: true },
};

describe('golden Bolt frames', () => {
  it('covers every Bolt frame in the fixture file', () => {
    expect(Object.keys(golden).sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [name, bytes] of Object.entries(golden)) {
    describe(name, () => {
      it('decodes with the expected fields', () => {
        const f = decodeOne(bytes);
        const { service, heartbeat, ...fields } = expected[name]!;
        for (const [k, v] of Object.entries(fields)) expect(f[k as keyof BoltFrame], k).toEqual(v);
        if ('service' in expected[name]!) expect(f.header.get('service')).toBe(service);
        expect(f.isHeartbeat()).toBe(heartbeat === true);
        expect(f.isOneWay()).toBe(false);
        expect(f.isGoAway()).toBe(false);
        if (f.kind === 'request') expect(f.status).toBeUndefined();
        else expect(f.timeoutMs).toBe(0);
      });

      it('re-encodes byte for byte, also with the same id set again', () => {
        const f = decodeOne(bytes);
        expect(encode(f).equals(bytes)).toBe(true);
        expect(encode(boltCodec.withRequestId(f, f.requestId)).equals(bytes)).toBe(true);
        f.header.forEach(() => {}); // parsing the header map does not change it
        expect(encode(f).equals(bytes)).toBe(true);
      });

      it('decodes when split into 1-byte chunks', () => {
        const frames = feedInChunks(bytes, 1);
        expect(frames).toHaveLength(1);
        expect(encode(frames[0] as BoltFrame).equals(bytes)).toBe(true);
      });

      it('patches a new request id (and CRC) and leaves the decoded bytes alone', () => {
        const f = decodeOne(bytes);
        const copy = Buffer.from(bytes);
        const g = boltCodec.withRequestId(f, 0xfedcba98);
        expect(g.requestId).toBe(0xfedcba98);
        expect(f.requestId).toBe(expected[name]!.requestId);
        const out = encode(g);
        expect(out.length).toBe(bytes.length);
        expect(f.raw.equals(copy)).toBe(true);
        const back = decodeOne(out); // CRC frames must pass the CRC check again
        expect(back.requestId).toBe(0xfedcba98);
        expect(back.body.equals(f.body)).toBe(true);
        expect(encode(boltCodec.withRequestId(back, f.requestId)).equals(bytes)).toBe(true);
      });
    });
  }

  it('decodes all frames back to back from one stream, in 7-byte chunks', () => {
    const all = Buffer.concat(Object.values(golden));
    const frames = feedInChunks(all, 7) as BoltFrame[];
    expect(frames.map((f) => f.requestId)).toEqual(Object.values(expected).map((e) => e.requestId));
    expect(Buffer.concat(frames.flatMap((f) => boltCodec.encode(f))).equals(all)).toBe(true);
  });
});

describe('header changes', () => {
  it('re-serializes a changed header map, keeping class, body, fixed fields and CRC right', () => {
    for (const name of ['v1_request_echo', 'v2_crc_request_plus']) {
      const f = decodeOne(golden[name]!);
      const g = boltCodec.withRequestId(f, 42);
      g.header.set('service', 'other.Service:2.0');
      g.header.set('x-zone', 'gz00a');
      expect(f.header.get('x-zone')).toBe('gz00a'); // one header map, shared
      const back = decodeOne(encode(g));
      expect(back.requestId).toBe(42);
      expect(back.header.get('service')).toBe('other.Service:2.0');
      expect(back.header.get('x-zone')).toBe('gz00a');
      expect(back.className).toBe(f.className);
      expect(back.body.equals(f.body)).toBe(true);
      expect([back.version, back.crc, back.timeoutMs, back.cmdType]).toEqual([f.version, f.crc, f.timeoutMs, f.cmdType]);
    }
  });

  it('a deleted header key is gone after re-encoding', () => {
    const f = decodeOne(golden.v1_request_plus!);
    f.header.delete('service');
    expect(f.header.changed).toBe(true);
    const back = decodeOne(encode(f));
    expect(back.header.size).toBe(0);
    expect(back.raw.length).toBe(golden.v1_request_plus!.length - 46);
  });
});

describe('heartbeats, hijack, GoAway', () => {
  it('answers the handmade heartbeat exactly as the server did', () => {
    const hb = decodeOne(golden.v1_heartbeat_request_handmade!);
    expect(encode(boltCodec.heartbeatReply!(hb)).equals(golden.v1_heartbeat_ack_from_server!)).toBe(true);
  });

  it('triggers heartbeats in its own version; replies mirror the request version and CRC', () => {
    for (const codec of [boltCodec, boltv2Codec]) {
      const t = decodeOne(Buffer.concat(codec.encode(codec.heartbeatTrigger!(77))));
      expect([t.kind, t.requestId, t.isHeartbeat(), t.timeout, t.crc]).toEqual(['request', 77, true, -1, false]);
      expect(t.version).toBe(codec === boltCodec ? 1 : 2);
    }
    const v2 = decodeOne(golden.v2_crc_request_plus!);
    const reply = decodeOne(encode(boltCodec.heartbeatReply!(v2)));
    expect([reply.version, reply.crc, reply.requestId, reply.status, reply.isHeartbeat()]).toEqual([2, true, 7, 0, true]);
  });

  const table: [InternalStatus, number][] = [
    ['no_route', BoltStatus.NO_PROCESSOR],
    ['no_healthy_upstream', BoltStatus.NO_PROCESSOR],
    ['connect_failed', BoltStatus.NO_PROCESSOR],
    ['upstream_reset', BoltStatus.NO_PROCESSOR],
    ['upstream_overflow', BoltStatus.SERVER_THREADPOOL_BUSY],
    ['timeout', BoltStatus.TIMEOUT],
    ['codec_error', BoltStatus.CODEC_EXCEPTION],
    ['internal_error', BoltStatus.UNKNOWN],
  ];
  it.each(table)('hijack %s answers with Bolt status %i, the request id and version', (status, bolt) => {
    for (const name of ['v1_request_echo', 'v2_crc_request_plus']) {
      const req = decodeOne(golden[name]!);
      const res = decodeOne(encode(boltv2Codec.hijack(req, status, 'why')));
      expect([res.kind, res.requestId, res.status, res.cmdCode, res.version, res.crc]).toEqual([
        'response', req.requestId, bolt, 2, req.version, req.crc,
      ]);
      expect([res.className, res.body.length, res.header.size]).toEqual(['', 0, 0]);
    }
  });

  it('maps Bolt statuses to HTTP as MOSN does', () => {
    const map = (s: number) => boltCodec.mapStatusToHttp(s);
    expect([0, 4, 7, 16, 1, 2, 3, 6, 9].map(map)).toEqual([200, 503, 504, 502, 500, 500, 500, 500, 500]);
  });

  it('builds GoAway (cmd code 100)', () => {
    const codec = createBoltCodec({ version: 1 });
    const g = decodeOne(Buffer.concat(codec.encode(codec.goAway!())));
    expect([g.isGoAway(), g.kind, g.cmdCode, g.requestId, g.isHeartbeat()]).toEqual([true, 'request', 100, 0, false]);
  });
});

describe('registration', () => {
  it('registers as bolt (alias SofaRpc) and boltv2, each detecting its own version', () => {
    const r = ProtocolRegistry.withHttp();
    r.registerCodec(boltCodec);
    r.registerCodec(boltv2Codec);
    expect(r.get('SofaRpc')?.name).toBe('bolt');
    expect(r.get('boltv2')?.name).toBe('boltv2');
    const detect = (bytes: Buffer) => {
      const b = new IoBuffer();
      b.append(bytes);
      return r.entries().find((e) => e.matcher.match(b) === 'match')?.name;
    };
    expect(detect(golden.v1_request_echo!)).toBe('bolt');
    expect(detect(golden.v2_crc_request_plus!)).toBe('boltv2');
  });

  it('either codec decodes both versions, as MOSN lets them share a connection', () => {
    const b = new IoBuffer();
    b.append(golden.v2_crc_request_plus!);
    b.append(golden.v1_request_echo!);
    const first = boltCodec.decode(b, LIMITS) as BoltFrame;
    const second = boltv2Codec.decode(b, LIMITS) as BoltFrame;
    expect([first.version, second.version]).toEqual([2, 1]);
    expect(first).not.toBeInstanceOf(DecodeError);
  });
});
