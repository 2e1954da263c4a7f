import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { XDS_FLAG_OPTIONS, XDS_HELP, xdsFlagsFromArgs } from './flags.js';

/** As `mosn start` parses its arguments (its other options left out). */
function flags(args: string[], env: Record<string, string> = {}) {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, ...XDS_FLAG_OPTIONS }, allowPositionals: true });
  return xdsFlagsFromArgs(values, env);
}

describe('xdsFlagsFromArgs', () => {
  it('reads MOSN xDS flags, long and short', () => {
    expect(flags(['start', '-c', 'mosn.json', '--service-node', 'sidecar~1.2.3.4~a.b~b.svc.cluster.local', '--service-cluster', 'reviews', '--service-type', 'sidecar'])).toEqual({
      serviceNode: 'sidecar~1.2.3.4~a.b~b.svc.cluster.local',
      serviceCluster: 'reviews',
      serviceType: 'sidecar',
      serviceMeta: [],
      serviceLabels: [],
    });
    expect(flags(['-n', 'node-1', '-s', 'c1', '-p', 'router'])).toEqual({ serviceNode: 'node-1', serviceCluster: 'c1', serviceType: 'router', serviceMeta: [], serviceLabels: [] });
  });

  it('reads the pod flags and their MOSN aliases', () => {
    const long = flags(['--pod-ip', '10.0.0.1', '--pod-name', 'web-0', '--pod-namespace', 'shop', '--cluster-domain', 'shop.svc.cluster.local']);
    const alias = flags(['--pi', '10.0.0.1', '--pn', 'web-0', '--pns', 'shop', '--domain', 'shop.svc.cluster.local']);
    expect(long).toEqual({ podIp: '10.0.0.1', podName: 'web-0', podNamespace: 'shop', clusterDomain: 'shop.svc.cluster.local', serviceMeta: [], serviceLabels: [] });
    expect(alias).toEqual(long);
  });

  it('collects repeated --service-meta and --service-lables / --service-labels (and --sm, --sl)', () => {
    const f = flags(['--service-meta', 'IstioVersion:1.10.6', '--sm', 'ClusterID:k1', '--service-lables', 'app:web', '--service-labels', 'version:v1', '--sl', 'team:a']);
    expect(f.serviceMeta).toEqual(['IstioVersion:1.10.6', 'ClusterID:k1']);
    expect(f.serviceLabels).toEqual(['app:web', 'version:v1', 'team:a']);
  });

  it('falls back to MOSN environment variables; the command line wins; empty counts as not given', () => {
    const env = {
      SERVICE_NODE: 'env-node',
      SERVICE_CLUSTER: 'env-cluster',
      SERVICE_TYPE: 'sidecar',
      POD_IP: '10.0.0.9',
      POD_NAME: 'p',
      POD_NAMESPACE: 'ns',
      CLUSTER_DOMAIN: 'ns.svc.cluster.local',
      SERVICE_META: 'IstioVersion:1.10.6, ClusterID:k',
      SERVICE_LAB: 'app:web',
    };
    expect(flags([], env)).toEqual({
      serviceNode: 'env-node',
      serviceCluster: 'env-cluster',
      serviceType: 'sidecar',
      podIp: '10.0.0.9',
      podName: 'p',
      podNamespace: 'ns',
      clusterDomain: 'ns.svc.cluster.local',
      serviceMeta: ['IstioVersion:1.10.6', 'ClusterID:k'],
      serviceLabels: ['app:web'],
    });
    const f = flags(['-n', 'cli-node', '--sl', 'app:api', '--pod-ip', ''], env);
    expect(f.serviceNode).toBe('cli-node');
    expect(f.serviceLabels).toEqual(['app:api']);
    expect(f.podIp).toBe('10.0.0.9');
    expect(flags([], { SERVICE_NODE: '' })).toEqual({ serviceMeta: [], serviceLabels: [] });
  });

  it('is shown in --help, every flag', () => {
    for (const [name, o] of Object.entries(XDS_FLAG_OPTIONS)) {
      expect(XDS_HELP).toContain(`--${name}`);
      if ('short' in o) expect(XDS_HELP).toContain(`-${o.short}, --${name}`);
    }
  });
});
