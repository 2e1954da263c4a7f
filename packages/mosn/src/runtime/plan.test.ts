import { describe, expect, it } from 'vitest';
import type { ClusterSpec, ListenerSpec, MosnConfig, RouterSpec } from '../config/types.js';
import { describeChange, planChanges } from './plan.js';

/** Config values with only what planning reads: names, sources, addresses, and whether a cluster has DNS hosts. */
function cluster(name: string, source: Record<string, unknown> = {}, dns = false): ClusterSpec {
  const spec = { name, source: { name, ...source }, config: {} as ClusterSpec['config'], lbType: 'LB_ROUNDROBIN' };
  return dns ? { ...spec, dns: { hosts: [], settings: {} as never } } : spec;
}
function router(name: string, source: Record<string, unknown> = {}): RouterSpec {
  return { name, source: { router_config_name: name, ...source }, virtualHosts: [] };
}
function listener(name: string, address: string, source: Record<string, unknown> = {}): ListenerSpec {
  const [host, port] = address.split(':');
  return { name, source: { name, address, ...source }, address: { host: host!, port: Number(port) }, bufferLimit: 0, idleTimeoutMs: 0, filters: [] };
}
function config(parts: { clusters?: readonly ClusterSpec[]; routers?: readonly RouterSpec[]; listeners?: readonly ListenerSpec[] }): MosnConfig {
  return { logPath: 'stdout', logLevel: 'INFO', gracefulTimeoutMs: 0, workers: 1, admin: undefined, clusters: parts.clusters ?? [], routers: parts.routers ?? [], listeners: parts.listeners ?? [], source: {} };
}
const plan = (from: MosnConfig | undefined, to: MosnConfig) => planChanges(from, to).map(describeChange);

const base = config({
  clusters: [cluster('a', { hosts: [{ address: '127.0.0.1:1' }] }), cluster('b')],
  routers: [router('r', { virtual_hosts: [1] })],
  listeners: [listener('l', '127.0.0.1:80', { filter_chains: [1] })],
});

describe('planChanges: old config, new config → exact steps', () => {
  const table: Array<[string, MosnConfig | undefined, MosnConfig, string[]]> = [
    ['start: everything is added, clusters first, then routers, then listeners', undefined, base, ['cluster add a', 'cluster add b', 'router add r', 'listener add l']],
    ['the same config: nothing', base, base, []],
    ['an equal copy (a re-read file): nothing', base, structuredClone(base), []],
    [
      'a cluster added and another removed: the new one before anything uses it, the old one last',
      base,
      config({ ...base, clusters: [base.clusters[0]!, cluster('c')] }),
      ['cluster add c', 'cluster remove b'],
    ],
    [
      'only the hosts of a cluster changed: updated in place',
      base,
      config({ ...base, clusters: [cluster('a', { hosts: [{ address: '127.0.0.1:2' }] }), base.clusters[1]!] }),
      ['cluster hosts a'],
    ],
    [
      'hosts and lb_type changed: rebuilt',
      base,
      config({ ...base, clusters: [cluster('a', { hosts: [{ address: '127.0.0.1:2' }], lb_type: 'LB_RANDOM' }), base.clusters[1]!] }),
      ['cluster rebuild a'],
    ],
    ['the hosts of a STRICT_DNS cluster changed: rebuilt (its names are resolved anew)', config({ clusters: [cluster('d', { hosts: [1] }, true)] }), config({ clusters: [cluster('d', { hosts: [2] }, true)] }), ['cluster rebuild d']],
    ['a router changed: swapped', base, config({ ...base, routers: [router('r', { virtual_hosts: [2] })] }), ['router update r']],
    ['a listener\'s filters changed: updated for new connections', base, config({ ...base, listeners: [listener('l', '127.0.0.1:80', { filter_chains: [2] })] }), ['listener update l']],
    ['a listener\'s address changed: removed, then added', base, config({ ...base, listeners: [listener('l', '127.0.0.1:81', { filter_chains: [1] })] }), ['listener remove l', 'listener add l']],
    [
      'an address moves from one listener to a new one: the old one is removed before the new one binds',
      base,
      config({ ...base, listeners: [listener('l2', '127.0.0.1:80', { filter_chains: [1] })] }),
      ['listener remove l', 'listener add l2'],
    ],
    [
      'everything at once, in the order that keeps every reference valid',
      base,
      config({
        clusters: [cluster('a', { hosts: [] }), cluster('c')],
        routers: [router('r2')],
        listeners: [listener('l', '127.0.0.1:80', { filter_chains: [3] }), listener('m', '127.0.0.1:90')],
      }),
      ['cluster add c', 'cluster hosts a', 'router add r2', 'listener update l', 'listener add m', 'router remove r', 'cluster remove b'],
    ],
  ];
  it.each(table)('%s', (_what, from, to, steps) => {
    expect(plan(from, to)).toEqual(steps);
  });
});
