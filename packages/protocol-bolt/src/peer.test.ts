import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { boltCodec, boltv2Codec } from './codec.js';
import type { BoltFrame } from './frame.js';
import { decodeOne, feedInChunks, golden } from './golden.test-support.js';
import { BoltStatus } from './types.js';

/** The independent peer: sofa-bolt-node 2.0.1, the Bolt codec under sofa-rpc-node. */
const require = createRequire(import.meta.url);
const peer = require('sofa-bolt-node/lib/protocol') as {
  requestEncode(id: number, req: object, options: object): Buffer;
  responseEncode(id: number, res: object, options: object): Buffer;
  heartbeatEncode(id: number, hb: object, options: object): Buffer;
  heartbeatAckEncode(id: number, options: object): Buffer;
  decode(buf: Buffer, options: object): { packetId: number; packetType: string; data?: any; options: any };
};
const peerDecoder = (require('sofa-bolt-node') as { decoder(o: object): NodeJS.WritableStream & { on(e: string, f: (x: any) => void): void } }).decoder;

const SERVICE = 'com.alipay.test.TestService:1.0';
const V1 = { protocolType: 'bolt', codecType: 'hessian2', boltVersion: 1 };
const V2_CRC = { protocolType: 'bolt2', codecType: 'hessian2', boltVersion: 2, crcEnable: true };
const request = (oneway = false) => ({
  serverSignature: SERVICE,
  methodName: 'plus',
  args: [1, 2],
  timeout: 3000,
  oneway,
  requestProps: { service: SERVICE },
});
const ours = (f: BoltFrame) => Buffer.concat(boltCodec.encode(f));

describe('frames sofa-bolt-node encodes decode with our codec', () => {
  const cases: [string, Buffer, Partial<Record<string, unknown>>][] = [
    ['v1 request', peer.requestEncode(11, request(), V1), { kind: 'request', version: 1, requestId: 11, timeoutMs: 3000, crc: false }],
    ['v1 one-way', peer.requestEncode(12, request(true), V1), { kind: 'request', requestId: 12 }],
    ['v1 response', peer.responseEncode(13, { appResponse: 3 }, V1), { kind: 'response', requestId: 13, status: 0 }],
    ['v1 error response', peer.responseEncode(14, { errorMsg: 'boom' }, V1), { kind: 'response', status: BoltStatus.SERVER_EXCEPTION }],
    ['v1 heartbeat', peer.heartbeatEncode(15, { timeout: 3000 }, V1), { kind: 'request', requestId: 15 }],
    ['v1 heartbeat ack', peer.heartbeatAckEncode(16, V1), { kind: 'response', requestId: 16, status: 0 }],
    ['v2 CRC request', peer.requestEncode(21, request(), V2_CRC), { kind: 'request', version: 2, requestId: 21, crc: true, ver1: 2 }],
    ['v2 CRC one-way', peer.requestEncode(22, request(true), V2_CRC), { version: 2, crc: true }],
    ['v2 CRC response', peer.responseEncode(23, { appResponse: 3 }, V2_CRC), { kind: 'response', version: 2, requestId: 23, crc: true }],
    ['v2 CRC heartbeat', peer.heartbeatEncode(24, { timeout: 3000 }, V2_CRC), { kind: 'request', version: 2, crc: true }],
    ['v2 CRC heartbeat ack', peer.heartbeatAckEncode(25, V2_CRC), { kind: 'response', version: 2, crc: true }],
  ];

  it.each(cases)('%s', (name, bytes, fields) => {
    const raw = Buffer.from(bytes);
    const f = decodeOne(raw);
    expect(f).toMatchObject(fields);
    expect(f.isOneWay()).toBe(name.includes('one-way'));
    expect(f.isHeartbeat()).toBe(name.includes('heartbeat'));
    if (f.kind === 'request' && !f.isHeartbeat()) {
      expect(f.header.get('service')).toBe(SERVICE);
      expect(f.className).toBe('com.alipay.sofa.rpc.core.request.SofaRequest');
    }
    expect(ours(f).equals(raw)).toBe(true);
    expect(feedInChunks(raw, 1)).toHaveLength(1);
  });
});

describe('frames we encode decode with sofa-bolt-node', () => {
  it('re-encoded requests and responses with a new id, v1 and v2 with CRC', () => {
    for (const [name, id] of [['v1_request_plus', 1001], ['v2_crc_request_plus', 1002], ['v1_response_plus', 1003], ['v2_crc_response_plus', 1004]] as const) {
      const f = decodeOne(golden[name]!);
      const back = peer.decode(ours(boltCodec.withRequestId(f, id)), {});
      expect(back.packetId).toBe(id);
      expect(back.packetType).toBe(f.kind);
      if (f.kind === 'request') expect(back.data).toMatchObject({ methodName: 'plus', serverSignature: SERVICE, args: name.startsWith('v1') ? [1, 2] : [5, 6] });
      else expect(back.data).toMatchObject({ error: null, appResponse: name.startsWith('v1') ? 3 : 11 });
      if (f.crc) expect(back.options.crcEnable).toBe(true);
    }
  });

  it('re-encoded requests with a changed header map', () => {
    for (const name of ['v1_request_echo', 'v2_crc_request_plus']) {
      const f = decodeOne(golden[name]!).withRequestId(2001);
      f.header.set('service', 'com.alipay.test.Other:2.0');
      f.header.set('mosn-trace', 'abc');
      const back = peer.decode(ours(f), {});
      expect([back.packetType, back.packetId]).toEqual(['request', 2001]);
      expect(back.data.methodName).toBe(name.startsWith('v1') ? 'echo' : 'plus');
    }
  });

  it('hijack responses: the client sees an error for the request id', () => {
    for (const [name, codec] of [['v1_request_echo', boltCodec], ['v2_crc_request_plus', boltv2Codec]] as const) {
      const req = decodeOne(golden[name]!);
      for (const status of ['no_route', 'timeout', 'upstream_overflow'] as const) {
        const back = peer.decode(Buffer.concat(codec.encode(codec.hijack(req, status))), {});
        expect([back.packetType, back.packetId]).toEqual(['response', req.requestId]);
        expect(back.data.error).toBeInstanceOf(Error);
        expect(back.options.crcEnable === true).toBe(req.crc);
      }
    }
  });

  it('heartbeats and replies, through its streaming decoder in small chunks', async () => {
    const frames = [
      boltCodec.heartbeatTrigger!(31),
      boltv2Codec.heartbeatTrigger!(32),
      boltCodec.heartbeatReply!(decodeOne(golden.v1_heartbeat_request_handmade!)),
      boltCodec.heartbeatReply!(decodeOne(Buffer.from(peer.heartbeatEncode(33, { timeout: 1 }, V2_CRC)))),
      boltCodec.withRequestId(decodeOne(golden.v2_crc_request_plus!), 34),
    ];
    const bytes = Buffer.concat(frames.flatMap((f) => boltCodec.encode(f)));
    const decoder = peerDecoder({});
    const seen: string[] = [];
    for (const event of ['heartbeat', 'heartbeat_ack', 'request', 'response']) decoder.on(event, (p) => seen.push(`${event}:${p.packetId}`));
    await new Promise<void>((resolve, reject) => {
      decoder.on('error', reject);
      for (let i = 0; i < bytes.length; i += 5) decoder.write(bytes.subarray(i, i + 5));
      decoder.end(resolve);
    });
    expect(seen).toEqual(['heartbeat:31', 'heartbeat:32', 'heartbeat_ack:100', 'heartbeat_ack:33', 'request:34']);
  });
});
