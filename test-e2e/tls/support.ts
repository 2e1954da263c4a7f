import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { generateTestCerts, type TestCert, type TestCerts } from '@mosn/net/testing';
import { afterAll, beforeAll } from 'vitest';

// Helpers shared by the TLS e2e tests (test-e2e/tls/*.test.ts).

/** The test certificates of this file (made once, removed after the file): call at the top level of a test file. */
export function certsForFile(): () => TestCerts {
  let certs: TestCerts | undefined;
  beforeAll(() => {
    certs = generateTestCerts();
  });
  afterAll(() => certs?.remove());
  return () => {
    if (!certs) throw new Error('test certificates are made in beforeAll');
    return certs;
  };
}

/** Run a command to its end (15 s at most): exit code, stdout, stderr; never throws. */
export function run(cmd: string, args: string[], input?: string, timeoutMs = 15_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** The subject CN of the certificate a listener shows for an SNI name (openssl s_client). */
export async function servedCn(port: number, servername?: string): Promise<string> {
  const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...(servername ? ['-servername', servername] : ['-noservername'])], 'Q\n');
  return /subject=.*?CN\s*=\s*([^,\n/]+)/.exec(r.stdout)?.[1]?.trim() ?? `(none: ${r.stderr.slice(0, 200)})`;
}

/** A listener's `tls_context`: the test server certificate, the test CA for client certificates, plus `extra`. */
export function serverTlsContext(certs: TestCerts, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { status: true, ca_cert: certs.ca.certPath, cert_chain: certs.server.certPath, private_key: certs.server.keyPath, ...extra };
}

/** A listener's `tls_context` for mutual TLS: client certificates required and verified against the test CA. */
export function mtlsServerContext(certs: TestCerts, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return serverTlsContext(certs, { verify_client: true, require_client_cert: true, ...extra });
}

/**
 * A cluster's `tls_context`: verify the server against the test CA as `localhost`, and present `clientCert`
 * (absent: no client certificate).
 */
export function clusterTlsContext(certs: TestCerts, clientCert?: TestCert, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    status: true,
    ca_cert: certs.ca.certPath,
    server_name: 'localhost',
    ...(clientCert ? { cert_chain: clientCert.certPath, private_key: clientCert.keyPath } : {}),
    ...extra,
  };
}

type Config = { servers: Array<{ listeners: Array<{ filter_chains: Array<Record<string, unknown>> }> }> };

/** Put `tls` (`{ tls_context }` or `{ tls_context_set }`) on the first filter chain of the first listener of `config`. */
export function withListenerTls<T>(config: T, tls: Record<string, unknown>): T {
  Object.assign((config as Config).servers[0]!.listeners[0]!.filter_chains[0]!, tls);
  return config;
}

/** A `proxy` listener `l` on 127.0.0.1:0 for an RPC protocol, routing every service to cluster `target`. */
export function rpcProxyConfig(o: { protocol: string; clusters: unknown[]; target: string; tls?: Record<string, unknown> }): unknown {
  const config = {
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'ERROR',
        routers: [
          {
            router_config_name: 'r',
            virtual_hosts: [{ name: 'vh', domains: ['*'], routers: [{ match: { headers: [{ name: 'service', value: '.*' }] }, route: { cluster_name: o.target } }] }],
          },
        ],
        listeners: [
          {
            name: 'l',
            address: '127.0.0.1:0',
            bind_port: true,
            filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: o.protocol, upstream_protocol: o.protocol, router_config_name: 'r' } }] }],
          },
        ],
      },
    ],
    cluster_manager: { clusters: o.clusters },
  };
  return o.tls ? withListenerTls(config, o.tls) : config;
}

/** A TLS connection to 127.0.0.1:port, resolved once the handshake is done (rejects on a handshake error). */
export function tlsConnect(port: number, opts: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ...opts });
    s.once('secureConnect', () => {
      s.off('error', reject);
      s.on('error', () => {});
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** The subject CN of the certificate the peer of `s` showed. */
export const peerCn = (s: tls.TLSSocket): string => String(s.getPeerCertificate().subject?.CN ?? '(no certificate)');

/** A plain TCP echo server on 127.0.0.1:0 (half-close aware); `close` resets what is still open. */
export async function tcpEchoServer(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    count++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Write `data` on `s`, end it, and read everything until the peer ends: its sha256 and length. */
export function echoThrough(s: net.Socket, data: Buffer, ms = 15_000): Promise<{ sha: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    const timer = setTimeout(() => reject(new Error(`echo: ${bytes} of ${data.length} bytes back within ${ms} ms`)), ms);
    s.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
    });
    s.on('end', () => {
      clearTimeout(timer);
      resolve({ sha: hash.digest('hex'), bytes });
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.end(data);
  });
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
