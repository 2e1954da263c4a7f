import type { ConfigReader } from './config-reader.js';
import { readAlpn, readCiphers, readCurves, readVersions } from './tls-names.js';
import { checkCa, checkKeyPair, readPem, type PemSource, type TlsReadOptions } from './tls-pem.js';
import type { ClientAuth, TlsContextSpec } from './types.js';

export type { TlsReadOptions } from './tls-pem.js';

/** Which end of a connection a `tls_context` is for: a listener's filter chain, or a cluster (upstream). */
export type TlsSide = 'listener' | 'cluster';

/** Every key of MOSN's TLSConfig (pkg/config/v2/tls.go). */
const TLS_KEYS = ['status', 'type', 'server_name', 'ca_cert', 'cert_chain', 'private_key', 'verify_client', 'require_client_cert', 'insecure_skip', 'cipher_suites', 'ecdh_curves', 'min_version', 'max_version', 'alpn', 'ticket', 'fall_back', 'extend_verify', 'callbacks', 'sds_source'];

/** MOSN's own extension type (pkg/mtls/extensions/sni): verifies an upstream's URI SAN. */
const SNI_VERIFY = 'sni_verify';

/**
 * MOSN's GetClientAuth (pkg/mtls/confighook.go), Go's tls.ClientAuthType from `verify_client` and
 * `require_client_cert`: `require_client_cert` alone only *requests* a certificate (and checks nothing).
 */
export function clientAuthOf(verifyClient: boolean, requireClientCert: boolean): ClientAuth {
  if (verifyClient && requireClientCert) return 'require_and_verify';
  if (verifyClient) return 'verify_if_given';
  if (requireClientCert) return 'request';
  return 'none';
}

/**
 * One `tls_context` (or `tls_context_set` entry) as MOSN reads it: undefined when `status` is not true (every
 * other key is then inert, as in MOSN), or when it cannot be used. Files are read now; see docs/tls.md.
 */
export function readTlsConfig(t: ConfigReader, side: TlsSide, o: TlsReadOptions): TlsContextSpec | undefined {
  if (!t.bool('status')) {
    t.inert(TLS_KEYS);
    t.finish();
    return undefined;
  }
  readUnsupported(t, side);
  const fallBack = t.bool('fall_back') ?? false;
  const certs = readCertificates(t, side, fallBack, o);
  const clientAuth = readClientAuth(t, side, Boolean(t.value('ca_cert')));
  const insecureSkip = t.bool('insecure_skip') ?? false;
  if (insecureSkip && side === 'listener') t.problems.warn(t.at('insecure_skip'), 'used by clusters (upstream TLS) only; ignored, as in MOSN');
  const serverName = t.str('server_name') || undefined;
  const ciphers = readCiphers(t);
  const ecdhCurves = readCurves(t);
  const versions = readVersions(t);
  const alpn = readAlpn(t);
  if (t.str('ticket')) t.problems.warn(t.at('ticket'), 'MOSN stores it but never uses it: session tickets stay on (Go\'s default), in mosn-ts too');
  if (fallBack && side === 'cluster') {
    t.problems.warn(t.at('fall_back'), 'connecting again in plaintext after a failed upstream TLS handshake (MOSN) is not supported by mosn-ts; a failed handshake fails that connection');
  }
  t.finish();
  if (!certs) return undefined;
  return {
    ...(serverName !== undefined ? { serverName } : {}),
    ...(certs.ca ? { ca: certs.ca.pem } : {}),
    ...(certs.pair ? { certChain: certs.pair.cert.pem, privateKey: certs.pair.key.pem } : {}),
    files: {
      ...(certs.ca?.file !== undefined ? { ca: certs.ca.file } : {}),
      ...(certs.pair?.cert.file !== undefined ? { certChain: certs.pair.cert.file } : {}),
      ...(certs.pair?.key.file !== undefined ? { privateKey: certs.pair.key.file } : {}),
    },
    certNames: certs.pair?.names ?? [],
    clientAuth,
    insecureSkip: side === 'cluster' && insecureSkip,
    ...(ciphers !== undefined ? { ciphers } : {}),
    ...(ecdhCurves !== undefined ? { ecdhCurves } : {}),
    ...versions,
    ...(alpn !== undefined ? { alpn } : {}),
    sessionTickets: true,
    fallBack,
  };
}

/** `type`, `sds_source`, `callbacks`, `extend_verify`: MOSN's extension points, which mosn-ts does not have. */
function readUnsupported(t: ConfigReader, side: TlsSide): void {
  const type = t.str('type');
  if (type && type === SNI_VERIFY) {
    t.problems.error(t.at('type'), `MOSN's "${SNI_VERIFY}" extension (an upstream's certificate must carry the URI SAN in extend_verify.match_subject_alt_names) is not supported by mosn-ts yet; supported: "" (MOSN's default)`);
  } else if (type) {
    t.problems.error(
      t.at('type'),
      `TLS extension type "${type}" is not supported by mosn-ts: only MOSN's default ("" or no type) is. MOSN itself uses its default for a type nobody registered, but a MOSN build with that extension would load certificates or verify peers its own way`,
    );
  }
  if (t.value('sds_source') !== undefined) {
    t.problems.warn(t.at('sds_source'), 'certificates from SDS (xDS) are not supported by mosn-ts yet; ignored: only cert_chain, private_key and ca_cert are used');
  }
  if (t.strings('callbacks').length > 0) {
    t.problems.warn(t.at('callbacks'), 'MOSN calls these in-process hooks after an SDS certificate update only; mosn-ts has neither; ignored');
  }
  const extend = t.value('extend_verify');
  if (extend !== undefined && extend !== null && !(typeof extend === 'object' && Object.keys(extend).length === 0)) {
    const why = side === 'listener' || !type ? 'MOSN\'s default TLS type does not read it either' : 'its extension type is not supported';
    t.problems.warn(t.at('extend_verify'), `ignored: ${why}`);
  }
}

interface Certificates {
  ca?: PemSource;
  pair?: { cert: PemSource; key: PemSource; names: readonly string[] };
}

/**
 * `ca_cert`, `cert_chain`, `private_key`, read and checked. Undefined when the context cannot be used: an error,
 * or (with `fall_back`) a listener certificate that cannot be loaded, which MOSN serves in plaintext.
 */
function readCertificates(t: ConfigReader, side: TlsSide, fallBack: boolean, o: TlsReadOptions): Certificates | undefined {
  const now = o.now ?? new Date();
  const errorsBefore = t.problems.errors.length;
  let unloaded = false;
  // What stops MOSN from loading the certificate: `fall_back` makes it a warning (listener: plaintext; cluster: no client certificate).
  const loadProblem = (key: string, message: string) => {
    unloaded = true;
    if (!fallBack) return t.problems.error(t.at(key), message);
    const then = side === 'listener' ? 'this TLS context is left out; without one the listener serves plaintext' : 'no client certificate is sent';
    t.problems.warn(t.at(key), `${message}; fall_back: ${then}, as in MOSN`);
  };
  const ca = readPem(t, 'ca_cert', o, (m) => t.problems.error(t.at('ca_cert'), m));
  if (ca) checkCa(t, ca, now);
  const certGiven = typeof t.value('cert_chain') === 'string' && t.value('cert_chain') !== '';
  const keyGiven = typeof t.value('private_key') === 'string' && t.value('private_key') !== '';
  const cert = readPem(t, 'cert_chain', o, (m) => loadProblem('cert_chain', m));
  const key = readPem(t, 'private_key', o, (m) => loadProblem('private_key', m));
  let pair: Certificates['pair'];
  if (cert && key) {
    const names = checkKeyPair(t, cert, key, now, loadProblem);
    if (names) pair = { cert, key, names };
  } else if (certGiven !== keyGiven) {
    const [has, lacks] = certGiven ? ['cert_chain', 'private_key'] : ['private_key', 'cert_chain'];
    if (side === 'listener') loadProblem(lacks, `is required with ${has}`);
    else t.problems.warn(t.at(has), `ignored without ${lacks}: no client certificate is sent, as in MOSN`);
  } else if (!certGiven && side === 'listener') {
    loadProblem('cert_chain', 'a listener\'s TLS needs the certificate it serves: set cert_chain and private_key');
  }
  if (t.problems.errors.length > errorsBefore) return undefined;
  if (unloaded && side === 'listener') return undefined;
  return { ...(ca ? { ca } : {}), ...(pair ? { pair } : {}) };
}

/** `verify_client` and `require_client_cert`: a listener's clientAuth; on a cluster they mean nothing (a warning). */
function readClientAuth(t: ConfigReader, side: TlsSide, hasCa: boolean): ClientAuth {
  const verify = t.bool('verify_client') ?? false;
  const require = t.bool('require_client_cert') ?? false;
  if (side === 'cluster') {
    for (const [key, on] of [['verify_client', verify], ['require_client_cert', require]] as const) {
      if (on) t.problems.warn(t.at(key), 'used by listeners only; ignored, as in MOSN');
    }
    return 'none';
  }
  const mode = clientAuthOf(verify, require);
  if (verify && !hasCa) {
    t.problems.warn(t.at('verify_client'), 'without ca_cert, client certificates are verified against the default root CAs (Node\'s; MOSN: the system\'s)');
  }
  if (mode === 'request') {
    t.problems.warn(t.at('require_client_cert'), 'without verify_client this only asks for a client certificate: a client without one, or with an untrusted one, is still served (MOSN\'s RequestClientCert). Add "verify_client": true to require a verified one');
  }
  return mode;
}

/**
 * A filter chain's `tls_context` or `tls_context_set` (MOSN refuses both together): the contexts with `status:
 * true`, in order. The first is the default certificate; SNI picks among them (docs/tls.md).
 */
export function readFilterChainTls(fc: ConfigReader, o: TlsReadOptions): TlsContextSpec[] {
  const single = fc.obj('tls_context');
  const set = fc.objects('tls_context_set');
  if (single && set.length > 0) {
    fc.problems.error(fc.at('tls_context_set'), 'tls_context and tls_context_set together: MOSN refuses this ("can only exists one at the same time"); put every certificate in tls_context_set');
  }
  const contexts: TlsContextSpec[] = [];
  for (const t of set.length > 0 ? set : single ? [single] : []) {
    const spec = readTlsConfig(t, 'listener', o);
    if (spec) contexts.push(spec);
  }
  if (set.length > 0 && single) {
    single.inert(TLS_KEYS);
    single.finish();
  }
  return contexts;
}

/**
 * The upstream TLS of a cluster: its own `tls_context`, or with `cluster_manager_tls: true` the cluster manager's
 * (`shared`, already read), as MOSN does.
 */
export function readClusterTls(c: ConfigReader, shared: TlsContextSpec | undefined, o: TlsReadOptions): TlsContextSpec | undefined {
  if (!c.bool('cluster_manager_tls')) {
    const own = c.obj('tls_context');
    return own ? readTlsConfig(own, 'cluster', o) : undefined;
  }
  const own = c.obj('tls_context');
  if (own) {
    if (own.bool('status')) own.problems.warn(own.path, 'ignored: with cluster_manager_tls the cluster manager\'s tls_context is used, as in MOSN');
    own.inert(TLS_KEYS);
    own.finish();
  }
  if (!shared) c.problems.warn(c.at('cluster_manager_tls'), 'cluster_manager.tls_context has no "status": true, so this cluster connects without TLS, as in MOSN');
  return shared;
}
