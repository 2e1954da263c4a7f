import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigReader } from './config-reader.js';

/** Where a relative file path in a TLS context is resolved from, and the time certificates must be valid at. */
export interface TlsReadOptions {
  readonly baseDir: string;
  readonly now?: Date;
}

/** One of `ca_cert`, `cert_chain`, `private_key`: its PEM text and, when it named a file, the resolved path. */
export interface PemSource {
  readonly pem: string;
  readonly file?: string;
}

/** A problem with one key's value; `fallBack` problems are the ones MOSN's `fall_back` forgives. */
type Report = (message: string) => void;

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * A key's value as PEM: inline PEM when it contains "-----BEGIN" (MOSN's rule), else a file path, read now
 * (relative to `baseDir`). Undefined, with a problem naming the file, when the file cannot be read.
 */
export function readPem(t: ConfigReader, key: string, o: TlsReadOptions, report: Report): PemSource | undefined {
  const text = t.str(key);
  if (!text) return undefined;
  if (text.includes('-----BEGIN')) return { pem: text };
  const file = isAbsolute(text) ? text : resolve(o.baseDir, text);
  try {
    return { pem: readFileSync(file, 'utf8'), file };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    report(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`);
    return undefined;
  }
}

/** "the file F" or "the inline PEM", for messages. */
export function describe(src: PemSource): string {
  return src.file !== undefined ? `${src.file}` : 'the inline PEM';
}

/** Every certificate of a PEM text, parsed; a block that does not parse is reported. */
function parseCertificates(src: PemSource, report: Report): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const block of src.pem.match(CERT_BLOCK) ?? []) {
    try {
      out.push(new X509Certificate(block));
    } catch (e) {
      report(`${describe(src)} has a certificate that cannot be parsed: ${(e as Error).message}`);
    }
  }
  if (out.length === 0) report(`${describe(src)} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`);
  return out;
}

/** A problem when `cert` is not valid at `now`. */
function checkDates(cert: X509Certificate, src: PemSource, now: Date): string | undefined {
  if (now < new Date(cert.validFrom)) return `the certificate in ${describe(src)} is not valid yet: valid from ${cert.validFrom}`;
  if (now > new Date(cert.validTo)) return `the certificate in ${describe(src)} expired on ${cert.validTo}`;
  return undefined;
}

/** `ca_cert`: at least one certificate; an expired one is a warning (a CA bundle may hold stale roots). */
export function checkCa(t: ConfigReader, src: PemSource, now: Date): boolean {
  let ok = true;
  const certs = parseCertificates(src, (m) => {
    ok = false;
    t.problems.error(t.at('ca_cert'), m);
  });
  for (const c of certs) {
    const problem = checkDates(c, src, now);
    if (problem) t.problems.warn(t.at('ca_cert'), `${problem} (subject ${oneLine(c.subject)}); it verifies nothing`);
  }
  return ok && certs.length > 0;
}

/**
 * `cert_chain` and `private_key`: the chain parses, its first certificate is valid now and matches the key.
 * `loadProblem` gets what stops MOSN from loading the pair (`fall_back` forgives it); dates are checked by
 * mosn-ts alone and always reported as errors. The certificate's names on success.
 */
export function checkKeyPair(
  t: ConfigReader,
  cert: PemSource,
  key: PemSource,
  now: Date,
  loadProblem: (key: string, message: string) => void,
): readonly string[] | undefined {
  let ok = true;
  const certs = parseCertificates(cert, (m) => {
    ok = false;
    loadProblem('cert_chain', m);
  });
  let privateKey: KeyObject | undefined;
  try {
    privateKey = createPrivateKey(key.pem);
  } catch (e) {
    const encrypted = /ENCRYPTED/.test(key.pem);
    loadProblem('private_key', `${describe(key)} is not a usable private key: ${encrypted ? 'it is encrypted, and MOSN takes no passphrase' : (e as Error).message}`);
    ok = false;
  }
  const leaf = certs[0];
  if (!leaf || !privateKey || !ok) return undefined;
  if (!leaf.checkPrivateKey(privateKey)) {
    loadProblem('private_key', `the key in ${describe(key)} does not match the certificate in ${describe(cert)} (subject ${oneLine(leaf.subject)})`);
    return undefined;
  }
  const problem = checkDates(leaf, cert, now);
  if (problem) {
    t.problems.error(t.at('cert_chain'), problem);
    return undefined;
  }
  // MOSN's own samples ship such a pair: a leaf whose subject is its issuer's name, signed by that CA. Go finds the
  // issuer by name and accepts it; OpenSSL takes it for a self-signed certificate and refuses it (error 18).
  if (leaf.subject === leaf.issuer && !leaf.ca) {
    t.problems.warn(
      t.at('cert_chain'),
      `${describe(cert)}: its subject is its issuer's (${oneLine(leaf.subject)}), so OpenSSL-based clients (mosn-ts, curl, openssl s_client) take it for self-signed and verify it only if they trust this very certificate (error 18 otherwise); MOSN's Go clients also accept it when a CA of that name signed it. Issue it with a subject of its own`,
    );
  }
  return certificateNames(leaf);
}

/**
 * The names a certificate is for: its subjectAltName DNS names and IP addresses, and its subject CN (MOSN matches
 * SNI against the CN and the DNS names; an SNI name is never an IP address).
 */
export function certificateNames(cert: X509Certificate): string[] {
  const names: string[] = [];
  for (const entry of splitSan(cert.subjectAltName ?? '')) {
    const m = /^(DNS|IP Address):(.*)$/.exec(entry);
    if (m && m[2] && !names.includes(m[2])) names.push(m[2]);
  }
  for (const line of cert.subject.split('\n')) {
    const cn = /^CN=(.*)$/.exec(line)?.[1];
    if (cn && !names.includes(cn)) names.push(cn);
  }
  return names;
}

/** `DNS:a, DNS:"b, c", IP Address:1.2.3.4` → entries (Node quotes a value that holds a comma). */
function splitSan(text: string): string[] {
  const out: string[] = [];
  const re = /\s*([^:,]+:(?:"(?:[^"\\]|\\.)*"|[^,]*))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    out.push(m[1]!.replace(/^([^:]+:)"(.*)"$/, (_, k: string, v: string) => k + v.replace(/\\(.)/g, '$1')));
  }
  return out;
}

function oneLine(subject: string): string {
  return subject.split('\n').join(', ') || '(empty)';
}
