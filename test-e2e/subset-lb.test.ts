import { describe, expect, it } from 'vitest';
import { defaultExtensions, readConfig, type Mosn } from 'mosn';
import { cleanupAfterEach, get, httpBackend, httpProxyConfig, port, startMosn } from './helpers.js';
import { OTHER_SERVICE, SERVICE, rpcClient, startRpcServer } from './bolt/peers.js';

// Subset load balancing (MOSN's lb_subset_config, host metadata, route metadata_match) and slow_start config:
// client → mosn → backends labelled with metadata, over HTTP/1 and Bolt.

const cleanups = cleanupAfterEach();

/** MOSN's metadata format: `{"filter_metadata": {"mosn.lb": {...}}}`. */
const meta = (labels: Record<string, unknown>) => ({ filter_metadata: { 'mosn.lb': labels } });

async function started(config: unknown): Promise<number> {
  const mosn: Mosn = await startMosn(config);
  cleanups.push(() => mosn.stop(0));
  return port(mosn.listenerAddress('l'));
}

/** A backend that answers with its name. */
async function named(name: string): Promise<string> {
  const b = await httpBackend((_req, res) => res.end(name));
  cleanups.push(b.close);
  return b.address;
}

/** Who answered `n` requests to `path` (502 counts as "502"). */
async function answers(p: number, path: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await get(p, path);
    out.push(r.status === 200 ? r.body : String(r.status));
  }
  return out;
}

const set = (xs: string[]) => [...new Set(xs)].sort();

/**
 * Backends A {v1, zone a}, B {v1, zone b}, C {v2, zone a}, D (no labels); cluster c with subsets by version and
 * by version + zone, default_subset v2; routes by path to each kind of metadata_match.
 */
async function subsetProxy(fallBackPolicy: number): Promise<number> {
  const [a, b, c, d] = await Promise.all(['A', 'B', 'C', 'D'].map(named));
  const route = (prefix: string, action: Record<string, unknown>) => ({ match: { prefix }, route: action });
  return started(
    httpProxyConfig({
      routes: [
        route('/v1', { cluster_name: 'c', metadata_match: meta({ version: 'v1' }) }),
        route('/v2a', { cluster_name: 'c', metadata_match: meta({ zone: 'a', version: 'v2' }) }),
        route('/v3', { cluster_name: 'c', metadata_match: meta({ version: 'v3' }) }),
        route('/zone', { cluster_name: 'c', metadata_match: meta({ zone: 'a' }) }),
        route('/split', {
          weighted_clusters: [
            { cluster: { name: 'c', weight: 50, metadata_match: meta({ version: 'v1' }) } },
            { cluster: { name: 'c', weight: 50, metadata_match: meta({ version: 'v2' }) } },
          ],
        }),
        route('/', { cluster_name: 'c' }),
      ],
      clusters: [
        {
          name: 'c',
          type: 'SIMPLE',
          lb_type: 'LB_ROUNDROBIN',
          lb_subset_config: { fall_back_policy: fallBackPolicy, default_subset: { version: 'v2' }, subset_selectors: [['version'], ['version', 'zone']] },
          hosts: [
            { address: a, metadata: meta({ version: 'v1', zone: 'a' }) },
            { address: b, metadata: meta({ version: 'v1', zone: 'b' }) },
            { address: c, metadata: meta({ version: 'v2', zone: 'a' }) },
            { address: d },
          ],
        },
      ],
    }),
  );
}

describe('subset load balancing over HTTP', () => {
  it('metadata_match picks the subset; no metadata_match balances over every host; weighted entries have their own', async () => {
    const p = await subsetProxy(0);
    const v1 = await answers(p, '/v1', 20);
    expect(v1.filter((x) => x === 'A')).toHaveLength(10); // round robin within the subset
    expect(set(v1)).toEqual(['A', 'B']);
    expect(set(await answers(p, '/v2a', 10))).toEqual(['C']);
    expect(set(await answers(p, '/', 20))).toEqual(['A', 'B', 'C', 'D']);
    const split = await answers(p, '/split', 60);
    expect(set(split)).toEqual(['A', 'B', 'C']); // D has no version: in neither subset
  });

  it('NO_FALLBACK (0): a request whose subset does not exist gets 502 no healthy upstream', async () => {
    const p = await subsetProxy(0);
    expect(set(await answers(p, '/v3', 5))).toEqual(['502']);
    expect(set(await answers(p, '/zone', 5))).toEqual(['502']); // no selector is exactly ["zone"]
    expect(set(await answers(p, '/v1', 4))).toEqual(['A', 'B']);
  });

  it('ANY_ENDPOINT (1): falls back to every host', async () => {
    const p = await subsetProxy(1);
    expect(set(await answers(p, '/v3', 20))).toEqual(['A', 'B', 'C', 'D']);
    expect(set(await answers(p, '/v1', 10))).toEqual(['A', 'B']);
  });

  it('DEFAULT_SUBSET (2): falls back to the hosts of default_subset', async () => {
    const p = await subsetProxy(2);
    expect(set(await answers(p, '/v3', 10))).toEqual(['C']);
    expect(set(await answers(p, '/zone', 10))).toEqual(['C']);
    expect(set(await answers(p, '/v1', 10))).toEqual(['A', 'B']);
  });
});

describe('subset load balancing over Bolt', () => {
  it('routes by service to a subset of sofa-rpc-node servers; a service whose subset is empty gets a Bolt error', async () => {
    const servers = await Promise.all(['one-a', 'one-b', 'two'].map((n) => startRpcServer(n)));
    for (const s of servers) cleanups.push(s.close);
    const [oneA, oneB, two] = servers;
    const serviceIs = (service: string) => ({ headers: [{ name: 'service', value: service }] });
    const p = await started({
      servers: [
        {
          default_log_path: 'stderr',
          default_log_level: 'ERROR',
          routers: [
            {
              router_config_name: 'r',
              virtual_hosts: [
                {
                  name: 'vh',
                  domains: ['*'],
                  routers: [
                    { match: serviceIs(SERVICE), route: { cluster_name: 'rpc', metadata_match: meta({ version: '1.0' }) } },
                    { match: serviceIs(OTHER_SERVICE), route: { cluster_name: 'rpc', metadata_match: meta({ version: '3.0' }) } },
                  ],
                },
              ],
            },
          ],
          listeners: [
            {
              name: 'l',
              address: '127.0.0.1:0',
              bind_port: true,
              filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'bolt', upstream_protocol: 'bolt', router_config_name: 'r' } }] }],
            },
          ],
        },
      ],
      cluster_manager: {
        clusters: [
          {
            name: 'rpc',
            type: 'SIMPLE',
            lb_type: 'LB_ROUNDROBIN',
            lb_subset_config: { fall_back_policy: 0, subset_selectors: [['version']] },
            hosts: [
              { address: oneA!.address, metadata: meta({ version: '1.0' }) },
              { address: oneB!.address, metadata: meta({ version: '1.0' }) },
              { address: two!.address, metadata: meta({ version: '2.0' }) },
            ],
          },
        ],
      },
    });
    const client = rpcClient(`127.0.0.1:${p}`);
    cleanups.push(client.close);
    const who: string[] = [];
    for (let i = 0; i < 10; i++) who.push(await client.invoke<string>('whoami', []));
    expect(set(who)).toEqual(['one-a', 'one-b']);
    expect(two!.requests).toHaveLength(0);
    await expect(client.invoke('whoami', [], { service: OTHER_SERVICE })).rejects.toThrow();
    expect(two!.requests).toHaveLength(0);
    expect(await client.invoke<string>('echo', ['still fine'])).toBe('still fine');
  }, 20_000);
});

/** A valid config with one cluster `c`; `edit` changes it first. */
function checkCluster(extra: Record<string, unknown>, route: Record<string, unknown> = {}, hosts: unknown[] = [{ address: '127.0.0.1:8080' }]) {
  const raw = httpProxyConfig({
    routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c', ...route } }],
    clusters: [{ name: 'c', type: 'SIMPLE', lb_type: 'LB_WEIGHTED_ROUNDROBIN', hosts, ...extra }],
  });
  const { config, problems } = readConfig(raw, defaultExtensions());
  return { config, errors: problems.errors, warnings: problems.warnings };
}

const C0 = 'cluster_manager.clusters[0]';
const ROUTE0 = 'servers[0].routers[0].virtual_hosts[0].routers[0].route';

describe('subset and slow start config', () => {
  it('reads lb_subset_config, host metadata and metadata_match without a problem', () => {
    const { config, errors, warnings } = checkCluster(
      { lb_subset_config: { fall_back_policy: 2, default_subset: { version: '1' }, subset_selectors: [['version']] } },
      { metadata_match: meta({ version: '1' }) },
      [{ address: '127.0.0.1:8080', metadata: meta({ version: '1' }) }],
    );
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    const c = config!.clusters.find((x) => x.name === 'c')!;
    expect(c.config.lbSubset).toEqual({ fallbackPolicy: 'DEFAULT_SUBSET', defaultSubset: { version: '1' }, selectors: [['version']] });
    expect(c.config.hosts[0]!.metadata).toEqual({ version: '1' });
  });

  it('fall_back_policy is MOSN\'s number; a name is refused with the number to write', () => {
    let r = checkCluster({ lb_subset_config: { fall_back_policy: 'ANY_ENDPOINT', subset_selectors: [['v']] } });
    expect(r.errors).toEqual([{ path: `${C0}.lb_subset_config.fall_back_policy`, message: expect.stringMatching(/expected one of 0 \(NO_FALLBACK\), 1 \(ANY_ENDPOINT\), 2 \(DEFAULT_SUBSET\), got "ANY_ENDPOINT"; MOSN reads a number: write 1/) }]);
    r = checkCluster({ lb_subset_config: { fall_back_policy: 3, subset_selectors: [['v']] } });
    expect(r.errors.map((e) => e.path)).toEqual([`${C0}.lb_subset_config.fall_back_policy`]);
  });

  it('bad shapes are errors at their JSON path', () => {
    let r = checkCluster({ lb_subset_config: { subset_selectors: ['version', [1]], default_subset: { v: 2 } } });
    expect(r.errors.map((e) => e.path)).toEqual([
      `${C0}.lb_subset_config.default_subset.v`,
      `${C0}.lb_subset_config.subset_selectors[0]`,
      `${C0}.lb_subset_config.subset_selectors[1][0]`,
    ]);
    r = checkCluster({}, { metadata_match: meta({ version: 1 }) }, [{ address: '127.0.0.1:8080', metadata: { filter_metadata: { 'mosn.lb': { version: true } } } }]);
    expect(r.errors).toEqual([
      { path: `${C0}.hosts[0].metadata.filter_metadata.mosn.lb.version`, message: 'expected a string, got boolean (MOSN silently drops values that are not strings; write "true")' },
      { path: `${ROUTE0}.metadata_match.filter_metadata.mosn.lb.version`, message: 'expected a string, got number (MOSN silently drops values that are not strings; write "1")' },
    ]);
  });

  it('warns where MOSN would silently do nothing: no selectors, metadata_match on a cluster without subsets', () => {
    const r = checkCluster({ lb_subset_config: { fall_back_policy: 1 } }, { metadata_match: meta({ version: '1' }) });
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.path)).toEqual([`${C0}.lb_subset_config.subset_selectors`, `${ROUTE0}.metadata_match`]);
  });

  it('reads slow_start as MOSN does: defaults, a fraction for min_weight_percent, an unknown mode refused', () => {
    let r = checkCluster({ slow_start: { mode: 'duration', slow_start_duration: '30s' } });
    expect(r.errors).toEqual([]);
    expect(r.config!.clusters.find((x) => x.name === 'c')!.config.lbConfig?.slowStart).toEqual({ windowMs: 30_000, aggression: 1, minWeight: 0.1 });
    r = checkCluster({ slow_start: { mode: 'duration', slow_start_duration: '1m', aggression: 2, min_weight_percent: 0.125 } });
    expect(r.config!.clusters.find((x) => x.name === 'c')!.config.lbConfig?.slowStart).toEqual({ windowMs: 60_000, aggression: 2, minWeight: 0.125 });
    r = checkCluster({ slow_start: { mode: 'duration', slow_start_duration: '30s', min_weight_percent: 10 } });
    expect(r.errors).toEqual([{ path: `${C0}.slow_start.min_weight_percent`, message: expect.stringMatching(/fraction.*MOSN reads 0.1 as 10%.*got 10/) }]);
    r = checkCluster({ slow_start: { mode: 'linear', slow_start_duration: '30s' } });
    expect(r.errors.map((e) => e.path)).toEqual([`${C0}.slow_start.mode`]);
    r = checkCluster({ slow_start: { slow_start_duration: '30s' } });
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.path)).toEqual([`${C0}.slow_start.mode`]);
    expect(r.config!.clusters.find((x) => x.name === 'c')!.config.lbConfig?.slowStart).toBeUndefined();
    r = checkCluster({ lb_type: 'LB_ROUNDROBIN', slow_start: { mode: 'duration', slow_start_duration: '30s' } });
    expect(r.warnings.map((w) => w.path)).toEqual([`${C0}.slow_start`]);
  });
});
