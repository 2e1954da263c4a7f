import https from 'node:https';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { generateTestCerts, type TestCerts } from '@mosn/net/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupAfterEach, cluster, get, httpBackend, httpProxyConfig, startMosnWithCleanup } from '../helpers.js';
import { run, servedCn } from './support.js';

// TLS on mosn's listeners and upstream clusters, against real clients: curl, openssl s_client, node:https.

let certs: TestCerts;
beforeAll(() => {
  certs = generateTestCerts();
});
afterAll(() => certs.remove());
const cleanups = cleanupAfterEach();

const curl = (port: number, extra: string[] = [], path = '/') =>
  run('curl', ['-sS', '--max-time', '10', '--cacert', certs.ca.certPath, ...extra, `https://localhost:${port}${path}`]);

function tlsContext(extra: Record<string, unknown> = {}) {
  return { status: true, ca_cert: certs.ca.certPath, cert_chain: certs.server.certPath, private_key: certs.server.keyPath, ...extra };
}

/** A listener `l` with TLS on its filter chain, routing everything to a direct answer (or to cluster `c`). */
async function tlsListener(tls: Record<string, unknown>, opts: { inspector?: boolean; downstream?: string; route?: unknown; clusters?: unknown[] } = {}) {
  const config = httpProxyConfig({
    downstreamProtocol: opts.downstream ?? 'Http1',
    routes: [opts.route ?? { match: { prefix: '/' }, direct_response: { status: 200, body: 'over tls' } }],
    clusters: opts.clusters ?? [],
    listener: opts.inspector ? { inspector: true } : {},
  }) as { servers: Array<{ listeners: Array<{ filter_chains: Array<Record<string, unknown>> }> }> };
  Object.assign(config.servers[0]!.listeners[0]!.filter_chains[0]!, tls);
  return startMosnWithCleanup(config, cleanups);
}

describe('TLS on a listener', () => {
  it('serves HTTP/1.1 over TLS to curl, and refuses plaintext', async () => {
    const { mosn, p } = await tlsListener({ tls_context: tlsContext() });
    const r = await curl(p);
    expect(r.stdout).toBe('over tls');
    // a plaintext request is not a ClientHello: that connection is closed, mosn goes on
    await expect(get(p, '/')).rejects.toThrow();
    expect((await curl(p)).stdout).toBe('over tls');
    expect(mosn.stats.get('listener.l.downstream_tls_handshake_failed')).toBeGreaterThanOrEqual(1);
  });

  it('mutual TLS (verify_client + require_client_cert): curl without a client certificate is refused, with one is served', async () => {
    const { p } = await tlsListener({ tls_context: tlsContext({ verify_client: true, require_client_cert: true }) });
    const without = await curl(p);
    expect(without.code).not.toBe(0);
    const withCert = await curl(p, ['--cert', certs.client.certPath, '--key', certs.client.keyPath]);
    expect(withCert.stdout).toBe('over tls');
    const otherCa = await curl(p, ['--cert', certs.otherClient.certPath, '--key', certs.otherClient.keyPath]);
    expect(otherCa.code).not.toBe(0);
  });

  it('tls_context_set: SNI picks the certificate, the first is the default', async () => {
    const { p } = await tlsListener({
      tls_context_set: [tlsContext(), tlsContext({ cert_chain: certs.alt.certPath, private_key: certs.alt.keyPath })],
    });
    expect(await servedCn(p, 'alt.test')).toBe('alt.test');
    expect(await servedCn(p, 'www.alt.test')).toBe('alt.test');
    expect(await servedCn(p, 'localhost')).toBe('localhost');
    expect(await servedCn(p)).toBe('localhost');
  });

  it('inspector: TLS and plaintext on one port', async () => {
    const { p } = await tlsListener({ tls_context: tlsContext() }, { inspector: true });
    expect((await curl(p)).stdout).toBe('over tls');
    expect((await get(p, '/')).body).toBe('over tls');
  });

  it('HTTP/2 over TLS with ALPN h2 (curl --http2), on an Auto listener that also serves HTTP/1.1 over TLS', async () => {
    const { p } = await tlsListener({ tls_context: tlsContext() }, { downstream: 'Auto' });
    const h2 = await curl(p, ['--http2', '-w', ' %{http_version}']);
    expect(h2.stdout).toBe('over tls 2');
    const h1 = await curl(p, ['--http1.1', '-w', ' %{http_version}']);
    expect(h1.stdout).toBe('over tls 1.1');
  });

  it('a client that never finishes its handshake, or sends garbage, does not keep others from being served', async () => {
    const { p } = await tlsListener({ tls_context: tlsContext() });
    const silent = netConnect({ port: p, host: '127.0.0.1' });
    silent.on('error', () => {});
    cleanups.push(() => silent.destroy());
    const garbage = netConnect({ port: p, host: '127.0.0.1' }, () => garbage.write('GARBAGE GARBAGE GARBAGE\r\n\r\n'));
    garbage.on('error', () => {});
    const closed = new Promise<void>((r) => garbage.on('close', () => r()));
    expect((await curl(p)).stdout).toBe('over tls');
    await closed;
  });
});

describe('TLS to an upstream cluster', () => {
  async function httpsBackend(cert = certs.server) {
    const server = https.createServer({ cert: cert.cert, key: cert.key }, (_req, res) => res.end('from https backend'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
    return (server.address() as AddressInfo).port;
  }

  it('verifies the upstream certificate with ca_cert: the right CA is served, the wrong one is a 502 counted as a connect failure', async () => {
    const port = await httpsBackend();
    const good = await tlsListener({}, {
      route: { match: { prefix: '/' }, route: { cluster_name: 'c' } },
      clusters: [cluster('c', [`127.0.0.1:${port}`], { tls_context: { status: true, ca_cert: certs.ca.certPath, server_name: 'localhost' } })],
    });
    expect((await get(good.p, '/')).body).toBe('from https backend');

    const bad = await tlsListener({}, {
      route: { match: { prefix: '/' }, route: { cluster_name: 'c' } },
      clusters: [cluster('c', [`127.0.0.1:${port}`], { tls_context: { status: true, ca_cert: certs.otherCa.certPath, server_name: 'localhost' } })],
    });
    expect((await get(bad.p, '/')).status).toBe(502);
    expect(bad.mosn.stats.get('cluster.c.upstream_cx_connect_failed')).toBeGreaterThanOrEqual(1);

    const skip = await tlsListener({}, {
      route: { match: { prefix: '/' }, route: { cluster_name: 'c' } },
      clusters: [cluster('c', [`127.0.0.1:${port}`], { tls_context: { status: true, insecure_skip: true } })],
    });
    expect((await get(skip.p, '/')).body).toBe('from https backend');
  });

  it('mTLS between two mosn hops: client mosn presents its certificate to the server mosn, which requires it', async () => {
    const backend = await httpBackend((_req, res) => res.end('behind two hops'));
    const server = await tlsListener({ tls_context: tlsContext({ verify_client: true, require_client_cert: true }) }, {
      route: { match: { prefix: '/' }, route: { cluster_name: 'app' } },
      clusters: [cluster('app', [backend.address])],
    });
    cleanups.push(() => backend.close());
    const client = await tlsListener({}, {
      route: { match: { prefix: '/' }, route: { cluster_name: 'mesh' } },
      clusters: [
        cluster('mesh', [`127.0.0.1:${server.p}`], {
          tls_context: { status: true, ca_cert: certs.ca.certPath, cert_chain: certs.client.certPath, private_key: certs.client.keyPath, server_name: 'localhost' },
        }),
      ],
    });
    expect((await get(client.p, '/')).body).toBe('behind two hops');
    // without its client certificate the server mosn refuses the hop
    const anonymous = await tlsListener({}, {
      route: { match: { prefix: '/' }, route: { cluster_name: 'mesh' } },
      clusters: [cluster('mesh', [`127.0.0.1:${server.p}`], { tls_context: { status: true, ca_cert: certs.ca.certPath, server_name: 'localhost' } })],
    });
    expect((await get(anonymous.p, '/')).status).toBe(502);
  });
});
