import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@mosn/proxy';
import { configDump, mosnConfigOnly, REDACTED, redactPrivateKeys } from './config-dump.js';
import { AdminServer } from './server.js';
import type { AdminRequest, AdminSource } from './types.js';

function request(method: string, query = '', body = ''): AdminRequest {
  return { method, query: new URLSearchParams(query), body: () => Promise.resolve(body) };
}

function fakeSource(o: Partial<AdminSource> = {}): AdminSource {
  return { config: () => ({}), statuses: () => ({}), stats: () => ({}), stage: () => 'running', version: () => 1, live: { listeners: () => [], clusters: () => [], stat: () => 0 }, ...o };
}

const KEY = '-----BEGIN EC PRIVATE KEY-----\nMHc...\n-----END EC PRIVATE KEY-----\n';

/** A config document with private keys where MOSN has them: listener contexts, a context set, clusters, the cluster manager. */
function doc(): any {
  const tls = { status: true, cert_chain: 'cert.pem', private_key: KEY, ca_cert: 'ca.pem' };
  return {
    servers: [{ listeners: [{ filter_chains: [{ tls_context: { ...tls }, tls_context_set: [{ ...tls, Private_Key: 'key.pem' }, { status: true, private_key: '' }] }] }] }],
    cluster_manager: { tls_context: { ...tls }, clusters: [{ name: 'c', tls_context: { ...tls, PRIVATE_KEY: KEY } }] },
  };
}

/** A config with two of each section, the `tracing` key, a second server and `extends`. */
function sections(): any {
  return {
    servers: [
      {
        default_log_path: 'stderr',
        routers: [{ router_config_name: 'r2', virtual_hosts: [] }, { router_config_name: 'r1', virtual_hosts: [] }],
        listeners: [
          { name: 'l1', address: '127.0.0.1:1', filter_chains: [{ tls_context: { private_key: KEY } }] },
          { name: '0.0.0.0_80', address: '0.0.0.0:80' },
        ],
      },
      { default_log_path: 'other' },
    ],
    cluster_manager: { tls_context: { private_key: 'k.pem' }, clusters: [{ name: 'b', hosts: [{ address: '127.0.0.1:8080' }] }, { name: 'a' }] },
    tracing: { enable: true },
    extends: [{ type: 'x', config: {} }],
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 34901 } } },
  };
}

const dump = (query: string, method = 'GET', statuses = {}) => {
  const r = configDump(request(method, query), fakeSource({ config: () => Object.freeze(sections()), statuses: () => statuses }));
  return { status: r.status, body: r.status === 200 ? JSON.parse(r.body) : r.body };
};

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

describe('config_dump query options (MOSN`s)', () => {
  it('no parameter: the whole running config, redacted, with the dynamic sources` statuses beside it', () => {
    const plain = dump('');
    expect(plain.status).toBe(200);
    expect(plain.body.servers[0].listeners[0].filter_chains[0].tls_context.private_key).toBe(REDACTED);
    expect(plain.body).not.toHaveProperty('xds');
    expect(dump('', 'GET', { xds: { versions: { CDS: '1' } } }).body.xds).toEqual({ versions: { CDS: '1' } });
  });

  it('?allrouters, ?allclusters, ?alllisteners: each kind by name, keys sorted (a Go map), redacted', () => {
    expect(Object.keys(dump('allrouters').body)).toEqual(['r1', 'r2']);
    expect(Object.keys(dump('allclusters').body)).toEqual(['a', 'b']);
    const listeners = dump('alllisteners').body;
    expect(Object.keys(listeners)).toEqual(['0.0.0.0_80', 'l1']);
    expect(listeners.l1.filter_chains[0].tls_context.private_key).toBe(REDACTED);
  });

  it('?router=, ?cluster=, ?listener=: that section; a name nobody has: an empty section and 200, as MOSN', () => {
    expect(dump('router=r1')).toEqual({ status: 200, body: { router_config_name: 'r1', virtual_hosts: [] } });
    expect(dump('cluster=b').body.hosts).toEqual([{ address: '127.0.0.1:8080' }]);
    expect(dump('listener=0.0.0.0_80').body.address).toBe('0.0.0.0:80');
    expect(dump('listener=l1').body.filter_chains[0].tls_context.private_key).toBe(REDACTED);
    expect(dump('cluster=nope')).toEqual({ status: 200, body: {} });
    expect(dump('router')).toEqual({ status: 200, body: {} });
    expect(dump('router=constructor')).toEqual({ status: 200, body: {} });
    expect(dump('cluster=__proto__')).toEqual({ status: 200, body: {} });
    // the same parameter twice is one parameter: the first value counts
    expect(dump('cluster=a&cluster=b').body).toEqual({ name: 'a' });
  });

  it('?mosnconfig: the first server without listeners and routers, cluster_manager`s tls_context alone, no extends', () => {
    const m = dump('mosnconfig').body;
    expect(m.servers).toEqual([{ default_log_path: 'stderr' }]);
    expect(m.cluster_manager).toEqual({ tls_context: { private_key: REDACTED } });
    expect(m.tracing).toEqual({ enable: true });
    expect(m.admin).toEqual(sections().admin);
    expect(m).not.toHaveProperty('extends');
    expect(mosnConfigOnly({})).toEqual({ servers: [{}], cluster_manager: {} });
  });

  it('two parameters: 400 `only support one parameter`; an unknown one: 500 MOSN`s `internal error`; not GET: 405', () => {
    expect(dump('mosnconfig&router')).toEqual({ status: 400, body: 'only support one parameter' });
    expect(dump('invalid')).toEqual({ status: 500, body: '{\n\t"error": "internal error"\n}\n' });
    expect(dump('__proto__')).toEqual({ status: 500, body: '{\n\t"error": "internal error"\n}\n' });
    expect(dump('', 'POST')).toEqual({ status: 405, body: '' });
  });
});

describe('GET /api/v1/config_dump over a socket', () => {
  let admin: AdminServer | undefined;
  afterEach(() => admin?.close());

  it('shows the config without its private keys', async () => {
    admin = new AdminServer(fakeSource({ config: () => Object.freeze(doc()) }), silentLogger);
    const bound = await admin.start({ host: '127.0.0.1', port: 0 });
    if (!('port' in bound)) throw new Error('expected a TCP address');
    const res = await fetch(`http://127.0.0.1:${bound.port}/api/v1/config_dump`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain('PRIVATE KEY');
    expect(JSON.parse(text).cluster_manager.clusters[0].tls_context).toMatchObject({ cert_chain: 'cert.pem', PRIVATE_KEY: REDACTED });
  });
});
