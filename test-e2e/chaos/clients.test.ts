import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../helpers.js';
import { boltClient, dubboClient, http1Client, type LoadClient } from './clients.js';

// The chaos tests count on their clients to see what must never happen: an answer naming another request, a second
// answer to one request, a request that is never answered. Here servers that do exactly that (no mosn) show that
// the clients tell.

const cleanups = cleanupAfterEach();
const require = createRequire(import.meta.url);
const boltProtocol = require('sofa-bolt-node/lib/protocol') as {
  responseEncode(id: number, res: object, options: object): Buffer;
  decode(buf: Buffer, options: object): { packetId: number; data: { args: unknown[] } };
};
const hessian = require('hessian.js') as { EncoderV2: new () => { write(v: unknown): void; get(): Buffer } };

async function serve(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

function client(c: LoadClient): LoadClient {
  cleanups.push(() => c.close());
  return c;
}

/** A Bolt v1 success response to frame `id` carrying `value`, as sofa-bolt-node encodes it. */
const boltAnswer = (id: number, value: string) =>
  boltProtocol.responseEncode(id, { isError: false, appResponse: value }, { protocolType: 'bolt', codecType: 'hessian2', boltVersion: 1 });

/** A Dubbo hessian2 OK response to frame `id` with a value. */
function dubboAnswer(id: number, value: string): Buffer {
  const enc = new hessian.EncoderV2();
  enc.write(1); // RESPONSE_VALUE
  enc.write(value);
  const body = enc.get();
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0xdabb, 0);
  h[2] = 0x02;
  h[3] = 20;
  h.writeBigUInt64BE(BigInt(id), 4);
  h.writeUInt32BE(body.length, 12);
  return Buffer.concat([h, body]);
}

describe('chaos clients', () => {
  it('HTTP/1: an answer naming another request is wrong; none by the deadline is a hang', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/r/silent') return; // never answered
      res.end(req.url === '/r/a' ? 'u0 b' : `u0 ${req.url!.slice(3)}`);
    });
    const c = client(http1Client(await serve(server)));
    cleanups.push(() => server.closeAllConnections());
    expect(await c.call('ok', 2000)).toEqual({ kind: 'ok', who: 'u0' });
    expect((await c.call('a', 2000)).kind).toBe('wrong');
    expect((await c.call('silent', 300)).kind).toBe('hang');
  });

  it('Bolt: a second answer to one frame id and an answer to an id never sent are strays; a wrong value is wrong', async () => {
    const server = net.createServer((s) => {
      s.on('error', () => {});
      s.on('data', (d: Buffer) => {
        const req = boltProtocol.decode(d, {});
        const id = String(req.data.args[0]);
        if (id === 'twice') s.write(Buffer.concat([boltAnswer(req.packetId, 'u0 twice'), boltAnswer(req.packetId, 'u0 twice')]));
        else if (id === 'other') s.write(boltAnswer(req.packetId + 1000, 'u0 other'));
        else s.write(boltAnswer(req.packetId, id === 'swap' ? 'u0 nope' : `u0 ${id}`));
      });
    });
    const c = client(boltClient(await serve(server), 1000, 1));
    expect(await c.call('one', 2000)).toEqual({ kind: 'ok', who: 'u0' });
    expect(await c.call('twice', 2000)).toEqual({ kind: 'ok', who: 'u0' });
    expect((await c.call('swap', 2000)).kind).toBe('wrong');
    expect((await c.call('other', 300)).kind).toBe('hang');
    expect(c.strays).toEqual([expect.stringMatching(/answered already/), expect.stringMatching(/not waiting/)]);
  });

  it('Dubbo: a second answer is a stray; an error status is an error answer', async () => {
    const server = net.createServer((s) => {
      s.on('error', () => {});
      let n = 0;
      s.on('data', (d: Buffer) => {
        const id = Number(d.readBigUInt64BE(4));
        n++;
        if (n === 1) s.write(Buffer.concat([dubboAnswer(id, 'u0 first'), dubboAnswer(id, 'u0 first')]));
        else {
          const h = Buffer.from(dubboAnswer(id, 'x'));
          h[3] = 31; // SERVER_TIMEOUT
          s.write(h);
        }
      });
    });
    const c = client(dubboClient(await serve(server), 1));
    expect(await c.call('first', 2000)).toEqual({ kind: 'ok', who: 'u0' });
    expect(await c.call('second', 2000)).toEqual({ kind: 'error', status: 31 });
    expect(c.strays).toEqual([expect.stringMatching(/answered already/)]);
  });
});
