import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type Message } from '../proto.js';
import { ConvertContext, ConvertProblems } from './context.js';
import { convertCommonTlsContext, convertCommonTlsContextDetailed, type CommonTlsOptions } from './tls-context.js';

const COMMON = 'envoy.extensions.transport_sockets.tls.v3.CommonTlsContext';
const AT = 'ctx';

function convert(common: Message, options?: CommonTlsOptions) {
  const problems = new ConvertProblems();
  const result = convertCommonTlsContextDetailed(decodeMessage(COMMON, encodeMessage(COMMON, common)), new ConvertContext(problems, AT), options);
  return { ...result, errors: problems.errors, warnings: problems.warnings };
}

const CERT = { tls_certificates: [{ certificate_chain: { filename: '/c.pem' }, private_key: { filename: '/c.key' } }] };

describe('convertCommonTlsContext (downstream, the default side)', () => {
  it('certificate and CA: the peer is verified; no insecure_skip on a listener', () => {
    const r = convert({ ...CERT, validation_context: { trusted_ca: { filename: '/ca.pem' } } });
    expect(r.json).toEqual({ status: true, cert_chain: '/c.pem', private_key: '/c.key', ca_cert: '/ca.pem' });
    expect(r.verifyPeer).toBe(true);
    expect([...r.errors, ...r.warnings]).toEqual([]);
  });

  it('without a validation context client certificates are not verified', () => {
    const r = convert(CERT);
    expect(r.json).toEqual({ status: true, cert_chain: '/c.pem', private_key: '/c.key' });
    expect(r.verifyPeer).toBe(false);
  });

  it('the listener\'s certificate only from SDS is an error', () => {
    const r = convert({ tls_certificate_sds_secret_configs: [{ name: 'default' }] });
    expect(r.errors).toEqual([{ path: `${AT}.tls_certificate_sds_secret_configs`, message: expect.stringMatching(/^sds not supported until SDS: the certificate this listener serves/) }]);
  });

  it('SAN matching of client certificates is an error', () => {
    const r = convert({ ...CERT, validation_context: { trusted_ca: { filename: '/ca.pem' }, match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: 'spiffe://x' } }] } });
    expect(r.errors.map((e) => e.path)).toEqual([`${AT}.validation_context.match_typed_subject_alt_names`]);
  });

  it('more than one certificate: the first, with a warning; encrypted keys and PKCS#12 are errors', () => {
    const r = convert({ tls_certificates: [CERT.tls_certificates[0]!, { certificate_chain: { filename: '/d.pem' }, private_key: { filename: '/d.key' } }] });
    expect(r.json.cert_chain).toBe('/c.pem');
    expect(r.warnings.map((w) => w.path)).toEqual([`${AT}.tls_certificates`]);
    const bad = convert({ tls_certificates: [{ certificate_chain: { filename: '/c.pem' }, private_key: { filename: '/c.key' }, password: { inline_string: 'p' } }, { pkcs12: { filename: '/p.p12' } }] });
    expect(bad.errors.map((e) => e.path)).toEqual([`${AT}.tls_certificates[0].password`]);
  });

  it('suites and curves MOSN does not know are left out with a warning; none left is an error', () => {
    const some = convert({ ...CERT, tls_params: { cipher_suites: ['ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-PSK-AES128-CBC-SHA256', 'AES128-GCM-SHA256'], ecdh_curves: ['X25519MLKEM768', 'P-384'] } });
    expect(some.json).toMatchObject({ cipher_suites: 'ECDHE-RSA-AES256-GCM-SHA384', ecdh_curves: 'P384' });
    expect(some.errors).toEqual([]);
    expect(some.warnings.map((w) => w.path)).toEqual([`${AT}.tls_params.cipher_suites`, `${AT}.tls_params.ecdh_curves`]);
    const none = convert({ ...CERT, tls_params: { cipher_suites: ['ECDHE-PSK-CHACHA20-POLY1305'] } });
    expect(none.errors.map((e) => e.path)).toEqual([`${AT}.tls_params.cipher_suites`]);
  });

  it('ALPN names MOSN does not offer are left out with a warning', () => {
    const r = convert({ ...CERT, alpn_protocols: ['istio-peer-exchange', 'h2', 'http/1.1'] });
    expect(r.json.alpn).toBe('h2,http/1.1');
    expect(r.warnings.map((w) => w.path)).toEqual([`${AT}.alpn_protocols`]);
  });

  it('reads an environment variable as Envoy does (its value, not its name)', () => {
    process.env.MOSN_TEST_CA = '-----BEGIN CERTIFICATE-----\nx';
    try {
      const problems = new ConvertProblems();
      const json = convertCommonTlsContext(decodeMessage(COMMON, encodeMessage(COMMON, { validation_context: { trusted_ca: { environment_variable: 'MOSN_TEST_CA' } } })), new ConvertContext(problems, AT));
      expect(json.ca_cert).toBe('-----BEGIN CERTIFICATE-----\nx');
      expect(problems.errors).toEqual([]);
    } finally {
      delete process.env.MOSN_TEST_CA;
    }
  });
});

describe('convertCommonTlsContext (upstream)', () => {
  it('a SAN matcher equal to the sni is kept by MOSN\'s server_name check', () => {
    const r = convert({ validation_context: { trusted_ca: { filename: '/ca.pem' }, match_subject_alt_names: [{ exact: 'API.example' }] } }, { side: 'upstream', sni: 'api.example' });
    expect([...r.errors, ...r.warnings]).toEqual([]);
    expect(r.json).toEqual({ status: true, ca_cert: '/ca.pem' });
    expect(r.sanMatchers).toBe(true);
  });

  it('system roots verify the server (no ca_cert, no insecure_skip); ACCEPT_UNTRUSTED does not', () => {
    expect(convert({ validation_context: { system_root_certs: {} } }, { side: 'upstream' }).json).toEqual({ status: true });
    expect(convert({ validation_context: { trusted_ca: { filename: '/ca.pem' }, trust_chain_verification: 'ACCEPT_UNTRUSTED' } }, { side: 'upstream' }).json).toEqual({ status: true, ca_cert: '/ca.pem', insecure_skip: true });
  });
});
