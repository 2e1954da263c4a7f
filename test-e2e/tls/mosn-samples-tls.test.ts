import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from 'mosn';
import { cleanupAfterEach, closedPort, httpBackend } from '../helpers.js';
import { rpcClient, startRpcServer } from '../bolt/peers.js';
import { startMosnProcess, type MosnProcess } from '../reload/support.js';
import { run } from './support.js';

// MOSN's own TLS samples, run end to end as two mosn processes each (`mosn start -c`), with MOSN's own sample
// certificates (examples/codes/certs: a CA, and one certificate for IP 127.0.0.1 that both sides use):
//   http-sample:                   curl → client mosn (Http1, cluster with tls_context) ══ mTLS ══▶ server mosn
//                                  (listener tls_context, verify_client + require_client_cert) → node:http
//   sofarpc-with-xprotocol-sample: sofa-rpc-node RpcClient → client mosn (bolt) ══ mTLS ══▶ server mosn (bolt)
//                                  → sofa-rpc-node RpcServer
// The configs are copied with their ports rewritten to free ones and their certificate paths made absolute
// (relative to the sample's own folder, where they point at ../certs).

const CORPUS = [new URL('../../fixtures/mosn-configs/', import.meta.url), new URL('../../../shared/mosn-configs/', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((d) => existsSync(d));
const cleanups = cleanupAfterEach();

const sample = (name: string) => {
  if (!CORPUS) throw new Error("MOSN's config corpus (fixtures/mosn-configs or ../shared/mosn-configs) was not found");
  return join(CORPUS, 'examples/codes', name);
};
const CERTS = () => sample('certs');

/**
 * The file the copies use as `ca_cert`: the sample's own `ca.pem`, or its `cert.pem` (see 'the sample
 * certificates' below: OpenSSL verifies cert.pem only against itself).
 */
type CaFile = 'ca.pem' | 'cert.pem';

/**
 * A copy of a sample config: its one listener on `listenerPort`, its one cluster's hosts → `upstream`, its admin
 * API on 127.0.0.1:`adminPort`, every certificate path absolute (resolved against the sample's folder).
 */
function sampleCopy(file: string, o: { listenerPort: number; upstream: string; adminPort: number; ca: string }): Record<string, any> {
  const config = loadConfigFile(file) as Record<string, any>;
  const listeners = config.servers[0].listeners as any[];
  expect(listeners).toHaveLength(1);
  listeners[0].address = `127.0.0.1:${o.listenerPort}`;
  const clusters = config.cluster_manager.clusters as any[];
  expect(clusters).toHaveLength(1);
  expect(clusters[0].hosts).toHaveLength(1);
  clusters[0].hosts = [{ address: o.upstream }];
  config.admin.address.socket_address = { address: '127.0.0.1', port_value: o.adminPort };
  const absolute = (tls: Record<string, string> | undefined) => {
    for (const k of ['ca_cert', 'cert_chain', 'private_key']) {
      if (tls?.[k] !== undefined && !isAbsolute(tls[k]!)) tls[k] = resolve(dirname(file), tls[k]!);
    }
    if (tls?.ca_cert !== undefined) {
      expect(tls.ca_cert).toBe(join(CERTS(), 'ca.pem'));
      tls.ca_cert = join(CERTS(), o.ca);
    }
  };
  absolute(listeners[0].filter_chains[0].tls_context);
  absolute(clusters[0].tls_context);
  return config;
}

/** The sample's server and client configs started as mosn processes: upstream ← server mosn ← client mosn. */
async function runSample(name: string, upstream: string, ca: CaFile): Promise<{ server: MosnProcess; client: MosnProcess; serverPort: number; clientPort: number }> {
  const [serverPort, clientPort, serverAdmin, clientAdmin] = [await closedPort(), await closedPort(), await closedPort(), await closedPort()];
  const serverConfig = sampleCopy(join(sample(name), 'tls_server_config.json'), { listenerPort: serverPort, upstream, adminPort: serverAdmin, ca });
  // the sample's server listener: TLS with the sample certificate, client certificates required and verified
  expect(serverConfig.servers[0].listeners[0].filter_chains[0].tls_context).toMatchObject({ status: true, verify_client: true, require_client_cert: true });
  const server = await startMosnProcess(serverConfig, cleanups, { adminPort: serverAdmin });
  const clientConfig = sampleCopy(join(sample(name), 'tls_client_config.json'), { listenerPort: clientPort, upstream: `127.0.0.1:${serverPort}`, adminPort: clientAdmin, ca });
  expect(clientConfig.cluster_manager.clusters[0].tls_context).toMatchObject({ status: true, server_name: '127.0.0.1' });
  const client = await startMosnProcess(clientConfig, cleanups, { adminPort: clientAdmin });
  return { server, client, serverPort, clientPort };
}

/**
 * The server mosn's listener serves only mutual TLS with the sample's certificates (checked with curl and openssl,
 * which, being OpenSSL, trust the sample's cert.pem only as its own CA).
 */
async function expectServerListenerIsMtls(server: MosnProcess, serverPort: number, http: boolean): Promise<void> {
  const certs = CERTS();
  const tlsArgs = ['-sS', '--max-time', '10', '--cacert', join(certs, 'cert.pem')];
  // no client certificate: the handshake is refused
  const anonymous = await run('curl', [...tlsArgs, `https://127.0.0.1:${serverPort}/`]);
  expect(anonymous.code, anonymous.stdout).not.toBe(0);
  await server.waitStats((s) => (s['listener.serverListener.downstream_tls_handshake_failed'] ?? 0) >= 1, 5000, 'the refused handshake is counted');
  if (http) {
    // with the sample's certificate as the client certificate, curl gets through (the certificate is for IP 127.0.0.1)
    const withCert = await run('curl', [...tlsArgs, '--cert', join(certs, 'cert.pem'), '--key', join(certs, 'key.pem'), `https://127.0.0.1:${serverPort}/direct`]);
    expect(withCert.stdout).toBe('backend got GET /direct');
  }
  // openssl s_client sees the sample's certificate (subject O = Acme Co, for IP 127.0.0.1)
  const s = await run('openssl', ['s_client', '-connect', `127.0.0.1:${serverPort}`, '-CAfile', join(certs, 'cert.pem'), '-verify_ip', '127.0.0.1', '-verify_return_error', '-cert', join(certs, 'cert.pem'), '-key', join(certs, 'key.pem')], 'Q\n');
  expect(s.stdout).toMatch(/subject=O\s*=\s*Acme Co/);
  expect(s.stdout).toMatch(/Verify return code: 0 \(ok\)/);
}

/** http-sample: curl → client mosn ══ mTLS ══▶ server mosn → node:http. */
async function httpSample(ca: CaFile): Promise<void> {
  const seen: string[] = [];
  const backend = await httpBackend((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.end(`backend got ${req.method} ${req.url}`);
  });
  cleanups.push(backend.close);
  const { server, client, serverPort, clientPort } = await runSample('http-sample', backend.address, ca);

  for (let i = 0; i < 5; i++) {
    const r = await run('curl', ['-sS', '--max-time', '10', '-w', ' %{http_code}', `http://127.0.0.1:${clientPort}/hello/${i}`]);
    expect(r.stdout, `${r.stderr}\nclient mosn:\n${client.tail()}\nserver mosn:\n${server.tail()}`).toBe(`backend got GET /hello/${i} 200`);
  }
  const post = await run('curl', ['-sS', '--max-time', '10', '--data-binary', 'x'.repeat(100_000), `http://127.0.0.1:${clientPort}/upload`]);
  expect(post.stdout).toBe('backend got POST /upload');
  expect(seen).toEqual([...Array.from({ length: 5 }, (_, i) => `GET /hello/${i}`), 'POST /upload']);
  // every request crossed the TLS hop: the server mosn's listener served them
  const serverStats = await server.stats();
  expect(serverStats['listener.serverListener.downstream_rq_total']).toBe(6);
  expect(serverStats['listener.serverListener.downstream_tls_handshake_failed'] ?? 0).toBe(0);

  await expectServerListenerIsMtls(server, serverPort, true);
}

/** sofarpc-with-xprotocol-sample: sofa-rpc-node client → client mosn ══ mTLS ══▶ server mosn → sofa-rpc-node server. */
async function sofaRpcSample(ca: CaFile): Promise<void> {
  const S = await startRpcServer('S');
  cleanups.push(S.close);
  const { server, client, serverPort, clientPort } = await runSample('sofarpc-with-xprotocol-sample', S.address, ca);

  const c = rpcClient(`127.0.0.1:${clientPort}`);
  cleanups.push(c.close);
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => c.invoke<string>('echo', [`sample-${i}`], { timeout: 10_000 })));
  expect(answers, `client mosn:\n${client.tail()}\nserver mosn:\n${server.tail()}`).toEqual(Array.from({ length: 200 }, (_, i) => `sample-${i}`));
  expect(await c.invoke('plus', [1, 2])).toBe(3);
  expect(S.requests).toHaveLength(201);
  const serverStats = await server.stats();
  expect(serverStats['listener.serverListener.downstream_rq_total']).toBeGreaterThanOrEqual(201);
  expect(serverStats['listener.serverListener.downstream_tls_handshake_failed'] ?? 0).toBe(0);

  await expectServerListenerIsMtls(server, serverPort, false);
  expect(S.requests).toHaveLength(201);
}

describe("MOSN's sample certificates (examples/codes/certs)", () => {
  // Go's crypto/x509 builds the chain by issuer name and checks the signature with the CA's key: cert.pem
  // verifies against ca.pem. OpenSSL (node:tls, curl, openssl) sees a certificate whose issuer is its own subject
  // and whose signature verifies with its own key: a self-signed certificate that is not in the trust store.
  it("cert.pem is signed with the CA's own key, under the CA's name and serial: OpenSSL takes it for self-signed", async () => {
    const ca = new X509Certificate(readFileSync(join(CERTS(), 'ca.pem')));
    const leaf = new X509Certificate(readFileSync(join(CERTS(), 'cert.pem')));
    expect(leaf.issuer).toBe(ca.subject);
    expect(leaf.subject).toBe(ca.subject);
    expect(leaf.serialNumber).toBe(ca.serialNumber);
    expect(leaf.publicKey.equals(ca.publicKey)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(ca.ca).toBe(true);
    expect(leaf.subjectAltName).toBe('IP Address:127.0.0.1');
    const withCa = await run('openssl', ['verify', '-CAfile', join(CERTS(), 'ca.pem'), join(CERTS(), 'cert.pem')]);
    expect(withCa.code).not.toBe(0);
    expect(withCa.stdout + withCa.stderr).toMatch(/error 18 at 0 depth lookup: self-signed certificate/);
    const withItself = await run('openssl', ['verify', '-CAfile', join(CERTS(), 'cert.pem'), join(CERTS(), 'cert.pem')]);
    expect(withItself.stdout.trim()).toBe(`${join(CERTS(), 'cert.pem')}: OK`);
  });
});

describe("MOSN's TLS samples, run as mosn processes with MOSN's certificates", () => {
  // BUG (compatibility): MOSN runs these samples as shipped (Go verifies cert.pem against ca.pem, see above);
  // mosn-ts verifies with OpenSSL, which refuses cert.pem as a self-signed certificate on both sides: the client
  // mosn's handshake to the server mosn fails and every request is answered "upstream connect failed".
  it.fails('http-sample as shipped (ca_cert ca.pem): curl → client mosn ══ mTLS ══▶ server mosn → node:http', () => httpSample('ca.pem'), 60_000);
  it.fails('sofarpc-with-xprotocol-sample as shipped (ca_cert ca.pem): sofa-rpc-node → mosn ══ mTLS ══▶ mosn → sofa-rpc-node', () => sofaRpcSample('ca.pem'), 60_000);

  // The same samples with cert.pem trusted as its own CA: everything else in them runs (TLS on the hop with the
  // sample's certificate, the server name 127.0.0.1 checked against its IP SAN, client certificates required).
  it('http-sample with cert.pem as ca_cert: curl → client mosn ══ mTLS ══▶ server mosn → node:http', () => httpSample('cert.pem'), 60_000);
  it('sofarpc-with-xprotocol-sample with cert.pem as ca_cert: sofa-rpc-node → mosn ══ mTLS ══▶ mosn → sofa-rpc-node', () => sofaRpcSample('cert.pem'), 60_000);
});
