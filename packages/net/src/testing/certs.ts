import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Certificates for tests, made with the `openssl` CLI in a temporary directory: real PEM files a test can hand
 * to node:tls, to a config file or to `openssl s_client`. Keys are EC P-256 (fast to make).
 */

/** One certificate and its key, as PEM text and as files. */
export interface TestCert {
  readonly cert: string;
  readonly key: string;
  readonly certPath: string;
  readonly keyPath: string;
}

export interface IssueOptions {
  /** Subject alternative names in OpenSSL's form: `DNS:localhost`, `IP:127.0.0.1`. */
  sans?: readonly string[];
  /** Who signs it (default `ca`). */
  signer?: 'ca' | 'otherCa';
  /** Extended key usage: a server (default) or a client certificate. */
  usage?: 'server' | 'client';
  /** Valid only in 2020 (needs `openssl ca`, which can backdate a certificate). */
  expired?: boolean;
}

export interface TestCerts {
  /** The temporary directory holding every file. */
  readonly dir: string;
  /** The test CA: signs `server`, `alt`, `client` and `expired`. */
  readonly ca: TestCert;
  /** CN localhost; SAN DNS:localhost, IP:127.0.0.1. */
  readonly server: TestCert;
  /** CN alt.test; SAN DNS:alt.test, DNS:*.alt.test (a second name for SNI tests). */
  readonly alt: TestCert;
  /** CN client, for client authentication (mTLS). */
  readonly client: TestCert;
  /** A second, unrelated CA. */
  readonly otherCa: TestCert;
  /** A server certificate for localhost/127.0.0.1 signed by `otherCa`. */
  readonly otherServer: TestCert;
  /** A client certificate signed by `otherCa`. */
  readonly otherClient: TestCert;
  /** A server certificate for localhost/127.0.0.1 signed by `ca`, valid only in 2020. */
  readonly expired: TestCert;
  /** Make one more certificate. */
  issue(name: string, cn: string, options?: IssueOptions): TestCert;
  /** Delete the directory. */
  remove(): void;
}

const SERVER_SANS = ['DNS:localhost', 'IP:127.0.0.1'];

/** Make the test CAs and certificates (a few hundred milliseconds). Needs `openssl` on PATH. */
export function generateTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'mosn-certs-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const file = (name: string) => join(dir, name);
  const read = (name: string): TestCert => ({
    cert: readFileSync(file(`${name}.pem`), 'utf8'),
    key: readFileSync(file(`${name}.key`), 'utf8'),
    certPath: file(`${name}.pem`),
    keyPath: file(`${name}.key`),
  });
  const newKey = (name: string) =>
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);

  const makeCa = (name: string, cn: string): TestCert => {
    newKey(name);
    openssl('req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-days', '3650', '-out', `${name}.pem`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    return read(name);
  };

  let serial = 1;
  const issue = (name: string, cn: string, options: IssueOptions = {}): TestCert => {
    const signer = options.signer ?? 'ca';
    const usage = options.usage ?? 'server';
    newKey(name);
    openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`);
    const ext = [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
      ...(options.sans && options.sans.length > 0 ? [`subjectAltName=${options.sans.join(',')}`] : []),
    ];
    writeFileSync(file(`${name}.ext`), `[ext]\n${ext.join('\n')}\n`);
    if (options.expired) {
      // `openssl x509 -days` cannot go back in time (and 3.0 has no -not_before): `openssl ca` takes dates.
      writeFileSync(file(`${signer}.index`), '', { flag: 'a' });
      writeFileSync(
        file('ca.cnf'),
        [
          '[ca]', 'default_ca = d', '[d]', `database = ${signer}.index`, `new_certs_dir = .`,
          `serial = ${signer}.serial`, 'default_md = sha256', 'policy = p', 'unique_subject = no',
          '[p]', 'commonName = supplied', '',
        ].join('\n'),
      );
      writeFileSync(file(`${signer}.serial`), `${(0x1000 + serial++).toString(16).toUpperCase().padStart(4, '0')}\n`);
      openssl('ca', '-batch', '-notext', '-config', 'ca.cnf', '-cert', `${signer}.pem`, '-keyfile', `${signer}.key`,
        '-in', `${name}.csr`, '-out', `${name}.pem`, '-startdate', '20200101000000Z', '-enddate', '20200201000000Z',
        '-extfile', `${name}.ext`, '-extensions', 'ext');
    } else {
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.pem`, '-CAkey', `${signer}.key`,
        '-set_serial', String(serial++), '-days', '825', '-sha256', '-extfile', `${name}.ext`, '-extensions', 'ext',
        '-out', `${name}.pem`);
    }
    return read(name);
  };

  try {
    const ca = makeCa('ca', 'mosn-ts test CA');
    const otherCa = makeCa('otherCa', 'another test CA');
    return {
      dir,
      ca,
      otherCa,
      server: issue('server', 'localhost', { sans: SERVER_SANS }),
      alt: issue('alt', 'alt.test', { sans: ['DNS:alt.test', 'DNS:*.alt.test'] }),
      client: issue('client', 'client', { usage: 'client' }),
      otherServer: issue('otherServer', 'localhost', { sans: SERVER_SANS, signer: 'otherCa' }),
      otherClient: issue('otherClient', 'other client', { usage: 'client', signer: 'otherCa' }),
      expired: issue('expired', 'localhost', { sans: SERVER_SANS, expired: true }),
      issue,
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
