import { createRequire } from 'node:module';
import hessian from 'hessian.js';
import java from 'js-to-java';
import { describe, expect, it } from 'vitest';
import { buildFrame, encodeResponseBody } from './builder.js';
import { dubboCodec } from './codec.js';
import { decodeOne, encoded, feedInChunks, golden } from './golden.test-support.js';

/**
 * Independent peers: dubbo2.js 2.3.9 (a Dubbo consumer; its request encoder, response decoder and
 * heartbeat check are modules of their own) and apache-dubbo-serialization, the codec under
 * apache-dubbo-service 0.0.1 (a provider: request decoder, response encoder); and frames built by
 * hand with hessian.js and js-to-java as a Java consumer writes them.
 */
const require = createRequire(import.meta.url);

interface EncodeContext {
  requestId: number;
  dubboVersion: string;
  dubboInterface: string;
  path: string;
  version?: string;
  group?: string;
  timeout?: number;
  methodName: string;
  methodArgs: unknown[];
  application: { name: string };
  attachments: Record<string, unknown>;
}
type RequestEncoder = new (ctx: EncodeContext) => { encode(): Buffer };
interface PeerResponse { requestId: number; err: Error | null; res: unknown; attachments: Record<string, unknown> }

const dubbo2 = {
  Encoder: (require('dubbo2.js/es7/encode.js') as { default: RequestEncoder }).default,
  decode: (require('dubbo2.js/es7/decode.js') as { decode(b: Buffer): PeerResponse }).decode,
  isHeartBeat: (require('dubbo2.js/es7/heartbeat.js') as { default: { isHeartBeat(b: Buffer): boolean } }).default.isHeartBeat,
};
const apache = createRequire(require.resolve('apache-dubbo-service'))('apache-dubbo-serialization') as {
  DubboRequestEncoder: RequestEncoder;
  DubboResponseEncoder: new (ctx: { status: number; request: { requestId: number; version: string }; body: { res?: unknown; err?: Error | null }; attachments: Record<string, unknown> }) => { encode(): Buffer };
  decodeDubboRequest(b: Buffer): { requestId: number; methodName: string; args?: unknown[]; attachment: Record<string, unknown>; parameterTypeDesc: string };
  decodeDubboResponse(b: Buffer): PeerResponse;
  HeartBeat: { isHeartBeat(b: Buffer): boolean };
};

const SERVICE = 'org.apache.dubbo.demo.DemoService';
const context = (requestId: number, methodName: string, methodArgs: unknown[]): EncodeContext => ({
  requestId,
  dubboVersion: '2.0.2',
  dubboInterface: SERVICE,
  path: SERVICE,
  version: '1.0.0',
  group: 'blue',
  timeout: 3000,
  methodName,
  methodArgs,
  application: { name: 'peer-test' },
  attachments: { 'x-trace': 't-1' },
});

describe('requests a Node consumer encodes route and re-encode with our codec', () => {
  const args = [java.String('hi'), java.Integer(2), java.array('java.lang.String', ['a', 'b']), java.long(5)];
  const cases = [
    ['dubbo2.js', new dubbo2.Encoder(context(1, 'sayHello', args)).encode()],
    ['dubbo2.js, an 8-byte id', new dubbo2.Encoder(context(2 ** 40 + 3, 'sayHello', args)).encode()],
    ['apache-dubbo-serialization', new apache.DubboRequestEncoder(context(3, 'plus', [java.Integer(1), java.Integer(2)])).encode()],
    ['apache-dubbo-serialization, no arguments', new apache.DubboRequestEncoder(context(4, 'nothing', [])).encode()],
  ] as const;

  it.each(cases)('%s', (_, bytes) => {
    const raw = Buffer.from(bytes);
    const f = decodeOne(raw);
    const peer = apache.decodeDubboRequest(raw);
    expect([f.kind, f.requestId, f.isOneWay(), f.isHeartbeat(), f.routingError]).toEqual(['request', peer.requestId, false, false, undefined]);
    expect([f.header.get('service'), f.header.get('method'), f.header.get('version'), f.header.get('dubbo')]).toEqual([SERVICE, peer.methodName, '1.0.0', '2.0.2']);
    expect([f.header.get('group'), f.header.get('application'), f.header.get('x-trace'), f.header.get('interface')]).toEqual(['blue', 'peer-test', 't-1', SERVICE]);
    expect(encoded(f).equals(raw)).toBe(true);
    expect(feedInChunks(raw, 1)).toHaveLength(1);

    // forwarded under a new id, with a filter's attachment: the provider side sees the same call
    const g = dubboCodec.withRequestId(f, 77);
    g.header.set('mosn-hop', '1');
    const seen = apache.decodeDubboRequest(encoded(g));
    expect(seen.requestId).toBe(77);
    expect([seen.methodName, seen.parameterTypeDesc]).toEqual([peer.methodName, peer.parameterTypeDesc]);
    expect(seen.args).toEqual(peer.args);
    expect(seen.attachment).toEqual({ ...peer.attachment, 'mosn-hop': '1' });
  });
});

describe('responses a Node provider encodes decode with our codec', () => {
  const request = { requestId: 2 ** 33 + 9, version: '2.0.2' };
  const cases = [
    ['a value', new apache.DubboResponseEncoder({ status: 20, request, body: { res: 'hello' }, attachments: {} }).encode(), 20],
    ['no value', new apache.DubboResponseEncoder({ status: 20, request, body: {}, attachments: {} }).encode(), 20],
    ['an exception', new apache.DubboResponseEncoder({ status: 20, request, body: { err: new Error('boom') }, attachments: {} }).encode(), 20],
    ['a service error', new apache.DubboResponseEncoder({ status: 70, request, body: { err: new Error('bad') }, attachments: {} }).encode(), 70],
  ] as const;

  it.each(cases)('%s', (_, bytes, status) => {
    const raw = Buffer.from(bytes);
    const f = decodeOne(raw);
    expect([f.kind, f.requestId, f.status, f.header.size]).toEqual(['response', request.requestId, status, 0]);
    const back = encoded(dubboCodec.withRequestId(f, 5));
    expect(apache.decodeDubboResponse(back)).toMatchObject({ ...apache.decodeDubboResponse(raw), requestId: 5 });
    expect(dubbo2.decode(back).requestId).toBe(5);
  });
});

describe('frames we build decode with the peers', () => {
  it('hijack responses: both clients see an error naming the reason, for the request id', () => {
    for (const id of [1, 2 ** 40]) {
      const req = dubboCodec.withRequestId(decodeOne(golden.request_echo!), id);
      for (const status of ['no_route', 'timeout', 'upstream_overflow', 'codec_error'] as const) {
        const bytes = encoded(dubboCodec.hijack(req, status, `mosn: ${status} for ${SERVICE}`));
        const a = apache.decodeDubboResponse(bytes);
        expect(a.requestId).toBe(id);
        expect(String(a.err)).toContain(`mosn: ${status} for ${SERVICE}`);
        const d = dubbo2.decode(bytes);
        expect(d.requestId).toBe(id);
        expect(d.err?.message).toContain(`mosn: ${status} for ${SERVICE}`);
      }
    }
  });

  it('responses built with encodeResponseBody', () => {
    const value = buildFrame({ kind: 'response', requestId: 3, body: encodeResponseBody('hi', { dubbo: '2.0.2' }) });
    expect(apache.decodeDubboResponse(encoded(value))).toMatchObject({ requestId: 3, err: null, res: 'hi', attachments: { dubbo: '2.0.2' } });
    const none = buildFrame({ kind: 'response', requestId: 4, body: encodeResponseBody(null) });
    expect(dubbo2.decode(encoded(none))).toMatchObject({ requestId: 4, err: null, res: null });
  });

  it('heartbeats are heartbeats to both; a readonly event is not', () => {
    const trigger = encoded(dubboCodec.heartbeatTrigger(6));
    const reply = encoded(dubboCodec.heartbeatReply(decodeOne(trigger)));
    for (const bytes of [trigger, reply]) {
      expect(apache.HeartBeat.isHeartBeat(bytes)).toBe(true);
      expect(dubbo2.isHeartBeat(bytes)).toBe(true);
    }
    expect(apache.HeartBeat.isHeartBeat(encoded(dubboCodec.goAway()))).toBe(false);
  });
});

describe('a request built by hand as a Java consumer writes it (hessian.js + js-to-java)', () => {
  const encoder = new hessian.EncoderV2({ mapTypes: { 'java.util.TreeMap': true } });
  const user = { $class: 'org.example.User', $: { name: 'ann', age: java.int(31), tags: java.array('java.lang.String', ['x']) } };
  for (const v of ['2.7.8', SERVICE, null, 'save', 'Lorg/example/User;Lorg/example/User;JLjava/util/List;[I', user, user, java.long(2 ** 40), java.List(['q']), java.array('int', [1, 2])]) {
    encoder.write(v);
  }
  // attachments as a typed map (`M` + type), which Java's Hessian2 writes for a Map field
  encoder.write({ $class: 'java.util.TreeMap', $: { group: 'red', path: SERVICE, timeout: java.int(500), 'x-id': 'abc' } });
  const body = encoder.get();
  const header = Buffer.from('dabbc20000000000000000010000000000', 'hex').subarray(0, 16);
  header.writeBigUInt64BE(0x12345678n, 4);
  header.writeUInt32BE(body.length, 12);
  const raw = Buffer.concat([header, body]);

  it('reads the routing keys; class definitions, references and typed values are skipped', () => {
    const f = decodeOne(raw);
    expect([f.requestId, f.header.get('dubbo'), f.header.get('service'), f.header.get('version'), f.header.get('method')]).toEqual([0x12345678, '2.7.8', SERVICE, '', 'save']);
    expect([f.header.get('group'), f.header.get('x-id'), f.header.get('path'), f.header.get('timeout')]).toEqual(['red', 'abc', SERVICE, undefined]);
  });

  it('keeps the typed map and every other value when an attachment changes', () => {
    const f = decodeOne(raw);
    f.header.set('group', 'green');
    const out = encoded(f);
    const values = (b: Buffer) => {
      const d = new hessian.DecoderV2(b.subarray(16));
      const all: unknown[] = [];
      while (d.position() < b.length - 16) all.push(d.read(true));
      return all;
    };
    const before = values(raw);
    const after = values(out);
    expect(after.slice(0, -1)).toEqual(before.slice(0, -1));
    expect(after.at(-1)).toMatchObject({ $class: 'java.util.TreeMap', $: { group: 'green', path: SERVICE, timeout: 500, 'x-id': 'abc' } });
  });
});
