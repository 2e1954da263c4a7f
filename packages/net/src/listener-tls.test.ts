import { spawn } from 'node:child_process';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from './connection.js';
import { Listener, type ListenerOptions } from './listener.js';
import type { Logger } from './logger.js';
import type { ServerTlsOptions, TlsHandshakeError } from './tls.js';
import { generateTestCerts, type TestCert, type TestCerts } from './testing/certs.js';

let certs: TestCerts;
beforeAll(() => {
  certs = generateTestCerts();
});
afterAll(() => certs.remove());

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const context = (c: TestCert, ca?: TestCert) =>
  tls.createSecureContext({ cert: c.cert, key: c.key, ...(ca ? { ca: ca.cert } : {}) });

/** A logger that keeps its warn lines. */
function recordingLogger(): Logger & { warns: unknown[] } {
  const warns: unknown[] = [];
  const noop = () => {};
  const log: Logger & { warns: unknown[] } = {
    warns,
    trace: noop,
    debug: noop,
    info: noop,
    error: noop,
    warn: (obj: unknown, msg?: string) => warns.push({ obj, msg }),
    child: () => log,
  };
  return log;
}

interface Started {
  listener: Listener;
  port: number;
  conns: Connection[];
  /** Each connection's remote address, read when its filter chain was made. */
  remotes: (string | undefined)[];
  errors: TlsHandshakeError[];
  log: ReturnType<typeof recordingLogger>;
}

/** A TLS echo listener on 127.0.0.1:0 (each read is written back; `quit` closes). */
async function start(tlsOptions: Partial<ServerTlsOptions> = {}, extra: Partial<ListenerOptions> = {}): Promise<Started> {
  const conns: Connection[] = [];
  const remotes: (string | undefined)[] = [];
  const errors: TlsHandshakeError[] = [];
  const log = recordingLogger();
  const serverCtx = context(certs.server, certs.ca);
  const altCtx = context(certs.alt, certs.ca);
  const listener = new Listener({
    name: 'tls-test',
    address: { host: '127.0.0.1', port: 0 },
    logger: log,
    filterChain: [
      {
        createFilterChain(conn) {
          conns.push(conn);
          remotes.push(conn.remoteAddress);
          conn.addReadFilter({
            onData(buffer) {
              const text = buffer.takeAll().toString();
              if (text.includes('quit')) conn.close('flush');
              else conn.write(Buffer.from(text));
              return 'stop';
            },
          });
        },
      },
    ],
    tls: {
      contextFor: (name) => (name === 'alt.test' ? altCtx : serverCtx),
      requestCert: false,
      rejectUnauthorized: false,
      onHandshakeError: (e) => errors.push(e),
      ...tlsOptions,
    },
    ...extra,
  });
  await listener.start();
  cleanups.push(() => {
    listener.stopAccepting();
    listener.closeConnections();
  });
  return { listener, port: (listener.address as { port: number }).port, conns, remotes, errors, log };
}

interface ClientResult {
  secure: boolean;
  authorized: boolean;
  alpn: string | false;
  peerCn: string | undefined;
  reply: string;
  error: string | undefined;
}

/** A node:tls client: handshake, send `ping`, read the echo, close. */
function tlsClient(port: number, options: tls.ConnectionOptions = {}, send = 'ping'): Promise<ClientResult> {
  return new Promise((resolve) => {
    const r: ClientResult = { secure: false, authorized: false, alpn: false, peerCn: undefined, reply: '', error: undefined };
    const s = tls.connect({ host: '127.0.0.1', port, ca: certs.ca.cert, servername: 'localhost', ...options });
    const timer = setTimeout(() => s.destroy(), 3000);
    s.on('secureConnect', () => {
      r.secure = true;
      r.authorized = s.authorized;
      r.alpn = s.alpnProtocol ?? false;
      r.peerCn = String(s.getPeerCertificate().subject?.CN);
      s.write(send);
    });
    s.on('data', (d: Buffer) => {
      r.reply += d.toString();
      if (r.reply.length >= send.length) s.end();
    });
    s.on('error', (e: NodeJS.ErrnoException) => (r.error = e.code ?? e.message));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(r);
    });
  });
}

/** A plain TCP client: connect, send `data`, collect what comes back until the close. */
function tcpClient(port: number, data: string | Buffer | undefined): Promise<{ reply: string; closed: boolean }> {
  return new Promise((resolve) => {
    let reply = '';
    const s = net.connect(port, '127.0.0.1', () => {
      if (data !== undefined) s.write(data);
    });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ reply, closed: false });
    }, 3000);
    s.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (reply.includes('ping')) s.end();
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ reply, closed: true });
    });
  });
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `openssl s_client` against the listener; resolves with its stdout (the handshake report). */
function sClient(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', certs.ca.certPath, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
    // s_client sends stdin's lines, and ends at EOF (after the session report is printed)
    child.stdin.write('ping\n');
    setTimeout(() => child.stdin.end(), 300);
  });
}

describe('Listener with TLS', () => {
  it('terminates TLS: the filter chain reads and writes plaintext; connection.tls tells ALPN and SNI', async () => {
    const s = await start({ alpnProtocols: ['h2', 'http/1.1'] });
    const r = await tlsClient(s.port, { ALPNProtocols: ['h2'] });
    expect(r).toMatchObject({ secure: true, authorized: true, alpn: 'h2', peerCn: 'localhost', reply: 'ping' });
    expect(s.conns).toHaveLength(1);
    const t = s.conns[0]!.tls!;
    expect(t.alpnProtocol).toBe('h2');
    expect(t.servername).toBe('localhost');
    expect(t.protocol).toBe('TLSv1.3');
    expect(t.peerCertificate()).toBeUndefined();
    expect(t.authorized).toBe(false); // no client certificate was asked for
    expect(s.remotes).toEqual(['127.0.0.1']);
    expect(s.errors).toEqual([]);
  });

  it('picks the secure context by SNI; no SNI gets the default one', async () => {
    const s = await start();
    expect((await tlsClient(s.port, { servername: 'alt.test' })).peerCn).toBe('alt.test');
    // an IP address sends no SNI (node:tls leaves it out): the default context answers
    const noSni = await tlsClient(s.port, { servername: '', checkServerIdentity: () => undefined });
    expect(noSni).toMatchObject({ secure: true, peerCn: 'localhost', reply: 'ping' });
    expect(s.conns.map((c) => c.tls?.servername)).toEqual(['alt.test', undefined]);
  });

  it('mTLS: refuses a client without a certificate and one from another CA, serves a good one', async () => {
    const s = await start({ requestCert: true, rejectUnauthorized: true });
    const none = await tlsClient(s.port);
    expect(none.reply).toBe('');
    const other = await tlsClient(s.port, { cert: certs.otherClient.cert, key: certs.otherClient.key });
    expect(other.reply).toBe('');
    await until(() => s.errors.length === 2);
    expect(s.errors.map((e) => e.reason)).toEqual(['ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
    expect(s.errors[0]!.remote).toMatch(/^127\.0\.0\.1:\d+$/);
    // the failures went to onHandshakeError, which logs them (the runtime rate-limits): the listener does not log twice
    expect(s.log.warns).toHaveLength(0);
    expect(s.conns).toHaveLength(0);

    const good = await tlsClient(s.port, { cert: certs.client.cert, key: certs.client.key });
    expect(good.reply).toBe('ping');
    expect(s.conns).toHaveLength(1);
    expect(s.conns[0]!.tls!.authorized).toBe(true);
    expect(s.conns[0]!.tls!.peerCertificate()?.subject.CN).toBe('client');
    expect(s.errors).toHaveLength(2);
  });

  it('verifyPeer: a refusal closes the connection before any filter sees it', async () => {
    const s = await start({
      requestCert: true,
      rejectUnauthorized: false,
      verifyPeer: (socket) => (socket.authorized ? undefined : `not verified: ${String(socket.authorizationError)}`),
    });
    const other = await tlsClient(s.port, { cert: certs.otherClient.cert, key: certs.otherClient.key });
    expect(other.reply).toBe('');
    await until(() => s.errors.length === 1);
    expect(s.errors[0]).toMatchObject({ reason: 'refused', message: 'not verified: UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(s.conns).toHaveLength(0);
    expect((await tlsClient(s.port, { cert: certs.client.cert, key: certs.client.key })).reply).toBe('ping');
  });

  it('a verifyPeer or onHandshakeError that throws costs that connection only', async () => {
    const s = await start({
      verifyPeer: () => {
        throw new Error('bug');
      },
      onHandshakeError: () => {
        throw new Error('another bug');
      },
    });
    expect((await tlsClient(s.port)).reply).toBe('');
    expect(s.listener.accepting).toBe(true);
  });

  it('inspector: plaintext and TLS on one port, the peeked bytes delivered first', async () => {
    const s = await start({ inspector: true });
    const plain = await tcpClient(s.port, 'hello ping');
    expect(plain.reply).toBe('hello ping');
    const secure = await tlsClient(s.port, {}, 'tls ping');
    expect(secure).toMatchObject({ secure: true, reply: 'tls ping' });
    expect(s.conns.map((c) => c.tls === undefined)).toEqual([true, false]);
    expect(s.remotes).toEqual(['127.0.0.1', '127.0.0.1']);
    // a client that connects and leaves without a byte is not a handshake failure
    const leaver = net.connect(s.port, '127.0.0.1', () => leaver.end());
    await new Promise((r) => leaver.on('close', r));
    await until(() => s.listener.handshaking === 0);
    expect(s.errors).toEqual([]);
    expect(s.conns).toHaveLength(2);
  });

  it('inspector: a TLS client whose ClientHello comes in pieces is still served', async () => {
    const s = await start({ inspector: true });
    // a TLS client over a socket that trickles its first bytes (the record header alone, then the rest)
    const raw = net.connect(s.port, '127.0.0.1');
    await new Promise((r) => raw.once('connect', r));
    const write = raw.write.bind(raw);
    let first = true;
    raw.write = ((chunk: Buffer, ...rest: never[]) => {
      if (!first) return write(chunk, ...rest);
      first = false;
      write(chunk.subarray(0, 1));
      setTimeout(() => write(chunk.subarray(1), ...rest), 50);
      return true;
    }) as typeof raw.write;
    const r = await tlsClient(s.port, { socket: raw });
    expect(r.reply).toBe('ping');
  });

  it('closes a client that does not finish its handshake in time', async () => {
    const s = await start({ handshakeTimeoutMs: 200 });
    const silent = await tcpClient(s.port, undefined);
    expect(silent.closed).toBe(true);
    expect(s.errors).toEqual([{ remote: expect.stringMatching(/^127\.0\.0\.1:/), reason: 'timeout', message: 'no TLS handshake within 200 ms' }]);
    expect(s.listener.handshaking).toBe(0);
  });

  it('garbage instead of a ClientHello closes that connection; a TLS client on another is served', async () => {
    const s = await start();
    // a TLS connection established before, still open while the garbage comes
    const good = tls.connect({ host: '127.0.0.1', port: s.port, ca: certs.ca.cert, servername: 'localhost' });
    cleanups.push(() => good.destroy());
    await new Promise((r) => good.once('secureConnect', r));
    const garbage = await tcpClient(s.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(garbage).toEqual({ reply: '', closed: true });
    const binary = await tcpClient(s.port, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]));
    expect(binary.closed).toBe(true);
    await until(() => s.errors.length === 2);
    expect(s.errors[0]).toMatchObject({ reason: 'ERR_SSL_HTTP_REQUEST', message: 'http request' });
    const echoed = new Promise<string>((r) => good.once('data', (d: Buffer) => r(d.toString())));
    good.write('still here');
    expect(await echoed).toBe('still here');
  });

  const stops = {
    'a graceful stop (stopAccepting, drainConnections)': (l: Listener) => (l.stopAccepting(), l.drainConnections()),
    closeConnections: (l: Listener) => l.closeConnections(),
  };
  for (const [name, stop] of Object.entries(stops)) {
    it(`${name} closes half-done handshakes instead of waiting for them`, async () => {
      const s = await start();
      const half = net.connect(s.port, '127.0.0.1');
      const closed = new Promise((r) => half.on('close', r));
      half.on('error', () => {});
      await until(() => s.listener.handshaking === 1);
      stop(s.listener);
      await closed;
      expect(s.listener.handshaking).toBe(0);
      expect(s.errors).toEqual([]);
    });
  }

  it('a TLS connection keeps its idle timeout', async () => {
    const s = await start({}, { idleTimeoutMs: 200 });
    const c = tls.connect({ host: '127.0.0.1', port: s.port, ca: certs.ca.cert, servername: 'localhost' });
    const closed = new Promise((r) => c.on('close', r));
    c.on('error', () => {});
    await closed;
    expect(s.conns[0]!.closeReason).toBe('idle_timeout');
  });

  it('openssl s_client: handshake, SNI and ALPN h2', async () => {
    const s = await start({ alpnProtocols: ['h2', 'http/1.1'] });
    const out = await sClient(s.port, ['-servername', 'alt.test', '-alpn', 'h2']);
    expect(out).toContain('ALPN protocol: h2');
    expect(out).toContain('Verify return code: 0 (ok)');
    expect(out).toMatch(/subject=CN ?= ?alt\.test/);
    expect(s.conns[0]?.tls?.servername).toBe('alt.test');
  });

  it('openssl s_client: mTLS with and without a client certificate', async () => {
    const s = await start({ requestCert: true, rejectUnauthorized: true });
    const good = await sClient(s.port, ['-servername', 'localhost', '-cert', certs.client.certPath, '-key', certs.client.keyPath]);
    expect(good).toContain('Verify return code: 0 (ok)');
    await until(() => s.conns.length === 1);
    expect(s.conns[0]!.tls!.peerCertificate()?.subject.CN).toBe('client');
    await sClient(s.port, ['-servername', 'localhost']);
    await until(() => s.errors.length === 1);
    expect(s.errors[0]!.reason).toBe('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
  });

  it('HTTP/2 over TLS: performServerHandshake takes the Connection’s TLS socket', async () => {
    let served = 0;
    const s = await start(
      { alpnProtocols: ['h2'] },
      {
        filterChain: [
          {
            createFilterChain(conn) {
              conn.addReadFilter({
                onData(buffer) {
                  // as the stream layer's detachSocket does: hand the socket, and what was read, to nghttp2
                  const socket = conn.socket;
                  conn.flushWrites();
                  socket.pause();
                  socket.removeAllListeners('data');
                  socket.removeAllListeners('end');
                  conn.setIdleTimeout(0);
                  const unread = buffer.chunks();
                  buffer.clear();
                  for (let i = unread.length - 1; i >= 0; i--) socket.unshift(unread[i]!);
                  const session = http2.performServerHandshake(socket);
                  session.on('stream', (stream, headers) => {
                    served++;
                    stream.respond({ ':status': 200 });
                    stream.end(`h2 ${String(headers[':path'])} alpn=${conn.tls?.alpnProtocol}`);
                  });
                  return 'stop';
                },
              });
            },
          },
        ],
      },
    );
    const client = http2.connect(`https://localhost:${s.port}`, { ca: certs.ca.cert });
    cleanups.push(() => client.destroy());
    const body = await new Promise<string>((resolve, reject) => {
      const req = client.request({ ':path': '/over-tls' });
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => resolve(text));
      req.on('error', reject);
      req.end();
    });
    expect(body).toBe('h2 /over-tls alpn=h2');
    expect(served).toBe(1);
    expect((client.socket as tls.TLSSocket).alpnProtocol).toBe('h2');
  });
});
