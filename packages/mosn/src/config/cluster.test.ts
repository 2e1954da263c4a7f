import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCUIT_BREAKERS, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_HEALTH_CHECK } from '@mosn/proxy';
import { defaultExtensions } from '../extensions.js';
import { checkClusterDefined, readClusterManager } from './cluster.js';
import { readSection } from './testing.js';

const ext = defaultExtensions();
const read = (clusters: unknown[], more: Record<string, unknown> = {}) => readSection({ clusters, ...more }, 'cluster_manager', (cm) => readClusterManager(cm, ext));
const C0 = 'cluster_manager.clusters[0]';

describe('readClusterManager', () => {
  it('reads a SIMPLE cluster into its ClusterConfig, with the defaults filled and lb_type upper-cased', () => {
    const source = { name: 'c', lb_type: 'lb_random', hosts: [{ address: '127.0.0.1:8080', weight: 3 }], connect_timeout: '2s', max_request_per_conn: 10 };
    const { result, errors, warnings } = read([source]);
    expect([errors, warnings]).toEqual([[], []]);
    expect(result).toEqual([
      {
        name: 'c',
        source,
        lbType: 'LB_RANDOM',
        config: {
          name: 'c',
          type: 'SIMPLE',
          lbType: 'LB_RANDOM',
          hosts: [{ address: { host: '127.0.0.1', port: 8080 }, weight: 3 }],
          connectTimeoutMs: 2000,
          idleTimeoutMs: 60_000,
          maxRequestsPerConnection: 10,
          lbConfig: {},
          circuitBreakers: DEFAULT_CIRCUIT_BREAKERS,
        },
      },
    ]);
    expect(result[0]!.source).toBe(source);
    expect(read([{ name: 'd', hosts: [] }]).result[0]!.config.connectTimeoutMs).toBe(DEFAULT_CONNECT_TIMEOUT_MS);
  });

  it('reads the optional parts: keepalive, buffer limit, slow start into lbconfig, health check with the registry codecs', () => {
    const { result, errors } = read([
      {
        name: 'c',
        lb_type: 'LB_LEAST_REQUEST',
        hosts: [{ address: '127.0.0.1:1' }],
        keepalive: { interval: '5s' },
        conn_buffer_limit_bytes: 4096,
        lbconfig: { choice_count: 3 },
        slow_start: { mode: 'duration', slow_start_duration: '10s' },
        health_check: { protocol: 'bolt' },
        outlier_detection: { consecutive_5xx: 2 },
      },
    ]);
    expect(errors).toEqual([]);
    const c = result[0]!;
    expect(c.config.keepalive).toEqual({ intervalMs: 5000, timeoutMs: expect.any(Number), maxFailures: expect.any(Number) });
    expect(c.config.bufferLimit).toBe(4096);
    expect(c.config.lbConfig).toEqual({ choiceCount: 3, slowStart: { windowMs: 10_000, aggression: 1, minWeight: 0.1 } });
    // bolt is registered, with heartbeats: checked by heartbeat
    expect(c.healthCheck).toEqual({ ...DEFAULT_HEALTH_CHECK, kind: 'rpc', protocol: 'bolt' });
    expect(c.outlierDetection?.consecutive5xx).toBe(2);
  });

  it('STRICT_DNS: no hosts in the config, the names in dns.hosts', () => {
    const { result, errors } = read([{ name: 'c', type: 'STRICT_DNS', hosts: [{ address: 'backend.local:8080' }], dns_resolvers: { servers: ['10.0.0.1'] } }]);
    expect(errors).toEqual([]);
    expect(result[0]!.config.hosts).toEqual([]);
    expect(result[0]!.dns?.hosts).toEqual([{ address: { host: 'backend.local', port: 8080 }, weight: 1 }]);
    expect(result[0]!.dns?.settings.resolver.servers).toEqual(['10.0.0.1:53']);
    expect(result[0]!.originalDst).toBeUndefined();
  });

  it('ORIGINAL_DST: LB_ORIGINAL_DST whatever lb_type says, hosts ignored, with warnings', () => {
    const { result, errors, warnings } = read([{ name: 'c', type: 'ORIGINAL_DST', lb_type: 'LB_RANDOM', hosts: [{ address: '127.0.0.1:1' }] }]);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      `${C0}.lb_type: ignored: an ORIGINAL_DST cluster sends each request to its own destination (LB_ORIGINAL_DST), as in MOSN`,
      `${C0}.hosts: ignored: an ORIGINAL_DST cluster (LB_ORIGINAL_DST) makes a host for each destination requests ask for, as in MOSN`,
    ]);
    expect(result[0]!.lbType).toBe('LB_ORIGINAL_DST');
    expect(result[0]!.config.lbType).toBe('LB_ORIGINAL_DST');
    expect(result[0]!.config.hosts).toEqual([]);
    expect(result[0]!.originalDst?.headerName).toBe('host');
  });

  it('refuses unknown and not-yet-supported types and balancers, and keeps the cluster so routes still find it', () => {
    const { result, errors } = read([
      { name: 'a', type: 'EDS' },
      { name: 'b', type: 'NOPE', lb_type: 'LB_FASTEST' },
    ]);
    expect(errors).toEqual([
      `${C0}.type: cluster type "EDS" is not supported by mosn-ts yet; supported: SIMPLE, STRICT_DNS, ORIGINAL_DST`,
      'cluster_manager.clusters[1].type: unknown cluster type "NOPE"; known: SIMPLE, STRICT_DNS, ORIGINAL_DST',
      expect.stringMatching(/^cluster_manager\.clusters\[1\]\.lb_type: unknown lb_type "LB_FASTEST"; known: LB_ROUNDROBIN, /),
    ]);
    expect(result.map((c) => c.name)).toEqual(['a', 'b']);
  });

  it('reports duplicate names, refused keys and unknown keys with their paths', () => {
    const { errors, warnings } = read([{ name: 'c' }, { name: 'c', spec: { subscribe: [{}] }, mark: 1, colour: 'red', dns_refresh_rate: '1s' }], { clusters_configs: '/etc/c', auto_discovery: true });
    expect(errors).toEqual([
      'cluster_manager.clusters[1].name: duplicate cluster name "c"',
      'cluster_manager.clusters[1].spec: hosts from a service registry (spec.subscribe) are not supported by mosn-ts yet',
      'cluster_manager.clusters[1].mark: marking upstream sockets (SO_MARK) is not supported by mosn-ts yet',
      'cluster_manager.clusters_configs: loading clusters from a directory is not supported by mosn-ts yet; list them in cluster_manager.clusters',
    ]);
    expect(warnings).toEqual([
      'cluster_manager.clusters[1].dns_refresh_rate: used by STRICT_DNS clusters only; ignored',
      'cluster_manager.clusters[1].colour: unknown key; ignored',
      'cluster_manager.auto_discovery: not supported by mosn-ts yet; ignored',
    ]);
  });

  it('warns about a timeout given as a small bare number (nanoseconds, as MOSN)', () => {
    const { result, warnings } = read([{ name: 'c', connect_timeout: 12 }]);
    expect(result[0]!.config.connectTimeoutMs).toBe(12 / 1e6);
    expect(warnings).toEqual([`${C0}.connect_timeout: 12 is read as nanoseconds (12ns), as MOSN does; did you mean "12s" or "12ms"?`]);
  });
});

describe('checkClusterDefined', () => {
  it('names the defined clusters, or (none)', () => {
    const specs = new Map([['a', {} as never], ['b', {} as never]]);
    expect(readSection({}, 'r', (r) => checkClusterDefined(r, 'cluster', 'x', { clusters: specs })).errors).toEqual(['r.cluster: cluster "x" is not defined in cluster_manager.clusters; defined: a, b']);
    expect(readSection({}, 'r', (r) => checkClusterDefined(r, 'cluster', 'x', { clusters: new Map() })).errors).toEqual(['r.cluster: cluster "x" is not defined in cluster_manager.clusters; defined: (none)']);
    expect(readSection({}, 'r', (r) => checkClusterDefined(r, 'cluster', 'a', { clusters: specs })).errors).toEqual([]);
  });
  it('lets a name pass when clusters arrive later (xDS)', () => {
    expect(readSection({}, 'r', (r) => checkClusterDefined(r, 'cluster', 'x', { clusters: new Map(), dynamicClusters: true })).errors).toEqual([]);
  });
});
