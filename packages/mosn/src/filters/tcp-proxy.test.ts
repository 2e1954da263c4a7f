import { describe, expect, it } from 'vitest';
import { DEFAULT_TCP_IDLE_TIMEOUT_MS, TcpProxyFilterFactory } from '@mosn/proxy';
import { tcpProxyFilter } from './tcp-proxy.js';
import { buildContext, readFilter } from './testing.js';

const read = (config: Record<string, unknown>) => readFilter(tcpProxyFilter, config, { clusters: ['a', 'b'] });

describe('tcp_proxy filter: read', () => {
  it('reads a cluster, with the defaults (the stat prefix is the listener name)', () => {
    expect(read({ cluster: 'a' })).toEqual({
      value: { cluster: 'a', routes: [], maxConnectAttempts: 1, idleTimeoutMs: DEFAULT_TCP_IDLE_TIMEOUT_MS, statPrefix: 'l' },
      errors: [],
      warnings: [],
    });
  });

  it("reads routes with CIDRs in both of MOSN's spellings, and a duration or nanoseconds idle_timeout", () => {
    const { value, errors } = read({
      routes: [{ cluster: 'b', source_addrs: [{ address: '10.0.0.0', length: 8 }], DestinationAddrs: [{ address: '::1' }] }],
      idle_timeout: 90_000_000_000,
      max_connect_attempts: 3,
      stat_prefix: 'tcp',
    });
    expect(errors).toEqual([]);
    expect(value).toEqual({
      routes: [{ cluster: 'b', sourceAddrs: [{ address: '10.0.0.0', length: 8 }], destinationAddrs: [{ address: '::1', length: 128 }] }],
      maxConnectAttempts: 3,
      idleTimeoutMs: 90_000,
      statPrefix: 'tcp',
    });
  });

  it('reports undefined clusters, bad addresses, ports, and no cluster at all', () => {
    expect(read({ cluster: 'x' }).errors).toEqual(['f.config.cluster: cluster "x" is not defined in cluster_manager.clusters; defined: a, b']);
    expect(read({ routes: [{ cluster: 'x', source_addrs: [{ address: 'host' }], source_port: '80' }] }).errors).toEqual([
      'f.config.routes[0].cluster: cluster "x" is not defined in cluster_manager.clusters; defined: a, b',
      'f.config.routes[0].source_addrs[0].address: expected an IP address, got "host"',
      'f.config.routes[0].source_port: is not supported by mosn-ts yet (the route would match every port)',
    ]);
    expect(read({}).errors).toEqual(['f.config: expected "cluster" or at least one of "routes"']);
  });
});

describe('tcp_proxy filter: build and references', () => {
  it('makes a TcpProxyFilterFactory of the value', () => {
    const value = read({ cluster: 'a' }).value!;
    const factory = tcpProxyFilter.build(value, buildContext()) as TcpProxyFilterFactory;
    expect(factory).toBeInstanceOf(TcpProxyFilterFactory);
    expect(factory.config).toBe(value);
  });

  it('names each cluster it uses once', () => {
    expect(tcpProxyFilter.references!(read({ cluster: 'a', routes: [{ cluster: 'b' }, { cluster: 'a' }] }).value!)).toEqual({ clusters: ['a', 'b'] });
  });
});
