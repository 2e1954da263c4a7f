import type { Message } from '../proto.js';
import type { ConvertContext, MosnJson } from './context.js';
import { boolValue, obj, objects, str, strings } from './fields.js';

/** How `convertCommonTlsContext` is called: which side, and the sni upstream. */
export interface CommonTlsOptions {
  /** `upstream`: a cluster's UpstreamTlsContext (MOSN's `cluster` side); `downstream` (default): a listener's. */
  readonly side?: 'upstream' | 'downstream';
  /** Upstream: `UpstreamTlsContext.sni`, MOSN's `server_name`, which MOSN also verifies the server's certificate against. */
  readonly sni?: string;
}

/** The MOSN keys, and whether the peer's certificate is to be verified (Envoy: a CA is given, or system roots). */
export interface CommonTlsResult {
  readonly json: MosnJson;
  readonly verifyPeer: boolean;
  /** The validation context has SAN matchers (upstream: accepted only when one is the sni). */
  readonly sanMatchers: boolean;
}

/**
 * Envoy's `CommonTlsContext` (extensions.transport_sockets.tls.v3) → the keys of MOSN's `tls_context` it fills:
 * `status`, `cert_chain`, `private_key`, `ca_cert`, `alpn`, `cipher_suites`, `ecdh_curves`, `min_version`,
 * `max_version` and, upstream, `insecure_skip` (see docs/xds-clusters.md). Shared by the cluster converter
 * (UpstreamTlsContext) and the listener converter (DownstreamTlsContext).
 *
 * What is left to the caller: `server_name` (UpstreamTlsContext.sni, passed in `options.sni` so that SAN matchers
 * can be checked against it), and downstream `verify_client` / `require_client_cert`. Downstream, a peer is to be
 * verified when `convertCommonTlsContextDetailed` says `verifyPeer` (a CA, or system roots).
 *
 * The rule for what is not converted: what would weaken security if ignored (certificate pinning, SAN matching,
 * CRLs, a CA or certificate only from SDS or a certificate provider, encrypted keys) is an error, so the resource
 * is NACKed; an optional feature lost (OCSP stapling, key logs, signature algorithms) is a warning.
 */
export function convertCommonTlsContext(common: Message | undefined, ctx: ConvertContext, options: CommonTlsOptions = {}): MosnJson {
  return convertCommonTlsContextDetailed(common, ctx, options).json;
}

/** `convertCommonTlsContext` with whether the peer is verified. */
export function convertCommonTlsContextDetailed(common: Message | undefined, ctx: ConvertContext, options: CommonTlsOptions = {}): CommonTlsResult {
  const side = options.side ?? 'downstream';
  const c = common ?? {};
  const json: MosnJson = { status: true };
  convertCertificates(c, ctx, side, json);
  const verifyPeer = convertValidation(c, ctx, side, options.sni ?? '', json);
  if (side === 'upstream' && !verifyPeer) json.insecure_skip = true;
  convertParams(obj(c.tls_params), ctx.at('tls_params'), json);
  const alpn = strings(c.alpn_protocols);
  if (alpn.length > 0) {
    const kept = alpn.filter((p) => MOSN_ALPN.has(p.toLowerCase()));
    const left = alpn.filter((p) => !MOSN_ALPN.has(p.toLowerCase()));
    if (left.length > 0) ctx.at('alpn_protocols').warn(`${left.map((p) => JSON.stringify(p)).join(', ')} left out: MOSN offers only h2, http/1.1 and sofa in ALPN`);
    if (kept.length > 0) json.alpn = kept.join(',');
  }
  if (c.custom_handshaker !== undefined) ctx.at('custom_handshaker').error('a custom TLS handshaker is not supported by mosn-ts');
  if (c.key_log !== undefined) ctx.at('key_log').warn('TLS key logging is not supported by mosn-ts; ignored');
  return { json, verifyPeer, sanMatchers: hasSanMatchers(c) };
}

function hasSanMatchers(c: Message): boolean {
  const v = c.validation_context_type === 'validation_context' ? obj(c.validation_context)
    : c.validation_context_type === 'combined_validation_context' ? obj(obj(c.combined_validation_context).default_validation_context) : {};
  return objects(v.match_typed_subject_alt_names).length > 0 || objects(v.match_subject_alt_names).length > 0;
}

/** The protocols MOSN keeps in `alpn` (mosn's tls-names.ts). */
const MOSN_ALPN = new Set(['h2', 'http/1.1', 'sofa']);

/** A certificate's source: where Envoy reads it. MOSN's `cert_chain` etc. take a file path or PEM text. */
export function dataSource(ds: unknown, ctx: ConvertContext): string | undefined {
  const d = obj(ds);
  if (typeof d.filename === 'string' && d.filename !== '') {
    if (d.filename.includes('-----BEGIN')) ctx.error('a file name that looks like PEM text: MOSN would read it as PEM');
    return d.filename;
  }
  if (typeof d.inline_string === 'string') return pemText(d.inline_string, ctx);
  if (d.inline_bytes instanceof Uint8Array) {
    const raw = Buffer.from(d.inline_bytes).toString('utf8');
    if (raw.includes('-----BEGIN')) return raw;
    // MOSN's converter tries base64 first
    const decoded = Buffer.from(raw, 'base64').toString('utf8');
    return pemText(decoded.includes('-----BEGIN') ? decoded : raw, ctx);
  }
  if (typeof d.environment_variable === 'string' && d.environment_variable !== '') {
    const value = process.env[d.environment_variable];
    if (value === undefined) {
      ctx.error(`environment variable ${d.environment_variable} is not set`);
      return undefined;
    }
    return pemText(value, ctx);
  }
  ctx.error('no data source (filename, inline_string, inline_bytes or environment_variable)');
  return undefined;
}

/** Inline data must be PEM: MOSN reads any other value as a file path. */
function pemText(text: string, ctx: ConvertContext): string | undefined {
  if (text.includes('-----BEGIN')) return text;
  ctx.error('inline data is not PEM (MOSN takes PEM text or a file; DER is not supported)');
  return undefined;
}

function convertCertificates(c: Message, ctx: ConvertContext, side: 'upstream' | 'downstream', json: MosnJson): void {
  const certs = objects(c.tls_certificates);
  const sds = objects(c.tls_certificate_sds_secret_configs);
  const providers = ['tls_certificate_provider_instance', 'tls_certificate_certificate_provider', 'tls_certificate_certificate_provider_instance'].filter((k) => c[k] !== undefined);
  const what = side === 'upstream' ? 'the client certificate this cluster must present' : 'the certificate this listener serves';
  if (certs.length === 0) {
    if (sds.length > 0) {
      ctx.at('tls_certificate_sds_secret_configs').error(`sds not supported until SDS: ${what} comes only from SDS (secret ${JSON.stringify(sds[0]?.name ?? '')}), so TLS cannot be done as configured`);
    }
    for (const k of providers) ctx.at(k).error(`certificate providers are not supported by mosn-ts: ${what} comes only from one`);
    return;
  }
  if (sds.length > 0) ctx.at('tls_certificate_sds_secret_configs').warn('sds not supported until SDS: ignored; the static tls_certificates are used');
  for (const k of providers) ctx.at(k).warn('certificate providers are not supported by mosn-ts; ignored; the static tls_certificates are used');
  if (certs.length > 1) ctx.at('tls_certificates').warn(`MOSN takes one certificate per TLS context: the first is used, ${certs.length - 1} more ignored`);
  const cert = certs[0] ?? {};
  const at = ctx.at('tls_certificates[0]');
  if (cert.pkcs12 !== undefined) at.at('pkcs12').error('PKCS#12 is not supported by mosn-ts: give certificate_chain and private_key as PEM');
  if (cert.private_key_provider !== undefined) at.at('private_key_provider').error('private key providers are not supported by mosn-ts');
  if (cert.password !== undefined) at.at('password').error('encrypted private keys are not supported (MOSN takes no passphrase)');
  if (cert.watched_directory !== undefined) at.at('watched_directory').warn('not watched: certificate files are read again only when the config changes');
  if (cert.ocsp_staple !== undefined) at.at('ocsp_staple').warn('OCSP stapling is not supported by mosn-ts; ignored');
  if (objects(cert.signed_certificate_timestamp).length > 0) at.at('signed_certificate_timestamp').warn('signed certificate timestamps are not supported by mosn-ts; ignored');
  const chain = cert.certificate_chain !== undefined ? dataSource(cert.certificate_chain, at.at('certificate_chain')) : undefined;
  const key = cert.private_key !== undefined ? dataSource(cert.private_key, at.at('private_key')) : undefined;
  if (cert.pkcs12 === undefined && cert.private_key_provider === undefined && (chain === undefined) !== (key === undefined)) {
    at.error(`${chain === undefined ? 'private_key without certificate_chain' : 'certificate_chain without private_key'}: ${what} cannot be loaded`);
  }
  if (chain !== undefined) json.cert_chain = chain;
  if (key !== undefined) json.private_key = key;
}

/** The validation context: fills `ca_cert`; whether the peer is verified. */
function convertValidation(c: Message, ctx: ConvertContext, side: 'upstream' | 'downstream', sni: string, json: MosnJson): boolean {
  const peer = side === 'upstream' ? "the server's certificate" : 'client certificates';
  switch (c.validation_context_type) {
    case 'validation_context':
      return convertValidationContext(obj(c.validation_context), ctx.at('validation_context'), side, sni, json);
    case 'combined_validation_context': {
      const combined = obj(c.combined_validation_context);
      const at = ctx.at('combined_validation_context');
      const hasDefaultCa = obj(combined.default_validation_context).trusted_ca !== undefined;
      const sds = obj(combined.validation_context_sds_secret_config);
      if (combined.validation_context_sds_secret_config !== undefined) {
        if (hasDefaultCa) at.at('validation_context_sds_secret_config').warn(`sds not supported until SDS: ignored; ${peer} is verified against default_validation_context.trusted_ca only`);
        else at.at('validation_context_sds_secret_config').error(`sds not supported until SDS: the CA that verifies ${peer} comes only from SDS (secret ${JSON.stringify(sds.name ?? '')}), so it cannot be verified`);
      }
      for (const k of ['validation_context_certificate_provider', 'validation_context_certificate_provider_instance']) {
        if (combined[k] !== undefined) at.at(k).error(`certificate providers are not supported by mosn-ts: ${peer} cannot be verified as configured`);
      }
      return convertValidationContext(obj(combined.default_validation_context), at.at('default_validation_context'), side, sni, json);
    }
    case 'validation_context_sds_secret_config':
      ctx.at('validation_context_sds_secret_config').error(`sds not supported until SDS: the CA that verifies ${peer} comes only from SDS (secret ${JSON.stringify(obj(c.validation_context_sds_secret_config).name ?? '')}), so it cannot be verified`);
      return true;
    case 'validation_context_certificate_provider':
    case 'validation_context_certificate_provider_instance':
      ctx.at(c.validation_context_type).error(`certificate providers are not supported by mosn-ts: ${peer} cannot be verified as configured`);
      return true;
    default:
      return false;
  }
}

function convertValidationContext(v: Message, ctx: ConvertContext, side: 'upstream' | 'downstream', sni: string, json: MosnJson): boolean {
  const peer = side === 'upstream' ? "the server's certificate" : 'client certificates';
  let verify = false;
  if (v.ca_certificate_provider_instance !== undefined) {
    ctx.at('ca_certificate_provider_instance').error(`certificate providers are not supported by mosn-ts: ${peer} cannot be verified as configured`);
    verify = true;
  } else if (v.trusted_ca !== undefined) {
    const ca = dataSource(v.trusted_ca, ctx.at('trusted_ca'));
    if (ca !== undefined) json.ca_cert = ca;
    verify = true;
  } else if (v.system_root_certs !== undefined) {
    verify = true; // MOSN without ca_cert: the default roots (Node's bundled ones)
  }
  if (v.trust_chain_verification === 'ACCEPT_UNTRUSTED') {
    if (side === 'upstream') verify = false;
    else ctx.at('trust_chain_verification').warn('ACCEPT_UNTRUSTED is not supported for client certificates: they are verified, untrusted ones refused');
  }
  if (v.watched_directory !== undefined) ctx.at('watched_directory').warn('not watched: CA files are read again only when the config changes');
  for (const k of ['verify_certificate_spki', 'verify_certificate_hash']) {
    if (strings(v[k]).length > 0) ctx.at(k).error(`certificate pinning is not supported by mosn-ts; ignoring it would accept any ${side === 'upstream' ? 'server' : 'client'} certificate the CA signed`);
  }
  convertSanMatchers(v, ctx, side, sni, verify);
  if (boolValue(v.require_signed_certificate_timestamp) === true) ctx.at('require_signed_certificate_timestamp').error('checking signed certificate timestamps is not supported by mosn-ts');
  if (v.crl !== undefined) ctx.at('crl').error(`certificate revocation lists are not supported by mosn-ts; ignoring one would accept revoked ${side === 'upstream' ? 'server' : 'client'} certificates`);
  else if (v.only_verify_leaf_cert_crl === true) ctx.at('only_verify_leaf_cert_crl').warn('ignored without crl');
  if (v.allow_expired_certificate === true) ctx.at('allow_expired_certificate').warn(`not supported: expired ${side === 'upstream' ? 'server' : 'client'} certificates are refused`);
  if (v.custom_validator_config !== undefined) ctx.at('custom_validator_config').error('a custom certificate validator is not supported by mosn-ts');
  if (v.max_verify_depth !== undefined) ctx.at('max_verify_depth').warn('not supported: the chain depth is not limited');
  return verify;
}

/**
 * `match_typed_subject_alt_names` and `match_subject_alt_names`. mosn-ts matches no SANs itself; upstream, MOSN
 * verifies the server's certificate for `server_name` (the sni), so a matcher that is exactly the sni (DNS or any
 * type) is kept by that check. Anything else is an error: ignoring it would accept any certificate the CA signed.
 */
function convertSanMatchers(v: Message, ctx: ConvertContext, side: 'upstream' | 'downstream', sni: string, verify: boolean): void {
  const typed = objects(v.match_typed_subject_alt_names).map((m) => ({ type: str(m.san_type), matcher: obj(m.matcher) }));
  const untyped = objects(v.match_subject_alt_names).map((m) => ({ type: '', matcher: m }));
  for (const [field, list] of [['match_typed_subject_alt_names', typed], ['match_subject_alt_names', untyped]] as const) {
    if (list.length === 0) continue;
    const at = ctx.at(field);
    if (!verify) {
      at.error('SAN matching without a trusted CA is insecure (Envoy refuses it too)');
      continue;
    }
    const coveredBySni = side === 'upstream' && sni !== '' && list.some(({ type, matcher }) =>
      (type === '' || type === 'DNS') && typeof matcher.exact === 'string' && matcher.exact.toLowerCase() === sni.toLowerCase());
    if (!coveredBySni) {
      at.error(side === 'upstream'
        ? 'matching the server certificate\'s SANs is not supported by mosn-ts (MOSN\'s sni_verify is not either); only an exact DNS name equal to sni is, because MOSN verifies the certificate for server_name'
        : 'matching client certificate SANs is not supported by mosn-ts; ignoring it would accept any client certificate the CA signed');
    } else if (list.length > 1) {
      at.warn(`only the certificate's validity for sni ${JSON.stringify(sni)} is checked; the other matchers are not (a certificate for sni is required)`);
    }
  }
}

/** Envoy's (BoringSSL's) cipher names → MOSN's (pkg/mtls/ciphers.go). */
const ENVOY_CIPHERS: Readonly<Record<string, string>> = {
  'ECDHE-ECDSA-AES128-GCM-SHA256': 'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256': 'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384': 'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384': 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305': 'ECDHE-ECDSA-WITH-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305': 'ECDHE-RSA-WITH-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-SHA': 'ECDHE-ECDSA-AES128-CBC-SHA',
  'ECDHE-RSA-AES128-SHA': 'ECDHE-RSA-AES128-CBC-SHA',
  'ECDHE-ECDSA-AES256-SHA': 'ECDHE-ECDSA-AES256-CBC-SHA',
  'ECDHE-RSA-AES256-SHA': 'ECDHE-RSA-AES256-CBC-SHA',
  'AES128-SHA': 'RSA-AES128-CBC-SHA',
  'AES256-SHA': 'RSA-AES256-CBC-SHA',
  'DES-CBC3-SHA': 'RSA-3DES-EDE-CBC-SHA',
};

/** Envoy's curve names → MOSN's (`X25519`, `P256`, `P384`, `P521`). */
const ENVOY_CURVES: Readonly<Record<string, string>> = { 'x25519': 'X25519', 'p-256': 'P256', 'p-384': 'P384', 'p-521': 'P521', 'prime256v1': 'P256', 'secp384r1': 'P384', 'secp521r1': 'P521' };

function convertParams(p: Message, ctx: ConvertContext, json: MosnJson): void {
  for (const [field, key] of [['tls_minimum_protocol_version', 'min_version'], ['tls_maximum_protocol_version', 'max_version']] as const) {
    const v = p[field];
    if (typeof v === 'string' && v !== 'TLS_AUTO') json[key] = v; // the same names in MOSN: TLSv1_0 … TLSv1_3
  }
  // `[A|B]` is BoringSSL's equal-preference group: its members, in order
  const ciphers = strings(p.cipher_suites).flatMap((s) => s.replace(/^\[|\]$/g, '').split('|')).map((s) => s.trim()).filter((s) => s !== '');
  if (ciphers.length > 0) {
    const kept: string[] = [];
    const left: string[] = [];
    for (const name of ciphers) {
      const mosn = ENVOY_CIPHERS[name.toUpperCase()];
      if (mosn === undefined) left.push(name);
      else if (!kept.includes(mosn)) kept.push(mosn);
    }
    if (kept.length === 0) {
      ctx.at('cipher_suites').error(`no cipher suite MOSN knows (${ciphers.join(', ')}); mosn-ts would fall back to its default suites, not the ones configured`);
    } else {
      if (left.length > 0) ctx.at('cipher_suites').warn(`${left.join(', ')} left out: not among MOSN's cipher suites`);
      json.cipher_suites = kept.join(':');
    }
  }
  const curves = strings(p.ecdh_curves);
  if (curves.length > 0) {
    const kept: string[] = [];
    const left: string[] = [];
    for (const name of curves) {
      const mosn = ENVOY_CURVES[name.toLowerCase()];
      if (mosn === undefined) left.push(name);
      else if (!kept.includes(mosn)) kept.push(mosn);
    }
    if (left.length > 0) ctx.at('ecdh_curves').warn(`${left.join(', ')} left out: MOSN knows X25519, P-256, P-384 and P-521${kept.length === 0 ? '; the default curves are used' : ''}`);
    if (kept.length > 0) json.ecdh_curves = kept.join(',');
  }
  if (strings(p.signature_algorithms).length > 0) ctx.at('signature_algorithms').warn('not supported by mosn-ts: OpenSSL\'s default signature algorithms are used');
}
