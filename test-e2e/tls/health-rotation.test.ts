import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { Mosn, silentLogger } from 'mosn';
import type { TestCert } from '@mosn/net/testing';
import { cleanupAfterEach, closedPort, cluster, get, httpProxyConfig, port, spawnMosn, waitUntil } from '../helpers.js';
import { endProcess } from '../reload/support.js';
import { certsForFile, clusterTlsContext, peerCn, tlsConnect, withListenerTls } from './support.js';

// TLS and what runs beside the traffic: a TLS cluster's active health checks go over TLS (a host whose
// certificate does not verify is unhealthy), and certificate files rotated on disk are picked up without a
// restart (new handshakes get the new certificate, open connections go on), with config_dump redacting keys.

const certs = certsForFile();
const cleanups = cleanupAfterEach();

// ---------------------------------------------------------------------------------------------------------
// Health checks over TLS

/** An HTTPS server with `cert` that requires a client certificate from the test CA; counts /health checks. */
async function httpsHost(cert: TestCert): Promise<{ address: string; checks: () => number; clientCns: string[] }> {
  let checks = 0;
  const clientCns: string[] = [];
  const server = https.createServer({ cert: cert.cert, key: cert.key, ca: certs().ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    clientCns.push(String((req.socket as tls.TLSSocket).getPeerCertificate().subject?.CN));
    if (req.url === '/health') checks++;
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, checks: () => checks, clientCns };
}

describe('health checks of a TLS cluster run over TLS', () => {
  it.each([
    ['tcp', { protocol: 'tcp' }],
    ['Http1 with http_check_config', { protocol: 'Http1', check_config: { http_check_config: { path: '/health', codes: [{ start: 200, end: 299 }] } } }],
  ])('%s: the host whose certificate verifies stays healthy, the one signed by another CA becomes unhealthy', async (kind, check) => {
    const good = await httpsHost(certs().server);
    const bad = await httpsHost(certs().otherServer);
    const mosn = new Mosn({
      config: httpProxyConfig({
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }],
        clusters: [
          cluster('c', [good.address, bad.address], {
            tls_context: clusterTlsContext(certs(), certs().client),
            health_check: { ...check, timeout: '1s', interval: '100ms', initial_delay_seconds: '50ms', healthy_threshold: 1, unhealthy_threshold: 2 },
          }),
        ],
      }),
      logger: silentLogger,
    });
    await mosn.start();
    cleanups.push(() => mosn.stop(0));
    const [goodHost, badHost] = mosn.clusters.get('c')!.hosts;
    const stats = () => JSON.stringify(mosn.stats.snapshot());
    await waitUntil(() => badHost!.healthy === false, 5000, `${kind}: the host with the other CA's certificate marked unhealthy`, stats);
    expect(mosn.stats.get('cluster.c.health_check.failure')).toBeGreaterThanOrEqual(2);
    // the good host passes check after check over TLS, presenting the cluster's client certificate
    const successes = mosn.stats.get('cluster.c.health_check.success') ?? 0;
    await waitUntil(() => (mosn.stats.get('cluster.c.health_check.success') ?? 0) >= successes + 3, 5000, `${kind}: more checks of the good host pass`, stats);
    expect(goodHost!.healthy).toBe(true);
    if (kind !== 'tcp') {
      // an HTTP check over plaintext would get no answer from an HTTPS server: these came over TLS, with the certificate
      expect(good.checks()).toBeGreaterThanOrEqual(3);
      expect(new Set(good.clientCns)).toEqual(new Set(['client']));
    }
    expect(bad.checks()).toBe(0);
    // the traffic goes to the healthy host only
    for (let i = 0; i < 6; i++) expect((await get(port(mosn.listenerAddress('l')), '/')).body).toBe('ok');
    expect(good.clientCns.length).toBeGreaterThanOrEqual(6);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Certificate rotation

/** One HTTP/1.1 keep-alive request on an open TLS connection; resolves with the status line and body. */
function requestOn(s: tls.TLSSocket, path: string): Promise<{ status: string; body: string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => done(new Error(`no answer on the open connection in 5 s: ${JSON.stringify(text)}`)), 5000);
    const onData = (c: Buffer) => {
      text += c.toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      if (head < 0) return;
      const length = Number(/content-length:\s*(\d+)/i.exec(text.slice(0, head))?.[1] ?? -1);
      if (length >= 0 && text.length >= head + 4 + length) done(undefined, { status: text.slice(0, text.indexOf('\r\n')), body: text.slice(head + 4, head + 4 + length) });
    };
    const onClose = () => done(new Error(`connection closed: ${JSON.stringify(text)}`));
    const done = (err?: Error, v?: { status: string; body: string }) => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('close', onClose);
      if (err) reject(err);
      else resolve(v!);
    };
    s.on('data', onData);
    s.once('close', onClose);
    s.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
  });
}

/** A folder with the certificate files a config names relatively, and that config (listener TLS, admin API). */
function rotationFolder(listenerPort: number, adminPort: number): { dir: string; file: string; config: unknown } {
  const dir = mkdtempSync(join(tmpdir(), 'mosn-tls-rotation-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(certs().server.certPath, join(dir, 'cert.pem'));
  copyFileSync(certs().server.keyPath, join(dir, 'key.pem'));
  copyFileSync(certs().ca.certPath, join(dir, 'ca.pem'));
  const config = withListenerTls(
    httpProxyConfig({
      routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: 'served' } }],
      // a cluster with its client certificate and key inline (PEM): the key must not show in config_dump either
      clusters: [cluster('inline', ['127.0.0.1:1'], { tls_context: { status: true, ca_cert: 'ca.pem', server_name: 'localhost', cert_chain: certs().client.cert, private_key: certs().client.key } })],
      listener: { address: `127.0.0.1:${listenerPort}` },
    }),
    { tls_context: { status: true, cert_chain: 'cert.pem', private_key: 'key.pem' } },
  ) as Record<string, unknown>;
  config.admin = { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } };
  (config.servers as Array<Record<string, unknown>>)[0]!.default_log_level = 'INFO';
  const file = join(dir, 'mosn.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return { dir, file, config };
}

/**
 * The rotation itself, against a mosn serving `dir`'s cert.pem/key.pem on `listenerPort`: an open connection,
 * the files overwritten with alt.test's pair, new handshakes show alt.test within a few seconds while the open
 * connection goes on; config_dump on `adminPort` redacts every private key.
 */
async function rotate(dir: string, listenerPort: number, adminPort: number): Promise<void> {
  const verify = { ca: certs().ca.cert, checkServerIdentity: () => undefined }; // the CA is checked, the name is what we look at
  const old = await tlsConnect(listenerPort, { ...verify, servername: 'localhost' });
  cleanups.push(() => old.destroy());
  expect(peerCn(old)).toBe('localhost');
  expect(await requestOn(old, '/before')).toEqual({ status: 'HTTP/1.1 200 OK', body: 'served' });

  // a rotation writes the key and the certificate one after the other
  copyFileSync(certs().alt.keyPath, join(dir, 'key.pem'));
  copyFileSync(certs().alt.certPath, join(dir, 'cert.pem'));
  const rotatedAt = Date.now();
  let seen = '';
  await waitUntil(
    async () => {
      const s = await tlsConnect(listenerPort, verify);
      seen = peerCn(s);
      s.destroy();
      if (seen !== 'alt.test') await new Promise((r) => setTimeout(r, 200));
      return seen === 'alt.test';
    },
    8000,
    'a new handshake shows the rotated certificate',
    () => `last certificate seen: ${seen}`,
  );
  expect(Date.now() - rotatedAt).toBeLessThan(8000);

  // the connection made before the rotation goes on, with the certificate it was made with
  expect(await requestOn(old, '/after')).toEqual({ status: 'HTTP/1.1 200 OK', body: 'served' });
  expect(peerCn(old)).toBe('localhost');
  // and new connections are served with the new one
  const fresh = await tlsConnect(listenerPort, { ca: certs().ca.cert, servername: 'alt.test' });
  cleanups.push(() => fresh.destroy());
  expect(peerCn(fresh)).toBe('alt.test');
  expect(await requestOn(fresh, '/new')).toEqual({ status: 'HTTP/1.1 200 OK', body: 'served' });

  const r = await fetch(`http://127.0.0.1:${adminPort}/api/v1/config_dump`);
  expect(r.status).toBe(200);
  const text = await r.text();
  const dump = JSON.parse(text) as any;
  const listenerTls = dump.servers[0].listeners[0].filter_chains[0].tls_context;
  expect(listenerTls).toMatchObject({ cert_chain: 'cert.pem', private_key: '[redacted]' });
  expect(dump.cluster_manager.clusters[0].tls_context.private_key).toBe('[redacted]');
  expect(dump.cluster_manager.clusters[0].tls_context.cert_chain).toContain('BEGIN CERTIFICATE');
  expect(text).not.toContain('PRIVATE KEY');
  expect(text).not.toContain('key.pem');
}

describe('certificate rotation without a restart', () => {
  it('in process (new Mosn with baseDir): files overwritten → new handshakes get the new certificate, the open connection goes on', async () => {
    const adminPort = await closedPort();
    const { dir, config } = rotationFolder(0, adminPort);
    const mosn = new Mosn({ config, logger: silentLogger, baseDir: dir });
    await mosn.start();
    cleanups.push(() => mosn.stop(0));
    const before = mosn.version;
    await rotate(dir, port(mosn.listenerAddress('l')), adminPort);
    expect(mosn.version).toBeGreaterThan(before);
  });

  it('a half-done rotation (a new certificate without its key) changes nothing: the old pair goes on serving', async () => {
    const { dir, config } = rotationFolder(0, await closedPort());
    const mosn = new Mosn({ config, logger: silentLogger, baseDir: dir });
    await mosn.start();
    cleanups.push(() => mosn.stop(0));
    const p = port(mosn.listenerAddress('l'));
    copyFileSync(certs().alt.certPath, join(dir, 'cert.pem')); // key.pem is still localhost's
    await waitUntil(() => (mosn.stats.get('config.apply_failed') ?? 0) >= 1, 8000, 'the rotation is tried and refused', () => JSON.stringify(mosn.stats.snapshot()));
    const s = await tlsConnect(p, { ca: certs().ca.cert, servername: 'localhost' });
    cleanups.push(() => s.destroy());
    expect(peerCn(s)).toBe('localhost');
    expect(await requestOn(s, '/still')).toEqual({ status: 'HTTP/1.1 200 OK', body: 'served' });
    expect(mosn.version).toBe(1);
    // the key arrives: now the rotation applies
    copyFileSync(certs().alt.keyPath, join(dir, 'key.pem'));
    let seen = '';
    await waitUntil(
      async () => {
        const n = await tlsConnect(p, { ca: certs().ca.cert, servername: 'alt.test' }).catch(() => undefined);
        seen = n ? peerCn(n) : '(handshake failed)';
        n?.destroy();
        if (seen !== 'alt.test') await new Promise((r) => setTimeout(r, 200));
        return seen === 'alt.test';
      },
      8000,
      'the completed rotation applies',
      () => `last certificate seen: ${seen}`,
    );
  });

  it('`mosn start -c <file>` (relative certificate paths from the config file’s folder, another cwd): the same', async () => {
    const listenerPort = await closedPort();
    const adminPort = await closedPort();
    const { dir, file } = rotationFolder(listenerPort, adminPort);
    const m = await spawnMosn(['start', '-c', file]);
    cleanups.push(() => endProcess(m.child, m.exited));
    await rotate(dir, listenerPort, adminPort);
    const stats = (await (await fetch(`http://127.0.0.1:${adminPort}/api/v1/stats`)).json()) as Record<string, number>;
    expect(stats['config.version'], m.output().slice(-2000)).toBeGreaterThanOrEqual(2);
    expect(m.output()).not.toContain('PRIVATE KEY');
  });
});
