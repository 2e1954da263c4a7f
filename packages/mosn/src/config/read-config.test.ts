import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultExtensions } from '../extensions.js';
import type { ProxyFilterSpec } from '../filters/proxy.js';
import { DEFAULT_GRACEFUL_TIMEOUT_MS, logSettings, readConfig } from './read-config.js';
import { problemLines } from './testing.js';
import { makeReaderCerts } from './testing-certs.js';

const ext = defaultExtensions();

/** A small valid config: one HTTP listener, one router, one cluster. */
function base(): any {
  return {
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'debug',
        graceful_timeout: '5s',
        routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routers: [{ match: { regex: '^/a' }, route: { cluster_name: 'c' } }] }] }],
        listeners: [{ name: 'l', address: '127.0.0.1:2045', filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'Http1', router_config_name: 'r' } }] }] }],
      },
    ],
    cluster_manager: { clusters: [{ name: 'c', type: 'SIMPLE', lb_type: 'LB_RANDOM', hosts: [{ address: '127.0.0.1:8080' }] }] },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 34901 } } },
  };
}

const read = (raw: unknown) => {
  const { config, problems } = readConfig(raw, ext);
  return { config, ...problemLines(problems) };
};

describe('readConfig', () => {
  it('reads a whole config into a MosnConfig, each section with its source', () => {
    const raw = base();
    const { config, errors, warnings } = read(raw);
    expect([errors, warnings]).toEqual([[], []]);
    expect(config).toMatchObject({ logPath: 'stderr', logLevel: 'DEBUG', gracefulTimeoutMs: 5000, admin: { host: '127.0.0.1', port: 34901 } });
    expect(config!.source).toEqual(raw);
    expect(config!.clusters.map((c) => [c.name, c.lbType, c.source])).toEqual([['c', 'LB_RANDOM', raw.cluster_manager.clusters[0]]]);
    expect(config!.routers.map((r) => [r.name, r.source])).toEqual([['r', raw.servers[0].routers[0]]]);
    expect(config!.listeners.map((l) => [l.name, l.source])).toEqual([['l', raw.servers[0].listeners[0]]]);
    const proxy = config!.listeners[0]!.filters[0]!;
    expect(proxy.type).toBe('proxy');
    expect(proxy.config).toEqual({ downstream: [ext.protocols.get('Http1')!], detect: false, routerName: 'r', httpUpstream: 'Http1', goAway: false } satisfies ProxyFilterSpec);
  });

  it('has the defaults for what is not set', () => {
    const { config } = read({ cluster_manager: { clusters: [] }, servers: [{ listeners: [] }] });
    expect(config).toMatchObject({ logPath: 'stdout', logLevel: 'INFO', gracefulTimeoutMs: DEFAULT_GRACEFUL_TIMEOUT_MS, admin: undefined, clusters: [], routers: [], listeners: [] });
  });

  it('reads servers[0].processor as the worker count: 0 and absent are one process; past the most, an error at its path', () => {
    const withProcessor = (processor: unknown) => read({ cluster_manager: { clusters: [] }, servers: [{ listeners: [], processor }] });
    expect(withProcessor(3).config!.workers).toBe(3);
    expect(withProcessor(0).config!.workers).toBe(1);
    expect(read({ cluster_manager: { clusters: [] }, servers: [{ listeners: [] }] }).config!.workers).toBe(1);
    expect(withProcessor(257).errors).toEqual([expect.stringMatching(/^servers\[0\]\.processor: /)]);
    expect(withProcessor(1.5).errors).toEqual([expect.stringMatching(/^servers\[0\]\.processor: expected an integer/)]);
    // MOSN's configs/mosn_config_dev.json: a worker a core
    expect(withProcessor('auto').config!.workers).toBe(availableParallelism());
  });

  it('freezes the value deeply, but not RegExps nor the registry\'s protocol entries', () => {
    const { config } = read(base());
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config!.clusters[0]!.config.hosts[0]!.address)).toBe(true);
    expect(Object.isFrozen(config!.source)).toBe(true);
    const route = config!.routers[0]!.virtualHosts[0]!.routes[0]!;
    expect(Object.isFrozen(route.match)).toBe(true);
    expect(Object.isFrozen(route.match.regex)).toBe(false);
    const proxy = config!.listeners[0]!.filters[0]!.config as ProxyFilterSpec;
    expect(Object.isFrozen(proxy.downstream)).toBe(true);
    expect(Object.isFrozen(proxy.downstream[0])).toBe(false);
  });

  it('copies the document: the caller may change it afterwards, and no source changes', () => {
    const raw = base();
    const { config } = read(raw);
    expect(Object.isFrozen(raw)).toBe(false);
    raw.cluster_manager.clusters[0].name = 'changed';
    expect((config!.clusters[0]!.source as { name: string }).name).toBe('c');
  });

  it('is undefined when there is an error, with every problem at its path, in document order', () => {
    const raw = base();
    raw.cluster_manager.clusters[0].lb_type = 'LB_FASTEST';
    raw.servers[0].listeners[0].filter_chains[0].filters[0].config.router_config_name = 'nope';
    raw.tracing = { enable: true, driver: 'SkyWalking' };
    raw.dynamic_resources = { ads_config: {} };
    const { config, errors, warnings } = read(raw);
    expect(config).toBeUndefined();
    expect(errors).toEqual([
      expect.stringMatching(/^cluster_manager\.clusters\[0\]\.lb_type: unknown lb_type "LB_FASTEST"; known: /),
      'servers[0].listeners[0].filter_chains[0].filters[0].config.router_config_name: router "nope" is not defined in routers[]; defined: r',
      'dynamic_resources: needs static_resources beside it, with the cluster of the xDS server that ads_config names (MOSN starts no xDS client without it)',
    ]);
    expect(warnings).toEqual(['tracing.driver: MOSN\'s driver "SkyWalking" is not supported by mosn-ts: tracing is off (mosn-ts runs "otel": OpenTelemetry over OTLP/HTTP)']);
  });

  it('checks across sections: duplicate listener names and addresses, route protocols against listeners', () => {
    const raw = base();
    raw.servers[0].listeners.push({ ...raw.servers[0].listeners[0] });
    raw.servers[0].routers[0].virtual_hosts[0].routers[0] = { match: {}, route: { cluster_name: 'c', upstream_protocol: 'bolt' } };
    const { errors } = read(raw);
    expect(errors).toEqual([
      'servers[0].listeners[1].address: duplicate listener address 127.0.0.1:2045: already used by servers[0].listeners[0]',
      'servers[0].listeners[1].name: duplicate listener name "l": already used by servers[0].listeners[0]',
      'servers[0].routers[0].virtual_hosts[0].routers[0].route.upstream_protocol: "bolt" cannot carry the requests listener "l" sends to this route (Http1): mosn-ts does not translate between protocols (RPC requests go upstream in their own protocol)',
      'servers[0].routers[0].virtual_hosts[0].routers[0].route.upstream_protocol: "bolt" cannot carry the requests listener "l" sends to this route (Http1): mosn-ts does not translate between protocols (RPC requests go upstream in their own protocol)',
    ]);
  });

  it('says when the document is not a MOSN config, or not JSON data', () => {
    expect(read({ hello: 1 }).errors).toEqual([
      "servers: is required: this file has none of MOSN's top-level keys (servers, cluster_manager, admin, dynamic_resources, static_resources); is it a MOSN config?",
    ]);
    expect(read('text').errors).toEqual(['(root): expected an object, got string "text"']);
    expect(read({ servers: [{ listeners: [] }, {}] }).errors).toEqual(['servers: mosn-ts runs one server; put every listener in servers[0]']);
    expect(read({ servers: [{ listeners: [], x: () => 1 }] }).errors).toEqual([expect.stringMatching(/^\(root\): expected JSON data: /)]);
  });

  it('warns when there are no listeners at all', () => {
    expect(read({ servers: [{}] }).warnings).toEqual(['servers[0].listeners: no listeners: mosn-ts would serve nothing but the admin API']);
  });
});

describe('logSettings', () => {
  it('reads the log keys of servers[0], with defaults for what is missing or wrong', () => {
    expect(logSettings(base())).toEqual({ logPath: 'stderr', logLevel: 'DEBUG' });
    expect(logSettings({ servers: [{ default_log_level: 'LOUD' }] })).toEqual({ logPath: 'stdout', logLevel: 'INFO' });
    expect(logSettings(null)).toEqual({ logPath: 'stdout', logLevel: 'INFO' });
  });
});

describe('readConfig with TLS', () => {
  const certs = makeReaderCerts();
  afterAll(() => certs.remove());
  const tlsConfig = () => {
    const raw = base();
    raw.servers[0].listeners[0].inspector = true;
    raw.servers[0].listeners[0].filter_chains[0].tls_context = { status: true, cert_chain: 'server.pem', private_key: 'server.key', ca_cert: 'ca.pem', verify_client: true, require_client_cert: true };
    raw.cluster_manager.tls_context = { status: true, ca_cert: 'ca.pem', server_name: 'localhost' };
    raw.cluster_manager.clusters[0].cluster_manager_tls = true;
    raw.cluster_manager.clusters[0].hosts[0].tls_disable = true;
    return raw;
  };

  it('reads certificate files relative to baseDir into the listener and cluster specs', () => {
    const { config, problems } = readConfig(tlsConfig(), ext, { baseDir: certs.dir });
    expect(problemLines(problems)).toEqual({ errors: [], warnings: [] });
    expect(config!.clusters[0]!.config.hosts[0]!.tlsDisable).toBe(true);
    const tls = config!.listeners[0]!.tls!;
    expect(tls.inspector).toBe(true);
    expect(tls.contexts.map((c) => [c.clientAuth, c.files.certChain, c.certNames])).toEqual([['require_and_verify', join(certs.dir, 'server.pem'), ['localhost', '*.example.test', '127.0.0.1']]]);
    expect(config!.clusters[0]!.tls).toMatchObject({ serverName: 'localhost', ca: readFileSync(join(certs.dir, 'ca.pem'), 'utf8'), insecureSkip: false });
    expect(Object.isFrozen(tls.contexts[0]!.files)).toBe(true);
  });

  it('resolves against the working directory by default, and names the file it could not read', () => {
    const { config, problems } = readConfig(tlsConfig(), ext);
    expect(config).toBeUndefined();
    expect(problemLines(problems).errors).toEqual([
      `cluster_manager.tls_context.ca_cert: cannot read ${join(process.cwd(), 'ca.pem')}: no such file`,
      `servers[0].listeners[0].filter_chains[0].tls_context.ca_cert: cannot read ${join(process.cwd(), 'ca.pem')}: no such file`,
      `servers[0].listeners[0].filter_chains[0].tls_context.cert_chain: cannot read ${join(process.cwd(), 'server.pem')}: no such file`,
      `servers[0].listeners[0].filter_chains[0].tls_context.private_key: cannot read ${join(process.cwd(), 'server.key')}: no such file`,
    ]);
    // a relative baseDir is taken from the working directory
    expect(readConfig(tlsConfig(), ext, { baseDir: relative(process.cwd(), certs.dir) }).problems.errors).toEqual([]);
  });

  it('warns that an inspector without TLS does nothing', () => {
    const raw = base();
    raw.servers[0].listeners[0].inspector = true;
    expect(read(raw).warnings).toEqual(['servers[0].listeners[0].inspector: does nothing without TLS: it tells TLS from plaintext, and this listener has no tls_context with "status": true']);
  });
});
