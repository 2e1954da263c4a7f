import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { generateTestCerts, type TestCerts } from '@mosn/net/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupAfterEach, cluster, get, httpBackend, httpProxyConfig, startMosnWithCleanup } from '../helpers.js';

// hosts[].tls_disable: one host of a TLS cluster is dialed in plaintext (MOSN's meaning).

let certs: TestCerts;
beforeAll(() => {
  certs = generateTestCerts();
});
afterAll(() => certs.remove());
const cleanups = cleanupAfterEach();

describe('tls_disable on a host of a TLS cluster', () => {
  it('that host is dialed in plaintext, the others with TLS', async () => {
    const server = https.createServer({ cert: certs.server.cert, key: certs.server.key }, (_req, res) => res.end('tls host'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
    const plain = await httpBackend((_req, res) => res.end('plain host'));
    cleanups.push(() => plain.close());
    const tlsHost = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const c = cluster('c', [], { tls_context: { status: true, ca_cert: certs.ca.certPath, server_name: 'localhost' } });
    c.hosts = [{ address: tlsHost }, { address: plain.address, tls_disable: true }];
    const { p } = await startMosnWithCleanup(httpProxyConfig({ routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }], clusters: [c] }), cleanups);
    const bodies = new Set<string>();
    for (let i = 0; i < 6; i++) bodies.add((await get(p, '/')).body);
    expect([...bodies].sort()).toEqual(['plain host', 'tls host']);
  });
});
