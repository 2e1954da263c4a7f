import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@mosn/proxy';
import { AdminServer, REDACTED, redactPrivateKeys, type AdminSource } from './admin.js';

const KEY = '-----BEGIN EC PRIVATE KEY-----\nMHc...\n-----END EC PRIVATE KEY-----\n';

/** A config document with private keys where MOSN has them: listener contexts, a context set, clusters, the cluster manager. */
function doc(): any {
  const tls = { status: true, cert_chain: 'cert.pem', private_key: KEY, ca_cert: 'ca.pem' };
  return {
    servers: [{ listeners: [{ filter_chains: [{ tls_context: { ...tls }, tls_context_set: [{ ...tls, Private_Key: 'key.pem' }, { status: true, private_key: '' }] }] }] }],
    cluster_manager: { tls_context: { ...tls }, clusters: [{ name: 'c', tls_context: { ...tls, PRIVATE_KEY: KEY } }] },
  };
}

describe('redactPrivateKeys', () => {
  it('replaces every non-empty private_key, at any depth and in any case; the input is not changed', () => {
    const input = doc();
    const out = redactPrivateKeys(input) as any;
    const fc = out.servers[0].listeners[0].filter_chains[0];
    expect(fc.tls_context).toEqual({ status: true, cert_chain: 'cert.pem', private_key: REDACTED, ca_cert: 'ca.pem' });
    expect(fc.tls_context_set[0].Private_Key).toBe(REDACTED);
    expect(fc.tls_context_set[1].private_key).toBe('');
    expect(out.cluster_manager.tls_context.private_key).toBe(REDACTED);
    expect(out.cluster_manager.clusters[0].tls_context.PRIVATE_KEY).toBe(REDACTED);
    expect(JSON.stringify(out)).not.toContain('PRIVATE KEY-----');
    expect(input).toEqual(doc());
    expect(redactPrivateKeys(null)).toBeNull();
    expect(redactPrivateKeys([1, 'a'])).toEqual([1, 'a']);
  });
});

describe('GET /api/v1/config_dump', () => {
  let admin: AdminServer | undefined;
  afterEach(() => admin?.close());

  it('shows the config without its private keys', async () => {
    const source: AdminSource = { configDump: () => Object.freeze(doc()), stats: () => ({}), state: () => 'running', logLevel: () => 'INFO', version: () => 1 };
    admin = new AdminServer(source, silentLogger);
    const bound = await admin.start({ host: '127.0.0.1', port: 0 });
    if (!('port' in bound)) throw new Error('expected a TCP address');
    const res = await fetch(`http://127.0.0.1:${bound.port}/api/v1/config_dump`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain('PRIVATE KEY');
    expect(JSON.parse(text).cluster_manager.clusters[0].tls_context).toMatchObject({ cert_chain: 'cert.pem', PRIVATE_KEY: REDACTED });
  });
});
