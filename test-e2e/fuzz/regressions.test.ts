import net from 'node:net';
import tls from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { generateTestCerts } from '@mosn/net/testing';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, cluster, get, httpBackend, httpProxyConfig, rawExchange, startMosnWithCleanup } from '../helpers.js';
import { targets } from './targets.js';

/** Every crash the fuzzers found, with its input: the input as the fuzzer made it, and the bug end to end. */

const cleanups = cleanupAfterEach();

/** The inputs of the crash reports (`CRASH <target> ... input: <hex>`), each run through its fuzz target again. */
const CRASHES: Array<{ target: keyof typeof targets; hex: string; what: string }> = [
  // HTTP/0.9 request lines (no version) were answered with "HTTP/1.9 200 OK"
  { target: 'http1', hex: '474554202f783f793d3060485554502f31532e304d0a0d0a', what: 'GET /x?y=0`HUTP/1S.0M\\n\\r\\n' },
  { target: 'http1', hex: '474554202f777328485454502f312e310d0a486f73743a20610d0a436f6e6e656374696f6e3a20557067726164650d0a557067726164653a20776562736f636b65740d0a5365632d576542536f636b65742d4b65793a20780d0a0d0a8100', what: 'an HTTP/0.9 upgrade: a 101 as "HTTP/1.9"' },
  { target: 'http1', hex: '474554202f3434330d0a436f6e6e656374696f6e3a206b6565702d616c6976650d0a0d0a160301', what: 'HTTP/0.9, then TLS bytes' },
  { target: 'http1', hex: '474554202f30485454502f352e310d0a436f6e6e656374696f6e3a206b6565702d616c6976650d0a486b73743a20610d0a0d0a', what: 'GET /0HTTP/5.1' },
];

describe('fuzz crashes, fixed', () => {
  for (const c of CRASHES) {
    it(`${c.target}: ${c.what}`, () => {
      const bytes = Buffer.from(c.hex, 'hex');
      expect(() => targets[c.target].check([bytes], bytes)).not.toThrow();
    });
  }

  it('a request line without a version (HTTP/0.9) is refused with 400, not answered as HTTP/1.9', async () => {
    const { p } = await startMosnWithCleanup(httpProxyConfig({ routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: 'ok' } }] }), cleanups);
    for (const line of ['GET /x\r\n\r\n', 'GET /x\r\nHost: a\r\n\r\n', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n']) {
      const r = await rawExchange(p, line);
      expect(r.text, line).toMatch(/^HTTP\/1\.1 400 /);
      expect(r.closed).toBe(true);
    }
    expect((await rawExchange(p, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')).text).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('a refused HTTP/1 request frees its parser (it leaked about 1.8 KB of heap per bad request)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const bad = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n');
    const run = async (n: number) => {
      for (let i = 0; i < n; i++) {
        targets.http1.check([bad], bad);
        if (i % 1000 === 999) await new Promise((r) => setImmediate(r)); // parsers close in a microtask
      }
      await new Promise((r) => setTimeout(r, 20));
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    const base = await run(2000);
    const after = await run(20_000);
    expect((after - base) / 1048576).toBeLessThan(8); // with the leak: about 35 MiB
  });

  it('a client that ends its side during the TLS handshake is closed at once, not after the handshake timeout', async () => {
    const certs = generateTestCerts();
    cleanups.push(() => certs.remove());
    const config = httpProxyConfig({ routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: 'ok' } }], listener: { inspector: true } }) as {
      servers: Array<{ listeners: Array<{ filter_chains: Array<Record<string, unknown>> }> }>;
    };
    config.servers[0]!.listeners[0]!.filter_chains[0]!.tls_context = { status: true, cert_chain: certs.server.certPath, private_key: certs.server.keyPath };
    const { p } = await startMosnWithCleanup(config, cleanups);
    // a real ClientHello, captured
    const hello = await new Promise<Buffer>((resolve) => {
      const srv = net.createServer((s) => s.once('data', (c: Buffer) => (resolve(c), s.destroy(), srv.close())));
      srv.listen(0, '127.0.0.1', () => tls.connect({ port: (srv.address() as net.AddressInfo).port, host: '127.0.0.1', rejectUnauthorized: false }).on('error', () => {}));
    });
    for (const bytes of [hello.subarray(0, 40), hello]) {
      const t0 = Date.now();
      await new Promise<void>((resolve) => {
        const s = net.connect(p, '127.0.0.1', () => s.end(bytes));
        s.on('error', () => {});
        s.on('close', () => resolve());
        s.resume();
      });
      expect(Date.now() - t0).toBeLessThan(3000); // was the 10 s handshake timeout
    }
  });

  /**
   * inputSeed 2069743425 of the long HTTP/1 run: a declined h2c upgrade, then a request whose head overflows
   * over several reads. Node's parser then reports the error as a negative byte count; the server drained it,
   * which grew the buffer's length without end (a spin, then a TypeError out of IoBuffer).
   */
  const h2cThenOverflow = () => {
    const text =
      'GET / HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n' +
      `GET /${'a'.repeat(8884)} HTTP/1.1\r\nHost: a\r\n\r\n`;
    const bytes = Buffer.from(text, 'latin1');
    return { bytes, reads: [bytes.subarray(0, 4065), bytes.subarray(4065, 5860), bytes.subarray(5860, 8982), bytes.subarray(8982)] };
  };

  it('http1: a declined h2c upgrade, then a head that overflows across reads (inputSeed 2069743425)', () => {
    const { bytes, reads } = h2cThenOverflow();
    expect(() => targets.http1.check(reads, bytes)).not.toThrow();
  });

  it('the same through mosn: the upgrade request is answered, the bad one refused, the connection closed', async () => {
    const { p } = await startMosnWithCleanup(httpProxyConfig({ routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: 'ok' } }] }), cleanups);
    const { reads } = h2cThenOverflow();
    const r = await new Promise<{ text: string; closed: boolean }>((resolve) => {
      const s = net.connect(p, '127.0.0.1');
      let text = '';
      const timer = setTimeout(() => (s.destroy(), resolve({ text, closed: false })), 3000);
      s.on('data', (d: Buffer) => (text += d.toString('latin1')));
      s.on('error', () => {});
      s.on('close', () => (clearTimeout(timer), resolve({ text, closed: true })));
      void (async () => {
        for (const piece of reads) {
          s.write(piece);
          await new Promise((w) => setTimeout(w, 20)); // separate reads on mosn's side
        }
      })();
    });
    expect(r.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(r.text).toMatch(/HTTP\/1\.1 4\d\d /);
    expect(r.closed).toBe(true);
  });

  /**
   * The end-to-end HTTP/1 fuzzer's good client got another client's answer: a fuzzed `Expect` value mosn does not
   * answer itself (`100-continue / HTTP/1.1`) went upstream, node:http answered `100 Continue` first, and mosn's
   * upstream side took the interim response's end for the end of the response: the connection went back to the
   * pool with the real answer still to come, and the next request on it got that answer.
   */
  it('an upstream interim 100 response does not end the response: the next request on the connection gets its own answer', async () => {
    const b = await httpBackend((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/first') res.writeContinue();
        setTimeout(() => res.end(`h1 ${req.url}`), 30);
      });
    });
    cleanups.push(() => b.close());
    const { p } = await startMosnWithCleanup(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [cluster('c', [b.address])] }), cleanups);
    expect((await get(p, '/first')).body).toBe('h1 /first');
    expect((await get(p, '/second')).body).toBe('h1 /second');
    // the fuzzer's input: an Expect value node:http reads as 100-continue
    const r = await rawExchange(p, 'PUT /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue / HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc');
    expect(r.text).toMatch(/^HTTP\/1\.1 200 [^]*h1 \/e$/);
    expect((await get(p, '/third')).body).toBe('h1 /third');
  });
});
