import { createSecureContext } from 'node:tls';
import type { ConfigReader } from './config-reader.js';

type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/**
 * MOSN's names in `cipher_suites` (pkg/mtls/ciphers.go: the only names it accepts, `:`-separated) and the OpenSSL
 * name of the same suite. MOSN's `AES128-GCM-SHA256` and `AES256-GCM-SHA384` are the TLS 1.3 suites (in OpenSSL
 * those two names are TLS 1.2 RSA suites).
 */
export const CIPHERS: Readonly<Record<string, string>> = {
  'ECDHE-ECDSA-AES256-GCM-SHA384': 'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384': 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256': 'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256': 'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-WITH-CHACHA20-POLY1305': 'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-WITH-CHACHA20-POLY1305': 'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES256-CBC-SHA': 'ECDHE-RSA-AES256-SHA',
  'ECDHE-RSA-AES128-CBC-SHA': 'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-CBC-SHA': 'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-ECDSA-AES128-CBC-SHA': 'ECDHE-ECDSA-AES128-SHA',
  'RSA-AES256-CBC-SHA': 'AES256-SHA',
  'RSA-AES128-CBC-SHA': 'AES128-SHA',
  'ECDHE-RSA-3DES-EDE-CBC-SHA': 'ECDHE-RSA-DES-CBC3-SHA',
  'RSA-3DES-EDE-CBC-SHA': 'DES-CBC3-SHA',
  'AES256-GCM-SHA384': 'TLS_AES_256_GCM_SHA384',
  'AES128-GCM-SHA256': 'TLS_AES_128_GCM_SHA256',
};

/**
 * With no TLS 1.3 suite named, MOSN's TLS keeps every TLS 1.3 suite (its fork of Go's crypto/tls); node:tls would
 * instead cap the version at TLS 1.2. So these (OpenSSL's default TLS 1.3 suites) are added.
 */
const TLS13_DEFAULTS = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

/** `ecdh_curves` (`,`-separated, any case, as MOSN) → OpenSSL's curve names. */
export const CURVES: Readonly<Record<string, string>> = { x25519: 'X25519', p256: 'P-256', p384: 'P-384', p521: 'P-521' };

/** `min_version` / `max_version` (any case, as MOSN); `tls_auto` is the default. */
const VERSIONS: Readonly<Record<string, TlsVersion | undefined>> = { tls_auto: undefined, tlsv1_0: 'TLSv1', tlsv1_1: 'TLSv1.1', tlsv1_2: 'TLSv1.2', tlsv1_3: 'TLSv1.3' };
const ORDER: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** The protocols MOSN keeps in `alpn` (`,`-separated); it drops any other name. */
const ALPN = new Set(['h2', 'http/1.1', 'sofa']);

const available = new Map<string, boolean>();
/** Whether this OpenSSL has a cipher (3DES is gone from OpenSSL 3's defaults). */
function hasCipher(name: string): boolean {
  let ok = available.get(name);
  if (ok === undefined) {
    try {
      createSecureContext({ ciphers: name });
      ok = true;
    } catch {
      ok = false;
    }
    available.set(name, ok);
  }
  return ok;
}

/** `cipher_suites` as an OpenSSL cipher list; undefined when absent or empty. */
export function readCiphers(t: ConfigReader): string | undefined {
  const text = t.str('cipher_suites');
  if (!text) return undefined;
  const known = new Map(Object.entries(CIPHERS).map(([k, v]) => [k.toLowerCase(), v]));
  const out: string[] = [];
  let bad = false;
  for (const name of text.split(':')) {
    const openssl = known.get(name.trim().toLowerCase());
    if (openssl === undefined) {
      bad = true;
      t.problems.error(t.at('cipher_suites'), `unknown cipher suite "${name}" (MOSN's names, separated by ":"); known: ${Object.keys(CIPHERS).join(', ')}`);
    } else if (!hasCipher(openssl)) {
      t.problems.warn(t.at('cipher_suites'), `"${name}" (OpenSSL ${openssl}) is not available in this Node's OpenSSL; left out`);
    } else if (!out.includes(openssl)) out.push(openssl);
  }
  if (bad) return undefined;
  if (out.length === 0) {
    t.problems.error(t.at('cipher_suites'), 'names no cipher suite this Node can use');
    return undefined;
  }
  if (!out.some((c) => c.startsWith('TLS_'))) out.push(TLS13_DEFAULTS);
  return out.join(':');
}

/** `ecdh_curves` as an OpenSSL curve list (`:`-separated); undefined when absent or empty. */
export function readCurves(t: ConfigReader): string | undefined {
  const text = t.str('ecdh_curves');
  if (!text) return undefined;
  const out: string[] = [];
  for (const name of text.split(',')) {
    const curve = CURVES[name.trim().toLowerCase()];
    if (curve === undefined) t.problems.error(t.at('ecdh_curves'), `unknown curve "${name}" (MOSN's names, separated by ","); known: X25519, P256, P384, P521`);
    else if (!out.includes(curve)) out.push(curve);
  }
  return out.length > 0 ? out.join(':') : undefined;
}

/** `min_version` and `max_version` as node:tls names (absent for `tls_auto` or nothing). */
export function readVersions(t: ConfigReader): { minVersion?: TlsVersion; maxVersion?: TlsVersion } {
  const read = (key: string): TlsVersion | undefined => {
    const text = t.str(key);
    if (!text) return undefined;
    const lower = text.toLowerCase();
    if (!(lower in VERSIONS)) {
      t.problems.error(t.at(key), `unknown TLS version "${text}"; known: ${Object.keys(VERSIONS).join(', ')}`);
      return undefined;
    }
    const v = VERSIONS[lower];
    if (v === 'TLSv1' || v === 'TLSv1.1') {
      t.problems.warn(t.at(key), `${v} is deprecated; OpenSSL 3 at its default security level does not complete TLS 1.0 or 1.1 handshakes, so mosn-ts speaks TLS 1.2 at least in practice`);
    }
    return v;
  };
  const minVersion = read('min_version');
  const maxVersion = read('max_version');
  if (minVersion && maxVersion && ORDER.indexOf(minVersion) > ORDER.indexOf(maxVersion)) {
    t.problems.error(t.at('min_version'), `${minVersion} is above max_version ${maxVersion}: no version is left`);
  }
  return { ...(minVersion ? { minVersion } : {}), ...(maxVersion ? { maxVersion } : {}) };
}

/** `alpn`: the protocols MOSN keeps (h2, http/1.1, sofa), in order; undefined when none. */
export function readAlpn(t: ConfigReader): string[] | undefined {
  const text = t.str('alpn');
  if (!text) return undefined;
  const out: string[] = [];
  for (const p of text.split(',')) {
    const name = p.trim();
    if (ALPN.has(name.toLowerCase())) out.push(name);
    else t.problems.warn(t.at('alpn'), `"${name}" is left out: MOSN offers only h2, http/1.1 and sofa in ALPN`);
  }
  return out.length > 0 ? out : undefined;
}
