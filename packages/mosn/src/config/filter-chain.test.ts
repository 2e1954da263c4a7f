import { describe, expect, it } from 'vitest';
import { Registry } from '@mosn/proxy';
import { defaultExtensions, type Extensions, type NetworkFilterExtension } from '../extensions.js';
import { readFilterChains } from './filter-chain.js';
import { clusterSpecs, readSection } from './testing.js';

const ext = defaultExtensions();
const clusters = clusterSpecs(ext, [{ name: 'c', hosts: [] }]);
const L = 'servers[0].listeners[0]';
const F = `${L}.filter_chains[0].filters`;
const tcpProxy = { type: 'tcp_proxy', config: { cluster: 'c' } };
const read = (chains: unknown, extensions: Extensions = ext) =>
  readSection({ filter_chains: chains }, L, (l) => readFilterChains(l, { extensions, clusters, routers: new Map(), listenerName: 'l' }, { baseDir: '/nowhere' }).filters);

describe('readFilterChains', () => {
  it('reads each filter with its extension, in order, into { type, config }', () => {
    const { result, errors } = read([{ filters: [tcpProxy] }]);
    expect(errors).toEqual([]);
    expect(result).toEqual([{ type: 'tcp_proxy', config: expect.objectContaining({ cluster: 'c', statPrefix: 'l' }) }]);
  });

  it("skips MOSN's retired connection_manager with a warning", () => {
    const { result, errors, warnings } = read([{ filters: [{ type: 'connection_manager', config: { router_config_name: 'r' } }, tcpProxy] }]);
    expect(errors).toEqual([]);
    expect(result.map((f) => f.type)).toEqual(['tcp_proxy']);
    expect(warnings).toEqual([`${F}[0].type: "connection_manager" is a network filter MOSN retired (it installs nothing); mosn-ts treats it as a no-op. Routes belong in servers[].routers`]);
  });

  it('refuses unknown filters, a filter after a terminal one, several chains, and an empty chain', () => {
    expect(read([{ filters: [{ type: 'http_connection_manager' }] }]).errors).toEqual([`${F}[0].type: network filter "http_connection_manager" is not supported by mosn-ts yet; supported: proxy, tcp_proxy, fault_inject`]);
    expect(read([{ filters: [tcpProxy, tcpProxy] }]).errors).toEqual([
      `${F}[1].type: "tcp_proxy" after "tcp_proxy" would never receive data: "tcp_proxy" ends the chain (passing unknown protocols on to the next filter, MOSN's fallback_for_unknown_protocol, is not supported by mosn-ts yet)`,
    ]);
    expect(read([{ filters: [tcpProxy] }, { filters: [tcpProxy] }]).errors).toEqual([`${L}.filter_chains: more than one filter chain (chain matching) is not supported by mosn-ts yet`]);
    expect(read([{ tls_context: { status: true }, filters: [tcpProxy] }]).errors).toEqual([
      `${L}.filter_chains[0].tls_context.cert_chain: a listener's TLS needs the certificate it serves: set cert_chain and private_key`,
    ]);
    expect(read([{ filters: [] }]).errors).toEqual([`${F}: expected a non-empty array`]);
  });

  it('reports a filter extension that throws as a bug, at the filter\'s config', () => {
    const broken: NetworkFilterExtension = {
      read() {
        throw new Error('boom');
      },
      build() {
        throw new Error('not built');
      },
    };
    const networkFilters = new Registry<NetworkFilterExtension>('network filter');
    networkFilters.register('broken', broken);
    const { result, errors } = read([{ filters: [{ type: 'broken' }] }], { ...ext, networkFilters });
    expect(result).toEqual([]);
    expect(errors).toEqual([`${F}[0].config: could not be read (a bug in mosn-ts's "broken" filter, please report it): boom`]);
  });
});
