import net from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Connection, type DialOptions } from './connection.js';
import { Listener } from './listener.js';
import type { ClientTlsOptions } from './tls.js';
import { LruSessionCache } from './tls-session-cache.js';
import { generateTestCerts, type TestCert, type TestCerts } from './testing/certs.js';
import type { ConnectionEvent } from './types.js';

let certs: TestCerts;
beforeAll(() => {
  certs = generateTestCerts();
});
afterAll(() => certs.remove());

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A node:tls echo server with `cert` on 127.0.0.1:0. */
async function tlsServer(cert: TestCert, options: tls.TlsOptions = {}): Promise<number> {
  const server = tls.createServer({ cert: cert.cert, key: cert.key, ...options }, (s) => {
    s.on('error', () => {});
    s.on('data', (d: Buffer) => s.write(d));
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

const trusting = (ca: TestCert = certs.ca): ClientTlsOptions => ({
  secureContext: tls.createSecureContext({ ca: ca.cert }),
  servername: 'localhost',
  rejectUnauthorized: true,
});

/** Dial, and resolve with the first connection event. */
async function dial(port: number, options: DialOptions): Promise<{ conn: Connection; event: ConnectionEvent }> {
  const conn = Connection.dial({ host: '127.0.0.1', port }, options);
  cleanups.push(() => conn.close('now'));
  const event = await new Promise<ConnectionEvent>((r) => conn.once('event', r));
  return { conn, event };
}

/** Send `text` over an open connection and resolve with what comes back. */
function echo(conn: Connection, text: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    conn.addReadFilter({
      onData(b) {
        got += b.takeAll().toString();
        if (got.length >= text.length) resolve(got);
        return 'stop';
      },
    });
    conn.initializeReadFilters();
    conn.write(Buffer.from(text));
  });
}

describe('Connection.dial with TLS', () => {
  it('connects after the handshake; reads and writes plaintext; connection.tls tells the peer', async () => {
    const port = await tlsServer(certs.server, { ALPNProtocols: ['h2', 'http/1.1'] });
    const { conn, event } = await dial(port, { tls: { ...trusting(), alpnProtocols: ['h2'] } });
    expect(event).toBe('connected');
    expect(conn.tls).toMatchObject({ alpnProtocol: 'h2', servername: 'localhost', authorized: true, protocol: 'TLSv1.3' });
    expect(conn.tls!.peerCertificate()?.subject.CN).toBe('localhost');
    expect(conn.tls!.isSessionReused()).toBe(false);
    expect(conn.socket.allowHalfOpen).toBe(true); // tcp_proxy half-closes over TLS too
    expect(await echo(conn, 'ping')).toBe('ping');
  });

  it('connection.tls is undefined until the handshake is done', async () => {
    const port = await tlsServer(certs.server);
    const conn = Connection.dial({ host: '127.0.0.1', port }, { tls: trusting() });
    cleanups.push(() => conn.close('now'));
    expect(conn.tls).toBeUndefined();
    await new Promise((r) => conn.once('event', r));
    expect(conn.tls).toBeDefined();
  });

  it('a server certificate from another CA: connect_failed, the reason in connectError', async () => {
    const port = await tlsServer(certs.otherServer);
    const { conn, event } = await dial(port, { tls: trusting() });
    expect(event).toBe('connect_failed');
    expect((conn.connectError as NodeJS.ErrnoException).code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(conn.state).toBe('closed');
  });

  it('a certificate for another name: connect_failed', async () => {
    const port = await tlsServer(certs.server);
    const { conn, event } = await dial(port, { tls: { ...trusting(), servername: 'alt.test' } });
    expect(event).toBe('connect_failed');
    expect((conn.connectError as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('an IP address as the server name is not sent as SNI, but the certificate is checked against it', async () => {
    let sni: string | false | undefined;
    const port = await tlsServer(certs.server, { SNICallback: (name, cb) => ((sni = name), cb(null, undefined)) });
    const ok = await dial(port, { tls: { ...trusting(), servername: '127.0.0.1' } });
    expect(ok.event).toBe('connected');
    expect(ok.conn.tls!.servername).toBe('127.0.0.1');
    expect(sni).toBeUndefined();
    const wrong = await dial(port, { tls: { ...trusting(), servername: '10.1.2.3' } });
    expect(wrong.event).toBe('connect_failed');
    expect((wrong.conn.connectError as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('an expired certificate: connect_failed', async () => {
    const port = await tlsServer(certs.expired);
    const { conn, event } = await dial(port, { tls: trusting() });
    expect(event).toBe('connect_failed');
    expect((conn.connectError as NodeJS.ErrnoException).code).toBe('CERT_HAS_EXPIRED');
  });

  it('insecure (rejectUnauthorized false) connects to any certificate', async () => {
    const port = await tlsServer(certs.otherServer);
    const { conn, event } = await dial(port, { tls: { ...trusting(), servername: 'alt.test', rejectUnauthorized: false } });
    expect(event).toBe('connected');
    expect(conn.tls!.authorized).toBe(false);
    expect(await echo(conn, 'ping')).toBe('ping');
  });

  it('a server that closes during the handshake: connect_failed', async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => server.close());
    const { conn, event } = await dial((server.address() as net.AddressInfo).port, { tls: trusting() });
    expect(event).toBe('connect_failed');
    expect(conn.connectError).toBeInstanceOf(Error);
  });

  it('the connect timeout covers the handshake', async () => {
    const held: net.Socket[] = [];
    const server = net.createServer((s) => held.push(s)); // accepts, never answers the ClientHello
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of held) s.destroy();
      server.close();
    });
    const { event } = await dial((server.address() as net.AddressInfo).port, { tls: trusting(), connectTimeoutMs: 200 });
    expect(event).toBe('connect_timeout');
  });

  it('resumes the session on the next dial through the session cache', async () => {
    const port = await tlsServer(certs.server);
    const sessions = new LruSessionCache();
    const first = await dial(port, { tls: { ...trusting(), sessions } });
    expect(first.event).toBe('connected');
    expect(first.conn.tls!.isSessionReused()).toBe(false);
    // TLS 1.3 tickets follow the handshake, with the first bytes from the server
    expect(await echo(first.conn, 'ping')).toBe('ping');
    expect(sessions.size).toBe(1);
    first.conn.close('now');
    const second = await dial(port, { tls: { ...trusting(), sessions } });
    expect(second.event).toBe('connected');
    expect(second.conn.tls!.isSessionReused()).toBe(true);
    expect(await echo(second.conn, 'pong')).toBe('pong');
    // another server name is another cache entry: a full handshake
    const other = await dial(port, { tls: { ...trusting(), servername: '127.0.0.1', sessions } });
    expect(other.conn.tls!.isSessionReused()).toBe(false);
  });

  it('mTLS end to end: a dial with a client certificate to a listener that requires one', async () => {
    const seen: unknown[] = [];
    const listener = new Listener({
      name: 'mtls',
      address: { host: '127.0.0.1', port: 0 },
      filterChain: [
        {
          createFilterChain(conn) {
            seen.push(conn.tls?.peerCertificate()?.subject.CN);
            conn.addReadFilter({ onData: (b) => (conn.write(b.takeAll()), 'stop') });
          },
        },
      ],
      tls: {
        contextFor: () => tls.createSecureContext({ cert: certs.server.cert, key: certs.server.key, ca: certs.ca.cert }),
        requestCert: true,
        rejectUnauthorized: true,
      },
    });
    await listener.start();
    cleanups.push(() => {
      listener.stopAccepting();
      listener.closeConnections();
    });
    const { port } = listener.address as { port: number };
    const clientContext = tls.createSecureContext({ ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key });
    const { conn, event } = await dial(port, { tls: { secureContext: clientContext, servername: 'localhost', rejectUnauthorized: true } });
    expect(event).toBe('connected');
    expect(await echo(conn, 'mutual')).toBe('mutual');
    expect(seen).toEqual(['client']);
  });
});

describe('LruSessionCache', () => {
  it('keeps at most max sessions, dropping the least recently used', () => {
    const c = new LruSessionCache(2);
    c.set('a', Buffer.from('1'));
    c.set('b', Buffer.from('2'));
    expect(c.get('a')?.toString()).toBe('1'); // a is now the most recent
    c.set('c', Buffer.from('3'));
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')?.toString()).toBe('1');
    c.set('a', Buffer.from('4'));
    expect(c.size).toBe(2);
    expect(c.get('a')?.toString()).toBe('4');
  });
});
