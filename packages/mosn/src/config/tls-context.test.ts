import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigProblems, ConfigReader } from './config-reader.js';
import { makeReaderCerts } from './testing-certs.js';
import { problemLines, readSection } from './testing.js';
import { clientAuthOf, readClusterTls, readFilterChainTls, readTlsConfig, type TlsSide } from './tls-context.js';

const certs = makeReaderCerts();
afterAll(() => certs.remove());
const dir = certs.dir;
const pem = (name: string) => readFileSync(join(dir, name), 'utf8');
const T = 'fc.tls_context';
const o = { baseDir: dir };
const read = (json: Record<string, unknown>, side: TlsSide = 'listener') => readSection(json, T, (t) => readTlsConfig(t, side, o));
const server = { status: true, cert_chain: 'server.pem', private_key: 'server.key' };

describe('readTlsConfig', () => {
  it('reads nothing without status: true; the other keys are inert, as in MOSN', () => {
    const off = read({ status: false, server_name: 'a', cert_chain: 'missing.pem', nope: 1 });
    expect(off.result).toBeUndefined();
    expect(off.errors).toEqual([]);
    expect(off.warnings).toEqual([`${T}.nope: unknown key; ignored`]);
    expect(read({ cert_chain: 'missing.pem' }).result).toBeUndefined();
  });

  it('reads a listener context: files relative to the base folder, names from the certificate, every setting', () => {
    const { result, errors, warnings } = read({
      ...server,
      ca_cert: 'ca.pem',
      server_name: 'www.example.test',
      verify_client: true,
      require_client_cert: true,
      cipher_suites: 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-WITH-CHACHA20-POLY1305:ECDHE-RSA-AES128-CBC-SHA',
      ecdh_curves: 'X25519,p256',
      min_version: 'TLSv1_2',
      max_version: 'tls_auto',
      alpn: 'h2,http/1.1',
    });
    expect([errors, warnings]).toEqual([[], []]);
    expect(result).toEqual({
      serverName: 'www.example.test',
      ca: pem('ca.pem'),
      certChain: pem('server.pem'),
      privateKey: pem('server.key'),
      files: { ca: join(dir, 'ca.pem'), certChain: join(dir, 'server.pem'), privateKey: join(dir, 'server.key') },
      certNames: ['localhost', '*.example.test', '127.0.0.1'],
      clientAuth: 'require_and_verify',
      insecureSkip: false,
      // with no TLS 1.3 suite named, MOSN keeps them all: so does the list
      ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-SHA:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256',
      ecdhCurves: 'X25519:P-256',
      minVersion: 'TLSv1.2',
      alpn: ['h2', 'http/1.1'],
      sessionTickets: true,
      fallBack: false,
    });
  });

  it('keeps inline PEM (MOSN: a value holding "-----BEGIN"), with no file; absolute paths stay as they are', () => {
    const { result, errors } = read({ status: true, cert_chain: pem('server.pem'), private_key: join(dir, 'server.key') });
    expect(errors).toEqual([]);
    expect(result?.certChain).toBe(pem('server.pem'));
    expect(result?.files).toEqual({ privateKey: join(dir, 'server.key') });
  });

  it('names a certificate by its CN when it has no subjectAltName', () => {
    expect(read({ status: true, cert_chain: 'client.pem', private_key: 'client.key' }).result?.certNames).toEqual(['client']);
  });

  it("derives clientAuth as MOSN's GetClientAuth does", () => {
    expect(clientAuthOf(false, false)).toBe('none');
    expect(clientAuthOf(true, false)).toBe('verify_if_given');
    expect(clientAuthOf(false, true)).toBe('request');
    expect(clientAuthOf(true, true)).toBe('require_and_verify');
    const requestOnly = read({ ...server, ca_cert: 'ca.pem', require_client_cert: true });
    expect(requestOnly.result?.clientAuth).toBe('request');
    expect(requestOnly.warnings).toEqual([expect.stringMatching(/^fc\.tls_context\.require_client_cert: without verify_client this only asks for a client certificate/)]);
    expect(read({ ...server, verify_client: true }).warnings).toEqual([
      `${T}.verify_client: without ca_cert, client certificates are verified against the default root CAs (Node's; MOSN: the system's)`,
    ]);
  });

  it('refuses what cannot be loaded, naming the key and the file', () => {
    const f = (n: string) => join(dir, n);
    expect(read({ ...server, cert_chain: 'missing.pem' }).errors).toEqual([`${T}.cert_chain: cannot read ${f('missing.pem')}: no such file`]);
    expect(read({ ...server, cert_chain: 'server.key' }).errors).toEqual([`${T}.cert_chain: ${f('server.key')} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`]);
    expect(read({ ...server, private_key: 'server.pem' }).errors).toEqual([expect.stringMatching(new RegExp(`^fc\\.tls_context\\.private_key: ${f('server.pem')} is not a usable private key: `))]);
    expect(read({ ...server, private_key: 'client.key' }).errors).toEqual([
      `${T}.private_key: the key in ${f('client.key')} does not match the certificate in ${f('server.pem')} (subject CN=localhost)`,
    ]);
    expect(read({ ...server, cert_chain: 'expired.pem', private_key: 'expired.key' }).errors).toEqual([
      expect.stringMatching(new RegExp(`^fc\\.tls_context\\.cert_chain: the certificate in ${f('expired.pem')} expired on Feb  1 00:00:00 2020 GMT$`)),
    ]);
    expect(read({ ...server, cert_chain: 'future.pem', private_key: 'future.key' }).errors).toEqual([
      `${T}.cert_chain: the certificate in ${f('future.pem')} is not valid yet: valid from Jan  1 00:00:00 2099 GMT`,
    ]);
    expect(read({ ...server, ca_cert: 'ca.key' }).errors).toEqual([`${T}.ca_cert: ${f('ca.key')} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`]);
    expect(read({ ...server, ca_cert: '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----' }).errors).toEqual([
      expect.stringMatching(/^fc\.tls_context\.ca_cert: the inline PEM has a certificate that cannot be parsed: /),
      `${T}.ca_cert: the inline PEM holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`,
    ]);
    // an expired CA verifies nothing, but a bundle may hold stale roots
    const staleCa = read({ ...server, ca_cert: pem('ca.pem') + pem('expired.pem') });
    expect(staleCa.errors).toEqual([]);
    expect(staleCa.warnings).toEqual([expect.stringMatching(/^fc\.tls_context\.ca_cert: the certificate in the inline PEM expired on .* \(subject CN=localhost\); it verifies nothing$/)]);
  });

  it('needs a certificate on a listener; a cluster may have none, or a CA alone', () => {
    expect(read({ status: true, ca_cert: 'ca.pem' }).errors).toEqual([`${T}.cert_chain: a listener's TLS needs the certificate it serves: set cert_chain and private_key`]);
    expect(read({ status: true, cert_chain: 'server.pem' }).errors).toEqual([`${T}.private_key: is required with cert_chain`]);
    const client = read({ status: true, ca_cert: 'ca.pem', server_name: 'localhost' }, 'cluster');
    expect([client.errors, client.warnings]).toEqual([[], []]);
    expect(client.result).toMatchObject({ serverName: 'localhost', ca: pem('ca.pem'), files: { ca: join(dir, 'ca.pem') }, certNames: [], clientAuth: 'none' });
    expect(client.result).not.toHaveProperty('certChain');
    const half = read({ status: true, private_key: 'client.key' }, 'cluster');
    expect(half.errors).toEqual([]);
    expect(half.warnings).toEqual([`${T}.private_key: ignored without cert_chain: no client certificate is sent, as in MOSN`]);
  });

  it('with fall_back, a certificate that cannot be loaded is a warning: the listener context is left out, the cluster sends none', () => {
    const listener = read({ ...server, cert_chain: 'missing.pem', fall_back: true });
    expect(listener.result).toBeUndefined();
    expect(listener.errors).toEqual([]);
    expect(listener.warnings).toEqual([
      `${T}.cert_chain: cannot read ${join(dir, 'missing.pem')}: no such file; fall_back: this TLS context is left out; without one the listener serves plaintext, as in MOSN`,
    ]);
    const cluster = read({ status: true, cert_chain: 'client.pem', private_key: 'server.key', fall_back: true }, 'cluster');
    expect(cluster.errors).toEqual([]);
    expect(cluster.result).toMatchObject({ fallBack: true, certNames: [] });
    expect(cluster.warnings).toEqual([
      expect.stringMatching(/private_key: the key in .* does not match .*; fall_back: no client certificate is sent, as in MOSN$/),
      `${T}.fall_back: connecting again in plaintext after a failed upstream TLS handshake (MOSN) is not supported by mosn-ts; a failed handshake fails that connection`,
    ]);
    // a CA MOSN cannot load fails it even with fall_back
    expect(read({ ...server, ca_cert: 'missing.pem', fall_back: true }).errors).toEqual([`${T}.ca_cert: cannot read ${join(dir, 'missing.pem')}: no such file`]);
  });

  it('maps cipher, curve and version names; an unknown name lists the known ones', () => {
    const ciphers = read({ ...server, cipher_suites: 'ECDHE-RSA-AES256-GCM-SHA384:TLS_RSA_WITH_AES_128_CBC_SHA' });
    expect(ciphers.errors).toEqual([expect.stringMatching(/^fc\.tls_context\.cipher_suites: unknown cipher suite "TLS_RSA_WITH_AES_128_CBC_SHA" \(MOSN's names, separated by ":"\); known: ECDHE-ECDSA-AES256-GCM-SHA384, .*, AES128-GCM-SHA256$/)]);
    // MOSN's AES128-GCM-SHA256 is the TLS 1.3 suite; naming one keeps the list as it is
    expect(read({ ...server, cipher_suites: 'AES128-GCM-SHA256:ecdhe-rsa-aes128-gcm-sha256' }).result?.ciphers).toBe('TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256');
    expect(read({ ...server, ecdh_curves: 'P256,secp256k1' }).errors).toEqual([`${T}.ecdh_curves: unknown curve "secp256k1" (MOSN's names, separated by ","); known: X25519, P256, P384, P521`]);
    expect(read({ ...server, min_version: 'TLS1.2' }).errors).toEqual([`${T}.min_version: unknown TLS version "TLS1.2"; known: tls_auto, tlsv1_0, tlsv1_1, tlsv1_2, tlsv1_3`]);
    expect(read({ ...server, min_version: 'TLSv1_3', max_version: 'TLSv1_2' }).errors).toEqual([`${T}.min_version: TLSv1.3 is above max_version TLSv1.2: no version is left`]);
    const old = read({ ...server, min_version: 'TLSV1_0' });
    expect(old.result?.minVersion).toBe('TLSv1');
    expect(old.warnings).toEqual([expect.stringMatching(/^fc\.tls_context\.min_version: TLSv1 is deprecated; OpenSSL 3 /)]);
    const alpn = read({ ...server, alpn: 'h2,spdy/3,SOFA' });
    expect(alpn.result?.alpn).toEqual(['h2', 'SOFA']);
    expect(alpn.warnings).toEqual([`${T}.alpn: "spdy/3" is left out: MOSN offers only h2, http/1.1 and sofa in ALPN`]);
  });

  it("refuses MOSN's extension types, and warns about what mosn-ts does not do", () => {
    const sni = read({ ...server, type: 'sni_verify', extend_verify: { match_subject_alt_names: 'spiffe://a' } }, 'cluster');
    expect(sni.errors).toEqual([expect.stringMatching(/^fc\.tls_context\.type: MOSN's "sni_verify" extension .* is not supported by mosn-ts yet; supported: "" \(MOSN's default\)$/)]);
    expect(read({ status: true, type: 'loader' }).errors[0]).toMatch(/^fc\.tls_context\.type: TLS extension type "loader" is not supported by mosn-ts: only MOSN's default/);
    const { errors, warnings } = read({ ...server, sds_source: { CertificateConfig: { name: 'x' } }, callbacks: ['cb'], extend_verify: { a: 1 }, ticket: 'on', insecure_skip: true });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      `${T}.sds_source: certificates from SDS (xDS) are not supported by mosn-ts yet; ignored: only cert_chain, private_key and ca_cert are used`,
      `${T}.callbacks: MOSN calls these in-process hooks after an SDS certificate update only; mosn-ts has neither; ignored`,
      `${T}.extend_verify: ignored: MOSN's default TLS type does not read it either`,
      `${T}.insecure_skip: used by clusters (upstream TLS) only; ignored, as in MOSN`,
      `${T}.ticket: MOSN stores it but never uses it: session tickets stay on (Go's default), in mosn-ts too`,
    ]);
    const cluster = read({ status: true, verify_client: true, insecure_skip: true }, 'cluster');
    expect(cluster.result?.insecureSkip).toBe(true);
    expect(cluster.warnings).toEqual([`${T}.verify_client: used by listeners only; ignored, as in MOSN`]);
  });
});

describe('readFilterChainTls', () => {
  const chain = (json: Record<string, unknown>) => readSection(json, 'fc', (fc) => readFilterChainTls(fc, o));

  it('reads tls_context_set in order, leaving out entries without status: true', () => {
    const alt = { status: true, server_name: 'alt.test', cert_chain: 'client.pem', private_key: 'client.key' };
    const { result, errors } = chain({ tls_context_set: [server, { status: false, cert_chain: 'missing.pem' }, alt] });
    expect(errors).toEqual([]);
    expect(result.map((c) => c.certNames)).toEqual([['localhost', '*.example.test', '127.0.0.1'], ['client']]);
    expect(result[1]?.serverName).toBe('alt.test');
    expect(chain({ tls_context: server }).result).toHaveLength(1);
    expect(chain({ tls_context: { status: false } }).result).toEqual([]);
  });

  it('refuses tls_context with tls_context_set, as MOSN does', () => {
    expect(chain({ tls_context: { status: false }, tls_context_set: [server] }).errors).toEqual([
      'fc.tls_context_set: tls_context and tls_context_set together: MOSN refuses this ("can only exists one at the same time"); put every certificate in tls_context_set',
    ]);
  });
});

describe('readClusterTls', () => {
  const shared = readTlsConfig(new ConfigReader({ status: true, ca_cert: 'ca.pem' }, 'cluster_manager.tls_context', new ConfigProblems()), 'cluster', o);
  const cluster = (json: Record<string, unknown>, ...sharedTls: [typeof shared?]) => readSection(json, 'c', (c) => readClusterTls(c, sharedTls.length > 0 ? sharedTls[0] : shared, o));

  it("uses the cluster manager's context with cluster_manager_tls, ignoring the cluster's own", () => {
    expect(shared?.ca).toBe(pem('ca.pem'));
    const { result, warnings } = cluster({ cluster_manager_tls: true, tls_context: { status: true, ca_cert: 'missing.pem' } });
    expect(result).toBe(shared);
    expect(warnings).toEqual(["c.tls_context: ignored: with cluster_manager_tls the cluster manager's tls_context is used, as in MOSN"]);
    const none = cluster({ cluster_manager_tls: true }, undefined);
    expect(none.result).toBeUndefined();
    expect(none.warnings).toEqual(['c.cluster_manager_tls: cluster_manager.tls_context has no "status": true, so this cluster connects without TLS, as in MOSN']);
  });

  it("reads the cluster's own otherwise", () => {
    const { result, errors } = cluster({ tls_context: { status: true, insecure_skip: true } });
    expect(errors).toEqual([]);
    expect(result).toEqual({ files: {}, certNames: [], clientAuth: 'none', insecureSkip: true, sessionTickets: true, fallBack: false });
  });
});

describe('problem lines', () => {
  it('are whole sentences with a path', () => {
    const problems = new ConfigProblems();
    readTlsConfig(new ConfigReader({ status: true }, 'x', problems), 'listener', o);
    expect(problemLines(problems).errors).toEqual(["x.cert_chain: a listener's TLS needs the certificate it serves: set cert_chain and private_key"]);
  });
});
