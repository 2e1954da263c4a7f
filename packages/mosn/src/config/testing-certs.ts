import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * For tests of the TLS config reader: PEM files made with the `openssl` CLI in a temporary folder, named
 * `<name>.pem` (certificate) and `<name>.key`. Until the readers' tests move to `@mosn/net/testing`.
 */
export interface ReaderCerts {
  /** Holds ca, otherCa (CAs), server (SAN DNS:localhost, DNS:*.example.test, IP:127.0.0.1), client (CN only), expired (2020), future (2099). */
  readonly dir: string;
  remove(): void;
}

/** How one certificate is made: signed by `signer` (a CA made before it) or self-signed as a CA. */
interface Issue {
  cn: string;
  signer?: string;
  sans?: string;
  /** `openssl ca` dates (YYYYMMDDhhmmssZ): certificates outside their validity. */
  dates?: [string, string];
}

const CERTS: Record<string, Issue> = {
  ca: { cn: 'reader test CA' },
  otherCa: { cn: 'other test CA' },
  server: { cn: 'localhost', signer: 'ca', sans: 'DNS:localhost,DNS:*.example.test,IP:127.0.0.1' },
  client: { cn: 'client', signer: 'ca' },
  expired: { cn: 'localhost', signer: 'ca', dates: ['20200101000000Z', '20200201000000Z'] },
  future: { cn: 'localhost', signer: 'ca', dates: ['20990101000000Z', '20990201000000Z'] },
};

/** Make the certificates above (EC P-256 keys; well under a second). Needs `openssl` on PATH. */
export function makeReaderCerts(): ReaderCerts {
  const dir = mkdtempSync(join(tmpdir(), 'mosn-tls-reader-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    // `openssl x509 -days` cannot date a certificate in the past, and OpenSSL 3.0's x509 has no -not_before:
    // `openssl ca` takes -startdate and -enddate.
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '1000\n');
    writeFileSync(join(dir, 'ca.cnf'), '[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\n');
    for (const [name, c] of Object.entries(CERTS)) {
      openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
      if (!c.signer) {
        openssl('req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${c.cn}`, '-days', '3650', '-out', `${name}.pem`, '-addext', 'basicConstraints=critical,CA:TRUE');
        continue;
      }
      openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${c.cn}`, '-out', `${name}.csr`);
      writeFileSync(join(dir, `${name}.ext`), `[ext]\nbasicConstraints=CA:FALSE\n${c.sans ? `subjectAltName=${c.sans}\n` : ''}`);
      const [start, end] = c.dates ?? [];
      if (start && end) {
        openssl('ca', '-batch', '-notext', '-config', 'ca.cnf', '-cert', `${c.signer}.pem`, '-keyfile', `${c.signer}.key`, '-in', `${name}.csr`, '-out', `${name}.pem`,
          '-startdate', start, '-enddate', end, '-extfile', `${name}.ext`, '-extensions', 'ext');
      } else {
        openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${c.signer}.pem`, '-CAkey', `${c.signer}.key`, '-CAcreateserial', '-days', '825', '-out', `${name}.pem`,
          '-extfile', `${name}.ext`, '-extensions', 'ext');
      }
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
