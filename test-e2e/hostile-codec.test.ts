import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { buildRequest, exampleCodec, ExampleFrame, type ExampleFrame as Frame } from '@mosn/protocol-example';
import { defaultExtensions, IoBuffer, isDecodeError, Mosn, rpcPoolFactory, silentLogger, type XProtocolCodec } from 'mosn';
import { cleanupAfterEach, port } from './helpers.js';

// A plug-in codec with bugs must cost only the connection it is serving, never the process.

const cleanups = cleanupAfterEach();

/** The example codec, renamed, throwing from decode on a `boom` header and from its header map on `trap`. */
const buggy: XProtocolCodec<Frame> = {
  ...exampleCodec,
  name: 'buggy',
  decode(buffer, options) {
    const f = exampleCodec.decode(buffer, options);
    if (f instanceof ExampleFrame && f.header.get('boom') !== undefined) throw new Error('kaboom');
    if (f instanceof ExampleFrame && f.header.get('trap') !== undefined) {
      const header = f.header;
      return Object.assign(Object.create(Object.getPrototypeOf(f)), f, {
        header: { ...header, get: (k: string) => (k === 'service' ? (() => { throw new Error('header map broke'); })() : header.get(k)), has: () => true, set() {}, delete() {}, forEach() {} },
      }) as Frame;
    }
    return f;
  },
};

async function start(): Promise<{ p: number; mosn: Mosn }> {
  const extensions = defaultExtensions();
  extensions.protocols.registerCodec(buggy);
  extensions.pools.set('buggy', rpcPoolFactory(buggy));
  const mosn = new Mosn({
    logger: silentLogger,
    extensions,
    config: {
      servers: [
        {
          routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routers: [{ match: { headers: [{ name: 'service', value: 'nowhere' }] }, route: { cluster_name: 'c' } }] }] }],
          listeners: [{ name: 'l', address: '127.0.0.1:0', filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'buggy', router_config_name: 'r' } }] }] }],
        },
      ],
      cluster_manager: { clusters: [{ name: 'c', type: 'SIMPLE', hosts: [] }] },
    },
  });
  await mosn.start();
  cleanups.push(() => mosn.stop(0));
  return { p: port(mosn.listenerAddress('l')), mosn };
}

function exchange(p: number, frame: Frame): Promise<{ frames: Frame[]; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(p, '127.0.0.1', () => s.write(Buffer.concat(exampleCodec.encode(frame))));
    const buf = new IoBuffer();
    const frames: Frame[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ frames, closed: false });
    }, 500);
    s.on('data', (c: Buffer) => {
      buf.append(c);
      for (let f = exampleCodec.decode(buf, { maxFrameSize: 1 << 20 }); f instanceof ExampleFrame; f = exampleCodec.decode(buf, { maxFrameSize: 1 << 20 })) frames.push(f);
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ frames, closed: true });
    });
  });
}

describe('a codec that throws', () => {
  it('from decode: that connection is closed and counted as a protocol error, the listener goes on', async () => {
    const { p, mosn } = await start();
    const bad = await exchange(p, buildRequest({ requestId: 1, header: { boom: '1', service: 'x' } }));
    expect(bad.closed).toBe(true);
    expect(mosn.stats.get('listener.l.downstream_protocol_error')).toBe(1);
    expect(mosn.stats.get('listener.l.downstream_filter_error')).toBe(0);
    const good = await exchange(p, buildRequest({ requestId: 2, header: { service: 'x' } }));
    expect(good.frames.map((f) => f.requestId)).toEqual([2]); // no route: answered by mosn, not a crash
  });

  it('from its header map while routing: the request gets a codec error answer', async () => {
    const { p } = await start();
    const r = await exchange(p, buildRequest({ requestId: 9, header: { trap: '1', service: 'x' } }));
    expect(r.frames.map((f) => [f.requestId, f.status])).toEqual([[9, exampleCodec.hijack(buildRequest({ requestId: 9 }), 'codec_error').status]]);
  });

  it('a DecodeError from another copy of @mosn/protocol is still recognised', () => {
    const foreign = { message: 'x', requestId: undefined, [Symbol.for('mosn.protocol.DecodeError')]: true };
    expect(isDecodeError(foreign)).toBe(true);
    expect(isDecodeError({ message: 'x' })).toBe(false);
  });
});
